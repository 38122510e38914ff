package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The host facts (collector source "hostinfo"): the boot and the host's
// identity as observed at collection.
func init() {
	Register(Parser{
		Name:  "hostinfo",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.HostFactsEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			f, err := snapshot.ReadHostFacts(r)
			if err != nil {
				return err
			}
			EmitResult(snapshot.HostFactsEvents(f, o), emit)
			return nil
		},
	})
}
