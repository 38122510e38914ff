package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The sweep (collector source "sweep"): one event per file it kept
// (SUID/SGID, capabilities, immutable, world-writable in system
// directories, unknown owner, hidden names), with the reasons.
func init() {
	Register(Parser{
		Name:  "sweep",
		Match: func(e bundle.EntryRecord) bool { return e.Name == filetimeline.SweepEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			return snapshot.ReadJSONL(r, o, func(rec filetimeline.SweepRecord, line, off int64) {
				emit.Event(filetimeline.SweepEvent(rec, o, line, off))
			}, emit.Warn)
		},
	})
}
