package elfdiff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

// The program of the scenario's pipeline, built twice from the same
// source: once clean, once with an object the compromised build step adds
// (a function called from a constructor) and a DT_NEEDED on a library.
const (
	progC = `#include <stdio.h>
#include <stdlib.h>
static int add(int a, int b) { return a + b; }
int compute(int n) { int s = 0; for (int i = 0; i < n; i++) s = add(s, i); return s; }
int main(int argc, char **argv) {
	printf("sum %d\n", compute(argc > 1 ? atoi(argv[1]) : 10));
	return 0;
}
`
	injectC = `#include <stdio.h>
extern void beacon_init(const char *who);
void injected_payload(void) { beacon_init("payload"); fputs("", stderr); }
__attribute__((constructor)) static void injected_ctor(void) { injected_payload(); }
`
	beaconC = `#include <stdio.h>
void beacon_init(const char *who) { fprintf(stderr, "beacon %s\n", who); }
`
)

type builds struct {
	dir, trusted, tampered, lib string
}

func gccBuild(t *testing.T, extraFlags ...string) builds {
	t.Helper()
	gcc := testenv.NeedTool(t, "gcc")
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("prog.c", progC)
	write("inject.c", injectC)
	write("beacon.c", beaconC)
	run := func(args ...string) {
		t.Helper()
		c := exec.Command(gcc, args...)
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("-O1", "-shared", "-fPIC", "-o", "libbeacon.so", "beacon.c")
	run(append([]string{"-O1", "-o", "trusted", "prog.c"}, extraFlags...)...)
	run(append([]string{"-O1", "-o", "tampered", "prog.c", "inject.c", "-L.", "-lbeacon", "-Wl,-rpath," + dir}, extraFlags...)...)
	return builds{dir: dir, trusted: filepath.Join(dir, "trusted"), tampered: filepath.Join(dir, "tampered"), lib: filepath.Join(dir, "libbeacon.so")}
}

func parseFile(t *testing.T, path string) *File {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	f, err := Parse(fh, st.Size(), Limits{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

func findRegion(rs []RegionChange, name string) *RegionChange {
	for i := range rs {
		if rs[i].Name == name {
			return &rs[i]
		}
	}
	return nil
}

// TestInjectedBuild: the diff names the injected function, the
// constructor that calls it, the added library and RUNPATH, and calls the
// untouched functions unchanged although every address behind them moved.
func TestInjectedBuild(t *testing.T) {
	b := gccBuild(t)
	tr, ta := parseFile(t, b.trusted), parseFile(t, b.tampered)
	d := Compare(tr, ta)
	t.Logf("%s", d.Summary())
	if d.Identical {
		t.Fatal("identical")
	}
	if len(d.NeededAdded) != 1 || d.NeededAdded[0] != "libbeacon.so" {
		t.Errorf("needed added %v", d.NeededAdded)
	}
	var runpath bool
	for _, f := range d.Facts {
		if f.Fact == "runpath" && f.Suspect == b.dir {
			runpath = true
		}
	}
	if !runpath {
		t.Errorf("facts %+v: no runpath change", d.Facts)
	}
	var ctor bool
	for _, p := range d.Pointers {
		if p.Table == "init_array" && p.Status == Added && p.Suspect != nil && p.Suspect.Symbol == "injected_ctor" {
			ctor = true
		}
	}
	if !ctor {
		t.Errorf("pointers %+v: no added init_array entry naming injected_ctor", d.Pointers)
	}
	for _, name := range []string{"injected_payload", "injected_ctor"} {
		if r := findRegion(d.Functions, name); r == nil || r.Status != Added {
			t.Errorf("%s: %+v, want added", name, r)
		}
	}
	for _, name := range []string{"main", "compute", "_start"} {
		r := findRegion(d.Functions, name)
		if r == nil || (r.Status != Identical && r.Status != Moved) {
			t.Errorf("%s: %+v, want unchanged", name, r)
		}
	}
	if d.FunctionCounts.Changed != 0 {
		t.Errorf("changed functions: %+v", d.Injected())
	}
}

// TestInjectedBuildStripped: with both builds stripped there are no
// function names, yet the changed byte ranges still cover the injected
// function and the added constructor, and nothing else of .text.
func TestInjectedBuildStripped(t *testing.T) {
	b := gccBuild(t)
	strip := testenv.NeedTool(t, "strip")
	full := parseFile(t, b.tampered) // the addresses the names had
	var payload, ctor Function
	for _, f := range full.Functions {
		switch f.Name {
		case "injected_payload":
			payload = f
		case "injected_ctor":
			ctor = f
		}
	}
	for _, p := range []string{b.trusted, b.tampered} {
		if out, err := exec.Command(strip, "--strip-all", p).CombinedOutput(); err != nil {
			t.Fatalf("strip: %v\n%s", err, out)
		}
	}
	tr, ta := parseFile(t, b.trusted), parseFile(t, b.tampered)
	if !tr.Stripped || !ta.Stripped {
		t.Fatal("not stripped")
	}
	d := Compare(tr, ta)
	t.Logf("%s", d.Summary())
	if d.Mode != "anchors" {
		t.Errorf("mode %q", d.Mode)
	}
	covered := func(f Function) bool {
		for _, r := range d.Injected() {
			for _, c := range r.ChangedSuspect {
				if c.Start <= f.Addr && f.Addr+f.Size <= c.End {
					return true
				}
			}
		}
		return false
	}
	if !covered(payload) || !covered(ctor) {
		t.Errorf("changed ranges %+v do not cover injected_payload %+v and injected_ctor %+v", d.Injected(), payload, ctor)
	}
	var text uint64
	for _, r := range d.Injected() {
		if r.Section == ".text" {
			for _, c := range r.ChangedSuspect {
				text += c.End - c.Start
			}
		}
	}
	// The injected code plus alignment padding, not the whole of .text.
	if limit := payload.Size + ctor.Size + 64; text > limit {
		t.Errorf("%d bytes of .text reported changed, want at most %d: %+v", text, limit, d.Injected())
	}
}
