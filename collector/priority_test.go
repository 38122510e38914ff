package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// Priority tests change the priority of the whole process: each runs in a
// child re-exec of the test binary, never in the test binary itself.

func priorityChild(t *testing.T, name string, env ...string) []byte {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = append(append(os.Environ(), "CORDON_PRIORITY_CHILD=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+name)) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return out
}

// threadNice reads the nice value of the calling thread from the kernel.
func threadNice() int {
	b, err := os.ReadFile("/proc/thread-self/stat")
	if err != nil {
		return -100
	}
	s := string(b)
	n, _ := strconv.Atoi(strings.Fields(s[strings.LastIndex(s, ")")+2:])[16])
	return n
}

// TestLowerPriority lowers the priority and checks every thread's nice
// value and I/O class.
func TestLowerPriority(t *testing.T) {
	if os.Getenv("CORDON_PRIORITY_CHILD") != "" {
		if err := LowerPriority(); err != nil {
			t.Fatal(err)
		}
		names, err := readDirNames("/proc/self/task")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			tid, _ := strconv.Atoi(n)
			b, err := os.ReadFile("/proc/self/task/" + n + "/stat")
			if err != nil {
				continue
			}
			s := string(b)
			nice := strings.Fields(s[strings.LastIndex(s, ")")+2:])[16]
			if nice != "19" {
				t.Errorf("thread %d: nice %s, want 19", tid, nice)
			}
			r, _, e := syscall.Syscall(syscall.SYS_IOPRIO_GET, 1, uintptr(tid), 0)
			if e != 0 || r>>13 != 3 {
				t.Errorf("thread %d: ioprio %#x (%v), want the idle class", tid, r, e)
			}
		}
		return
	}
	priorityChild(t, "TestLowerPriority")
}

// TestPriorityPhases runs a volatile and a persistent source through Run
// in a child started at nice -5 (as a root shell may be), then at nice 5.
// The volatile source runs at normal priority, never above it (-5 becomes
// 0; 5 stays 5), the persistent one at nice 19 with idle I/O, and the
// custody's phases say so, as the kernel reported it.
func TestPriorityPhases(t *testing.T) {
	if os.Getenv("CORDON_PRIORITY_CHILD") != "" {
		start, _ := strconv.Atoi(os.Getenv("CORDON_PRIORITY_START"))
		for _, tid := range selfThreads() {
			if err := unix.Setpriority(unix.PRIO_PROCESS, tid, start); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]int{}
		src := func(name string, order int) Source {
			return Source{Name: name, Order: order, Collect: func(ctx context.Context, env *Env) error {
				// Several goroutines, so that several threads report.
				done := make(chan int, 8)
				for range 8 {
					go func() { done <- threadNice() }()
				}
				worst := threadNice()
				for range 8 {
					if n := <-done; n < worst {
						worst = n
					}
				}
				seen[name] = worst
				_, err := env.AddBytes(bundle.EntryMeta{Name: name}, []byte("x"))
				return err
			}}
		}
		opts := testOptions()
		opts.NoPriorityLowering = false
		env := NewEnv(opts, &memSink{})
		o := Run(context.Background(), env, []Source{src("volatile-src", 10), src("persistent-src", PersistentOrder)})
		want := max(start, 0)
		if seen["volatile-src"] != want || seen["persistent-src"] != 19 {
			t.Errorf("nice seen by the sources: %v, want volatile %d and persistent 19", seen, want)
		}
		if len(o.Phases) != 2 {
			t.Fatalf("phases %+v", o.Phases)
		}
		v, p := o.Phases[0], o.Phases[1]
		if v.Name != PhaseVolatile || !slices.Equal(v.Sources, []string{"volatile-src"}) || !slices.Equal(v.Nice, []int{want}) ||
			!slices.Equal(v.Policies, []string{"SCHED_OTHER"}) || slices.Contains(v.IOPriorities, "idle") {
			t.Errorf("volatile phase %+v", v)
		}
		if p.Name != PhasePersistent || !slices.Equal(p.Sources, []string{"persistent-src"}) || !slices.Equal(p.Nice, []int{19}) || !slices.Equal(p.IOPriorities, []string{"idle"}) {
			t.Errorf("persistent phase %+v", p)
		}
		if v.Threads != max(runtime.GOMAXPROCS(0), volatileThreads()) || p.Threads != runtime.GOMAXPROCS(0) {
			t.Errorf("threads: volatile %d, persistent %d (GOMAXPROCS now %d)", v.Threads, p.Threads, runtime.GOMAXPROCS(0))
		}
		if o.Sources[0].Phase != PhaseVolatile || o.Sources[1].Phase != PhasePersistent {
			t.Errorf("source phases %+v", o.Sources)
		}
		b, _ := json.Marshal(o.Phases)
		t.Logf("phases: %s", b)
		return
	}
	testenv.NeedRoot(t) // nice -5 needs CAP_SYS_NICE
	for _, start := range []int{-5, 5} {
		t.Run(fmt.Sprintf("start nice %d", start), func(t *testing.T) {
			priorityChild(t, "TestPriorityPhases", "CORDON_PRIORITY_START="+strconv.Itoa(start))
		})
	}
}
