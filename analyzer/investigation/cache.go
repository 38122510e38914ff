package investigation

// cache.go keeps a case's investigation in the case directory
// (investigation.json), so that `cordon findings --case` and `cordon report
// --case` read the result instead of every event again. The file names
// what it was made from: the bundles (by the SHA-256 of their files), the
// rules (RuleSet.Digest) and the format of this file; a case whose bundles
// or rules differ is investigated again. `cordon analyze` writes it after
// adding bundles; a reader that finds it stale recomputes it and saves it
// when it can take the case's lock.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
)

const (
	cacheFile = "investigation.json"
	// cacheFormat changes whenever what an investigation computes changes.
	cacheFormat = "cordon-investigation/2"
	// maxCacheBytes bounds the file read back (it is the analyst's own, but
	// a case directory may come from elsewhere).
	maxCacheBytes = 512 << 20
)

type cacheDoc struct {
	Format   string             `json:"format"`
	Key      string             `json:"key"`
	Events   int64              `json:"events"`
	Findings []findings.Finding `json:"findings"`
	Chain    correlate.Result   `json:"attack_chain"`
}

// key names what an investigation of c with rs is made of.
func key(c *casestore.Case, rs RuleSet) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", cacheFormat, rs.Digest)
	var shas []string
	for _, b := range c.Bundles() {
		shas = append(shas, b.SHA256+"/"+b.Dir+"/"+string(b.Verification))
	}
	sort.Strings(shas)
	for _, s := range shas {
		fmt.Fprintf(h, "%s\x00", s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Load returns the investigation saved in the case for these rules, or
// (nil, nil) when there is none or it was made of other bundles or rules.
func Load(c *casestore.Case, rs RuleSet) (*Investigation, error) {
	path := filepath.Join(c.Dir(), cacheFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var doc cacheDoc
	dec := json.NewDecoder(io.LimitReader(f, maxCacheBytes))
	if err := dec.Decode(&doc); err != nil {
		return nil, nil // unreadable: computed again
	}
	if doc.Format != cacheFormat || doc.Key != key(c, rs) {
		return nil, nil
	}
	return newInvestigation(c, doc.Findings, doc.Chain, doc.Events), nil
}

// Save writes inv into the case for these rules (atomically: a temporary
// file renamed). The caller holds the case's lock.
func Save(c *casestore.Case, rs RuleSet, inv *Investigation) error {
	doc := cacheDoc{Format: cacheFormat, Key: key(c, rs), Events: inv.Events, Findings: inv.Findings, Chain: inv.Chain}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.Dir(), "."+cacheFile+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(buf.Bytes())
	if serr := tmp.Sync(); err == nil {
		err = serr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(c.Dir(), cacheFile))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("saving the investigation: %w", err)
	}
	return nil
}

// Get returns the case's investigation with these rules: the saved one if
// it is current, else a new one, saved when the case's lock can be taken
// (another cordon writing the case is not waited for). fromCache says which.
func Get(ctx context.Context, c *casestore.Case, rs RuleSet) (inv *Investigation, fromCache bool, err error) {
	if inv, err := Load(c, rs); err != nil || inv != nil {
		return inv, inv != nil, err
	}
	inv, err = Investigate(ctx, c, rs.Rules)
	if err != nil {
		return nil, false, err
	}
	if unlock, lerr := casestore.Lock(c.Dir()); lerr == nil {
		_ = Save(c, rs, inv) // a case on read-only media is still read
		unlock()
	}
	return inv, false, nil
}
