package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/bundletest"
	"github.com/klauspost/compress/zstd"
)

// TestExtractTruncatedBundle cuts a bundle at many points, as a collector
// killed mid-write or a full disk would, and extracts each prefix: every
// signed entry is recovered byte for byte, no partial entry is left on
// disk, the exit code is never 0, and complete entries that no checkpoint
// signs are named on stderr and written only with --include-unsigned.
func TestExtractTruncatedBundle(t *testing.T) {
	_, priv, _ := bundle.GenerateKey()
	var buf bytes.Buffer
	clock := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	w, err := bundle.NewWriter(&buf, bundle.Options{Key: priv, EvidenceID: "cut", Collector: "test",
		CheckpointBytes: 1 << 40, CheckpointInterval: time.Hour, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	add := func(name string, n int) {
		data := make([]byte, n)
		_, _ = rand.Read(data) // incompressible, so zstd emits blocks before the next flush
		want[name] = data
		if _, err := w.AddBytes(bundle.EntryMeta{Name: name, Source: "test"}, data); err != nil {
			t.Fatal(err)
		}
	}
	add("fs/e0", 200<<10)
	add("fs/e1", 200<<10)
	if err := w.Checkpoint(); err != nil { // checkpoint 2 signs e0 and e1
		t.Fatal(err)
	}
	add("fs/e2", 300<<10) // signed only by the last checkpoint and the manifest
	add("fs/e3", 300<<10)
	if _, err := w.Close(bundle.Custody{}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	dir := t.TempDir()
	sawSigned, sawUnsigned := false, false
	for i, cut := 0, 1; cut < len(b); i, cut = i+1, cut+len(b)/37 {
		path := filepath.Join(dir, fmt.Sprintf("cut%d.cordon", i))
		if err := os.WriteFile(path, b[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, fmt.Sprintf("x%d", i))
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"extract", path, "-o", out}, &stdout, &stderr)
		outAll := filepath.Join(dir, fmt.Sprintf("all%d", i))
		var stdoutAll, stderrAll bytes.Buffer
		codeAll := run(context.Background(), []string{"extract", path, "-o", outAll, "--include-unsigned"}, &stdoutAll, &stderrAll)
		if codeAll == exitOK {
			t.Fatalf("cut at %d of %d: extract --include-unsigned exits 0:\n%s", cut, len(b), stdoutAll.String())
		}
		if code == exitOK {
			t.Fatalf("cut at %d of %d: extract exits 0:\n%s", cut, len(b), stdout.String())
		}
		for name, data := range want {
			for _, d := range []string{out, outAll} {
				got, err := os.ReadFile(filepath.Join(d, name))
				if err == nil && !bytes.Equal(got, data) {
					t.Fatalf("cut at %d: %s extracted with %d of %d bytes or altered", cut, name, len(got), len(data))
				}
			}
		}
		rep, _ := bundle.Verify(bytes.NewReader(b[:cut]), bundle.VerifyOptions{})
		if rep.Checkpoints >= 2 {
			sawSigned = true
			for _, name := range []string{"fs/e0", "fs/e1"} {
				if _, err := os.Stat(filepath.Join(out, name)); err != nil {
					t.Fatalf("cut at %d, checkpoint 2 verified, but %s not recovered: %v", cut, name, err)
				}
			}
			if !strings.Contains(stderr.String(), "WARNING: the bundle is") {
				t.Fatalf("cut at %d: no loud warning:\n%s", cut, stderr.String())
			}
		}
		if rep.Checkpoints < 3 {
			if _, err := os.Stat(filepath.Join(out, "fs/e2")); err == nil {
				t.Fatalf("cut at %d: fs/e2 written without a signature and without --include-unsigned", cut)
			}
			if _, err := os.Stat(filepath.Join(outAll, "fs/e2")); err == nil {
				sawUnsigned = true
				for _, e := range []string{stderr.String(), stderrAll.String()} {
					if !strings.Contains(e, "  fs/e2\n") {
						t.Fatalf("cut at %d: fs/e2 complete without a signature but not listed:\n%s", cut, e)
					}
				}
			}
		}
	}
	if !sawSigned || !sawUnsigned {
		t.Fatalf("the cuts never reached the cases under test: signed %v, unsigned-but-complete %v", sawSigned, sawUnsigned)
	}
}

// TestExtractBoundsUnsignedEntries adds to a small bundle an entry no
// signature covers, 256 MiB of zeros that compress to almost nothing: the
// extraction writes no more than the signed records say, and the added
// entry only with --include-unsigned, within --max-entry.
func TestExtractBoundsUnsignedEntries(t *testing.T) {
	const added = 256 << 20
	signed := bundletest.Bytes(t, bundletest.Options{}, bundletest.Entry{Name: "fs/small", Data: []byte("evidence\n")})
	evil := insertEntry(t, signed, "fs/zeros", added)
	dir := t.TempDir()
	path := filepath.Join(dir, "evil.cordon")
	if err := os.WriteFile(path, evil, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, _ := bundle.Verify(bytes.NewReader(evil), bundle.VerifyOptions{})
	var signedBytes int64
	for _, r := range rep.Verified {
		signedBytes += r.Size
	}
	for _, tc := range []struct {
		args      []string
		written   bool
		wantLimit int64
	}{
		{nil, false, signedBytes + 1<<20},
		{[]string{"--include-unsigned", "--max-entry", "1000"}, false, signedBytes + 1<<20},
		{[]string{"--include-unsigned"}, true, signedBytes + added + 1<<20},
	} {
		out := filepath.Join(dir, fmt.Sprintf("x%d", len(tc.args)))
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"extract", path, "-o", out}, tc.args...), &stdout, &stderr)
		if code != exitFailed {
			t.Errorf("%v: exit %d, want %d (the bundle is %s)\n%s", tc.args, code, exitFailed, rep.Status, stderr.String())
		}
		var total int64
		_ = filepath.Walk(out, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				total += fi.Size()
			}
			return nil
		})
		if total > tc.wantLimit {
			t.Errorf("%v: wrote %d bytes, more than %d", tc.args, total, tc.wantLimit)
		}
		_, err := os.Stat(filepath.Join(out, "fs/zeros"))
		if (err == nil) != tc.written {
			t.Errorf("%v: fs/zeros written %v, want %v", tc.args, err == nil, tc.written)
		}
		if got, err := os.ReadFile(filepath.Join(out, "fs/small")); err != nil || string(got) != "evidence\n" {
			t.Errorf("%v: the signed entry: %q %v", tc.args, got, err)
		}
		if !strings.Contains(stderr.String(), "  fs/zeros\n") {
			t.Errorf("%v: the unsigned entry is not listed:\n%s", tc.args, stderr.String())
		}
	}
}

// insertEntry rewrites a bundle's stream with one more tar member of size
// zero bytes before the manifest, as an attacker with the file would.
func insertEntry(t *testing.T, b []byte, name string, size int64) []byte {
	t.Helper()
	dec, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var out bytes.Buffer
	enc, err := zstd.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	tr, tw := tar.NewReader(dec), tar.NewWriter(enc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name == bundle.ManifestName {
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, Typeflag: tar.TypeReg, ModTime: hdr.ModTime}); err != nil {
				t.Fatal(err)
			}
			if _, err := io.CopyN(tw, zeroReader{}, size); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
