package collector

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// TestProcessFiles: every running executable is hashed (one file once,
// whoever runs it), a deleted binary through /proc/PID/exe, and a deleted
// file a process keeps mapped is listed from map_files and copied.
func TestProcessFiles(t *testing.T) {
	testenv.NeedRoot(t) // map_files needs CAP_SYS_ADMIN
	helper := helperBinary(t)
	orig, err := os.ReadFile(helper)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "kworkerd")
	if err := os.WriteFile(bin, orig, 0o755); err != nil {
		t.Fatal(err)
	}
	a, _ := startReady(t, bin, "marker", "a")
	b, _ := startReady(t, bin, "marker", "b")
	os.Remove(bin)
	mapped := filepath.Join(t.TempDir(), "libhide.so")
	text := "preloaded and removed " + randomMarker(t)
	m, _ := startReady(t, helper, "mapdel", mapped, text)

	bnd := collect(t, testOptions(), "processes", "process-files")
	if s := sourceStatus(t, bnd, "process-files"); s.Status == bundle.SourceError || s.Status == bundle.SourceTimeout {
		t.Fatalf("process-files: %+v", s)
	}
	want := sha256.Sum256(orig)
	hashes := jsonl[snapshot.ExeHash](t, bnd, snapshot.ExeHashesEntry)
	byPID := map[int]snapshot.ExeHash{}
	for _, h := range hashes {
		byPID[h.PID] = h
	}
	ha, hb := byPID[a.Process.Pid], byPID[b.Process.Pid]
	if ha.SHA256 != hex.EncodeToString(want[:]) || hb.SHA256 != ha.SHA256 || !strings.HasSuffix(ha.Exe, " (deleted)") {
		t.Errorf("deleted binary: %+v / %+v, want sha256 %x", ha, hb, want)
	}
	if (ha.SameAsPID == 0) == (hb.SameAsPID == 0) {
		t.Errorf("the same file was hashed twice or not at all: %+v / %+v", ha, hb)
	}
	self, _ := os.ReadFile("/proc/self/exe")
	ws := sha256.Sum256(self)
	if h := byPID[os.Getpid()]; h.PID == 0 {
		// The collector's own process is left out of the identities.
	} else if h.SHA256 != hex.EncodeToString(ws[:]) {
		t.Errorf("own exe: %+v", h)
	}
	// Every process, not only the suspect ones: each that the process
	// list gives an executable has its hash (or was the same file as one).
	for _, pr := range jsonl[snapshot.Process](t, bnd, snapshot.ProcessesEntry) {
		if pr.Exe == "" || pr.KernelThread || pr.Status != snapshot.StatusOK || pr.PID == os.Getpid() {
			continue
		}
		if _, ok := byPID[pr.PID]; !ok {
			t.Errorf("process %d (%s) is not hashed", pr.PID, pr.Exe)
		}
	}
	maps := jsonl[snapshot.MappedFile](t, bnd, snapshot.MapFilesEntry)
	found, ownExe := false, false
	for _, r := range maps {
		if r.PID == a.Process.Pid && r.Target == ha.Exe {
			ownExe = r.Executable && r.Deleted
		}
		if r.Executable && r.Target != byPID[r.PID].Exe && byPID[r.PID].Exe != "" {
			t.Errorf("%+v is marked as its process's executable, which is %q", r, byPID[r.PID].Exe)
		}
		if r.PID == m.Process.Pid && r.Deleted && strings.HasPrefix(r.Target, mapped) {
			found = true
			if got := string(bnd.entries[r.Entry]); got != text {
				t.Errorf("deleted mapped file copied as %q (%+v), want %q", got, r, text)
			}
		}
	}
	if !found {
		t.Errorf("the deleted mapped file of %d is not listed", m.Process.Pid)
	}
	if !ownExe {
		t.Errorf("the deleted executable %q of %d is not listed as its own mapped executable", ha.Exe, a.Process.Pid)
	}
}
