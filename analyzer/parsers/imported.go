package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/formats/imported"
	"github.com/cordon-forensics/cordon/formats/toolout"
	"github.com/cordon-forensics/cordon/timeline"
)

// What cordon import adds to a bundle made from another collector's
// archive (importer/, formats/imported): the hash checks become events (a
// failed one an alert, CORDON-IMP-001/002), the lines of the archive's
// text outputs the importer could not read become the analysis's
// warnings, and Cat-Scale's stat timeline becomes file events as
// cordon-collect's own timeline does (UAC's bodyfile is stored where the
// bodyfile parser reads it: bodyfile.go).
func init() {
	Register(Parser{
		Name:  "import-checks",
		Match: func(e bundle.EntryRecord) bool { return imported.IsChecks(e.Name) },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			cs, err := imported.ReadChecks(r, o, emit.Warn)
			EmitResult(imported.CheckEvents(cs, o), emit)
			return err
		},
	})
	Register(Parser{
		Name:  "import-warnings",
		Match: func(e bundle.EntryRecord) bool { return e.Name == imported.WarningsEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			return imported.ReadWarnings(r, o, func(w imported.Warning) {
				w.Message = w.Parser + ": " + w.Message
				emit.Warn(w.Warning)
			}, emit.Warn)
		},
	})
	Register(Parser{
		Name:  "imported-stat-timeline",
		Match: func(e bundle.EntryRecord) bool { return e.Name == imported.StatTimelineEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			return toolout.ReadStatTimeline(r, func(s toolout.StatLine) {
				for _, ev := range filetimeline.Events(s.Record, o, s.Line, s.Offset) {
					// stat printed names, not ids: keep the names, claim no id
					ev.File.UID, ev.File.GID, ev.File.Owner = "", "", s.Owner
					ev.Cordon.TimeDerivation = "GNU stat's %x/%y/%z/%w, to the nanosecond, as Cat-Scale wrote them"
					emit.Event(ev)
				}
			}, func(w toolout.Warning) {
				emit.Warn(timeline.Warning{Entry: o.Entry, Line: w.Line, Offset: w.Offset, Message: w.Message})
			})
		},
	})
}
