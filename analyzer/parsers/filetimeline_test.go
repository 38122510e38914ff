package parsers

import (
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

func TestParseFileTimeline(t *testing.T) {
	e := bundle.EntryRecord{Name: "filetimeline/records-00001.jsonl", Source: "filetimeline"}
	ps := For(e)
	if len(ps) != 1 || ps[0].Name != "filetimeline" {
		t.Fatalf("parsers for %s: %v", e.Name, ps)
	}
	if len(For(bundle.EntryRecord{Name: "filetimeline/bodyfile-00001.txt"})) != 0 {
		t.Error("the bodyfile part is matched too: events would be doubled")
	}
	in := `{"path":"/tmp/mysql","type":"file","mode":493,"mtime":"2026-11-22T10:00:00Z","atime":"2026-11-22T10:05:00Z","ctime":"2026-11-22T10:00:00Z","btime":"2026-11-22T09:59:00Z"}
{garbage
`
	var evs []timeline.Event
	var warns []timeline.Warning
	err := ps[0].Parse(strings.NewReader(in), timeline.Origin{Entry: e.Name}, Emit{
		Event: func(ev timeline.Event) { evs = append(evs, ev) },
		Warn:  func(w timeline.Warning) { warns = append(warns, w) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || len(warns) != 1 || warns[0].Line != 2 {
		t.Fatalf("%d events, warnings %+v", len(evs), warns)
	}
	if evs[3].Cordon.TimeMeaning != timeline.MeaningBorn || evs[3].Timestamp.Minute() != 59 || evs[0].Cordon.Provenance.Entry != e.Name {
		t.Errorf("born event: %+v", evs[3])
	}
}
