package analyzer

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The process list (collector source "processes"): one process-start event
// per process, with its parent and ancestry.
func init() {
	RegisterParser(Parser{
		Name:  "processes",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.ProcessesEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			procs, err := snapshot.ReadProcesses(r, o, emit.Warn)
			EmitResult(snapshot.ProcessEvents(procs, o), emit)
			return err
		},
	})
}
