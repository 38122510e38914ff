package casestore

// builder.go adds one bundle's analysis to a case. Begin reserves the
// bundle (lock.go: several builders may work on one case at once) and
// starts its directory under a temporary name (DIR/bundles/b-….tmp-RANDOM):
// the parsers' events go to an external sort, their warnings to
// warnings.jsonl; Finish merges the sorted events into the event store and
// the index, writes bundle.json and renames the directory into place, so a
// reader never sees half an analysis. Abort (or a Finish that fails)
// removes it.

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
	"time"

	"github.com/cordon-forensics/cordon/analyzer/eventstore"
	"github.com/cordon-forensics/cordon/analyzer/index"
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

// ErrAlreadyInCase is returned by Begin for a bundle (by SHA-256) the case holds.
var ErrAlreadyInCase = errors.New("already in the case")

// MaxEventBytes bounds one stored event's JSON.
const MaxEventBytes = eventstore.MaxLine

// BundleDirName is the directory of the bundle file with this SHA-256 in
// a case: "b-" and 16 hex digits (never the attacker-written evidence id).
func BundleDirName(sha256 string) string {
	if len(sha256) > 16 {
		sha256 = sha256[:16]
	}
	return "b-" + sha256
}

// BuildOptions bound what building one bundle takes; a caller building
// several at once shares its budget out among them.
type BuildOptions struct {
	// SortMemory bounds the event JSON held in memory while sorting (0:
	// eventstore.DefaultSortMemory).
	SortMemory int
	// IndexWorkers is how many index segments are built at once (0: one
	// per core).
	IndexWorkers int
}

// Holds reports whether the case at caseDir holds the bundle whose file
// has this SHA-256 (published whole; the whole hash is compared, not only
// the 16 digits of the directory's name).
func Holds(caseDir, sha256 string) bool {
	data, err := os.ReadFile(filepath.Join(caseDir, bundlesDir, BundleDirName(sha256), bundleMetaFile))
	if err != nil {
		return false
	}
	var meta struct {
		SHA256 string `json:"sha256"`
	}
	return json.Unmarshal(data, &meta) == nil && meta.SHA256 == sha256
}

// Builder builds one bundle's directory. Warn and Add may be called from
// several goroutines.
type Builder struct {
	caseDir, build, final string
	opts                  BuildOptions
	lock                  *bundleLock

	mu       sync.Mutex
	err      error // first error (sticky)
	sorter   *eventstore.Sorter
	warnF    *os.File
	warnBuf  bytes.Buffer
	warnings int64
	events   int64
}

// Begin reserves the bundle whose file has this SHA-256 in the case at
// caseDir (created if needed) and starts its directory. A bundle the case
// holds is ErrAlreadyInCase; one another writer is adding, ErrBeingAdded.
// The case's lock is taken only for the moment of the reservation.
func Begin(ctx context.Context, caseDir, sha256 string, o BuildOptions) (*Builder, error) {
	unlock, err := lockWait(ctx, caseDir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	name := BundleDirName(sha256)
	final := filepath.Join(caseDir, bundlesDir, name)
	if _, err := os.Stat(final); err == nil {
		return nil, fmt.Errorf("%s: %w", name, ErrAlreadyInCase)
	}
	lock, err := lockBundle(final)
	if err != nil {
		return nil, err
	}
	// What a writer killed while building this bundle left behind.
	if stale, _ := filepath.Glob(final + ".tmp-*"); len(stale) > 0 {
		for _, d := range stale {
			os.RemoveAll(d)
		}
	}
	build := final + ".tmp-" + randomSuffix()
	if err := os.Mkdir(build, 0o755); err != nil {
		lock.release()
		return nil, fmt.Errorf("case directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(build, warningsFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		os.RemoveAll(build)
		lock.release()
		return nil, err
	}
	return &Builder{caseDir: caseDir, build: build, final: final, warnF: f, opts: o, lock: lock,
		sorter: eventstore.NewSorter(build, o.SortMemory)}, nil
}

// Dir is the name the bundle's directory will have (CaseBundle.Dir).
func (b *Builder) Dir() string { return filepath.Base(b.final) }

// warningLine is one line of warnings.jsonl.
type warningLine struct {
	Parser string `json:"parser"`
	timeline.Warning
}

// Warn keeps one parser warning (the first maxKeptWarnings; all are counted).
func (b *Builder) Warn(parser string, w timeline.Warning) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.warnings++
	if b.warnings > maxKeptWarnings || b.warnF == nil {
		return
	}
	line, _ := json.Marshal(warningLine{Parser: parser, Warning: w})
	b.warnBuf.Write(line)
	b.warnBuf.WriteByte('\n')
	if b.warnBuf.Len() > 1<<20 {
		if _, err := b.warnF.Write(b.warnBuf.Bytes()); err != nil && b.err == nil {
			b.err = fmt.Errorf("writing warnings: %w", err)
		}
		b.warnBuf.Reset()
	}
}

// Add hands one event (its JSON, no newline) to the sort.
func (b *Builder) Add(k eventstore.Key, js []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	if err := b.sorter.Add(k, js); err != nil {
		b.err = fmt.Errorf("sorting events: %w", err)
		return b.err
	}
	b.events++
	return nil
}

// Err returns the first error of Warn or Add.
func (b *Builder) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Counts returns the events added and the warnings counted so far.
func (b *Builder) Counts() (events, warnings int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.events, b.warnings
}

func (b *Builder) closeWarnings() error {
	if b.warnF == nil {
		return nil
	}
	_, err := b.warnF.Write(b.warnBuf.Bytes())
	if b.warnings > maxKeptWarnings && err == nil {
		line, _ := json.Marshal(warningLine{Parser: "cordon", Warning: timeline.Warning{
			Message: fmt.Sprintf("%d more warnings counted, not kept", b.warnings-maxKeptWarnings)}})
		_, err = b.warnF.Write(append(line, '\n'))
	}
	if serr := b.warnF.Sync(); err == nil {
		err = serr
	}
	if cerr := b.warnF.Close(); err == nil {
		err = cerr
	}
	b.warnF = nil
	return err
}

// Finish sorts, stores and indexes the events, fills meta's counts, time
// span and Dir, writes bundle.json and publishes the directory. progress,
// when set, is told how many events are stored. On error, nothing is left.
func (b *Builder) Finish(ctx context.Context, meta *CaseBundle, progress func(done, total int64)) (err error) {
	defer func() {
		if err != nil {
			b.Abort()
		}
	}()
	b.mu.Lock()
	werr := b.closeWarnings()
	first := b.err
	meta.Events, meta.Warnings = b.events, b.warnings
	b.mu.Unlock()
	if first != nil {
		return first
	}
	if werr != nil {
		return fmt.Errorf("writing warnings: %w", werr)
	}
	meta.FormatVersion, meta.Dir = CaseFormatVersion, b.Dir()
	if err := b.storeAndIndex(ctx, meta, progress); err != nil {
		return err
	}
	b.sorter.Remove()
	doc, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	if err := eventstore.WriteFileSync(filepath.Join(b.build, bundleMetaFile), doc); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	syncDir(b.build)
	return b.publish(ctx)
}

// publish renames the built directory into place and releases the bundle.
func (b *Builder) publish(ctx context.Context) error {
	unlock, err := lockWait(ctx, b.caseDir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Rename(b.build, b.final); err != nil {
		if _, serr := os.Stat(filepath.Join(b.final, bundleMetaFile)); serr == nil {
			return fmt.Errorf("%s: %w", filepath.Base(b.final), ErrAlreadyInCase)
		}
		return fmt.Errorf("publishing the analysis: %w", err)
	}
	syncDir(filepath.Dir(b.final))
	b.mu.Lock()
	b.build = ""
	b.mu.Unlock()
	b.lock.release()
	return nil
}

// Abort removes the unfinished directory and releases the bundle. It is
// safe to call after Finish, and more than once.
func (b *Builder) Abort() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.warnF != nil {
		b.warnF.Close()
		b.warnF = nil
	}
	if b.build != "" {
		b.sorter.Remove()
		os.RemoveAll(b.build)
		b.build = ""
	}
	if b.lock != nil && b.lock.f != nil {
		// The lock file is removed under the case lock (lock.go); the case
		// lock is only ever held for moments, but an abort never waits long:
		// failing that, the file stays (harmless) and only the lock goes.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if unlock, err := lockWait(ctx, b.caseDir); err == nil {
			b.lock.release()
			unlock()
		} else {
			b.lock.f.Close() // releases the flock
			b.lock.f = nil
		}
	}
}

// storeAndIndex merges the sorted events into the event store and the index.
func (b *Builder) storeAndIndex(ctx context.Context, meta *CaseBundle, progress func(done, total int64)) error {
	st, err := eventstore.NewWriter(b.build)
	if err != nil {
		return err
	}
	ib, err := index.NewBuilder(filepath.Join(b.build, index.Dir), b.opts.IndexWorkers)
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
	total := b.sorter.Count()
	var done int64
	err = b.sorter.Merge(func(js []byte, t int64) error {
		if done%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(done, total)
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
			meta.First = ev.Timestamp
		}
		meta.Last = ev.Timestamp
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
		progress(done, total)
	}
	return nil
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

// readWarnings reads a bundle directory's warnings.jsonl.
func readWarnings(dir string, fn func(parser string, w timeline.Warning) error) error {
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
		if err := fn(w.Parser, w.Warning); err != nil {
			return err
		}
	}
}

// BundlePath is the directory of an analyzed bundle in the case at caseDir.
func BundlePath(caseDir string, b CaseBundle) string {
	return filepath.Join(caseDir, bundlesDir, b.Dir)
}
