package parsers

import (
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The volatile parsers are registered for their entries and turn them
// into events, with warnings for bad records.
func TestVolatileParsers(t *testing.T) {
	cases := []struct {
		entry, input string
		events       int
		warnings     int
		action       string
	}{
		{snapshot.ProcessesEntry, `{"pid":1,"status":"ok","comm":"init","start":"2026-11-02T08:00:00Z","start_ticks":1}
{"pid":4300,"ppid":1,"status":"ok","comm":"mysql","exe":"/tmp/mysql (deleted)","start":"2026-11-02T09:00:00Z","start_ticks":360000}
broken
`, 2, 1, "process-started"},
		{snapshot.SocketsEntry, `{"netns":1,"transport":"tcp","state":"LISTEN","local_ip":"0.0.0.0","local_port":5432,"listening":true,"all_interfaces":true,"holders":[{"pid":700,"fd":5,"comm":"postgres","start_ticks":10}],"observed_at":"2026-11-02T10:00:00Z"}
`, 1, 0, "socket-listening"},
		{snapshot.ExecutablesEntry, `{"pid":4300,"kind":"exe","link":"/tmp/mysql (deleted)","entry":"proc/4300/exe","sha256":"aa","observed_at":"2026-11-02T10:00:00Z"}
`, 1, 0, "executable-recovered"},
		{snapshot.HiddenPIDsEntry, `{"complete":true,"observed_at":"2026-11-02T10:00:00Z","hidden":[{"pid":31337,"tgid":31337}]}`, 1, 0, "process-hidden"},
		{snapshot.HostFactsEntry, `{"hostname":"web01","boot_time":"2026-11-01T00:00:00Z","read_at":"2026-11-02T10:00:00Z"}`, 2, 0, "host-booted"},
	}
	for _, c := range cases {
		ps := For(bundle.EntryRecord{Name: c.entry})
		if len(ps) != 1 {
			t.Fatalf("%s: %d parsers", c.entry, len(ps))
		}
		var evs []timeline.Event
		var warns []timeline.Warning
		err := ps[0].Parse(strings.NewReader(c.input), timeline.Origin{Entry: c.entry, Bundle: "ev"},
			Emit{Event: func(e timeline.Event) { evs = append(evs, e) }, Warn: func(w timeline.Warning) { warns = append(warns, w) }})
		if err != nil {
			t.Fatalf("%s: %v", c.entry, err)
		}
		if len(evs) != c.events || len(warns) != c.warnings || evs[0].Event.Action != c.action {
			t.Errorf("%s: %d events %d warnings (%+v), want %d, %d, first %s", c.entry, len(evs), len(warns), warns, c.events, c.warnings, c.action)
		}
		for _, e := range evs {
			if e.Cordon.Provenance.Entry != c.entry || e.Timestamp.IsZero() || e.Timestamp.Location() != time.UTC {
				t.Errorf("%s: event %+v", c.entry, e.Cordon)
			}
		}
	}
}
