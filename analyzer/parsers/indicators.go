package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/indicators"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The memory images and recovered executables the collector kept
// (snapshot.CoreEntry, ExeEntry, FDEntry) are scanned for the strings that
// give a miner away: pool URLs, wallets, stratum methods. The correlator
// joins them to the process by PID.

func init() {
	Register(Parser{
		Name:  "indicators",
		Match: func(e bundle.EntryRecord) bool { _, _, ok := snapshot.ParseImageEntry(e.Name); return ok },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			return indicators.Scan(r, o, indicators.Options{}, emit.Event, emit.Warn)
		},
	})
}
