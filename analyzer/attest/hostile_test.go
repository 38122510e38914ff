package attest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

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

	bundlePath := filepath.Join(dir, "hostile.cordon")
	f, _ := os.Create(bundlePath)
	_, priv, _ := bundle.GenerateKey()
	w, err := bundle.NewWriter(f, bundle.Options{Key: priv, Ephemeral: true, EvidenceID: "hostile", Collector: "test"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r1, _ := w.AddBytes(bundle.EntryMeta{Name: "proc/1/exe"}, damaged)
	r2, _ := w.AddBytes(bundle.EntryMeta{Name: "proc/2/exe"}, []byte("#!/bin/sh\necho not elf\n"))
	var idx bytes.Buffer
	enc := json.NewEncoder(&idx)
	enc.Encode(snapshot.Executable{PID: 1, Kind: "exe", Link: "/tmp/\x1b]0;pwn\x07/app (deleted)", Entry: r1.Name, SHA256: r1.SHA256, Size: r1.Size, ObservedAt: now})
	enc.Encode(snapshot.Executable{PID: 2, Kind: "exe", Link: "/tmp/tool", Entry: r2.Name, SHA256: r2.SHA256, Size: r2.Size, ObservedAt: now})
	w.AddBytes(bundle.EntryMeta{Name: snapshot.ExecutablesEntry}, idx.Bytes())
	if _, err := w.Close(bundle.Custody{EvidenceID: "hostile"}); err != nil {
		t.Fatal(err)
	}
	f.Close()

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
