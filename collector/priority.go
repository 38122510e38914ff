package collector

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// ioprio_set(2) constants (include/uapi/linux/ioprio.h).
const (
	ioprioWhoProcess = 1
	ioprioClassIdle  = 3
	ioprioClassShift = 13
)

// LowerPriority lowers the collector's own CPU priority to nice 19 and its
// I/O priority to the idle class, so that collecting disturbs the host as
// little as possible. On Linux both setpriority(2) and ioprio_set(2) with a
// process id act on one thread, so every thread of /proc/self/task is
// lowered; threads the Go runtime starts later inherit from their creator.
func LowerPriority() error {
	tids := []int{0}
	if names, err := readDirNames("/proc/self/task"); err == nil {
		tids = tids[:0]
		for _, n := range names {
			if tid, err := strconv.Atoi(n); err == nil {
				tids = append(tids, tid)
			}
		}
	}
	var errs []error
	for _, tid := range tids {
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
