package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// TestVanishedBudget reads a fixture /proc whose PID 777 is listed but gone
// (no stat), and whose PID 888 changes start time at every read (a PID
// reused again and again, as on a host churning processes). Each PID is
// read within its budget (777 once, 888 at most procReadAttempts times),
// the vanished PID is counted and never handed to later sources.
func TestVanishedBudget(t *testing.T) {
	proc := t.TempDir()
	stat := func(pid int, start int) string {
		return fmt.Sprintf("%d (churn) S 1 %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %d 1000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n", pid, pid, pid, start)
	}
	mk := func(pid int) string {
		d := filepath.Join(proc, strconv.Itoa(pid))
		os.MkdirAll(filepath.Join(d, "fd"), 0o755)
		os.MkdirAll(filepath.Join(d, "ns"), 0o755)
		os.WriteFile(filepath.Join(d, "status"), []byte("Tgid:\t"+strconv.Itoa(pid)+"\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"), 0o644)
		os.WriteFile(filepath.Join(d, "cmdline"), []byte("churn\x00"), 0o644)
		os.Symlink("/usr/bin/churn", filepath.Join(d, "exe"))
		return d
	}
	mk(777) // listed, but its stat is gone
	d888 := mk(888)
	os.WriteFile(filepath.Join(d888, "stat"), []byte(stat(888, 100)), 0o644)
	d999 := mk(999)
	os.WriteFile(filepath.Join(d999, "stat"), []byte(stat(999, 50)), 0o644)

	var mu sync.Mutex
	reads := map[int]int{}
	env := NewEnv(testOptions(), &memSink{})
	env.ProcRoot = proc
	env.shared.trace = func(op string, pid int) {
		mu.Lock()
		defer mu.Unlock()
		reads[pid]++
		if pid == 888 { // a new process under the same PID before each read
			os.WriteFile(filepath.Join(d888, "stat"), []byte(stat(888, 100+reads[pid])), 0o644)
		}
	}
	pass := env.volatilePass(context.Background())
	if pass.Err != nil {
		t.Fatal(pass.Err)
	}
	if reads[777] != 1 {
		t.Errorf("vanished PID 777 read %d times, want once", reads[777])
	}
	if reads[888] > 2*procReadAttempts {
		t.Errorf("reused PID 888 read %d times, want at most %d", reads[888], 2*procReadAttempts)
	}
	if reads[999] != 2 {
		t.Errorf("steady PID 999: %d stat reads, want 2 (before and after its fields)", reads[999])
	}
	s := pass.Summary
	if s.Listed != 3 || s.Vanished != 1 || s.Reused != 1 {
		t.Errorf("summary %+v: want 3 listed, 1 vanished, 1 reused", s)
	}
	status := map[int]string{}
	for _, p := range pass.Procs {
		status[p.PID] = p.Status
	}
	if status[777] != snapshot.StatusVanished || status[888] != snapshot.StatusReused || status[999] != snapshot.StatusOK {
		t.Errorf("statuses %v", status)
	}
	for _, id := range pass.identities() {
		if id.PID == 777 {
			t.Errorf("the vanished PID is handed to later sources")
		}
	}
}

// TestMaskedPID bind-mounts an empty directory over /proc/PID of a helper,
// as a rootkit hides a process from ps: the summary names it.
func TestMaskedPID(t *testing.T) {
	testenv.NeedRoot(t)
	helper := helperBinary(t)
	cmd, _ := startReady(t, helper, "marker", "masked")
	target := "/proc/" + strconv.Itoa(cmd.Process.Pid)
	empty := t.TempDir()
	if err := unix.Mount(empty, target, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind mount over %s: %v", target, err)
	}
	t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
	b := collect(t, testOptions(), "processes")
	var sum snapshot.ProcessSummary
	if err := json.Unmarshal(b.entries[snapshot.ProcessSummaryEntry], &sum); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range sum.MaskedPIDs {
		found = found || m.PID == cmd.Process.Pid
	}
	if !found {
		t.Errorf("the masked PID %d is not in the summary: %+v", cmd.Process.Pid, sum.MaskedPIDs)
	}
	if s := sourceStatus(t, b, "processes"); s.Errors == 0 {
		t.Errorf("no error recorded for a masked PID: %+v", s)
	}
}

// TestFirstPassOrder: the process list and the socket tables are read in
// one pass, the tables right after the processes' descriptors, and the
// expensive reads (copies, memory) only after it.
func TestFirstPassOrder(t *testing.T) {
	testenv.NeedRoot(t)
	helper := helperBinary(t)
	cmd, _ := startReady(t, helper, "listen", "tcp", "127.0.0.1:0")
	opts := testOptions()
	opts.TargetPIDs = []int{cmd.Process.Pid}
	b := collect(t, opts, "processes", "sockets", "executables", "memory")
	var sum snapshot.ProcessSummary
	if err := json.Unmarshal(b.entries[snapshot.ProcessSummaryEntry], &sum); err != nil {
		t.Fatal(err)
	}
	tables, expensive := 0, 0
	for _, e := range b.manifest.Entries {
		switch {
		case strings.HasPrefix(e.Name, "net/ns/"):
			tables++
			if e.ReadAt.Before(sum.Started) || e.ReadAt.After(sum.Finished) {
				t.Errorf("%s read at %v, outside the first pass %v–%v", e.Name, e.ReadAt, sum.Started, sum.Finished)
			}
		case e.Source == "executables" || e.Source == "memory":
			expensive++
			if e.ReadAt.Before(sum.Finished) {
				t.Errorf("%s read at %v, before the first pass ended at %v", e.Name, e.ReadAt, sum.Finished)
			}
		}
	}
	if tables == 0 || expensive == 0 {
		t.Fatalf("%d socket tables, %d copies", tables, expensive)
	}
}
