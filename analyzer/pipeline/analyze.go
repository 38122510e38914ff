// Package pipeline is `cordon analyze`: one bundle into a case.
//
//  1. Verify: bundle.Verify reads the whole file once (signatures, chain,
//     every entry's hash). A bundle that is not intact is refused unless
//     Force, which marks every event of it cordon.unverified. The few
//     configuration files parsers take settings from are kept (settings.go).
//  2. Parse: the evidence entries are read a second time
//     (bundle.ReadEntries), hashed again against their signed records, and
//     each one goes to every parser whose Match accepts its record
//     (parsers.For), with an Origin built from the record and the
//     manifest's custody (host name, time zone, the original file's mtime
//     for year inference). The collection's own log (parsers.CustodyEvents)
//     joins them. Bad records are warnings; a parser that fails or panics
//     on an entry is noted and the analysis goes on.
//  3. Sort, store, index and publish: casestore.Builder.
//
// AnalyzeBundles (run.go) analyzes many bundles at once into one case,
// sharing the memory and the cores out among them.
package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/eventstore"
	"github.com/cordon-forensics/cordon/analyzer/parsers"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/hostzone"
	"github.com/cordon-forensics/cordon/internal/ctxio"
	"github.com/cordon-forensics/cordon/timeline"
)

// Errors of AnalyzeBundle a caller tells apart.
var (
	// ErrRefused: the bundle did not verify intact and Force was not set.
	ErrRefused = errors.New("refused")
	// ErrAlreadyInCase: the same bundle file (by SHA-256) is in the case.
	ErrAlreadyInCase = casestore.ErrAlreadyInCase
)

// Options configure AnalyzeBundle.
type Options struct {
	// Verify holds the trusted public key and age identities. Its OnEntry,
	// WantEntry and OnControl must be nil.
	Verify bundle.VerifyOptions
	// Force analyzes a bundle that is not intact; every event is marked unverified.
	Force bool
	// Analyzer names the program, for bundle.json ("cordon 0.1.0").
	Analyzer string
	// Progress, when set, is told how far each phase is.
	Progress func(Progress)
	// SortMemory bounds the event JSON held in memory while sorting (0: 128
	// MiB). For AnalyzeBundles, it is the total of the bundles analyzed at
	// once.
	SortMemory int
	// IndexWorkers is how many index segments are built at once (0: one per
	// core). For AnalyzeBundles, the total of the bundles analyzed at once.
	IndexWorkers int
	// Settings are handed to every parser (timeline.Origin.Settings), e.g.
	// parsers.SettingPGLogLinePrefix.
	Settings map[string]string
}

// Phases of an analysis, for Progress.
const (
	PhaseHash   = "hash"   // bytes of the bundle file (AnalyzeBundles: is it in the case already?)
	PhaseVerify = "verify" // bytes of the bundle file
	PhaseParse  = "parse"  // bytes of the bundle file
	PhaseIndex  = "index"  // events
)

// Progress reports how far one phase of an analysis is.
type Progress struct {
	Phase       string
	Done, Total int64
}

// AnalyzeBundle verifies the bundle at path, parses it and adds it to the
// case in caseDir (created if needed). It returns the bundle's record; a
// bundle that is not intact is ErrRefused unless o.Force. Cancelled, it
// returns an error wrapping ctx.Err() and leaves the case as it was.
// Several AnalyzeBundle may add bundles to one case at once, in one process
// or several (casestore's lock.go).
func AnalyzeBundle(ctx context.Context, caseDir, path string, o Options) (*casestore.CaseBundle, error) {
	return analyzeBundle(ctx, caseDir, path, o, "", nil)
}

// analyzeBundle is AnalyzeBundle; fileSHA256, when set, is what the file
// hashed to a moment ago (verification must find the same), and slots,
// when set, bounds the parsers running at once across bundles.
func analyzeBundle(ctx context.Context, caseDir, path string, o Options, fileSHA256 string, slots *parserSlots) (*casestore.CaseBundle, error) {
	if o.Verify.OnEntry != nil || o.Verify.OnControl != nil || o.Verify.WantEntry != nil {
		return nil, errors.New("AnalyzeBundle: VerifyOptions.OnEntry, WantEntry and OnControl must be nil")
	}
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
	rep, verr := bundle.Verify(ctxio.Reader(ctx, progressReader(f, PhaseVerify, fi.Size(), o.Progress)), vo)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verifying: %w", err)
	}
	if rep == nil || (verr != nil && rep.Entries == 0) {
		return nil, fmt.Errorf("verifying: %w", verr)
	}
	if rep.Status != bundle.StatusIntact && !o.Force {
		return nil, fmt.Errorf("%w: the bundle is %s (%d problems; cordon verify lists them); --force analyzes it anyway, every event marked unverified",
			ErrRefused, rep.Status, len(rep.Problems))
	}
	if fileSHA256 != "" && rep.BundleSHA256 != fileSHA256 {
		return nil, fmt.Errorf("%s changed while it was read (SHA-256 %s, then %s)", path, fileSHA256, rep.BundleSHA256)
	}
	b, err := casestore.Begin(ctx, caseDir, rep.BundleSHA256, casestore.BuildOptions{SortMemory: o.SortMemory, IndexWorkers: o.IndexWorkers})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer b.Abort()

	abs, _ := filepath.Abs(path)
	meta := &casestore.CaseBundle{
		EvidenceID: rep.EvidenceID, Path: abs,
		SHA256: rep.BundleSHA256, Verification: rep.Status, Unverified: rep.Status != bundle.StatusIntact,
		Trust: rep.Trust, KeyID: rep.KeyID, Problems: rep.Problems, Entries: rep.Verified, Missing: rep.Missing,
		Analyzed: time.Now().UTC(), Analyzer: o.Analyzer,
	}
	if rep.Manifest != nil {
		meta.Custody = rep.Manifest.Custody
	}
	a := &analysisRun{meta: meta, rep: rep, out: b, slots: slots}
	o.Settings = a.settings(o.Settings, &confs)
	a.users = confs.users(rep.Verified)
	a.zone = confs.hostZone(rep, meta.Custody.Host.TimeZone)
	meta.Settings = append(meta.Settings, casestore.SettingSource{Name: "host.time_zone", Value: a.zone.Name, From: a.zone.How})
	sort.SliceStable(meta.Settings, func(i, j int) bool { return meta.Settings[i].Name < meta.Settings[j].Name })

	// 2. Parse, reading the file a second time.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if err := a.parse(ctx, ctxio.Reader(ctx, progressReader(f, PhaseParse, fi.Size(), o.Progress)), o); err != nil {
		return nil, err
	}

	// 3. Sort, store, index, publish.
	var progress func(done, total int64)
	if o.Progress != nil {
		progress = func(done, total int64) { o.Progress(Progress{Phase: PhaseIndex, Done: done, Total: total}) }
	}
	if err := b.Finish(ctx, meta, progress); err != nil {
		return nil, err
	}
	return meta, nil
}

// analysisRun is the state of one AnalyzeBundle.
type analysisRun struct {
	meta  *casestore.CaseBundle
	rep   *bundle.Report
	out   *casestore.Builder
	users map[uint32]string // from the bundle's signed /etc/passwd
	slots *parserSlots      // shared with the other bundles of the run (nil: none)
	zone  hostzone.Zone     // the host's time zone, from its signed files

	mu sync.Mutex // guards meta's lists: parsers of one entry run concurrently
}

func (a *analysisRun) warn(parser string, w timeline.Warning) { a.out.Warn(parser, w) }

// emitter collects the events of one parser on one entry.
type emitter struct {
	a      *analysisRun
	key    eventstore.Key
	parser string
	origin timeline.Origin
	buf    bytes.Buffer
	enc    *json.Encoder
}

func (a *analysisRun) newEmitter(entry uint32, parser uint16, name string, o timeline.Origin) *emitter {
	e := &emitter{a: a, key: eventstore.Key{Entry: entry, Parser: parser}, parser: name, origin: o}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

func (e *emitter) emit() parsers.Emit {
	return parsers.Emit{Event: e.event, Warn: func(w timeline.Warning) { e.a.warn(e.parser, w) }}
}

// event normalizes an event (UTC time; host, provenance and dataset filled
// from the origin when the parser left them empty; unverified marked) and
// hands it to the sort.
func (e *emitter) event(ev timeline.Event) {
	o := e.origin
	ev.Timestamp = ev.Timestamp.UTC()
	parsers.MarkCollector(&ev, o.CollectorPID)
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
	if len(js) > casestore.MaxEventBytes {
		e.a.warn(e.parser, timeline.Warning{Entry: p.Entry, Line: p.Line, Offset: p.Offset,
			Message: fmt.Sprintf("event of %d bytes is larger than the %d kept, dropped", len(js), casestore.MaxEventBytes)})
		return
	}
	k := e.key
	k.T = eventstore.Nanos(ev.Timestamp)
	e.key.N++
	_ = e.a.out.Add(k, js) // a sticky error, checked after each entry
}

// parse runs the second pass.
func (a *analysisRun) parse(ctx context.Context, r io.Reader, o Options) error {
	rep, meta := a.rep, a.meta
	host := meta.Custody.Host.Hostname
	// the host's zone (formats/hostzone); nil when unknown: each parser
	// then says, in a warning and in its events, that it read local times as UTC
	loc := a.zone.Location
	for _, w := range a.zone.Warnings {
		a.warn("cordon", timeline.Warning{Entry: bundle.ManifestName, Message: "time zone: " + w})
	}
	if loc == nil {
		a.warn("cordon", timeline.Warning{Entry: bundle.ManifestName, Message: "the host's time zone is " + a.zone.How + ": local times are read as UTC"})
	}
	signed := make(map[string]bundle.EntryRecord, len(rep.Verified))
	for _, r := range rep.Verified {
		signed[r.Name] = r
	}
	err := bundle.ReadEntries(r, o.Verify.Identities, signed, o.Force, func(se bundle.StreamEntry, rd io.Reader) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", bundle.ErrReader, err)
		}
		if !se.Signed {
			meta.Unsigned = append(meta.Unsigned, se.Name)
		}
		ps := parsers.For(se.Record)
		if len(ps) == 0 {
			return nil
		}
		origin := timeline.Origin{Bundle: rep.EvidenceID, Entry: se.Name, SHA256: se.Record.SHA256,
			HostPath: se.Record.HostPathBytes(), Host: host, Location: loc, Settings: o.Settings,
			ReadAt: se.Record.ReadAt, Users: a.users, CollectorPID: int64(meta.Custody.Collector.PID),
			BootTime: meta.Custody.Host.BootTime}
		if se.Record.Original != nil {
			origin.ModTime, origin.Birth = se.Record.Original.Mtime, se.Record.Original.Btime
		}
		release, err := a.slots.acquire(ctx, len(ps))
		if err != nil {
			return fmt.Errorf("%w: %w", bundle.ErrReader, err)
		}
		errs := a.runParsers(uint32(se.Index), ps, rd, origin)
		release()
		for i, perr := range errs {
			if perr != nil {
				meta.ParseErrors = append(meta.ParseErrors, fmt.Sprintf("%s: %s: %v", ps[i].Name, se.Name, perr))
			}
		}
		if err := a.out.Err(); err != nil {
			return fmt.Errorf("%w: %w", bundle.ErrReader, err)
		}
		return nil
	})
	switch {
	case errors.Is(err, bundle.ErrStreamCut):
		meta.ParseErrors = append(meta.ParseErrors, fmt.Sprintf("second pass: %v", err))
	case err != nil:
		return err
	}
	if rep.Manifest != nil {
		em := a.newEmitter(1<<32-1, 0, "collection", timeline.Origin{Bundle: rep.EvidenceID, Entry: bundle.ManifestName,
			SHA256: rep.ManifestSHA256, Host: host})
		for _, ev := range parsers.CustodyEvents(rep.Manifest, rep.ManifestSHA256) {
			em.event(ev)
		}
	}
	return a.out.Err()
}

// runParsers hands one entry's bytes to each parser: directly to a single
// one, through pipes when several read the same entry.
func (a *analysisRun) runParsers(entry uint32, ps []parsers.Parser, r io.Reader, o timeline.Origin) []error {
	errs := make([]error, len(ps))
	if len(ps) == 1 {
		errs[0] = parsers.Run(ps[0], r, o, a.newEmitter(entry, 0, ps[0].Name, o).emit())
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
			errs[i] = parsers.Run(p, pr, o, a.newEmitter(entry, uint16(i), p.Name, o).emit())
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
