package analyzer

import (
	"io"
	"regexp"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/indicators"
	"github.com/cordon-forensics/cordon/timeline"
)

// The memory images and recovered executables the collector kept
// (memory/<pid>/core, proc/<pid>/exe, proc/<pid>/fd/<n>) are scanned for
// the strings that give a miner away: pool URLs, wallets, stratum methods.
// The correlator joins them to the process by PID.
var indicatorEntry = regexp.MustCompile(`^(?:memory/[0-9]+/core|proc/[0-9]+/exe|proc/[0-9]+/fd/[0-9]+)$`)

func init() {
	RegisterParser(Parser{
		Name:  "indicators",
		Match: func(e bundle.EntryRecord) bool { return indicatorEntry.MatchString(e.Name) },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			return indicators.Scan(r, o, indicators.Options{}, emit.Event, emit.Warn)
		},
	})
}
