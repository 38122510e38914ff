package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The sockets of every network namespace (collector source "sockets"): one
// listening or connection event per socket, joined to its processes.
func init() {
	Register(Parser{
		Name:  "sockets",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.SocketsEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			socks, err := snapshot.ReadSockets(r, o, emit.Warn)
			EmitResult(snapshot.SocketEvents(socks, o), emit)
			return err
		},
	})
}
