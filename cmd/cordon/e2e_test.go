package main

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// TestCollectEverythingThenVerify runs cordon-collect on this machine with
// every source on, packet capture on lo included, then cordon verify and
// cordon extract on its bundle, and checks the extraction with sha256sum
// and minisign, as a user would.
func TestCollectEverythingThenVerify(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedTool(t, "sha256sum")
	testenv.NeedTool(t, "minisign")
	dir := t.TempDir()
	collect := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon-collect")
	cordon := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon")
	bundlePath := filepath.Join(dir, "host.cordon")
	cmd := exec.Command(collect, "-o", bundlePath, "--case", "E2E", "--examiner", "go test",
		"--capture", "lo", "--capture-for", "2s", "--memory", "suspect", "--environ", "--shadow",
		"--timeline-root", "/etc", "--timeline-root", "/tmp", "--reference-time", "@0")
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); err != nil && code != 1 {
		t.Fatalf("cordon-collect: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("bundle SHA-256:")) || !bytes.Contains(out, []byte("key fingerprint:")) {
		t.Fatalf("no custody lines printed:\n%s", out)
	}
	sum := ""
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "bundle" && f[1] == "SHA-256:" {
			sum = f[2]
		}
	}
	v := exec.Command(cordon, "verify", bundlePath, "--sha256", sum)
	vout, err := v.CombinedOutput()
	if err != nil || !bytes.Contains(vout, []byte("status:      intact")) {
		t.Fatalf("cordon verify: %v\n%s", err, vout)
	}
	// every registered source ran or said why not
	for _, src := range []string{"capture", "processes", "sockets", "memory", "logs", "filetimeline"} {
		if !bytes.Contains(out, []byte(src)) {
			t.Errorf("source %s not reported:\n%s", src, out)
		}
	}
	x := filepath.Join(dir, "x")
	if b, err := exec.Command(cordon, "extract", bundlePath, "-o", x).CombinedOutput(); err != nil {
		t.Fatalf("cordon extract: %v\n%s", err, b)
	}
	c := exec.Command("sha256sum", "-c", "--quiet", "SHA256SUMS")
	c.Dir = x
	if b, err := c.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, b)
	}
	if b, err := exec.Command("minisign", "-Vm", filepath.Join(x, "manifest.json"), "-p", filepath.Join(x, "cordon/cordon.pub")).CombinedOutput(); err != nil {
		t.Fatalf("minisign: %v\n%s", err, b)
	}
	// a second extraction into the same directory refuses to overwrite
	if b, err := exec.Command(cordon, "extract", bundlePath, "-o", x).CombinedOutput(); err == nil {
		t.Fatalf("extract overwrote an existing directory:\n%s", b)
	}
}

// TestExtractRefusesTarSlip: members named ../ or absolute, links and
// devices never reach the disk.
func TestExtractRefusesTarSlip(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range []*tar.Header{
		{Typeflag: tar.TypeReg, Name: "../escaped", Size: 1, Mode: 0o644},
		{Typeflag: tar.TypeReg, Name: "/tmp/absolute-escaped", Size: 1, Mode: 0o644},
		{Typeflag: tar.TypeSymlink, Name: "link", Linkname: "/"},
		{Typeflag: tar.TypeReg, Name: "link/etc-escaped", Size: 1, Mode: 0o644},
	} {
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write([]byte("x"))
		}
	}
	tw.Close()
	zw.Close()
	evil := filepath.Join(dir, "evil.cordon")
	os.WriteFile(evil, buf.Bytes(), 0o600)
	out := filepath.Join(dir, "sub", "out")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"extract", evil, "-o", out}, &stdout, &stderr)
	if code == exitOK {
		t.Fatalf("extract of a hostile bundle succeeded:\n%s", stdout.String())
	}
	for _, p := range []string{filepath.Join(dir, "sub", "escaped"), "/tmp/absolute-escaped", "/etc-escaped"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	// "link/etc-escaped" is a valid name: it may land inside DIR, under a
	// real directory, never through the symbolic link the bundle declared.
	if fi, err := os.Lstat(filepath.Join(out, "link")); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("a symbolic link was written")
	}
	if !strings.Contains(stdout.String(), "unsafe-member") {
		t.Errorf("no unsafe-member problem reported:\n%s", stdout.String())
	}
}
