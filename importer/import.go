package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"aead.dev/minisign"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/imported"
	"github.com/cordon-forensics/cordon/formats/toolout"
	"github.com/cordon-forensics/cordon/timeline"
)

// Bounds. A member read whole for a parser is at most MaxParsed bytes
// (larger ones are kept, not parsed, and a warning says so); warnings and
// checks kept are bounded too (all are counted).
const (
	MaxParsed      = 64 << 20
	maxWarnings    = 100_000
	maxFailed      = 10_000  // failed checks kept for the result (all are written)
	membersPerPart = 20_000  // members, or checks, a part of their list holds
	maxHashed      = 200_000 // host executables whose MD5/SHA-1 are kept for later lists
)

// Options configure Import.
type Options struct {
	// Key signs the bundle: the analyst's import key (cordon keygen).
	Key minisign.PrivateKey
	// EvidenceID of the bundle (default: imported-<archive name>-<time>-<random>).
	EvidenceID string
	CaseID     string
	Examiner   string
	Notes      []string
	// Layout forces a layout by ID ("uac", "catscale"); "" detects it.
	Layout string
	// AcquisitionLog is UAC's .log written beside the archive; "" looks
	// for ARCHIVE without .tar.gz plus .log; "-" reads none.
	AcquisitionLog string
	// Expect are digests of the archive the analyst holds from elsewhere
	// (the custody form, the collector's console): MD5, SHA-1 or SHA-256
	// by length.
	Expect []string
	// Importer names the program ("cordon 0.1.0"); CommandLine its argv.
	Importer    string
	CommandLine []string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Progress, when set, is told the archive bytes read so far.
	Progress func(done, total int64)
}

// Result is what Import tells once the bundle is written.
type Result struct {
	Summary    bundle.Summary
	EvidenceID string
	Layout     string // layout ID
	Import     bundle.ImportFacts
	// Failed are the checks that found a problem (mismatch, missing,
	// incomplete), at most 100.
	Failed   []imported.Check
	Warnings int // lines of the archive's text outputs not read
	Entries  int
}

// ErrNotArchive: the input is neither a gzip'ed tar nor a tar.
var ErrNotArchive = errors.New("not a .tar.gz or .tar archive")

// ErrUnknownLayout: no layout recognises the archive.
var ErrUnknownLayout = errors.New("not an archive of a collector cordon import knows (UAC, Cat-Scale); --layout chooses one")

// Import reads the archive once and writes a bundle to out.
func Import(ctx context.Context, archive string, out io.Writer, o Options) (*Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", archive)
	}
	r := &run{ctx: ctx, opts: o, archive: archive, archiveName: filepath.Base(archive), loc: time.UTC,
		hashed: map[string]memberHashes{}, names: map[string]bool{}, listed: map[string][]listedHash{},
		procs: newProcFacts(), net: newNetFacts()}
	r.in = newHashingReader(bufio.NewReaderSize(f, 1<<20), fi.Size(), o.Progress)
	r.readAcquisitionLog()

	// The first member tells the layout; read it before the bundle starts,
	// so that an archive of no known collector writes nothing.
	tr, first, err := r.open()
	if err != nil {
		return nil, err
	}
	ahead, err := r.chooseLayout(tr, first)
	if err != nil {
		return nil, err
	}
	evidenceID := o.EvidenceID
	if evidenceID == "" {
		evidenceID = defaultEvidenceID(r.archiveName, o.Now().UTC())
	}
	w, err := bundle.NewWriter(out, bundle.Options{Key: o.Key, EvidenceID: evidenceID, CaseID: o.CaseID,
		Collector: "cordon import " + strings.TrimPrefix(o.Importer, "cordon "), Now: o.Now})
	if err != nil {
		return nil, err
	}
	r.w = w
	r.evidenceID = evidenceID
	if a := r.acqLog; a != nil && a.raw != nil {
		if _, err := w.AddBytes(bundle.EntryMeta{Name: acqLogEntry, HostPath: "", Source: imported.Source,
			Note: "the collector's acquisition log, read beside the archive: " + a.name}, a.raw); err != nil {
			return nil, err
		}
		r.names[acqLogEntry] = true
	}

	if err := r.walk(tr, ahead); err != nil {
		return nil, err
	}
	r.finishArchiveHashes()
	if err := r.finish(); err != nil {
		return nil, err
	}
	custody := r.custody()
	sum, err := w.Close(custody)
	if err != nil {
		return nil, err
	}
	res := &Result{Summary: sum, EvidenceID: evidenceID, Layout: r.layout.ID, Import: *custody.Import,
		Warnings: r.warnCount, Entries: sum.Entries}
	for _, c := range r.failed {
		if len(res.Failed) < 100 {
			res.Failed = append(res.Failed, c)
		}
	}
	return res, nil
}

// run is the state of one import.
type run struct {
	ctx         context.Context
	opts        Options
	archive     string
	archiveName string
	evidenceID  string
	in          *hashingReader
	gz          *gzip.Reader // nil for a plain tar
	w           *bundle.Writer
	layout      *Layout
	root        string // the layout's root directory in member paths

	// the collector's own account of the collection
	collector    collectorFacts
	acqLog       *acquisitionLog
	loc          *time.Location // the host's time zone
	locFromTZ    bool           // loc is a named zone, not an offset
	hostname     string
	collectorPID int
	// the earliest and latest member mtimes: the collection's bounds when
	// the archive says nothing else
	earliest, latest time.Time

	names    map[string]bool // entry names used
	members  []imported.Member
	nMembers int
	parts    int
	complete bool
	stopped  string

	// MD5 and SHA-1 of members a list may name later: by archive path
	// (relative to the root) and by host path ("host:" prefix).
	hashed map[string]memberHashes
	// the collector's list of what it collected (UAC hash_list.*): by
	// archive path, relative to the root.
	listed     map[string][]listedHash
	listedSeen map[string]bool

	procs              *procFacts
	deletedWithoutCopy []int // PIDs, found when the records are joined
	sawMd5sums         bool  // a dpkg md5sums list among the host files
	net                *netFacts
	progs              []programHash

	checks     []imported.Check // not yet written
	checkParts int
	failed     []imported.Check
	checkCount map[string]int
	warnings   []imported.Warning
	warnCount  int
	errors     []bundle.ErrorRecord
}

type memberHashes struct {
	md5, sha1, sha256, entry, path string
	size                           int64
}

type listedHash struct {
	algo, hash, source string
	line               int64
}

// addMember records a member; every membersPerPart the list is written.
func (r *run) addMember(m imported.Member) {
	r.nMembers++
	r.members = append(r.members, m)
	if len(r.members) >= membersPerPart {
		r.flushMembers()
	}
}

func (r *run) flushMembers() {
	if len(r.members) == 0 {
		return
	}
	r.parts++
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, m := range r.members {
		_ = enc.Encode(m)
	}
	name := imported.MembersEntry(r.parts)
	if _, err := r.w.AddBytes(bundle.EntryMeta{Name: name, Source: imported.Source,
		Note: "the archive's members in archive order, and where each went"}, b.Bytes()); err == nil {
		r.names[name] = true
	}
	r.members = r.members[:0]
}

// warn records a line of the archive the importer could not read.
func (r *run) warn(parser string, w timeline.Warning) {
	r.warnCount++
	if len(r.warnings) < maxWarnings {
		r.warnings = append(r.warnings, imported.Warning{Parser: parser, Warning: w})
	}
}

func (r *run) warnAll(parser, entry string, ws []toolout.Warning) {
	for _, w := range toolout.Timeline(ws, entry) {
		r.warn(parser, w)
	}
}

// check records a hash comparison.
func (r *run) check(c imported.Check) {
	if c.At.IsZero() {
		c.At = r.opts.Now().UTC()
	}
	if r.checkCount == nil {
		r.checkCount = map[string]int{}
	}
	r.checkCount[c.Result]++
	if c.Failed() && len(r.failed) < maxFailed {
		r.failed = append(r.failed, c)
	}
	r.checks = append(r.checks, c)
	if len(r.checks) >= membersPerPart && r.w != nil {
		r.flushChecks()
	}
}

// flushChecks writes the checks not yet written as one part.
func (r *run) flushChecks() {
	if len(r.checks) == 0 {
		return
	}
	r.checkParts++
	_ = r.derived(imported.ChecksEntry(r.checkParts), imported.Source, "own hashes, compared with its bytes", jsonl(r.checks))
	r.checks = r.checks[:0]
}

func defaultEvidenceID(archive string, t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	stem := archive
	for _, ext := range []string{".tar.gz", ".tgz", ".tar"} {
		stem = strings.TrimSuffix(stem, ext)
	}
	stem = strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' {
			return c
		}
		return '_'
	}, stem)
	if len(stem) > 64 {
		stem = stem[:64]
	}
	return fmt.Sprintf("imported-%s-%s-%s", stem, t.Format("20060102T150405Z"), hex.EncodeToString(b[:]))
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
