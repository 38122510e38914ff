// Package bundletest builds evidence bundles for tests, the way
// cordon-collect writes them, so that every test that needs a bundle gets
// one from the same place (like restic's TestRepository).
//
//	path := bundletest.Write(t, dir, bundletest.Options{Host: "web01"},
//		bundletest.File("/var/log/auth.log", authLines, mtime),
//		bundletest.Entry{Name: snapshot.ProcessesEntry, Data: procs, Source: "processes"})
package bundletest

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"aead.dev/minisign"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// Entry is one entry of a test bundle.
type Entry struct {
	Name     string // the entry's name in the bundle (bundle.NameFor for host files)
	Data     []byte
	HostPath string // where the collector read it (default: none)
	Source   string // the collector source (default "test")
	// Mtime, when set, records the original file's metadata (type file,
	// the size of Data, this modification time).
	Mtime time.Time
	// Meta, when set, is used as it is (Name, HostPath, Source, Mtime ignored).
	Meta *bundle.EntryMeta
}

// File is the entry of a host file at path, as the file sources collect it.
func File(path string, data []byte, mtime time.Time) Entry {
	return Entry{Name: bundle.NameFor("fs", path), Data: data, HostPath: path, Source: "test", Mtime: mtime}
}

// Options describe the bundle's custody; zero values get defaults.
type Options struct {
	EvidenceID string // default "ev-" + Host
	Host       string // default "testhost"
	TimeZone   string // the host's zone name ("" when unknown)
	// Start is the collection's start (default 2026-11-04T10:00:00Z).
	Start time.Time
	// CheckpointBytes: small values give many checkpoints (default 64).
	CheckpointBytes int64
	// Key signs the bundle; zero: a one-time key (Ephemeral).
	Key *minisign.PrivateKey
	// CollectorPID is recorded as the collector's own process.
	CollectorPID int
	// Edit, when set, may change the custody before it is signed.
	Edit func(*bundle.Custody)
}

// DefaultStart is the collection time of a test bundle with no Start.
var DefaultStart = time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)

// Bytes writes a bundle of entries into memory.
func Bytes(t testing.TB, o Options, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	writeTo(t, &buf, o, entries)
	return buf.Bytes()
}

// Write writes a bundle of entries to dir/name and returns its path.
func Write(t testing.TB, dir, name string, o Options, entries ...Entry) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	writeTo(t, f, o, entries)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeTo(t testing.TB, out io.Writer, o Options, entries []Entry) {
	t.Helper()
	if o.Host == "" {
		o.Host = "testhost"
	}
	if o.EvidenceID == "" {
		o.EvidenceID = "ev-" + o.Host
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.CheckpointBytes == 0 {
		o.CheckpointBytes = 64
	}
	ephemeral := o.Key == nil
	var key minisign.PrivateKey
	if ephemeral {
		_, priv, err := bundle.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		key = priv
	} else {
		key = *o.Key
	}
	w, err := bundle.NewWriter(out, bundle.Options{Key: key, Ephemeral: ephemeral, EvidenceID: o.EvidenceID,
		Collector: "bundletest", CheckpointBytes: o.CheckpointBytes, Now: func() time.Time { return o.Start }})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		meta := bundle.EntryMeta{Name: e.Name, HostPath: e.HostPath, Source: e.Source, ReadAt: o.Start}
		if meta.Source == "" {
			meta.Source = "test"
		}
		if !e.Mtime.IsZero() {
			meta.Original = &bundle.FileInfo{Type: "file", Mtime: e.Mtime, Size: int64(len(e.Data))}
		}
		if e.Meta != nil {
			meta = *e.Meta
		}
		if _, err := w.AddBytes(meta, e.Data); err != nil {
			t.Fatal(err)
		}
	}
	c := bundle.Custody{EvidenceID: o.EvidenceID, Examiner: "go test",
		Host:      bundle.HostFacts{Hostname: o.Host, TimeZone: o.TimeZone, ClockStart: o.Start, ClockEnd: o.Start.Add(time.Minute)},
		Collector: bundle.CollectorFacts{Name: "bundletest", PID: o.CollectorPID}}
	if o.Edit != nil {
		o.Edit(&c)
	}
	if _, err := w.Close(c); err != nil {
		t.Fatal(err)
	}
}
