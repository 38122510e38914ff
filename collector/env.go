package collector

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// Sink is where sources put what they collect; *bundle.Writer is one.
type Sink interface {
	Add(meta bundle.EntryMeta, r io.Reader, size int64) (bundle.EntryRecord, error)
	AddBytes(meta bundle.EntryMeta, data []byte) (bundle.EntryRecord, error)
	AddMissing(m bundle.MissingRecord)
}

// Env is what a source gets to work with. Each source gets its own Env (see
// For), which counts what the source wrote for its status in the manifest.
type Env struct {
	Opts Options
	Sink Sink
	// Live is true when Root is "/" on a running kernel: the /proc sources run.
	Live bool
	// ProcRoot is where the kernel's process views are mounted ("/proc");
	// SysRoot and DevRoot are sysfs and devtmpfs ("/sys", "/dev").
	ProcRoot string
	SysRoot  string
	DevRoot  string
	// Now is the clock.
	Now func() time.Time
	// Progress, when set, is told of each source's status as it ends.
	Progress func(bundle.SourceStatus)
	// LeadEnd, when set, ends the capture lead (Options.CaptureLead) early
	// when it is closed; LeadEndName says what closed it ("SIGUSR1"), for
	// the manifest. OnLead, when set, is told when the lead begins: the
	// capture is running (capture_lead.go).
	LeadEnd     <-chan struct{}
	LeadEndName string
	OnLead      func(LeadInfo)

	source string
	shared *sharedState
	stats  *sourceStats
}

type sharedState struct {
	mu     sync.Mutex
	errors []bundle.ErrorRecord
	// budgets shared across sources (executables, memory): bytes left.
	budgets map[string]int64
	// pass is the first read of /proc, shared by the volatile sources.
	pass passState
	// trace, when set (tests), is told of every read of a process's stat.
	trace func(op string, pid int)
	// lead is what the capture and Run share about the capture lead.
	lead *captureLead
}

type sourceStats struct {
	mu      sync.Mutex
	entries int
	bytes   int64
	errors  int
	missing int
	cut     bool // stopped at a bound of its own (Cut)
	detail  string
}

// NewEnv makes the root Env of a collection.
func NewEnv(opts Options, sink Sink) *Env {
	root := opts.Root
	if root == "" {
		root = "/"
	}
	opts.Root = filepath.Clean(root)
	return &Env{
		Opts:     opts,
		Sink:     sink,
		Live:     opts.Root == "/",
		ProcRoot: "/proc",
		SysRoot:  "/sys",
		DevRoot:  "/dev",
		Now:      time.Now,
		shared:   &sharedState{budgets: map[string]int64{}, lead: newCaptureLead()},
		stats:    &sourceStats{},
	}
}

// For returns the Env of one source.
func (e *Env) For(source string) *Env {
	c := *e
	c.source = source
	c.stats = &sourceStats{}
	return &c
}

// Source is the name of the source this Env belongs to.
func (e *Env) Source() string { return e.source }

// HostPath maps an absolute path on the host to the path to open under Root.
func (e *Env) HostPath(p string) string {
	if e.Opts.Root == "/" {
		return filepath.Clean("/" + p)
	}
	return filepath.Join(e.Opts.Root, filepath.Clean("/"+p))
}

// Errorf records an error met by the source (it ends up in the manifest).
func (e *Env) Errorf(hostPath string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	e.shared.mu.Lock()
	e.shared.errors = append(e.shared.errors, bundle.ErrorRecord{At: e.Now().UTC(), Source: e.source, HostPath: hostPath, Error: msg})
	e.shared.mu.Unlock()
	e.stats.mu.Lock()
	e.stats.errors++
	e.stats.mu.Unlock()
}

// Missing records something the source looked for and could not collect.
func (e *Env) Missing(hostPath string, info *bundle.FileInfo, err error) {
	e.Sink.AddMissing(bundle.MissingRecord{HostPath: hostPath, Source: e.source, Error: err.Error(), Original: info, At: e.Now().UTC()})
	e.stats.mu.Lock()
	e.stats.missing++
	e.stats.mu.Unlock()
}

// Cut records that the source stopped short at a bound of its own (a
// walk's time budget or file count, a byte cap): it ends "partial", never
// "ok", and its detail says where it stopped.
func (e *Env) Cut() {
	e.stats.mu.Lock()
	e.stats.cut = true
	e.stats.mu.Unlock()
}

// Note sets the detail line of the source's status.
func (e *Env) Note(format string, args ...any) {
	e.stats.mu.Lock()
	e.stats.detail = fmt.Sprintf(format, args...)
	e.stats.mu.Unlock()
}

// Add writes an entry of the source.
func (e *Env) Add(meta bundle.EntryMeta, r io.Reader, size int64) (bundle.EntryRecord, error) {
	if meta.Source == "" {
		meta.Source = e.source
	}
	rec, err := e.Sink.Add(meta, r, size)
	if err == nil {
		e.count(rec)
	}
	return rec, err
}

// AddBytes writes an in-memory entry of the source.
func (e *Env) AddBytes(meta bundle.EntryMeta, data []byte) (bundle.EntryRecord, error) {
	if meta.Source == "" {
		meta.Source = e.source
	}
	rec, err := e.Sink.AddBytes(meta, data)
	if err == nil {
		e.count(rec)
	}
	return rec, err
}

// AddJSON writes v as an indented JSON entry named name.
func (e *Env) AddJSON(name string, v any) (bundle.EntryRecord, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return bundle.EntryRecord{}, fmt.Errorf("encoding %s: %w", name, err)
	}
	return e.AddBytes(bundle.EntryMeta{Name: name}, append(b, '\n'))
}

func (e *Env) count(rec bundle.EntryRecord) {
	e.stats.mu.Lock()
	e.stats.entries++
	e.stats.bytes += rec.Size
	if rec.Error != "" {
		e.stats.errors++
	}
	e.stats.mu.Unlock()
}

// TakeBudget takes up to n bytes from the shared budget named name (which
// starts at total the first time it is asked for) and returns how many it
// may use.
func (e *Env) TakeBudget(name string, total, n int64) int64 {
	e.shared.mu.Lock()
	defer e.shared.mu.Unlock()
	left, ok := e.shared.budgets[name]
	if !ok {
		left = total
	}
	if n > left {
		n = left
	}
	e.shared.budgets[name] = left - n
	return n
}

// trace tells the test hook, if any, of a read of a process file.
func (e *Env) trace(op string, pid int) {
	if t := e.shared.trace; t != nil {
		t(op, pid)
	}
}

// Errors returns every error recorded so far, by every source.
func (e *Env) Errors() []bundle.ErrorRecord {
	e.shared.mu.Lock()
	defer e.shared.mu.Unlock()
	return append([]bundle.ErrorRecord(nil), e.shared.errors...)
}
