package attest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/formats/artifacts"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/elfdiff"
	"github.com/cordon-forensics/cordon/formats/provenance"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// Options configure Run.
type Options struct {
	Bundles []string
	// Verify holds the bundles' trusted public key and age identities;
	// its OnEntry and WantEntry are Run's own.
	Verify bundle.VerifyOptions
	// Force attests bundles that are not intact, marking them unverified.
	Force bool
	// Trusted are directories of trusted rebuilds, single files and .debs;
	// TrustedMD5Sums are dpkg md5sums lists (a file or a directory of them).
	Trusted        []string
	TrustedMD5Sums []string
	// BuilderKeys verify provenance signatures.
	BuilderKeys []provenance.PublicKey
	// MaxSpool bounds the bytes copied out of the bundles (0: 16 GiB).
	MaxSpool int64
	// TempDir holds the copies (default: the system's).
	TempDir string
	Limits  elfdiff.Limits
}

// Kinds of item.
const (
	KindExecutable   = "executable"    // a process's executable, recovered through /proc/PID/exe
	KindSharedObject = "shared object" // mapped by a process (proc/sharedobjects.jsonl)
	KindArtifact     = "artifact"      // a build output under --artifacts
	KindProgram      = "program"       // a system program hashed by the binaries source (no bytes)
)

// Verdicts.
const (
	VerdictIdentical = "identical"
	VerdictDiffers   = "differs"
	VerdictNoTrusted = "no trusted copy"
)

// Item is one thing attested.
type Item struct {
	Kind   string `json:"kind"`
	Bundle string `json:"bundle"` // evidence id
	Host   string `json:"host,omitempty"`
	Path   string `json:"path"`
	// Rel is an artifact's path under its --artifacts directory.
	Rel  string `json:"rel,omitempty"`
	Root string `json:"root,omitempty"`
	// Entry holds the bytes in the bundle ("" when only hashed); Record
	// is where the item's record is (index entry and line).
	Entry   string   `json:"entry,omitempty"`
	Record  string   `json:"record"`
	Line    int64    `json:"line"`
	SHA256  string   `json:"sha256,omitempty"`
	MD5     string   `json:"md5,omitempty"`
	Size    int64    `json:"size"`
	BuildID string   `json:"build_id,omitempty"`
	PID     int      `json:"pid,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
	// Time orders builds of one program: the provenance's finish time,
	// else the file's mtime, else when it was observed.
	Time     time.Time `json:"time,omitzero"`
	TimeFrom string    `json:"time_from,omitempty"`
	// From the provenance naming this artifact.
	Commit    string `json:"commit,omitempty"`
	SourceURI string `json:"source_uri,omitempty"`
	Builder   string `json:"builder,omitempty"`
	// Provenance marks a provenance file (not attested itself).
	Provenance bool          `json:"-"`
	Verdict    string        `json:"verdict"`
	Trusted    *TrustedRef   `json:"trusted,omitempty"`
	Diff       *elfdiff.Diff `json:"diff,omitempty"`
	Note       string        `json:"note,omitempty"`
	Unverified bool          `json:"unverified,omitempty"`

	file string // the spooled bytes
}

// matchPath is the path used to match by name: an artifact's path under
// its root, else the host path.
func (it *Item) matchPath() string {
	if it.Rel != "" {
		return it.Rel
	}
	return strings.TrimSuffix(it.Path, " (deleted)")
}

// Label names an item for people: its path, with the commit when known.
func (it *Item) Label() string {
	s := it.Path
	if it.Rel != "" {
		s = it.Rel
	}
	if it.Commit != "" {
		s += " (commit " + it.Commit + ")"
	}
	return s
}

// StatementCheck is one provenance statement and what checking it gave.
type StatementCheck struct {
	Bundle    string               `json:"bundle"`
	File      string               `json:"file"` // host path of the provenance file
	Entry     string               `json:"entry"`
	Statement provenance.Statement `json:"statement"`
	Subjects  []SubjectCheck       `json:"subjects"`
}

// SubjectCheck says whether a subject's digest matches the artifact.
type SubjectCheck struct {
	Name     string `json:"name"`
	SHA256   string `json:"sha256"`
	Artifact string `json:"artifact,omitempty"` // host path of the artifact it names
	Status   string `json:"status"`             // "matches", "digest mismatch", "no such artifact", "no sha256 digest"
	Actual   string `json:"actual_sha256,omitempty"`
}

// Result is everything Run found.
type Result struct {
	Bundles    []BundleInfo       `json:"bundles"`
	Trusted    []TrustedSource    `json:"trusted"`
	Items      []Item             `json:"items"`
	Statements []StatementCheck   `json:"provenance,omitempty"`
	Golden     []Golden           `json:"golden_points,omitempty"`
	Findings   []findings.Finding `json:"findings"`
	Counts     map[string]int     `json:"counts"`
	Notes      []string           `json:"notes,omitempty"`

	tmp string
}

// Close removes the copies Run made.
func (r *Result) Close() error {
	if r.tmp == "" {
		return nil
	}
	return os.RemoveAll(r.tmp)
}

// Run attests the bundles' executables, shared objects, artifacts and
// programs against the trusted copies.
func Run(ctx context.Context, o Options) (res *Result, err error) {
	if len(o.Trusted) == 0 && len(o.TrustedMD5Sums) == 0 {
		return nil, errors.New("no trusted copy given")
	}
	if o.Verify.OnEntry != nil || o.Verify.WantEntry != nil || o.Verify.OnControl != nil {
		return nil, errors.New("attest: VerifyOptions.OnEntry, WantEntry and OnControl must be nil")
	}
	if o.MaxSpool <= 0 {
		o.MaxSpool = 16 << 30
	}
	tmp, err := os.MkdirTemp(o.TempDir, "cordon-attest-")
	if err != nil {
		return nil, err
	}
	res = &Result{tmp: tmp, Counts: map[string]int{}}
	defer func() {
		// Every failure, an interruption included, leaves no copy behind
		// (res itself is nil by then: "return nil, err").
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	ti, err := loadTrusted(ctx, o.Trusted, o.TrustedMD5Sums, tmp)
	if err != nil {
		return nil, err
	}
	res.Trusted = ti.sources
	budget := o.MaxSpool
	for _, p := range o.Bundles {
		bd, err := readBundle(ctx, p, &o, tmp, &budget)
		if err != nil {
			return nil, err
		}
		res.Bundles = append(res.Bundles, bd.info)
		res.Items = append(res.Items, itemsOf(bd, &res.Notes)...)
	}
	if budget <= 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("the %d bytes allowed for copies out of the bundles ran out: items without bytes are compared by hash only", o.MaxSpool))
	}
	res.checkProvenance(o.BuilderKeys)
	res.linkBuilds()
	items := res.Items[:0]
	for _, it := range res.Items {
		if !it.Provenance {
			items = append(items, it)
		}
	}
	res.Items = items
	for i := range res.Items {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res.compare(&res.Items[i], ti, o.Limits)
		res.Counts[res.Items[i].Verdict]++
	}
	sort.SliceStable(res.Items, func(i, j int) bool { return itemLess(&res.Items[i], &res.Items[j]) })
	res.Golden = golden(res.Items)
	res.Findings = res.findings()
	return res, nil
}

func itemLess(a, b *Item) bool {
	if a.Kind != b.Kind {
		return kindOrder(a.Kind) < kindOrder(b.Kind)
	}
	if a.Bundle != b.Bundle {
		return a.Bundle < b.Bundle
	}
	if a.matchPath() != b.matchPath() {
		return a.matchPath() < b.matchPath()
	}
	return a.PID < b.PID
}

func kindOrder(k string) int {
	switch k {
	case KindExecutable:
		return 0
	case KindSharedObject:
		return 1
	case KindArtifact:
		return 2
	}
	return 3
}

// itemsOf reads a bundle's index entries into items.
func itemsOf(bd *bundleData, notes *[]string) []Item {
	var out []Item
	id := bd.info.EvidenceID
	warn := func(w timeline.Warning) {
		*notes = append(*notes, fmt.Sprintf("%s %s:%d: %s", id, w.Entry, w.Line, w.Message))
	}
	attach := func(it *Item, entry string) {
		it.Bundle, it.Host, it.Unverified = id, bd.info.Host, bd.info.Unverified
		if s, ok := bd.files[entry]; ok && entry != "" {
			it.Entry, it.file = entry, s.file
			if it.SHA256 == "" {
				it.SHA256 = s.sha256
			}
			if it.MD5 == "" {
				it.MD5 = s.md5
			}
		}
	}
	read := func(name string, fn func(b []byte, o timeline.Origin)) {
		if b, ok := bd.index[name]; ok {
			fn(b, timeline.Origin{Bundle: id, Entry: name})
		}
	}
	read(snapshot.ExecutablesEntry, func(b []byte, o timeline.Origin) {
		_ = snapshot.ReadJSONL(strings.NewReader(string(b)), o, func(x snapshot.Executable, line, _ int64) {
			if x.Kind != "exe" || x.SameAs != "" && x.Entry == "" {
				return
			}
			it := Item{Kind: KindExecutable, Path: x.Link, Record: o.Entry, Line: line, SHA256: x.SHA256, Size: x.Size, PID: x.PID,
				Time: x.ObservedAt, TimeFrom: "observed"}
			if x.ELF != nil {
				it.BuildID = x.ELF.BuildID
			}
			attach(&it, x.Entry)
			out = append(out, it)
		}, warn)
	})
	read(snapshot.SharedObjectsEntry, func(b []byte, o timeline.Origin) {
		_ = snapshot.ReadJSONL(strings.NewReader(string(b)), o, func(x snapshot.SharedObject, line, _ int64) {
			if x.SameAs != "" {
				return
			}
			it := Item{Kind: KindSharedObject, Path: x.Path, Record: o.Entry, Line: line, SHA256: x.SHA256, Size: x.Size, PID: x.PID,
				Reasons: x.Reasons, Time: x.ObservedAt, TimeFrom: "observed"}
			if x.ELF != nil {
				it.BuildID = x.ELF.BuildID
			}
			if x.Entry == "" {
				it.Note = "not copied: " + x.NotCopied + x.Error
			}
			attach(&it, x.Entry)
			out = append(out, it)
		}, warn)
	})
	read(artifacts.IndexEntry, func(b []byte, o timeline.Origin) {
		_ = snapshot.ReadJSONL(strings.NewReader(string(b)), o, func(x artifacts.Record, line, _ int64) {
			if x.Type != "file" {
				return
			}
			it := Item{Kind: KindArtifact, Path: x.Path, Rel: x.Rel, Root: x.Root, Record: o.Entry, Line: line, SHA256: x.SHA256, MD5: x.MD5,
				Size: x.Size, Time: x.Mtime, TimeFrom: "mtime", Provenance: x.Provenance}
			if x.Truncated {
				it.SHA256, it.Note = "", "hashed only in part (a bound): not comparable"
			}
			if x.ELF != nil {
				it.BuildID = x.ELF.BuildID
			}
			attach(&it, x.Entry)
			out = append(out, it)
		}, warn)
	})
	read(snapshot.BinariesEntry, func(b []byte, o timeline.Origin) {
		_ = snapshot.ReadJSONL(strings.NewReader(string(b)), o, func(x snapshot.BinaryRecord, line, _ int64) {
			if x.Truncated || x.SHA256 == "" {
				return
			}
			it := Item{Kind: KindProgram, Path: x.Path, Record: o.Entry, Line: line, SHA256: x.SHA256, MD5: x.MD5, Size: x.Size,
				Time: x.Mtime, TimeFrom: "mtime"}
			attach(&it, "")
			out = append(out, it)
		}, warn)
	})
	return out
}

// compare gives an item its verdict, and its diff when both sides' bytes
// are at hand and they differ.
func (res *Result) compare(it *Item, ti *trustedIndex, lim elfdiff.Limits) {
	if it.SHA256 == "" && it.MD5 == "" {
		it.Verdict = VerdictNoTrusted
		it.Note = strings.TrimSpace(it.Note + " no hash: nothing to compare")
		return
	}
	tf, ref, ok := ti.match(it)
	if !ok {
		it.Verdict = VerdictNoTrusted
		return
	}
	it.Trusted = &ref
	if tf.sha256 == "" && it.MD5 == "" && it.file != "" {
		it.MD5 = md5File(it.file) // md5sums lists hold MD5 only; the bytes are at hand
	}
	switch {
	case tf.sha256 != "" && it.SHA256 != "":
		if tf.sha256 == it.SHA256 {
			it.Verdict = VerdictIdentical
			return
		}
	case tf.md5 != "" && it.MD5 != "":
		if tf.md5 == it.MD5 {
			it.Verdict = VerdictIdentical
			return
		}
	default:
		it.Verdict = VerdictNoTrusted
		it.Note = "the trusted copy has an MD5 only and the item has none"
		return
	}
	it.Verdict = VerdictDiffers
	if it.file == "" || tf.file == "" {
		it.Note = strings.TrimSpace(it.Note + " hashes differ; no diff: the bytes of one side are not at hand")
		return
	}
	d, err := diffFiles(tf.file, it.file, lim)
	if err != nil {
		it.Note = strings.TrimSpace(it.Note + " hashes differ; no ELF diff: " + err.Error())
		return
	}
	it.Diff = d
}

func md5File(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

func diffFiles(trusted, suspect string, lim elfdiff.Limits) (*elfdiff.Diff, error) {
	parse := func(p string) (*elfdiff.File, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		return elfdiff.Parse(f, st.Size(), lim)
	}
	a, err := parse(trusted)
	if err != nil {
		return nil, fmt.Errorf("trusted copy: %w", err)
	}
	b, err := parse(suspect)
	if err != nil {
		return nil, fmt.Errorf("suspect copy: %w", err)
	}
	return elfdiff.Compare(a, b), nil
}

// checkProvenance parses every provenance file the bundles hold, verifies
// it, checks each subject against the artifacts, and gives the artifacts
// their commit, builder and build time.
func (res *Result) checkProvenance(keys []provenance.PublicKey) {
	for i := range res.Items {
		pf := &res.Items[i]
		if !pf.Provenance {
			continue
		}
		if pf.file == "" {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: provenance file %s not read (not vouched for, or past the bounds)", pf.Bundle, pf.Path))
			continue
		}
		data, err := os.ReadFile(pf.file)
		if err != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: %v", pf.Path, err))
			continue
		}
		stmts, err := provenance.Parse(data)
		if err != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: %v", pf.Path, err))
		}
		for _, st := range stmts {
			st.Verify(keys)
			sc := StatementCheck{Bundle: pf.Bundle, File: pf.Path, Entry: pf.Entry, Statement: st}
			for _, sub := range st.Subjects {
				sc.Subjects = append(sc.Subjects, res.checkSubject(pf, sub, st))
			}
			res.Statements = append(res.Statements, sc)
		}
	}
}

func (res *Result) checkSubject(pf *Item, sub provenance.Subject, st provenance.Statement) SubjectCheck {
	c := SubjectCheck{Name: sub.Name, SHA256: sub.SHA256()}
	if c.SHA256 == "" {
		c.Status = "no sha256 digest"
		return c
	}
	dir := path.Dir(pf.Rel)
	var byName, byDigest *Item
	for i := range res.Items {
		it := &res.Items[i]
		if it.Kind != KindArtifact || it.Provenance || it.Bundle != pf.Bundle {
			continue
		}
		if it.SHA256 == c.SHA256 && byDigest == nil {
			byDigest = it
		}
		if it.Root == pf.Root && path.Dir(it.Rel) == dir && path.Base(it.Rel) == path.Base(sub.Name) {
			byName = it
		}
	}
	target := byName
	if target == nil {
		target = byDigest
	}
	if target == nil {
		c.Status = "no such artifact"
		return c
	}
	c.Artifact, c.Actual = target.Path, target.SHA256
	if target.SHA256 != c.SHA256 {
		c.Status = "digest mismatch"
		return c
	}
	c.Status = "matches"
	// Only a statement whose digest matches tells when and from what the
	// artifact was built.
	target.Commit, target.SourceURI, target.Builder = st.SourceCommit, st.SourceURI, st.BuilderID
	switch {
	case !st.Finished.IsZero():
		target.Time, target.TimeFrom = st.Finished, "provenance"
	case !st.Started.IsZero():
		target.Time, target.TimeFrom = st.Started, "provenance"
	}
	return c
}

// linkBuilds gives an executable or shared object that has the very bytes
// of a build artifact that artifact's commit, builder and build time: the
// binary running in production is then known to be that build's output.
func (res *Result) linkBuilds() {
	built := map[string]*Item{}
	for i := range res.Items {
		it := &res.Items[i]
		if it.Kind == KindArtifact && it.Commit != "" && it.SHA256 != "" {
			if prev, ok := built[it.SHA256]; !ok || it.Time.Before(prev.Time) {
				built[it.SHA256] = it
			}
		}
	}
	for i := range res.Items {
		it := &res.Items[i]
		if it.Kind != KindExecutable && it.Kind != KindSharedObject || it.Commit != "" {
			continue
		}
		if a, ok := built[it.SHA256]; ok {
			it.Commit, it.Builder, it.SourceURI = a.Commit, a.Builder, a.SourceURI
			it.Note = strings.TrimSpace(it.Note + " the same bytes as build artifact " + a.Path + " (" + a.Bundle + ")")
		}
	}
}

// CountLine gives the verdict counts in a fixed order.
func (res *Result) CountLine() string {
	var parts []string
	for _, v := range []string{VerdictIdentical, VerdictDiffers, VerdictNoTrusted} {
		parts = append(parts, fmt.Sprintf("%d %s", res.Counts[v], v))
	}
	return strings.Join(parts, ", ")
}

// JSON writes the result, indented.
func (res *Result) JSON() ([]byte, error) { return json.MarshalIndent(res, "", "  ") }
