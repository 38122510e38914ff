package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The process list (collector source "processes"): one process-start event
// per process, with its parent and ancestry.
func init() {
	Register(Parser{
		Name:  "processes",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.ProcessesEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			procs, err := snapshot.ReadProcesses(r, o, emit.Warn)
			EmitResult(snapshot.ProcessEvents(procs, o), emit)
			return err
		},
	})
}

// SelfLabel marks the events of the collector's own process: it is not
// evidence of anything, and rules and the correlation leave it out.
const SelfLabel = "cordon.collector"

// MarkCollector labels an event of the collection's volatile state about
// the collector's own process (the custody records its PID) and drops the
// collector's suspicion of it. Logs are left alone: a PID in a log line
// may be any process's, years before.
func MarkCollector(ev *timeline.Event, pid int64) {
	if pid == 0 || ev.Process == nil || ev.Process.PID != pid {
		return
	}
	switch ev.Event.Dataset {
	case "processes", "executables", "sockets", "indicators", "open_files", "exe_hashes", "map_files":
	default:
		return
	}
	if ev.Labels == nil {
		ev.Labels = map[string]string{}
	}
	ev.Labels[SelfLabel] = "self"
	delete(ev.Labels, "suspect")
	ev.Message += " (the collector itself)"
}
