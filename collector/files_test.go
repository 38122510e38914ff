package collector

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bodyfile"
	"github.com/cordon-forensics/cordon/formats/utmp"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// The file sources' sources, in Order.
var filesSources = []string{"logs", "containers", "accounts", "exposure", "persistence", "packages", "filetimeline"}

// filesBundle is a bundle read back: entries by name and the manifest.
type filesBundle struct {
	entries  map[string][]byte
	manifest bundle.Manifest
	byHost   map[string]bundle.EntryRecord
}

// filesFixture copies testdata/root (text files under review) to a fresh
// directory and adds what cannot live in a repository as is: .gz
// generations (compressed here from their checked-in text).
func filesFixture(t testing.TB) string {
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
		filesGzip(t, filepath.Join(root, p))
	}
	// a fixed, old mtime, to check that metadata is the original's
	old := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	os.Chtimes(filepath.Join(root, "var/log/auth.log.2.gz"), old, old)
	return root
}

// filesGzip replaces path by path.gz, compressed.
func filesGzip(t testing.TB, path string) {
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

func filesOptions(root string) Options {
	o := DefaultOptions()
	o.Root = root
	o.TimelineBudget = 60 * time.Second
	return o
}

// filesCollect runs sources into a real bundle written to out.
func filesCollect(t testing.TB, out io.Writer, opts Options, names ...string) []bundle.SourceStatus {
	t.Helper()
	_, key, err := bundle.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	w, err := bundle.NewWriter(out, bundle.Options{Key: key, Ephemeral: true, EvidenceID: "files-test", Collector: "files_test"})
	if err != nil {
		t.Fatal(err)
	}
	env := NewEnv(opts, w)
	var srcs []Source
	for _, n := range names {
		s, ok := Lookup(n)
		if !ok {
			t.Fatalf("no source %q", n)
		}
		srcs = append(srcs, s)
	}
	st := Run(context.Background(), env, srcs)
	if _, err := w.Close(bundle.Custody{EvidenceID: "files-test", Sources: st, Errors: env.Errors()}); err != nil {
		t.Fatal(err)
	}
	return st
}

// filesRead reads a bundle back with archive/tar over zstd.
func filesRead(t testing.TB, r io.Reader) *filesBundle {
	t.Helper()
	zr, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(64<<20), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	b := &filesBundle{entries: map[string][]byte{}, byHost: map[string]bundle.EntryRecord{}}
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
	return b
}

func filesCollectRead(t testing.TB, opts Options, names ...string) (*filesBundle, []bundle.SourceStatus) {
	var out bytes.Buffer
	st := filesCollect(t, &out, opts, names...)
	return filesRead(t, &out), st
}

func (b *filesBundle) missing(host string) *bundle.MissingRecord {
	for i, m := range b.manifest.Missing {
		if m.HostPath == host {
			return &b.manifest.Missing[i]
		}
	}
	return nil
}

// filesCheckEntry checks that host path p of the fixture root is in the
// bundle with the file's bytes, hash and metadata.
func filesCheckEntry(t *testing.T, b *filesBundle, root, p string) {
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

// TestFilesFixtureRoot collects every file source from the fixture root and
// finds each artifact in the bundle with the right hash and metadata.
func TestFilesFixtureRoot(t *testing.T) {
	root := filesFixture(t)
	b, st := filesCollectRead(t, filesOptions(root), filesSources...)
	for _, s := range st {
		if s.Status != "ok" && s.Status != "partial" {
			t.Errorf("source %s: %s (%s)", s.Name, s.Status, s.Detail)
		}
	}
	want := []string{
		// logs
		"/var/log/auth.log", "/var/log/auth.log.1", "/var/log/auth.log.2.gz", "/var/log/syslog",
		"/var/log/audit/audit.log", "/var/log/postgresql/postgresql-15-main.log",
		"/var/lib/postgresql/15/main/log/postgresql-2026-11-22.log", // from log_directory in postgresql.conf
		"/var/lib/docker/containers/abc123/abc123-json.log", "/var/lib/docker/containers/abc123/abc123-json.log.1.gz",
		// containers
		"/var/lib/docker/containers/abc123/config.v2.json", "/var/lib/docker/containers/abc123/hostconfig.json",
		// accounts
		"/etc/passwd", "/etc/group", "/etc/sudoers", "/etc/sudoers.d/x", "/etc/ssh/sshd_config",
		"/etc/ssh/sshd_config.d/10-pw.conf", "/home/alice/.bash_history", "/root/.ssh/authorized_keys",
		// exposure
		"/etc/postgresql/15/main/postgresql.conf", "/etc/postgresql/15/main/pg_hba.conf", "/etc/docker/daemon.json",
		"/etc/iptables/rules.v4", "/etc/nftables.conf", "/etc/ufw/ufw.conf", "/etc/hosts", "/etc/resolv.conf",
		// persistence
		"/etc/crontab", "/etc/cron.d/dbcheck", "/var/spool/cron/crontabs/postgres", "/etc/systemd/system/dbhelper.service",
		"/etc/systemd/system/dbhelper.timer", "/home/alice/.config/systemd/user/x.service", "/etc/ld.so.preload",
		"/etc/rc.local", "/etc/profile", "/etc/profile.d/x.sh", "/etc/udev/rules.d/99-x.rules", "/home/alice/.bashrc",
		// packages
		"/var/lib/dpkg/status", "/var/lib/dpkg/info/coreutils.md5sums",
	}
	for _, p := range want {
		filesCheckEntry(t, b, root, p)
	}
	// the .gz is copied raw, not decompressed
	if gz := b.entries[b.byHost["/var/log/auth.log.2.gz"].Name]; len(gz) < 2 || gz[0] != 0x1f || gz[1] != 0x8b {
		t.Errorf("auth.log.2.gz not copied raw")
	}
	if _, ok := b.byHost["/etc/shadow"]; ok {
		t.Errorf("shadow collected without --shadow")
	}
	// every entry in the manifest is in the tar with its hash
	for _, e := range b.manifest.Entries {
		sum := sha256.Sum256(b.entries[e.Name])
		if hex.EncodeToString(sum[:]) != e.SHA256 {
			t.Errorf("entry %s: tar content does not match its recorded hash", e.Name)
		}
	}

	recs := filesTimeline(t, b)
	run, ok := recs["/tmp/run.sh"]
	data, _ := os.ReadFile(filepath.Join(root, "tmp/run.sh"))
	sum := sha256.Sum256(data)
	if !ok || run.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("/tmp/run.sh in the timeline: %+v, want sha256 %x", run, sum)
	}
	if n := recs["/tmp/notes.txt"]; n.Path == "" || n.SHA256 != "" {
		t.Errorf("/tmp/notes.txt: %+v (want recorded, not hashed: not executable)", n)
	}
	if c := recs["/etc/crontab"]; c.Path == "" || c.Mtime.IsZero() || c.Inode == 0 || c.Type != "file" {
		t.Errorf("/etc/crontab in the timeline: %+v", c)
	}
	if _, ok := recs["/etc"]; !ok {
		t.Errorf("the root /etc itself is not recorded")
	}
}

// filesTimeline reads every JSONL part of the file timeline.
func filesTimeline(t testing.TB, b *filesBundle) map[string]filetimeline.Record {
	t.Helper()
	out := map[string]filetimeline.Record{}
	for name, data := range b.entries {
		if !strings.HasPrefix(name, "filetimeline/records-") {
			continue
		}
		rd := filetimeline.NewReader(bytes.NewReader(data))
		for {
			rec, _, _, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, dup := out[rec.Path]; dup {
				t.Errorf("%s recorded twice: the tree was walked twice", rec.Path)
			}
			out[rec.Path] = rec
		}
	}
	if len(out) == 0 {
		t.Fatal("no file timeline records")
	}
	return out
}

// TestFilesHostile: a FIFO named auth.log, a 2 GiB sparse lastlog, a
// symbolic link loop and a link out of the tree are recorded, bounded, and
// nothing hangs.
func TestFilesHostile(t *testing.T) {
	root := filesFixture(t)
	authLog := filepath.Join(root, "var/log/auth.log")
	os.Remove(authLog)
	if err := unix.Mkfifo(authLog, 0o640); err != nil {
		t.Fatal(err)
	}
	// lastlog: 2 GiB of holes with three records (UIDs 0, 1000, 7,000,000)
	ll := filepath.Join(root, "var/log/lastlog")
	f, err := os.Create(ll)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil {
		t.Fatal(err)
	}
	uids := []uint32{0, 1000, 7_000_000}
	for _, uid := range uids {
		rec := make([]byte, utmp.LastlogRecordSize)
		binary.LittleEndian.PutUint32(rec, 1700000000+uid)
		copy(rec[4:], "pts/0")
		copy(rec[36:], "203.0.113.9")
		if _, err := f.WriteAt(rec, int64(uid)*utmp.LastlogRecordSize); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	tmp := filepath.Join(root, "tmp")
	os.Symlink("loop-b", filepath.Join(tmp, "loop-a"))
	os.Symlink("loop-a", filepath.Join(tmp, "loop-b"))
	os.Symlink(".", filepath.Join(tmp, "self"))
	os.Symlink("/etc", filepath.Join(tmp, "out"))             // absolute: out of the tree
	os.Symlink("../../../../../..", filepath.Join(tmp, "up")) // relative, out of the tree
	os.Symlink("/etc/shadow", filepath.Join(root, "etc/cron.d/evil"))
	// an absolute link in an image: under --root it would lead into this
	// machine; the directory through it must not be read.
	outside := filepath.Join(filepath.Dir(root), "outside")
	os.MkdirAll(outside, 0o755)
	os.WriteFile(filepath.Join(outside, "responder-secret"), []byte("not evidence"), 0o644)
	os.Symlink(outside, filepath.Join(root, "etc/cron.weekly"))

	// A hang fails the test run (a panic from the watchdog) well before go test's own timeout.
	watchdog := time.AfterFunc(90*time.Second, func() { panic("TestFilesHostile: collection hung") })
	b, _ := filesCollectRead(t, filesOptions(root), "logs", "persistence", "filetimeline")
	watchdog.Stop()
	if m := b.missing("/var/log/auth.log"); m == nil || !strings.Contains(m.Error, "fifo") || m.Original == nil || m.Original.Type != "fifo" {
		t.Errorf("FIFO auth.log: missing record %+v", m)
	}
	if m := b.missing("/etc/cron.d/evil"); m == nil || m.Original == nil || m.Original.Link != "/etc/shadow" {
		t.Errorf("symlink in cron.d: %+v, want recorded with its target, not followed", m)
	}
	if m := b.missing("/etc/cron.weekly/responder-secret"); m == nil || !strings.Contains(m.Error, "out of --root") {
		t.Errorf("file through a link out of --root: missing record %+v", m)
	}
	for _, e := range b.manifest.Entries {
		if bytes.Contains(b.entries[e.Name], []byte("not evidence")) {
			t.Errorf("entry %s holds a file from outside --root", e.Name)
		}
	}
	rec, ok := b.byHost["/var/log/lastlog"]
	if !ok || rec.Name != utmp.LastlogEntry {
		t.Fatalf("lastlog not collected: %+v %+v", rec, b.missing("/var/log/lastlog"))
	}
	data := b.entries[utmp.LastlogEntry]
	if len(data) != len(uids)*(4+utmp.LastlogRecordSize) || rec.Original.Size != 2<<30 || rec.Truncated {
		t.Fatalf("lastlog: %d bytes (truncated %v, original %d), want %d", len(data), rec.Truncated, rec.Original.Size, len(uids)*(4+utmp.LastlogRecordSize))
	}
	for i, uid := range uids {
		r := data[i*(4+utmp.LastlogRecordSize):]
		if got := binary.LittleEndian.Uint32(r); got != uid || binary.LittleEndian.Uint32(r[4:]) != 1700000000+uid || !bytes.HasPrefix(r[4+36:], []byte("203.0.113.9")) {
			t.Errorf("lastlog record %d: uid %d", i, got)
		}
	}
	recs := filesTimeline(t, b)
	for name, target := range map[string]string{"loop-a": "loop-b", "loop-b": "loop-a", "self": ".", "out": "/etc", "up": "../../../../../.."} {
		r := recs["/tmp/"+name]
		if r.Type != "symlink" || r.Link != target {
			t.Errorf("/tmp/%s: %+v, want a symlink to %s", name, r, target)
		}
	}
	for p := range recs {
		if strings.HasPrefix(p, "/tmp/self/") || strings.HasPrefix(p, "/tmp/out/") || strings.HasPrefix(p, "/tmp/up/") {
			t.Errorf("walk followed a link: %s", p)
		}
	}
	if fi := recs["/var/log/auth.log"]; fi.Path != "" {
		t.Errorf("/var/log is not a timeline root, yet %s was walked", fi.Path)
	}
}

// TestFilesUnreadable collects as nobody (a re-exec of this test binary
// with dropped credentials: as root, DAC is bypassed) from a root holding a
// file only root may read: it is recorded missing with the reason, and the
// rest is collected.
func TestFilesUnreadable(t *testing.T) {
	if os.Getenv("CORDON_FILES_CHILD_OUT") != "" {
		return // this is the child; see TestFilesUnreadableChild
	}
	testenv.NeedRoot(t)
	dir, err := os.MkdirTemp("", "cordon-files-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	root := filepath.Join(dir, "root")
	if err := os.CopyFS(root, os.DirFS("testdata/root")); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			os.Chmod(p, 0o755)
		} else {
			os.Chmod(p, 0o644)
		}
		return nil
	})
	secret := filepath.Join(root, "etc/sudoers.d/secret")
	if err := os.WriteFile(secret, []byte("nobody ALL=(ALL) ALL\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(dir, "out")
	os.Mkdir(outDir, 0o777)
	os.Chmod(outDir, 0o777)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "collector.test")
	exe, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(outDir, "bundle.cordon")
	cmd := exec.Command(bin, "-test.run=^TestFilesUnreadableChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CORDON_FILES_CHILD_OUT="+out, "CORDON_FILES_CHILD_ROOT="+root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Dir = outDir
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child collection: %v\n%s", err, o)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := filesRead(t, f)
	if m := b.missing("/etc/sudoers.d/secret"); m == nil || !strings.Contains(m.Error, "permission denied") || m.Original == nil || m.Original.Mode != 0o600 {
		t.Errorf("unreadable file: missing record %+v, want permission denied with its metadata", m)
	}
	filesCheckEntry(t, b, root, "/etc/sudoers.d/x")
	filesCheckEntry(t, b, root, "/etc/passwd")
}

// TestFilesUnreadableChild is the collection TestFilesUnreadable runs as nobody.
func TestFilesUnreadableChild(t *testing.T) {
	out := os.Getenv("CORDON_FILES_CHILD_OUT")
	if out == "" {
		t.Skip("run by TestFilesUnreadable")
	}
	if os.Geteuid() != 65534 {
		t.Fatalf("child runs as uid %d, want 65534", os.Geteuid())
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	filesCollect(t, f, filesOptions(os.Getenv("CORDON_FILES_CHILD_ROOT")), "accounts")
}

// TestFilesMactime feeds the bodyfile part to mactime (The Sleuth Kit).
func TestFilesMactime(t *testing.T) {
	mactime := testenv.NeedTool(t, "mactime")
	root := filesFixture(t)
	opts := filesOptions(root)
	opts.TimelineRoots = []string{"/tmp"}
	b, _ := filesCollectRead(t, opts, "filetimeline")
	body := b.entries["filetimeline/bodyfile-00001.txt"]
	if len(body) == 0 {
		t.Fatal("no bodyfile part")
	}
	bf := filepath.Join(t.TempDir(), "body")
	os.WriteFile(bf, body, 0o644)
	out, err := exec.Command(mactime, "-b", bf, "-d", "-y").CombinedOutput()
	if err != nil {
		t.Fatalf("mactime: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("/tmp/run.sh")) || !bytes.Contains(out, []byte("-rwxr-xr-x")) {
		t.Errorf("mactime output lacks /tmp/run.sh:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		if _, err := bodyfile.Parse(line); err != nil {
			t.Errorf("bodyfile line %q: %v", line, err)
		}
	}
}

// TestFilesShadowOptIn: /etc/shadow is collected only with --shadow.
func TestFilesShadowOptIn(t *testing.T) {
	root := filesFixture(t)
	opts := filesOptions(root)
	opts.CollectShadow = true
	b, _ := filesCollectRead(t, opts, "accounts")
	filesCheckEntry(t, b, root, "/etc/shadow")
}
