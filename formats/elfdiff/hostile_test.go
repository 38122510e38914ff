package elfdiff

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"testing"
)

func seed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sectionHeader returns the offset of the section header named name in
// an ELF64 little-endian file.
func sectionHeader(t *testing.T, b []byte, name string) int {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	shoff := int(binary.LittleEndian.Uint64(b[40:]))
	for i, s := range f.Sections {
		if s.Name == name {
			return shoff + 64*i
		}
	}
	t.Fatalf("no section %s", name)
	return 0
}

// TestHostileHeaders: tables that claim more than the file holds are
// refused or noted, never followed, and never panic.
func TestHostileHeaders(t *testing.T) {
	base := seed(t, "tampered.elf")
	le := binary.LittleEndian
	cases := []struct {
		name    string
		mutate  func(b []byte) []byte
		wantErr bool
		warn    string // a warning that must be recorded ("" none needed)
	}{
		{"section count past the file", func(b []byte) []byte { le.PutUint16(b[60:], 0xfffe); return b }, true, ""},
		{"section headers past the end", func(b []byte) []byte { le.PutUint64(b[40:], 1<<40); return b }, true, ""},
		{"program headers past the end", func(b []byte) []byte { le.PutUint16(b[56:], 0xffff); return b }, true, ""},
		{"cut at 2000 bytes", func(b []byte) []byte { return b[:2000] }, true, ""},
		{"symbol table of a terabyte", func(b []byte) []byte {
			le.PutUint64(b[sectionHeader(t, b, ".symtab")+32:], 1<<40)
			return b
		}, false, ".symtab"},
		{"dynamic section past the end", func(b []byte) []byte {
			le.PutUint64(b[sectionHeader(t, b, ".dynamic")+24:], 1<<50)
			return b
		}, false, ".dynamic"},
		{"init_array of a terabyte", func(b []byte) []byte {
			le.PutUint64(b[sectionHeader(t, b, ".init_array")+32:], 1<<40)
			return b
		}, false, ".init_array"},
		{"not ELF", func(b []byte) []byte { return []byte("#!/bin/sh\necho hi\n") }, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.mutate(bytes.Clone(base))
			f, err := Parse(bytes.NewReader(b), int64(len(b)), Limits{})
			if c.wantErr {
				if err == nil {
					t.Fatalf("parsed: %+v", f.Warnings)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			found := c.warn == ""
			for _, w := range f.Warnings {
				if bytes.Contains([]byte(w), []byte(c.warn)) {
					found = true
				}
			}
			if !found {
				t.Errorf("no warning about %s: %q", c.warn, f.Warnings)
			}
			tr, err := Parse(bytes.NewReader(seed(t, "trusted.elf")), int64(len(seed(t, "trusted.elf"))), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			_ = Compare(tr, f)
		})
	}
}

// TestSelfCompare: a file against itself is identical throughout.
func TestSelfCompare(t *testing.T) {
	for _, name := range []string{"trusted.elf", "tampered-stripped.elf", "lib.so"} {
		b := seed(t, name)
		f, err := Parse(bytes.NewReader(b), int64(len(b)), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		d := Compare(f, f)
		if !d.Identical || len(d.Injected()) > 0 || len(d.Pointers) > 0 || len(d.Sections) > 0 || d.FunctionCounts.Identical != len(findFns(d)) {
			t.Errorf("%s: %s", name, d.Summary())
		}
	}
}

func findFns(d *Diff) []RegionChange { return d.Functions }
