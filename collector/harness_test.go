package collector

// harness_test.go is the one harness the collector's tests share: options
// for the live host and for a fixture root, a collection into a real bundle
// (the bundle writer, zstd, hashes, signatures) read back with archive/tar,
// an in-memory sink, the stand-in process the volatile tests start, and the
// fixture root of the file sources.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// testOptions are the defaults for a collection of this host. The test
// binary's own priority is never lowered (other tests run in it).
func testOptions() Options {
	o := DefaultOptions()
	o.ProbeHiddenPIDs = true
	o.NoPriorityLowering = true
	return o
}

// rootOptions are the defaults for a collection of the fixture root.
func rootOptions(root string) Options {
	o := testOptions()
	o.Root = root
	o.TimelineBudget = 60 * time.Second
	return o
}

// testBundle is a bundle collected by a test and read back.
type testBundle struct {
	entries  map[string][]byte
	manifest bundle.Manifest
	statuses []bundle.SourceStatus
	byHost   map[string]bundle.EntryRecord
}

// sourceNamed returns a registered source.
func sourceNamed(t testing.TB, name string) Source {
	t.Helper()
	s, ok := Lookup(name)
	if !ok {
		t.Fatalf("no source %q", name)
	}
	return s
}

// collectTo runs the named sources (in the order given) into a real bundle
// written to out.
func collectTo(t testing.TB, out io.Writer, opts Options, names ...string) Outcome {
	t.Helper()
	_, key, err := bundle.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	w, err := bundle.NewWriter(out, bundle.Options{Key: key, Ephemeral: true, EvidenceID: "collector-test", Collector: "collector tests"})
	if err != nil {
		t.Fatal(err)
	}
	env := NewEnv(opts, w)
	var srcs []Source
	for _, n := range names {
		srcs = append(srcs, sourceNamed(t, n))
	}
	o := Run(context.Background(), env, srcs)
	if _, err := w.Close(bundle.Custody{EvidenceID: "collector-test", Sources: o.Sources, Phases: o.Phases, Errors: env.Errors()}); err != nil {
		t.Fatal(err)
	}
	return o
}

// collect runs the named sources into a bundle and reads it back.
func collect(t testing.TB, opts Options, names ...string) *testBundle {
	t.Helper()
	b, _ := collectRead(t, opts, names...)
	return b
}

// collectRead is collect that also returns the statuses as Run gave them.
func collectRead(t testing.TB, opts Options, names ...string) (*testBundle, []bundle.SourceStatus) {
	t.Helper()
	var out bytes.Buffer
	o := collectTo(t, &out, opts, names...)
	return readBundle(t, &out), o.Sources
}

// readBundle reads a bundle back with archive/tar over zstd.
func readBundle(t testing.TB, r io.Reader) *testBundle {
	t.Helper()
	zr, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(64<<20), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	b := &testBundle{entries: map[string][]byte{}, byHost: map[string]bundle.EntryRecord{}}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the bundle: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		b.entries[h.Name] = data
	}
	if err := json.Unmarshal(b.entries[bundle.ManifestName], &b.manifest); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	for _, e := range b.manifest.Entries {
		if e.HostPath != "" {
			b.byHost[e.HostPath] = e
		}
	}
	b.statuses = b.manifest.Custody.Sources
	for _, s := range b.statuses {
		t.Logf("source %-12s %-8s entries=%d errors=%d %s", s.Name, s.Status, s.Entries, s.Errors, s.Detail)
	}
	for i, e := range b.manifest.Custody.Errors {
		if i == 20 {
			t.Logf("… %d more errors", len(b.manifest.Custody.Errors)-i)
			break
		}
		t.Logf("error %s: %s %s", e.Source, e.HostPath, e.Error)
	}
	return b
}

// jsonl decodes a JSON Lines entry.
func jsonl[T any](t testing.TB, b *testBundle, name string) []T {
	t.Helper()
	data, ok := b.entries[name]
	if !ok {
		t.Fatalf("bundle has no %s", name)
	}
	var out []T
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("%s line %d: %v", name, i+1, err)
		}
		out = append(out, v)
	}
	return out
}

// sourceStatus returns the status of one source in the manifest.
func sourceStatus(t testing.TB, b *testBundle, name string) bundle.SourceStatus {
	t.Helper()
	for _, s := range b.statuses {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no status for source %s", name)
	return bundle.SourceStatus{}
}

// missing returns the missing record of a host path, or nil.
func (b *testBundle) missing(host string) *bundle.MissingRecord {
	for i, m := range b.manifest.Missing {
		if m.HostPath == host {
			return &b.manifest.Missing[i]
		}
	}
	return nil
}

// checkEntry checks that host path p of the fixture root is in the bundle
// with the file's bytes, hash and metadata.
func checkEntry(t *testing.T, b *testBundle, root, p string) {
	t.Helper()
	rec, ok := b.byHost[p]
	if !ok {
		t.Errorf("%s: not in the bundle (missing record: %+v)", p, b.missing(p))
		return
	}
	want, err := os.ReadFile(filepath.Join(root, p))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want)
	if rec.SHA256 != hex.EncodeToString(sum[:]) || !bytes.Equal(b.entries[rec.Name], want) {
		t.Errorf("%s: entry %s has hash %s, want %x", p, rec.Name, rec.SHA256, sum)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(root, p), &st); err != nil {
		t.Fatal(err)
	}
	o := rec.Original
	if o == nil || o.Type != "file" || o.Mode != uint32(st.Mode)&0o7777 || o.Size != st.Size ||
		!o.Mtime.Equal(time.Unix(st.Mtim.Unix()).UTC()) || o.Inode != st.Ino || o.UID != st.Uid {
		t.Errorf("%s: metadata %+v, want mode %o size %d mtime %v inode %d", p, o, st.Mode&0o7777, st.Size, time.Unix(st.Mtim.Unix()).UTC(), st.Ino)
	}
}

// memSink keeps the entries in memory (for tests that call one source's
// Collect directly).
type memSink struct {
	mu      sync.Mutex
	entries map[string][]byte
	missing []bundle.MissingRecord
}

func (s *memSink) Add(meta bundle.EntryMeta, r io.Reader, size int64) (bundle.EntryRecord, error) {
	b, err := io.ReadAll(io.LimitReader(r, size))
	if err != nil {
		return bundle.EntryRecord{}, err
	}
	return s.AddBytes(meta, b)
}

func (s *memSink) AddBytes(meta bundle.EntryMeta, data []byte) (bundle.EntryRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = map[string][]byte{}
	}
	if _, dup := s.entries[meta.Name]; dup {
		return bundle.EntryRecord{}, fmt.Errorf("duplicate entry %s", meta.Name)
	}
	s.entries[meta.Name] = bytes.Clone(data)
	return bundle.EntryRecord{Name: meta.Name, Size: int64(len(data)), HostPath: meta.HostPath, Source: meta.Source}, nil
}

func (s *memSink) AddMissing(m bundle.MissingRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.missing = append(s.missing, m)
}

// fixtureRoot copies testdata/root (text files under review) to a fresh
// directory and adds what cannot live in a repository as is: .gz
// generations (compressed here from their checked-in text).
func fixtureRoot(t testing.TB) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	err := filepath.WalkDir("testdata/root", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/root", p)
		dst := filepath.Join(root, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"var/log/auth.log.2", "var/lib/docker/containers/abc123/abc123-json.log.1"} {
		gzipInPlace(t, filepath.Join(root, p))
	}
	// a fixed, old mtime, to check that metadata is the original's
	old := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	os.Chtimes(filepath.Join(root, "var/log/auth.log.2.gz"), old, old)
	return root
}

// gzipInPlace replaces path by path.gz, compressed.
func gzipInPlace(t testing.TB, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(path+".gz", b.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
}

var (
	helperOnce sync.Once
	helperPath string
	helperErr  error
)

// helperBinary builds testdata/volhelper once per test binary.
func helperBinary(t testing.TB) string {
	t.Helper()
	helperOnce.Do(func() {
		// One directory per test process; those of finished test
		// processes are removed here (there is no TestMain to clean up).
		old, _ := filepath.Glob(filepath.Join(os.TempDir(), "cordon-volhelper-*"))
		for _, d := range old {
			pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "cordon-volhelper-"))
			if err == nil && syscall.Kill(pid, 0) == syscall.ESRCH {
				os.RemoveAll(d)
			}
		}
		dir := filepath.Join(os.TempDir(), "cordon-volhelper-"+strconv.Itoa(os.Getpid()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			helperErr = err
			return
		}
		os.Chmod(dir, 0o755)
		helperPath = filepath.Join(dir, "volhelper")
		out, err := exec.Command("go", "build", "-o", helperPath, "./testdata/volhelper").CombinedOutput()
		if err != nil {
			helperErr = fmt.Errorf("%w: %s", err, out)
		}
	})
	if helperErr != nil {
		t.Fatalf("building the helper: %v", helperErr)
	}
	return helperPath
}

// startReady starts a helper (or any command printing "ready X") and waits
// for that line, with a deadline.
func startReady(t testing.TB, name string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	return startCmdReady(t, cmd)
}

// startCmdReady is startReady for a prepared command.
func startCmdReady(t testing.TB, cmd *exec.Cmd) (*exec.Cmd, string) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		f := strings.Fields(s)
		if len(f) != 2 || f[0] != "ready" {
			t.Fatalf("%v: got %q, want ready", cmd.Args, s)
		}
		return cmd, f[1]
	case <-time.After(30 * time.Second):
		t.Fatalf("%v did not get ready", cmd.Args)
	}
	return nil, ""
}

func findProc(procs []snapshot.Process, pid int) *snapshot.Process {
	for i := range procs {
		if procs[i].PID == pid {
			return &procs[i]
		}
	}
	return nil
}

func randomMarker(t testing.TB) string {
	var r [12]byte
	rand.Read(r[:])
	return "CORDON-MARKER-" + hex.EncodeToString(r[:])
}
