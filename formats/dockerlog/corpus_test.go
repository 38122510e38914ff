package dockerlog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// TestCorpusContainerLog: plaso's container-json.log is 10 lines, the
// first at 2016-01-07T16:49:10Z, one time without its trailing Z; none is
// dated year 1.
func TestCorpusContainerLog(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.Corpus(t, "plaso"), "container-json.log"))
	if err != nil {
		t.Fatal(err)
	}
	id := "e7d0b7ea5ccf08366e2b0c8afa2318674e8aefe802315378125d2bb83fe3110c"
	res := ParseBytes(b, timeline.Origin{Entry: "fs/var/lib/docker/containers/" + id + "/" + id + "-json.log"})
	if len(res.Events) != 10 || len(res.Warnings) != 0 {
		t.Fatalf("%d events, warnings %+v", len(res.Events), res.Warnings)
	}
	if e := res.Events[0]; !e.Timestamp.Equal(time.Date(2016, 1, 7, 16, 49, 10, 0, time.UTC)) || !strings.Contains(e.Cordon.TimeDerivation, "without a zone: read as UTC") {
		t.Errorf("first: %s (%s)", e.Timestamp, e.Cordon.TimeDerivation)
	}
	for i, e := range res.Events {
		if e.Timestamp.Year() != 2016 || e.Container == nil || e.Container.ID != id {
			t.Errorf("event %d: %s %+v", i, e.Timestamp, e.Container)
		}
	}
	if e := res.Events[9]; !e.Timestamp.Equal(time.Date(2016, 1, 7, 16, 49, 10, 237222729, time.UTC)) {
		t.Errorf("last: %s", e.Timestamp)
	}
}

// TestTimeForms: every form of "time" found in json-file logs.
func TestTimeForms(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
		note string
	}{
		{"2026-03-17T08:26:01.123456789Z", time.Date(2026, 3, 17, 8, 26, 1, 123456789, time.UTC), "nanoseconds, UTC"},
		{"2016-01-07T16:49:10.0", time.Date(2016, 1, 7, 16, 49, 10, 0, time.UTC), "without a zone"},
		{"2026-03-17T09:26:01+01:00", time.Date(2026, 3, 17, 8, 26, 1, 0, time.UTC), "with an offset"},
		{"2026-03-17T09:26:01.5+0100", time.Date(2026, 3, 17, 8, 26, 1, 5e8, time.UTC), "without a colon"},
		{"2026-03-17 08:26:01.25", time.Date(2026, 3, 17, 8, 26, 1, 25e7, time.UTC), "space"},
		{"2026-03-17 08:26:01Z", time.Date(2026, 3, 17, 8, 26, 1, 0, time.UTC), "space"},
	} {
		got, note, ok := parseTime(c.in)
		if !ok || !got.Equal(c.want) || !strings.Contains(note, c.note) {
			t.Errorf("%q: %v %s %q", c.in, ok, got, note)
		}
	}
	for _, bad := range []string{"", "yesterday", "0001-01-01", "2026-13-01T00:00:00Z", strings.Repeat("2", 100)} {
		if _, _, ok := parseTime(bad); ok {
			t.Errorf("%q read as a time", bad)
		}
	}
}
