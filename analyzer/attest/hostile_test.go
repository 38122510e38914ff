package attest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/bundletest"
)

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestHostileBundle: a bundle whose recovered executable is a damaged ELF
// (a section count past the file) and whose record names it with terminal
// escapes, and a second one that is not ELF at all: attest reports both,
// with the reason, and does not fail.
func TestHostileBundle(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("../../formats/elfdiff/testdata/tampered.elf")
	if err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Clone(good)
	binary.LittleEndian.PutUint16(damaged[60:], 0xfffe)
	trustedDir := filepath.Join(dir, "trusted")
	os.MkdirAll(trustedDir, 0o755)
	trusted, _ := os.ReadFile("../../formats/elfdiff/testdata/trusted.elf")
	os.WriteFile(filepath.Join(trustedDir, "app"), trusted, 0o755)
	os.WriteFile(filepath.Join(trustedDir, "tool"), trusted, 0o755)

	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var idx bytes.Buffer
	enc := json.NewEncoder(&idx)
	enc.Encode(snapshot.Executable{PID: 1, Kind: "exe", Link: "/tmp/\x1b]0;pwn\x07/app (deleted)", Entry: "proc/1/exe", SHA256: sum(damaged), Size: int64(len(damaged)), ObservedAt: now})
	notELF := []byte("#!/bin/sh\necho not elf\n")
	enc.Encode(snapshot.Executable{PID: 2, Kind: "exe", Link: "/tmp/tool", Entry: "proc/2/exe", SHA256: sum(notELF), Size: int64(len(notELF)), ObservedAt: now})
	bundlePath := bundletest.Write(t, dir, "hostile.cordon", bundletest.Options{Host: "hostile"},
		bundletest.Entry{Name: "proc/1/exe", Data: damaged, Source: "executables"},
		bundletest.Entry{Name: "proc/2/exe", Data: notELF, Source: "executables"},
		bundletest.Entry{Name: snapshot.ExecutablesEntry, Data: idx.Bytes(), Source: "executables"})

	res, err := Run(context.Background(), Options{Bundles: []string{bundlePath}, Trusted: []string{trustedDir}, TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if len(res.Items) != 2 {
		t.Fatalf("items %+v", res.Items)
	}
	for _, it := range res.Items {
		if it.Verdict != VerdictDiffers || it.Diff != nil || !strings.Contains(it.Note, "no ELF diff") {
			t.Errorf("%q: %s, %q", it.Path, it.Verdict, it.Note)
		}
	}
	if len(res.Findings) == 0 || res.Findings[0].RuleID != RuleDiffers {
		t.Errorf("findings %+v", res.Findings)
	}
}

// TestCancelledRunLeavesNothing: a run cancelled before it starts fails
// with the context's error and leaves no temporary directory.
func TestCancelledRunLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	trusted := filepath.Join(dir, "t")
	os.WriteFile(trusted, []byte("x"), 0o644)
	b := bundletest.Write(t, dir, "b.cordon", bundletest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o755)
	if _, err := Run(ctx, Options{Bundles: []string{b}, Trusted: []string{trusted}, TempDir: tmp}); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
