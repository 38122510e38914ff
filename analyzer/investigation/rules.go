package investigation

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"sort"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/rules"
)

// RuleSet is the rules a case is judged with: the built-in ones, then the
// analyst's, and a digest of their files (names and bytes), which says
// whether a saved investigation was made with the same rules.
type RuleSet struct {
	Rules  []findings.Rule
	Digest string
}

// LoadRules loads the built-in rules and those of each directory (*.yaml).
func LoadRules(dirs ...string) (RuleSet, error) {
	var rs RuleSet
	h := sha256.New()
	add := func(what string, fsys fs.FS) error {
		got, err := findings.LoadRules(fsys)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		names, _ := fs.Glob(fsys, "*.yaml")
		sort.Strings(names)
		fmt.Fprintf(h, "%s\x00%d\x00", what, len(names))
		for _, n := range names {
			data, err := fs.ReadFile(fsys, n)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			fmt.Fprintf(h, "%s\x00%d\x00", n, len(data))
			h.Write(data)
		}
		seen := map[string]bool{}
		for _, r := range rs.Rules {
			seen[r.ID] = true
		}
		for _, r := range got {
			if seen[r.ID] {
				return fmt.Errorf("%s: rule %s is defined twice", what, r.ID)
			}
		}
		rs.Rules = append(rs.Rules, got...)
		return nil
	}
	if err := add("built-in", rules.FS); err != nil {
		return rs, err
	}
	for _, d := range dirs {
		if err := add("--rules "+d, os.DirFS(d)); err != nil {
			return rs, err
		}
	}
	rs.Digest = hex.EncodeToString(h.Sum(nil))
	return rs, nil
}
