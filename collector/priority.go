package collector

// priority.go sets and reads the collector's own scheduling priority.
// The volatile phase runs at normal priority: nice 0 (or the higher nice
// the collector was started with: it is never raised), the normal
// scheduling policy and best-effort I/O; never above it and never
// real-time. A host whose CPUs a miner saturates would otherwise starve a
// niced collector of the seconds the volatile snapshot needs. Only the
// persistent phase (logs, configuration, file timeline), which can wait,
// runs at nice 19 and idle I/O, disturbing the host as little as possible.
//
// On Linux setpriority(2), sched_setattr(2) and ioprio_set(2) with a
// process id act on one thread, so every thread of /proc/self/task is set;
// threads the Go runtime starts later inherit from their creator.

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// ioprio_set(2) constants (include/uapi/linux/ioprio.h).
const (
	ioprioWhoProcess = 1
	ioprioClassNone  = 0
	ioprioClassRT    = 1
	ioprioClassBE    = 2
	ioprioClassIdle  = 3
	ioprioClassShift = 13
)

// Scheduling policies (include/uapi/linux/sched.h).
var policyNames = map[uint]string{0: "SCHED_OTHER", 1: "SCHED_FIFO", 2: "SCHED_RR", 3: "SCHED_BATCH", 5: "SCHED_IDLE", 6: "SCHED_DEADLINE"}

func selfThreads() []int {
	tids := []int{0}
	if names, err := readDirNames("/proc/self/task"); err == nil {
		tids = tids[:0]
		for _, n := range names {
			if tid, err := strconv.Atoi(n); err == nil {
				tids = append(tids, tid)
			}
		}
	}
	return tids
}

// NormalPriority brings the collector to normal priority without ever
// raising it: a negative nice becomes 0 (a higher one is kept), a
// real-time or deadline policy becomes SCHED_OTHER, real-time I/O becomes
// best-effort. Each of these only lowers, so it needs no privilege.
func NormalPriority() error {
	var errs []error
	for _, tid := range selfThreads() {
		attr, err := unix.SchedGetAttr(tid, 0)
		if err != nil {
			if !errors.Is(err, unix.ESRCH) {
				errs = append(errs, fmt.Errorf("sched_getattr(thread %d): %w", tid, err))
			}
			continue
		}
		if attr.Policy != 0 && attr.Policy != 3 && attr.Policy != 5 || attr.Nice < 0 {
			nice := max(attr.Nice, 0)
			policy := attr.Policy
			if policy != 3 && policy != 5 { // SCHED_BATCH and SCHED_IDLE are below normal: kept
				policy = 0
			}
			na := unix.SchedAttr{Policy: policy, Nice: nice}
			if err := unix.SchedSetAttr(tid, &na, 0); err != nil && !errors.Is(err, unix.ESRCH) {
				errs = append(errs, fmt.Errorf("sched_setattr(thread %d, %s nice %d): %w", tid, policyNames[uint(policy)], nice, err))
			}
		}
		r, _, e := unix.Syscall(unix.SYS_IOPRIO_GET, ioprioWhoProcess, uintptr(tid), 0)
		if e == 0 && int(r)>>ioprioClassShift == ioprioClassRT {
			prio := ioprioClassBE<<ioprioClassShift | 4
			if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, uintptr(tid), uintptr(prio)); e != 0 && e != unix.ESRCH {
				errs = append(errs, fmt.Errorf("ioprio_set(thread %d, best-effort): %w", tid, e))
			}
		}
	}
	return errors.Join(errs...)
}

// LowerPriority lowers the collector's own CPU priority to nice 19 and its
// I/O priority to the idle class, so that collecting disturbs the host as
// little as possible.
func LowerPriority() error {
	var errs []error
	for _, tid := range selfThreads() {
		if err := unix.Setpriority(unix.PRIO_PROCESS, tid, 19); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("setpriority(thread %d, nice 19): %w", tid, err))
		}
		prio := ioprioClassIdle << ioprioClassShift
		if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, uintptr(tid), uintptr(prio)); e != 0 && e != unix.ESRCH {
			errs = append(errs, fmt.Errorf("ioprio_set(thread %d, idle): %w", tid, e))
		}
	}
	return errors.Join(errs...)
}

// readPriority reports what the kernel says of the priority of every
// thread of the collector: distinct nice values, scheduling policies and
// I/O priorities, through procfs's reading of each thread's stat.
func readPriority(env *Env) (nice []int, policies, io []string, err error) {
	pfs, err := env.procFS()
	if err != nil {
		return nil, nil, nil, err
	}
	threads, err := pfs.AllThreads(os.Getpid())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("listing the collector's threads: %w", err)
	}
	for _, t := range threads {
		st, err := t.Stat()
		if err != nil {
			continue // a thread that exited
		}
		if !slices.Contains(nice, st.Nice) {
			nice = append(nice, st.Nice)
		}
		pol := policyNames[st.Policy]
		if pol == "" {
			pol = fmt.Sprintf("policy %d", st.Policy)
		}
		if !slices.Contains(policies, pol) {
			policies = append(policies, pol)
		}
		r, _, e := unix.Syscall(unix.SYS_IOPRIO_GET, ioprioWhoProcess, uintptr(t.PID), 0)
		var s string
		switch {
		case e != 0:
			s = "unknown: " + e.Error()
		case int(r)>>ioprioClassShift == ioprioClassNone:
			// no class set: best-effort at a level derived from nice (ioprio_set(2))
			s = "none (best-effort from nice)"
		case int(r)>>ioprioClassShift == ioprioClassRT:
			s = fmt.Sprintf("realtime/%d", int(r)&7)
		case int(r)>>ioprioClassShift == ioprioClassBE:
			s = fmt.Sprintf("best-effort/%d", int(r)&7)
		case int(r)>>ioprioClassShift == ioprioClassIdle:
			s = "idle"
		default:
			s = fmt.Sprintf("class %d", int(r)>>ioprioClassShift)
		}
		if !slices.Contains(io, s) {
			io = append(io, s)
		}
	}
	sort.Ints(nice)
	sort.Strings(policies)
	sort.Strings(io)
	return nice, policies, io, nil
}

// phasePriority fills a phase record with the priority the kernel reports.
func phasePriority(env *Env, ph *bundle.Phase) {
	nice, pol, io, err := readPriority(env)
	if err != nil {
		ph.Note = joinNote(ph.Note, "priority not read: "+err.Error())
		return
	}
	ph.Nice, ph.Policies, ph.IOPriorities = nice, pol, io
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
