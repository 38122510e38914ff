package collector

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// BenchmarkLoadedHost measures a collection of a host with 1,000 processes
// (and one suspect process of 256 MiB whose binary and memory are dumped),
// idle and then with two CPU-burning processes per core running, each in a
// session of its own as a miner started by cron or systemd is. It reports
// the snapshot's time (the sum of the volatile sources issue 12 names:
// network state, processes, sockets, executables, memory, hidden PIDs,
// host facts), the whole volatile phase's (a child running every volatile
// source) and a whole default collection's, idle and loaded, and the ratios; every
// source must end without a timeout or an error. Each collection runs in
// a child process with the collector's defaults (normal priority for the
// volatile phase, nice 19 and idle I/O after it).
//
// CORDON_BENCH_BURNERS=session starts the burners in the benchmark's own
// session instead: with the kernel's autogroup scheduling (on by default
// in Debian's kernels), nice only weighs within a session, so that is the
// case where a niced collector starves. CORDON_BENCH_ONLY=volatile skips
// the whole default collections. CORDON_BENCH_NICE_FIRST=1 lowers the
// children's priority before they start, as the collector did before
// its volatile phase ran at normal priority (priority is never raised, so
// the whole collection then runs niced): the comparison.
func BenchmarkLoadedHost(b *testing.B) {
	testenv.NeedRoot(b)
	sleep := testenv.NeedTool(b, "sleep")
	helper := helperBinary(b)
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "kdevtmpfsi")
	data, _ := os.ReadFile(helper)
	os.WriteFile(bin, data, 0o755)
	suspect, _ := startReady(b, bin, "alloc", "256")
	os.Remove(bin)
	var cmds []*exec.Cmd
	defer func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	}()
	for i := 0; i < 1000; i++ {
		c := exec.Command(sleep, "3600")
		if err := c.Start(); err != nil {
			b.Fatalf("starting sleeper %d: %v", i, err)
		}
		cmds = append(cmds, c)
	}
	// snapshotSources are the volatile sources issue 12 names: the
	// snapshot's time is the sum of theirs (process-files' hashing and
	// kernel are in the volatile phase too, and in the phase's time).
	snapshotSources := map[string]bool{"netstate": true, "processes": true, "sockets": true, "executables": true, "memory": true, "hidden-pids": true, "hostinfo": true}
	var snapshot time.Duration
	run := func(kind string) time.Duration {
		snapshot = 0
		c := exec.Command(self, "-test.run=^TestCollectionChild$", "-test.count=1", "-test.v")
		c.Env = append(os.Environ(), "CORDON_COLLECTION_CHILD="+kind, "CORDON_COLLECTION_CHILD_PIDS="+strconv.Itoa(suspect.Process.Pid))
		t0 := time.Now()
		out, err := c.CombinedOutput()
		took := time.Since(t0)
		if err != nil {
			b.Fatalf("%s collection: %v\n%s", kind, err, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if i := strings.Index(l, "status "); i >= 0 {
				b.Logf("%s: %s", kind, strings.TrimSpace(l))
				f := strings.Fields(l[i:])
				if len(f) >= 4 && snapshotSources[f[1]] {
					if d, err := time.ParseDuration(f[3]); err == nil {
						snapshot += d
					}
				}
			}
		}
		return took
	}
	onlyVolatile := os.Getenv("CORDON_BENCH_ONLY") == "volatile"
	runAll := func() time.Duration {
		if onlyVolatile {
			return time.Second
		}
		return run("default")
	}
	for i := 0; i < b.N; i++ {
		idleVol := run("volatile")
		idleSnap := snapshot
		idleAll := runAll()
		burners := 2 * runtime.NumCPU()
		var bcmds []*exec.Cmd
		for j := 0; j < burners; j++ {
			c := exec.Command(helper, "burn", "1")
			if os.Getenv("CORDON_BENCH_BURNERS") != "session" {
				c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			}
			bc, _ := startCmdReady(b, c)
			bcmds = append(bcmds, bc)
		}
		loadedVol := run("volatile")
		loadedSnap := snapshot
		loadedAll := runAll()
		for _, c := range bcmds {
			c.Process.Kill()
			c.Wait()
		}
		b.ReportMetric(idleSnap.Seconds(), "idle-snapshot-s")
		b.ReportMetric(loadedSnap.Seconds(), "loaded-snapshot-s")
		b.ReportMetric(loadedSnap.Seconds()/idleSnap.Seconds(), "snapshot-ratio")
		b.ReportMetric(idleVol.Seconds(), "idle-volatile-s")
		b.ReportMetric(loadedVol.Seconds(), "loaded-volatile-s")
		b.ReportMetric(loadedVol.Seconds()/idleVol.Seconds(), "volatile-ratio")
		b.ReportMetric(idleAll.Seconds(), "idle-default-s")
		b.ReportMetric(loadedAll.Seconds(), "loaded-default-s")
		b.ReportMetric(loadedAll.Seconds()/idleAll.Seconds(), "default-ratio")
	}
}

// TestCollectionChild is the collection BenchmarkLoadedHost runs in a
// process of its own: "volatile" (the sources before PersistentOrder) or
// "default" (every source a default collection runs), into /dev/null. It
// fails when a source timed out or failed.
func TestCollectionChild(t *testing.T) {
	kind := os.Getenv("CORDON_COLLECTION_CHILD")
	if kind == "" {
		t.Skip("run by BenchmarkLoadedHost")
	}
	ApplyMemoryLimit()
	if os.Getenv("CORDON_BENCH_NICE_FIRST") != "" {
		if err := LowerPriority(); err != nil {
			t.Fatal(err)
		}
	}
	opts := DefaultOptions()
	for _, s := range strings.Split(os.Getenv("CORDON_COLLECTION_CHILD_PIDS"), ",") {
		if n, err := strconv.Atoi(s); err == nil {
			opts.TargetPIDs = append(opts.TargetPIDs, n)
		}
	}
	srcs, _, err := Selected(opts, true)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range srcs {
		if kind == "volatile" && (s.Order >= PersistentOrder || s.Background) {
			continue
		}
		names = append(names, s.Name)
	}
	f, err := os.Create(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := collectTo(t, f, opts, names...)
	for _, s := range o.Sources {
		t.Logf("status %-14s %-11s %6.2fs %s", s.Name, s.Status, s.Finished.Sub(s.Started).Seconds(), oneLineDetail(s))
		if s.Status == bundle.SourceTimeout || s.Status == bundle.SourceError {
			t.Errorf("source %s: %s %s", s.Name, s.Status, s.Detail)
		}
	}
	b, _ := json.Marshal(o.Phases)
	t.Logf("phases %s", b)
}

func oneLineDetail(s bundle.SourceStatus) string {
	d := strings.ReplaceAll(s.Detail, "\n", " ")
	if len(d) > 100 {
		d = d[:100]
	}
	return fmt.Sprint(d)
}
