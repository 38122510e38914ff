package analyzer

// analyze.go is the pipeline behind `cordon analyze`: one bundle into a case.
//
//  1. Verify: bundle.Verify reads the whole file once (signatures, chain,
//     every entry's hash). A bundle that is not intact is refused unless
//     Force, which marks every event of it cordon.unverified.
//  2. Parse: the evidence entries are read a second time (entries.go),
//     hashed again against their signed records, and each one goes to every
//     parser whose Match accepts its record (ParsersFor), with an Origin
//     built from the record and the manifest's custody (host name, time zone,
//     the original file's mtime for year inference). The collection's own
//     log (CustodyEvents) joins them. Bad records are warnings, kept in
//     warnings.jsonl; a parser that fails or panics on an entry is noted and
//     the analysis goes on.
//  3. Sort: events are sorted by time with bounded memory (sorter.go).
//  4. Store and index: in time order, each event is written to the event
//     store (eventstore.go) and indexed under its number (index.go).
//  5. bundle.json is written and the build directory renamed into place.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

const (
	bundlesDir     = "bundles"
	bundleMetaFile = "bundle.json"
	warningsFile   = "warnings.jsonl"
	lockFile       = ".lock"
	// maxKeptWarnings bounds the warnings written per bundle; all are counted.
	maxKeptWarnings = 1_000_000
	// indexQueue is how many decoded events wait for the index builder.
	indexQueue = 4096
)

// Errors of AnalyzeBundle a caller tells apart.
var (
	// ErrRefused: the bundle did not verify intact and Force was not set.
	ErrRefused = errors.New("refused")
	// ErrAlreadyInCase: the same bundle file (by SHA-256) is in the case.
	ErrAlreadyInCase = errors.New("already in the case")
)

// AnalyzeOptions configure AnalyzeBundle.
type AnalyzeOptions struct {
	// Verify holds the trusted public key and age identities. Its OnEntry
	// and OnControl must be nil.
	Verify bundle.VerifyOptions
	// Force analyzes a bundle that is not intact; every event is marked unverified.
	Force bool
	// Analyzer names the program, for bundle.json ("cordon 0.1.0").
	Analyzer string
	// Progress, when set, is told how far each phase is.
	Progress func(Progress)
	// SortMemory bounds the event JSON held in memory while sorting (0: 128 MiB).
	SortMemory int
	// Settings are handed to every parser (timeline.Origin.Settings), e.g.
	// SettingPGLogLinePrefix.
	Settings map[string]string
}

// SettingPGLogLinePrefix names the cluster's log_line_prefix, for
// PostgreSQL logs in the stderr format whose prefix is not one of the
// common forms the parser recognises.
const SettingPGLogLinePrefix = "postgresql.log_line_prefix"

// Progress reports one phase of an analysis: "verify" and "parse" count
// bytes of the bundle file, "index" counts events.
type Progress struct {
	Phase       string
	Done, Total int64
}

// AnalyzeBundle verifies the bundle at path, parses it and adds it to the
// case in caseDir (created if needed). It returns the bundle's record; a
// bundle that is not intact is ErrRefused unless o.Force.
func AnalyzeBundle(ctx context.Context, caseDir, path string, o AnalyzeOptions) (*CaseBundle, error) {
	if o.Verify.OnEntry != nil || o.Verify.OnControl != nil || o.Verify.WantEntry != nil {
		return nil, errors.New("AnalyzeBundle: VerifyOptions.OnEntry, WantEntry and OnControl must be nil")
	}
	if err := os.MkdirAll(filepath.Join(caseDir, bundlesDir), 0o755); err != nil {
		return nil, fmt.Errorf("case directory: %w", err)
	}
	unlock, err := lockCase(caseDir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}

	// 1. Verify, keeping the configuration files parsers need settings from.
	var confs confCapture
	vo := o.Verify
	vo.OnEntry, vo.WantEntry = confs.onEntry, confs.wants
	rep, verr := bundle.Verify(progressReader(f, "verify", fi.Size(), o.Progress), vo)
	if rep == nil || (verr != nil && rep.Entries == 0) {
		return nil, fmt.Errorf("verifying: %w", verr)
	}
	if rep.Status != bundle.StatusIntact && !o.Force {
		return nil, fmt.Errorf("%w: the bundle is %s (%d problems; cordon verify lists them); --force analyzes it anyway, every event marked unverified",
			ErrRefused, rep.Status, len(rep.Problems))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dirName := "b-" + rep.BundleSHA256[:16]
	final := filepath.Join(caseDir, bundlesDir, dirName)
	if _, err := os.Stat(final); err == nil {
		return nil, fmt.Errorf("%s (%s): %w", path, dirName, ErrAlreadyInCase)
	}
	build := final + ".tmp-" + randomSuffix()
	if err := os.Mkdir(build, 0o755); err != nil {
		return nil, fmt.Errorf("case directory: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(build)
		}
	}()

	abs, _ := filepath.Abs(path)
	meta := &CaseBundle{
		FormatVersion: CaseFormatVersion, Dir: dirName, EvidenceID: rep.EvidenceID, Path: abs,
		SHA256: rep.BundleSHA256, Verification: rep.Status, Unverified: rep.Status != bundle.StatusIntact,
		Trust: rep.Trust, KeyID: rep.KeyID, Problems: rep.Problems, Entries: rep.Verified, Missing: rep.Missing,
		Analyzed: time.Now().UTC(), Analyzer: o.Analyzer,
	}
	if rep.Manifest != nil {
		meta.Custody = rep.Manifest.Custody
	}
	a := &analysisRun{meta: meta, rep: rep, sorter: newEventSorter(build, o.SortMemory)}
	defer a.sorter.Remove()
	if err := a.openWarnings(build); err != nil {
		return nil, err
	}
	o.Settings = a.settings(o.Settings, &confs)
	a.users = confs.users(rep.Verified)

	// 2. Parse, reading the file a second time.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if err := a.parse(ctx, progressReader(f, "parse", fi.Size(), o.Progress), o); err != nil {
		a.closeWarnings()
		return nil, err
	}
	if err := a.closeWarnings(); err != nil {
		return nil, fmt.Errorf("writing warnings: %w", err)
	}

	// 3, 4. Sort, store, index.
	if err := a.storeAndIndex(ctx, build, o.Progress); err != nil {
		return nil, err
	}

	// 5. Record and publish.
	doc, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFileSync(filepath.Join(build, bundleMetaFile), doc); err != nil {
		return nil, err
	}
	if err := os.Rename(build, final); err != nil {
		return nil, fmt.Errorf("publishing the analysis: %w", err)
	}
	ok = true
	syncDir(filepath.Join(caseDir, bundlesDir))
	return meta, nil
}

// analysisRun is the state of one AnalyzeBundle.
type analysisRun struct {
	meta   *CaseBundle
	rep    *bundle.Report
	sorter *eventSorter
	users  map[uint32]string // from the bundle's signed /etc/passwd

	mu       sync.Mutex // parsers of one entry may run concurrently
	err      error      // first sorter error (sticky)
	warnF    *os.File
	warnBuf  *bytes.Buffer
	warnings int64
}

// warningLine is one line of warnings.jsonl.
type warningLine struct {
	Parser string `json:"parser"`
	timeline.Warning
}

func (a *analysisRun) openWarnings(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, warningsFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	a.warnF, a.warnBuf = f, &bytes.Buffer{}
	return nil
}

func (a *analysisRun) warn(parser string, w timeline.Warning) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.warnings++
	a.meta.Warnings = a.warnings
	if a.warnings > maxKeptWarnings {
		return
	}
	b, _ := json.Marshal(warningLine{Parser: parser, Warning: w})
	a.warnBuf.Write(b)
	a.warnBuf.WriteByte('\n')
	if a.warnBuf.Len() > 1<<20 {
		if _, err := a.warnF.Write(a.warnBuf.Bytes()); err != nil && a.err == nil {
			a.err = fmt.Errorf("%w: writing warnings: %v", errAnalysis, err)
		}
		a.warnBuf.Reset()
	}
}

func (a *analysisRun) closeWarnings() error {
	if a.warnF == nil {
		return nil
	}
	_, err := a.warnF.Write(a.warnBuf.Bytes())
	if a.warnings > maxKeptWarnings && err == nil {
		b, _ := json.Marshal(warningLine{Parser: "cordon", Warning: timeline.Warning{
			Message: fmt.Sprintf("%d more warnings counted, not kept", a.warnings-maxKeptWarnings)}})
		_, err = a.warnF.Write(append(b, '\n'))
	}
	if serr := a.warnF.Sync(); err == nil {
		err = serr
	}
	if cerr := a.warnF.Close(); err == nil {
		err = cerr
	}
	a.warnF = nil
	return err
}

// emitter collects the events of one parser on one entry.
type emitter struct {
	a      *analysisRun
	key    sortKey
	parser string
	origin timeline.Origin
	buf    bytes.Buffer
	enc    *json.Encoder
}

func (a *analysisRun) newEmitter(entry uint32, parser uint16, name string, o timeline.Origin) *emitter {
	e := &emitter{a: a, key: sortKey{entry: entry, parser: parser}, parser: name, origin: o}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

func (e *emitter) emit() Emit {
	return Emit{Event: e.event, Warn: func(w timeline.Warning) { e.a.warn(e.parser, w) }}
}

// event normalizes an event (UTC time; host, provenance and dataset filled
// from the origin when the parser left them empty; unverified marked) and
// hands it to the sorter.
func (e *emitter) event(ev timeline.Event) {
	o := e.origin
	ev.Timestamp = ev.Timestamp.UTC()
	markCollector(&ev, o.CollectorPID)
	if ev.Host == nil && o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	p := &ev.Cordon.Provenance
	if p.Bundle == "" {
		p.Bundle = o.Bundle
	}
	if p.Entry == "" {
		p.Entry = o.Entry
	}
	if p.SHA256 == "" {
		p.SHA256 = o.SHA256
	}
	if ev.Event.Dataset == "" {
		ev.Event.Dataset = e.parser
	}
	if e.a.meta.Unverified {
		ev.Cordon.Unverified = true
	}
	if e.a.meta.Custody.Import != nil {
		ev.Cordon.Imported = true // from another collector's archive (cordon import)
	}
	e.buf.Reset()
	if err := e.enc.Encode(&ev); err != nil {
		e.a.warn(e.parser, timeline.Warning{Entry: p.Entry, Line: p.Line, Offset: p.Offset, Message: "event not encodable, dropped: " + err.Error()})
		return
	}
	js := bytes.TrimSuffix(e.buf.Bytes(), []byte{'\n'})
	if len(js) > maxStoreLine {
		e.a.warn(e.parser, timeline.Warning{Entry: p.Entry, Line: p.Line, Offset: p.Offset,
			Message: fmt.Sprintf("event of %d bytes is larger than the %d kept, dropped", len(js), maxStoreLine)})
		return
	}
	k := e.key
	k.t = nanos(ev.Timestamp)
	e.key.n++
	e.a.mu.Lock()
	defer e.a.mu.Unlock()
	if e.a.err != nil {
		return
	}
	if err := e.a.sorter.Add(k, js); err != nil {
		e.a.err = fmt.Errorf("%w: sorting events: %v", errAnalysis, err)
		return
	}
	e.a.meta.Events++
}

// parse runs the second pass.
func (a *analysisRun) parse(ctx context.Context, r io.Reader, o AnalyzeOptions) error {
	rep, meta := a.rep, a.meta
	host := meta.Custody.Host.Hostname
	var loc *time.Location
	if tz := meta.Custody.Host.TimeZone; tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			a.warn("cordon", timeline.Warning{Entry: bundle.ManifestName,
				Message: fmt.Sprintf("the host's time zone %q is unknown here (%v): local times are read as UTC", tz, err)})
		} else {
			loc = l
		}
	}
	signed := make(map[string]bundle.EntryRecord, len(rep.Verified))
	for _, r := range rep.Verified {
		signed[r.Name] = r
	}
	err := readEntries(r, o.Verify.Identities, signed, o.Force, func(se streamEntry, rd io.Reader) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %v", errAnalysis, err)
		}
		if !se.signed {
			meta.Unsigned = append(meta.Unsigned, se.name)
		}
		ps := ParsersFor(se.record)
		if len(ps) == 0 {
			return nil
		}
		origin := timeline.Origin{Bundle: rep.EvidenceID, Entry: se.name, SHA256: se.record.SHA256,
			HostPath: se.record.HostPathBytes(), Host: host, Location: loc, Settings: o.Settings,
			ReadAt: se.record.ReadAt, Users: a.users, CollectorPID: int64(meta.Custody.Collector.PID)}
		if se.record.Original != nil {
			origin.ModTime = se.record.Original.Mtime
		}
		errs := a.runParsers(uint32(se.index), ps, rd, origin)
		for i, perr := range errs {
			if perr != nil {
				meta.ParseErrors = append(meta.ParseErrors, fmt.Sprintf("%s: %s: %v", ps[i].Name, se.name, perr))
			}
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.err
	})
	switch {
	case errors.Is(err, errStreamCut):
		meta.ParseErrors = append(meta.ParseErrors, fmt.Sprintf("second pass: %v", err))
	case err != nil:
		return err
	}
	if rep.Manifest != nil {
		em := a.newEmitter(1<<32-1, 0, "collection", timeline.Origin{Bundle: rep.EvidenceID, Entry: bundle.ManifestName,
			SHA256: rep.ManifestSHA256, Host: host})
		for _, ev := range CustodyEvents(rep.Manifest, rep.ManifestSHA256) {
			em.event(ev)
		}
	}
	return a.err
}

// runParsers hands one entry's bytes to each parser: directly to a single
// one, through pipes when several read the same entry.
func (a *analysisRun) runParsers(entry uint32, ps []Parser, r io.Reader, o timeline.Origin) []error {
	errs := make([]error, len(ps))
	if len(ps) == 1 {
		errs[0] = safeParse(ps[0], r, o, a.newEmitter(entry, 0, ps[0].Name, o).emit())
		return errs
	}
	var wg sync.WaitGroup
	ws := make([]io.Writer, len(ps))
	pws := make([]*io.PipeWriter, len(ps))
	for i, p := range ps {
		pr, pw := io.Pipe()
		ws[i], pws[i] = pw, pw
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = safeParse(p, pr, o, a.newEmitter(entry, uint16(i), p.Name, o).emit())
			_, _ = io.Copy(io.Discard, pr) // a parser may stop early
			pr.Close()
		}()
	}
	_, err := io.Copy(io.MultiWriter(ws...), r)
	for _, pw := range pws {
		pw.CloseWithError(err)
	}
	wg.Wait()
	return errs
}

// storeAndIndex merges the sorted events into the event store and the index.
func (a *analysisRun) storeAndIndex(ctx context.Context, dir string, progress func(Progress)) error {
	st, err := newStoreWriter(dir)
	if err != nil {
		return err
	}
	ib, err := newIndexBuilder(filepath.Join(dir, indexDir))
	if err != nil {
		st.Close()
		return err
	}
	type job struct {
		n  int64
		ev *timeline.Event
	}
	jobs := make(chan job, indexQueue)
	idxErr := make(chan error, 1)
	go func() {
		var first error
		for j := range jobs {
			if first == nil {
				first = ib.Add(j.n, j.ev)
			}
		}
		if err := ib.Close(); first == nil {
			first = err
		}
		idxErr <- first
	}()
	total := a.sorter.count
	var done int64
	err = a.sorter.Merge(func(js []byte, t int64) error {
		if done%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(Progress{Phase: "index", Done: done, Total: total})
			}
		}
		n, err := st.Add(js, t)
		if err != nil {
			return err
		}
		ev := new(timeline.Event)
		if err := json.Unmarshal(js, ev); err != nil {
			return fmt.Errorf("event %d: %w", n, err)
		}
		if done == 0 {
			a.meta.First = ev.Timestamp
		}
		a.meta.Last = ev.Timestamp
		done++
		jobs <- job{n, ev}
		return nil
	})
	close(jobs)
	ierr := <-idxErr
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ierr
	}
	if err != nil {
		return fmt.Errorf("storing and indexing events: %w", err)
	}
	if progress != nil {
		progress(Progress{Phase: "index", Done: done, Total: total})
	}
	return nil
}

// lockCase takes the case's writer lock (flock on DIR/.lock).
func lockCase(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("case lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("case %s is being written by another cordon analyze: %w", dir, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// progressReader reports the bytes read through fn, every 1 MiB.
func progressReader(r io.Reader, phase string, total int64, fn func(Progress)) io.Reader {
	if fn == nil {
		return r
	}
	return &countingReader{r: r, phase: phase, total: total, fn: fn}
}

type countingReader struct {
	r         io.Reader
	phase     string
	n, total  int64
	lastShown int64
	fn        func(Progress)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	first := c.n == 0
	c.n += int64(n)
	if first || c.n-c.lastShown >= 1<<20 || err == io.EOF {
		c.lastShown = c.n
		c.fn(Progress{Phase: c.phase, Done: c.n, Total: c.total})
	}
	return n, err
}

// readWarnings reads a bundle directory's warnings.jsonl.
func readWarnings(dir string, fn func(timeline.Warning) error) error {
	f, err := os.Open(filepath.Join(dir, warningsFile))
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	for {
		var w warningLine
		if err := dec.Decode(&w); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: %w", warningsFile, err)
		}
		if err := fn(w.Warning); err != nil {
			return err
		}
	}
}
