package collector

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// TestSweep plants each kind of file the sweep looks for in a fixture root,
// beside files that must not be recorded; the capabilities are set with
// setcap(8) and must read as getcap(8) prints them.
func TestSweep(t *testing.T) {
	testenv.NeedRoot(t) // chown to unknown ids, setcap
	setcap := testenv.NeedTool(t, "setcap")
	getcap := testenv.NeedTool(t, "getcap")
	root := fixtureRoot(t)
	mk := func(p string, mode os.FileMode) string {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte("#!/bin/sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := unix.Chmod(full, uint32(mode)); err != nil { // os.Chmod would drop the 07000 bits
			t.Fatal(err)
		}
		return full
	}
	mk("usr/bin/passwd-like", 0o4755)
	mk("usr/bin/wall-like", 0o2755)
	mk("usr/bin/plain", 0o755)
	mk("usr/lib/ww.so", 0o666)
	mk("tmp/ww-in-tmp", 0o666) // world-writable outside the system directories: not a finding
	os.MkdirAll(filepath.Join(root, "var/lib/open"), 0o777)
	os.Chmod(filepath.Join(root, "var/lib/open"), 0o777)
	os.MkdirAll(filepath.Join(root, "var/lib/sticky"), 0o777)
	unix.Chmod(filepath.Join(root, "var/lib/sticky"), 0o1777)
	capped := mk("usr/sbin/pinger", 0o755)
	if out, err := exec.Command(setcap, "cap_net_raw,cap_net_admin+ep", capped).CombinedOutput(); err != nil {
		t.Fatalf("setcap: %v %s", err, out)
	}
	owned := mk("opt/app/orphan", 0o644)
	os.Chown(owned, 54321, 54321)
	mk("tmp/.X11-cache", 0o755)
	locked := mk("etc/cron.d/locked", 0o644)
	chattr := testenv.NeedTool(t, "chattr")
	if out, err := exec.Command(chattr, "+i", locked).CombinedOutput(); err != nil {
		t.Fatalf("chattr +i: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command(chattr, "-i", locked).Run() })
	os.MkdirAll(filepath.Join(root, "home/alice/.hidden-dir"), 0o755)
	mk("home/alice/notes.txt", 0o644)

	b := collect(t, rootOptions(root), "sweep")
	if s := sourceStatus(t, b, "sweep"); s.Status != "ok" {
		t.Fatalf("sweep: %+v", s)
	}
	got := map[string]filetimeline.SweepRecord{}
	for _, r := range jsonl[filetimeline.SweepRecord](t, b, filetimeline.SweepEntry) {
		got[r.Path] = r
	}
	want := map[string][]string{
		"/usr/bin/passwd-like":    {filetimeline.ReasonSUID},
		"/usr/bin/wall-like":      {filetimeline.ReasonSGID},
		"/usr/lib/ww.so":          {filetimeline.ReasonWorldWritable},
		"/var/lib/open":           {filetimeline.ReasonWorldWritable},
		"/usr/sbin/pinger":        {filetimeline.ReasonCapabilities},
		"/opt/app/orphan":         {filetimeline.ReasonNoUser, filetimeline.ReasonNoGroup},
		"/tmp/.X11-cache":         {filetimeline.ReasonHidden},
		"/home/alice/.hidden-dir": {filetimeline.ReasonHidden},
		"/etc/cron.d/locked":      {filetimeline.ReasonImmutable},
	}
	for p, reasons := range want {
		r, ok := got[p]
		if !ok || !slices.Equal(r.Reasons, reasons) {
			t.Errorf("%s: %+v, want reasons %v", p, r, reasons)
		}
	}
	for _, p := range []string{"/usr/bin/plain", "/tmp/ww-in-tmp", "/var/lib/sticky", "/home/alice/notes.txt"} {
		if r, ok := got[p]; ok {
			t.Errorf("%s recorded: %+v", p, r)
		}
	}
	out, err := exec.Command(getcap, capped).Output()
	if err != nil {
		t.Fatal(err)
	}
	if gc := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), capped)); got["/usr/sbin/pinger"].Capabilities != gc {
		t.Errorf("capabilities %q, getcap says %q", got["/usr/sbin/pinger"].Capabilities, gc)
	}
}
