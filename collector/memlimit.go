package collector

import (
	"os"
	"runtime/debug"
)

// MemoryGoal is the collector's memory goal: 64 MiB of RSS on any host.
// The Go runtime's soft limit is set below it (the rest is the runtime's
// own, stacks and the binary), so that the garbage collector works harder
// before the heap grows past it, instead of doubling the heap as GOGC
// alone would. Every buffer of the collector is bounded on its own; the
// limit keeps their garbage from adding up.
const MemoryGoal = 64 << 20

// softMemoryLimit is what ApplyMemoryLimit sets.
const softMemoryLimit = 28 << 20

// ApplyMemoryLimit sets the runtime's soft memory limit, unless the
// environment sets GOMEMLIMIT (which then rules).
func ApplyMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(softMemoryLimit)
}
