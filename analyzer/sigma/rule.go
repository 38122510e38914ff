package sigma

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"gopkg.in/yaml.v3"
)

// Bounds on what a rule directory may hold.
const (
	MaxRuleFile  = 1 << 20 // bytes of one rule file
	MaxRuleFiles = 100_000
)

// Rule is one Sigma rule, compiled.
type Rule struct {
	ID             string
	Title          string
	Author         string
	Status         string
	Level          string
	Description    string
	Tags           []string
	FalsePositives []string
	References     []string
	// File is the rule's path under the directory it was loaded from; Dir
	// that directory.
	File, Dir string
	// Logsource is the rule's logsource, as written ("product linux, category process_creation").
	Logsource string
	// Applicable is false when no Cordon event can match the rule;
	// NotApplicable says why ("needs LogonId", "logsource product windows").
	Applicable    bool
	NotApplicable string
	// Missing are the fields of the rule no event of its log source has:
	// the parts of an applicable rule that test them never match.
	Missing []string

	need source
	cond node
}

// Failure is a rule file that could not be made into a rule.
type Failure struct {
	File   string // relative to Dir
	Dir    string
	Reason string
}

// RuleSet is every rule loaded from some directories.
type RuleSet struct {
	Rules    []*Rule // in load order: directories as given, files by name
	Failures []Failure
	Files    int // rule files read (.yml, .yaml)
	// Digest names the rules loaded: a SHA-256 over each directory's rule
	// files, names and bytes, in load order (a saved result made with other
	// rules is not this set's).
	Digest string

	hash hash.Hash

	fields   []fieldDef
	fieldIDs map[string]int
	keywords keywordIndex
	ac       *automaton
	groups   []ruleGroup
}

// ruleGroup is the applicable rules of one log-source need.
type ruleGroup struct {
	need  source
	rules []*Rule
}

// Load reads every *.yml and *.yaml file under each directory (recursively,
// in name order) as a Sigma rule. A file that is not a rule Cordon can
// evaluate is a Failure with its reason, never skipped silently; an error
// is returned only when a directory cannot be read at all.
func Load(dirs ...string) (*RuleSet, error) {
	set := newRuleSet()
	for _, dir := range dirs {
		if err := set.loadFS(os.DirFS(dir), dir); err != nil {
			return nil, err
		}
	}
	set.finish()
	return set, nil
}

// LoadFS is Load over a file system (for tests and embedded rules).
func LoadFS(fsys fs.FS, name string) (*RuleSet, error) {
	set := newRuleSet()
	if err := set.loadFS(fsys, name); err != nil {
		return nil, err
	}
	set.finish()
	return set, nil
}

func newRuleSet() *RuleSet { return &RuleSet{fieldIDs: map[string]int{}, hash: sha256.New()} }

func (set *RuleSet) loadFS(fsys fs.FS, dir string) error {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			set.Failures = append(set.Failures, Failure{File: p, Dir: dir, Reason: err.Error()})
			return nil
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if ext := path.Ext(p); (ext == ".yml" || ext == ".yaml") && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sigma rules %s: %w", dir, err)
	}
	sort.Strings(files)
	fmt.Fprintf(set.hash, "dir\x00%s\x00%d\x00", dir, len(files))
	seen := map[string]string{}
	for _, r := range set.Rules {
		seen[r.ID] = r.Dir + "/" + r.File
	}
	for _, f := range files {
		if set.Files >= MaxRuleFiles {
			set.Failures = append(set.Failures, Failure{File: f, Dir: dir, Reason: fmt.Sprintf("more than %d rule files: not read", MaxRuleFiles)})
			continue
		}
		set.Files++
		data, err := readBounded(fsys, f)
		if err != nil {
			fmt.Fprintf(set.hash, "%s\x00unreadable\x00", f)
			set.Failures = append(set.Failures, Failure{File: f, Dir: dir, Reason: err.Error()})
			continue
		}
		fmt.Fprintf(set.hash, "%s\x00%d\x00", f, len(data))
		set.hash.Write(data)
		r, err := set.compile(data, f, dir)
		if err != nil {
			set.Failures = append(set.Failures, Failure{File: f, Dir: dir, Reason: err.Error()})
			continue
		}
		if prev, ok := seen[r.ID]; ok {
			set.Failures = append(set.Failures, Failure{File: f, Dir: dir, Reason: fmt.Sprintf("rule id %s was already loaded from %s", r.ID, prev)})
			continue
		}
		seen[r.ID] = dir + "/" + f
		set.Rules = append(set.Rules, r)
	}
	return nil
}

func readBounded(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxRuleFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxRuleFile {
		return nil, fmt.Errorf("larger than %d bytes", MaxRuleFile)
	}
	return data, nil
}

// compile parses one rule file with sigma-go and compiles it.
func (set *RuleSet) compile(data []byte, file, dir string) (*Rule, error) {
	// A file of several YAML documents is a Sigma rule collection (a
	// "global" document and its variants): sigma-go reads the first only.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	docs := 0
	var top map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("YAML: %w", err)
		}
		if docs == 0 {
			top = doc
		}
		docs++
	}
	switch {
	case docs == 0:
		return nil, fmt.Errorf("empty file")
	case docs > 1:
		return nil, fmt.Errorf("%d YAML documents (a rule collection): give one rule per file", docs)
	case top["correlation"] != nil:
		return nil, fmt.Errorf("a correlation rule: Cordon evaluates detection rules only")
	case top["detection"] == nil || top["logsource"] == nil || top["title"] == nil:
		return nil, fmt.Errorf("not a Sigma rule: title, logsource and detection are required")
	}
	sr, err := sigmago.ParseRule(data)
	if err != nil {
		return nil, fmt.Errorf("sigma-go: %w", err)
	}
	r := &Rule{
		ID: strings.TrimSpace(sr.ID), Title: oneLine(sr.Title), Author: oneLine(sr.Author), Status: sr.Status, Level: strings.ToLower(sr.Level),
		Description: strings.TrimSpace(sr.Description), Tags: sr.Tags, References: sr.References, File: file, Dir: dir,
	}
	if r.ID == "" {
		r.ID = "sigma:" + file
	}
	if fp, ok := sr.AdditionalFields["falsepositives"]; ok {
		r.FalsePositives = stringList(fp)
	}
	ls := sr.Logsource
	var parts []string
	for _, kv := range [][2]string{{"product", ls.Product}, {"category", ls.Category}, {"service", ls.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	r.Logsource = strings.Join(parts, ", ")
	need, why := logsourceNeeds(ls.Product, ls.Category, ls.Service)
	c := &compiler{set: set, need: need, missing: map[string]bool{}}
	if need == 0 {
		c.need = ^source(0) // compile anyway, to report what else is wrong
	}
	cond, err := c.compileDetection(sr.Detection)
	if err != nil {
		return nil, err
	}
	r.need, r.cond = need, cond
	for f := range c.missing {
		r.Missing = append(r.Missing, f)
	}
	sort.Strings(r.Missing)
	canTrue, _ := cond.can()
	switch {
	case need == 0:
		r.NotApplicable = why
	case !canTrue:
		r.NotApplicable = "needs " + strings.Join(r.Missing, ", ") + " (" + sourceNames(need) + ")"
	default:
		r.Applicable = true
	}
	return r, nil
}

// finish builds the keyword automaton and groups the applicable rules by
// the log sources they need.
func (set *RuleSet) finish() {
	set.Digest = hex.EncodeToString(set.hash.Sum(nil))
	set.ac = newAutomaton(set.keywords.patterns)
	byNeed := map[source]int{}
	for _, r := range set.Rules {
		if !r.Applicable {
			continue
		}
		i, ok := byNeed[r.need]
		if !ok {
			i = len(set.groups)
			byNeed[r.need] = i
			set.groups = append(set.groups, ruleGroup{need: r.need})
		}
		set.groups[i].rules = append(set.groups[i].rules, r)
	}
}

// Applicable counts the rules that can match some Cordon event.
func (set *RuleSet) Applicable() int {
	n := 0
	for _, r := range set.Rules {
		if r.Applicable {
			n++
		}
	}
	return n
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func stringList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, _, err := scalar(x); err == nil && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
