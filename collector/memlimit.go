package collector

import (
	"os"
	"runtime/debug"
	"sync/atomic"
)

// MemoryGoal is the collector's memory goal: 64 MiB of RSS on any host.
// The Go runtime's soft limit is set below it (the rest is the runtime's
// own, stacks and the binary), so that the garbage collector works harder
// before the heap grows past it, instead of doubling the heap as GOGC
// alone would. Every buffer of the collector is bounded on its own; the
// limit keeps their garbage from adding up.
const MemoryGoal = 64 << 20

// softMemoryLimit is what ApplyMemoryLimit sets, and what the persistent
// phase runs under. The volatile phase holds records in proportion to the
// host (its processes and open files) and must not spend its seconds in
// the garbage collector: it runs under volatileMemoryLimit.
const (
	softMemoryLimit     = 28 << 20
	volatileMemoryLimit = 96 << 20
)

var memoryLimited atomic.Bool

// ApplyMemoryLimit sets the runtime's soft memory limit, unless the
// environment sets GOMEMLIMIT (which then rules).
func ApplyMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	memoryLimited.Store(true)
	debug.SetMemoryLimit(softMemoryLimit)
}

// phaseMemoryLimit sets the limit of a phase when ApplyMemoryLimit set one.
func phaseMemoryLimit(phase string) {
	if !memoryLimited.Load() {
		return
	}
	if phase == PhaseVolatile {
		debug.SetMemoryLimit(volatileMemoryLimit)
	} else {
		debug.SetMemoryLimit(softMemoryLimit)
	}
}
