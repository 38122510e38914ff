package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// TestExtractTruncatedBundle cuts a bundle at many points, as a collector
// killed mid-write or a full disk would, and extracts each prefix: every
// complete entry is recovered byte for byte, no partial entry is left on
// disk, the exit code is never 0, and entries that no checkpoint signs are
// named on stderr.
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
		code := run([]string{"extract", path, "-o", out}, &stdout, &stderr)
		if code == exitOK {
			t.Fatalf("cut at %d of %d: extract exits 0:\n%s", cut, len(b), stdout.String())
		}
		for name, data := range want {
			got, err := os.ReadFile(filepath.Join(out, name))
			if err == nil && !bytes.Equal(got, data) {
				t.Fatalf("cut at %d: %s extracted with %d of %d bytes or altered", cut, name, len(got), len(data))
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
			if !strings.Contains(stderr.String(), "NOT covered by a verified signature") {
				t.Fatalf("cut at %d: no loud warning:\n%s", cut, stderr.String())
			}
		}
		if _, err := os.Stat(filepath.Join(out, "fs/e2")); err == nil && rep.Checkpoints < 3 {
			sawUnsigned = true
			if !strings.Contains(stderr.String(), "  fs/e2\n") {
				t.Fatalf("cut at %d: fs/e2 recovered without a signature but not listed:\n%s", cut, stderr.String())
			}
		}
	}
	if !sawSigned || !sawUnsigned {
		t.Fatalf("the cuts never reached the cases under test: signed %v, unsigned-but-complete %v", sawSigned, sawUnsigned)
	}
}
