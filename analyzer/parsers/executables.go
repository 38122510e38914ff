package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// Suspect executables and deleted open files (collector source
// "executables"), and PIDs hidden from /proc's listing ("processes").
func init() {
	Register(Parser{
		Name:  "executables",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.ExecutablesEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			xs, err := snapshot.ReadExecutables(r, o, emit.Warn)
			EmitResult(snapshot.ExecutableEvents(xs, o), emit)
			return err
		},
	})
	Register(Parser{
		Name:  "hidden-pids",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.HiddenPIDsEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			h, err := snapshot.ReadHiddenPIDs(r)
			if err != nil {
				return err
			}
			EmitResult(snapshot.HiddenPIDEvents(h, o), emit)
			return nil
		},
	})
}
