package investigation

// cache.go keeps a case's investigation in the case directory
// (investigation.json; that of a set of hosts in
// investigations/hosts-….json), so that `cordon findings --case` and `cordon report
// --case` read the result instead of every event again. The file names
// what it was made from: the hosts, the bundles (by the SHA-256 of their
// files), the rules (RuleSet.Digest) and the format of this file; a case whose bundles
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
	"github.com/cordon-forensics/cordon/analyzer/fleet"
	"github.com/cordon-forensics/cordon/internal/atomicfile"
)

const (
	cacheFile = "investigation.json"
	// hostsCacheDir holds the investigations of host sets
	// (hosts-<16 hex digits of the set's hash>.json).
	hostsCacheDir = "investigations"
	// cacheFormat changes whenever what an investigation computes changes.
	cacheFormat = "cordon-investigation/2"
	// maxCacheBytes bounds the file read back (it is the analyst's own, but
	// a case directory may come from elsewhere).
	maxCacheBytes = 512 << 20
)

type cacheDoc struct {
	Format string   `json:"format"`
	Key    string   `json:"key"`
	Hosts  []string `json:"hosts,omitempty"`
	// Bundles are the directories of the bundles the investigation covers.
	Bundles  []string           `json:"bundles"`
	Events   int64              `json:"events"`
	Findings []findings.Finding `json:"findings"`
	Chain    correlate.Result   `json:"attack_chain"`
	Fleet    []fleet.Spread     `json:"fleet,omitempty"`
}

// key names what an investigation of c's hosts with rs is made of.
func key(c *casestore.Case, rs RuleSet, hosts []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00", cacheFormat, rs.Digest, len(hosts))
	for _, x := range hosts {
		fmt.Fprintf(h, "%s\x00", x)
	}
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

// cachePath is where the investigation of hosts (nil: the whole case) is kept.
func cachePath(c *casestore.Case, hosts []string) string {
	if hosts == nil {
		return filepath.Join(c.Dir(), cacheFile)
	}
	h := sha256.New()
	for _, x := range hosts {
		fmt.Fprintf(h, "%s\x00", x)
	}
	return filepath.Join(c.Dir(), hostsCacheDir, "hosts-"+hex.EncodeToString(h.Sum(nil))[:16]+".json")
}

// Load returns the investigation saved in the case for these rules, or
// (nil, nil) when there is none or it was made of other bundles or rules.
func Load(c *casestore.Case, rs RuleSet) (*Investigation, error) { return LoadHosts(c, rs, nil) }

// LoadHosts is Load for the investigation of some hosts (nil: all).
func LoadHosts(c *casestore.Case, rs RuleSet, hosts []string) (*Investigation, error) {
	hosts = normHosts(hosts)
	f, err := os.Open(cachePath(c, hosts))
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
	if doc.Format != cacheFormat || doc.Key != key(c, rs, hosts) {
		return nil, nil
	}
	inv := &Investigation{Findings: doc.Findings, Chain: doc.Chain, Fleet: doc.Fleet, Hosts: hosts, Events: doc.Events}
	in := map[string]bool{}
	for _, d := range doc.Bundles {
		in[d] = true
	}
	for _, b := range c.Bundles() {
		if in[b.Dir] {
			inv.Bundles = append(inv.Bundles, b)
			inv.Unverified = inv.Unverified || b.Unverified
		}
	}
	return inv, nil
}

// Save writes inv into the case for these rules (atomically: a temporary
// file renamed). The caller holds the case's lock.
func Save(c *casestore.Case, rs RuleSet, inv *Investigation) error {
	doc := cacheDoc{Format: cacheFormat, Key: key(c, rs, inv.Hosts), Hosts: inv.Hosts, Events: inv.Events,
		Findings: inv.Findings, Chain: inv.Chain, Fleet: inv.Fleet, Bundles: []string{}}
	for _, b := range inv.Bundles {
		doc.Bundles = append(doc.Bundles, b.Dir)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	path := cachePath(c, inv.Hosts)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := atomicfile.Write(path, buf.Bytes()); err != nil {
		return fmt.Errorf("saving the investigation: %w", err)
	}
	return nil
}

// Get returns the case's investigation with these rules: the saved one if
// it is current, else a new one, saved when the case's lock can be taken
// (another cordon writing the case is not waited for). fromCache says which.
func Get(ctx context.Context, c *casestore.Case, rs RuleSet) (inv *Investigation, fromCache bool, err error) {
	return GetHosts(ctx, c, rs, nil)
}

// GetHosts is Get for the investigation of some hosts (nil or empty: all):
// it is computed over their events only, and kept apart from the whole
// case's.
func GetHosts(ctx context.Context, c *casestore.Case, rs RuleSet, hosts []string) (inv *Investigation, fromCache bool, err error) {
	invs, cached, err := GetEach(ctx, c, rs, [][]string{hosts})
	if err != nil {
		return nil, false, err
	}
	return invs[0], cached[0], nil
}

// GetEach is GetHosts for several host sets: the ones not saved are
// computed together, in one reading of the case's events.
func GetEach(ctx context.Context, c *casestore.Case, rs RuleSet, sets [][]string) ([]*Investigation, []bool, error) {
	invs := make([]*Investigation, len(sets))
	cached := make([]bool, len(sets))
	var missing [][]string
	var at []int
	for i, hs := range sets {
		hs = normHosts(hs)
		inv, err := LoadHosts(c, rs, hs)
		if err != nil {
			return nil, nil, err
		}
		if inv != nil {
			invs[i], cached[i] = inv, true
			continue
		}
		missing = append(missing, hs)
		at = append(at, i)
	}
	if len(missing) == 0 {
		return invs, cached, nil
	}
	got, err := investigateMany(ctx, c, rs, missing)
	if err != nil {
		return nil, nil, err
	}
	for j, inv := range got {
		invs[at[j]] = inv
	}
	if unlock, lerr := casestore.Lock(c.Dir()); lerr == nil {
		for _, inv := range got {
			_ = Save(c, rs, inv) // a case on read-only media is still read
		}
		unlock()
	}
	return invs, cached, nil
}
