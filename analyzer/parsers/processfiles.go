package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// What the first pass and the "process-files" source saw of each
// process's files: the descriptors naming files (proc/open_files.jsonl),
// the SHA-256 of every running executable (proc/exe_hashes.jsonl), the
// files each process maps (proc/map_files.jsonl, one event per process
// and file), and the pass's summary with any PID masked by a mount
// (proc/summary.json). The records carry no time: they are observations
// at the entry's read time.
func init() {
	Register(Parser{
		Name:  "open-files",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.OpenFilesEntry },
		Parse: timedByReadAt(func(r io.Reader, o timeline.Origin, emit Emit) error {
			return snapshot.ReadJSONL(r, o, func(f snapshot.OpenFile, line, off int64) {
				if ev, ok := snapshot.OpenFileEvent(f, o, line, off); ok {
					emit.Event(ev)
				}
			}, emit.Warn)
		}),
	})
	Register(Parser{
		Name:  "exe-hashes",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.ExeHashesEntry },
		Parse: timedByReadAt(func(r io.Reader, o timeline.Origin, emit Emit) error {
			return snapshot.ReadJSONL(r, o, func(x snapshot.ExeHash, line, off int64) {
				emit.Event(snapshot.ExeHashEvent(x, o, line, off))
			}, emit.Warn)
		}),
	})
	Register(Parser{
		Name:  "map-files",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.MapFilesEntry },
		Parse: timedByReadAt(readMappings),
	})
	Register(Parser{
		Name:  "process-summary",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.ProcessSummaryEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			s, err := snapshot.ReadProcessSummary(r)
			if err != nil {
				return err
			}
			EmitResult(snapshot.ProcessSummaryEvents(s, o), emit)
			return nil
		},
	})
}

// timedByReadAt guards a parser of an entry whose records have no time
// of their own: its events are timed by the entry's read time, and without
// one the entry makes a warning, not events.
func timedByReadAt(parse func(io.Reader, timeline.Origin, Emit) error) func(io.Reader, timeline.Origin, Emit) error {
	return func(r io.Reader, o timeline.Origin, emit Emit) error {
		if o.ReadAt.IsZero() {
			emit.Warn(timeline.Warning{Entry: o.Entry, Message: snapshot.ErrNoReadAt})
			return nil
		}
		return parse(r, o, emit)
	}
}

// maxMappedPerProcess bounds the distinct files remembered for one
// process (a process maps a few hundred; a hostile entry may list more:
// past the bound, each further range is its own event).
const maxMappedPerProcess = 1 << 16

// readMappings makes one event per process and mapped file: the
// collector writes a process's ranges together, in address order, so the
// ranges of one file are counted until the process changes.
func readMappings(r io.Reader, o timeline.Origin, emit Emit) error {
	type first struct {
		m         snapshot.MappedFile
		line, off int64
		ranges    int
	}
	var order []string
	seen := map[string]*first{}
	cur := ""
	flush := func() {
		for _, k := range order {
			f := seen[k]
			emit.Event(snapshot.MappedFileEvent(f.m, f.ranges, o, f.line, f.off))
		}
		order, seen = order[:0], map[string]*first{}
	}
	err := snapshot.ReadJSONL(r, o, func(m snapshot.MappedFile, line, off int64) {
		proc := snapshot.EntityID(m.PID, m.StartTicks)
		if proc != cur {
			flush()
			cur = proc
		}
		if f := seen[m.Target]; f != nil {
			f.ranges++
			return
		}
		if len(order) >= maxMappedPerProcess {
			emit.Event(snapshot.MappedFileEvent(m, 1, o, line, off))
			return
		}
		seen[m.Target] = &first{m: m, line: line, off: off, ranges: 1}
		order = append(order, m.Target)
	}, emit.Warn)
	flush()
	return err
}
