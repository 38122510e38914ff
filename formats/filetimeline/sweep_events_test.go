package filetimeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

func TestSweepEventTime(t *testing.T) {
	readAt := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	c := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	m := c.Add(-time.Hour)
	o := timeline.Origin{Entry: SweepEntry, ReadAt: readAt}
	cases := []struct {
		rec     Record
		at      time.Time
		meaning timeline.Meaning
	}{
		{Record{Path: "/tmp/x", Ctime: c, Mtime: m}, c, timeline.MeaningChanged},
		{Record{Path: "/tmp/x", Mtime: m}, m, timeline.MeaningModified},
		{Record{Path: "/tmp/x"}, readAt, timeline.MeaningObserved},
	}
	for _, k := range cases {
		ev := SweepEvent(SweepRecord{Record: k.rec, Reasons: []string{"hidden", "suid"}}, o, 4, 40)
		if !ev.Timestamp.Equal(k.at) || ev.Cordon.TimeMeaning != k.meaning || ev.Labels["sweep.reasons"] != "hidden,suid" ||
			ev.Labels["sweep.suid"] != "true" || ev.Cordon.Provenance.Where() != SweepEntry+":4" {
			t.Errorf("%+v: %s %s %+v", k.rec, ev.Timestamp, ev.Cordon.TimeMeaning, ev.Labels)
		}
	}
}

func TestParseContainerLayerEntry(t *testing.T) {
	for name, want := range map[string]string{
		"containers/abc/upper.jsonl":    "abc",
		ContainerLayerEntry("0123abcd"): "0123abcd",
		"containers/upper.jsonl":        "",
		"containers/a/b/upper.jsonl":    "",
		"containers//upper.jsonl":       "",
		"containers/fs.json":            "",
	} {
		id, ok := ParseContainerLayerEntry(name)
		if id != want || ok != (want != "") {
			t.Errorf("%q: %q %v, want %q", name, id, ok, want)
		}
	}
}

// FuzzSweepAndLayer: any line decoded as a sweep or layer record makes
// events with provenance, and never panics.
func FuzzSweepAndLayer(f *testing.F) {
	f.Add([]byte(`{"path":"/tmp/.x/bash","type":"file","mode":3565,"ctime":"2026-11-02T03:00:01Z","reasons":["suid","sgid"],"capabilities_rootid":0}`))
	f.Add([]byte(`{"path":"/usr/bin/curl","type":"char","whiteout":true,"mtime":"2026-11-02T04:01:00Z"}`))
	o := timeline.Origin{Entry: SweepEntry}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := int64(1); sc.Scan(); n++ {
			var s SweepRecord
			if json.Unmarshal(sc.Bytes(), &s) == nil {
				if ev := SweepEvent(s, o, n, 0); ev.Cordon.Provenance.Entry == "" {
					t.Fatal("no provenance")
				}
			}
			var l LayerRecord
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				for _, ev := range LayerEvents(l, "id", o, n, 0) {
					if ev.Container == nil || ev.Cordon.Provenance.Entry == "" {
						t.Fatal("no container or provenance")
					}
				}
			}
		}
	})
}
