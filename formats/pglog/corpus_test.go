package pglog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// TestCorpusPostgreSQL: plaso's postgresql.log as its README says: 20
// entries (Cordon folds each DETAIL into the message it details: 18
// events holding 20 entries), the indented continuation lines part of the
// entry before, AEST a real zone, "203851-1" a PID and a session line.
func TestCorpusPostgreSQL(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.Corpus(t, "plaso"), "postgresql.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		settings map[string]string
		note     string
	}{
		{"by the table", nil, "UTC+10:00 wherever the tz database uses it"},
		{"by log_timezone", map[string]string{SettingLogTimezone: "Australia/Brisbane"}, "log_timezone Australia/Brisbane"},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, ws := parse(t, string(data), timeline.Origin{ModTime: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Settings: c.settings}, Options{})
			if len(ws) != 0 {
				t.Errorf("warnings %+v", ws)
			}
			entries := 0
			for _, e := range evs {
				entries++
				if n := e.Labels["postgresql.attached_lines"]; n != "" {
					entries += int(n[0] - '0')
				}
				if e.Timestamp.Year() != 2022 || strings.Contains(e.Cordon.TimeDerivation, "mtime") {
					t.Errorf("line %d dated %s (%s)", e.Cordon.Provenance.Line, e.Timestamp, e.Cordon.TimeDerivation)
				}
			}
			if len(evs) != 18 || entries != 20 {
				t.Fatalf("%d events holding %d entries, want 18 holding 20", len(evs), entries)
			}
			fail := evs[15]
			if fail.Event.Action != "authentication-failed" || fail.User.Name != "postgres" || fail.Labels["postgresql.detail"] !=
				"User \"postgres\" has no password assigned.\nConnection matched pg_hba.conf line 96: \"host    all             all             127.0.0.1/32            md5\"" {
				t.Errorf("the failure and its detail: %s %q", fail.Event.Action, fail.Labels["postgresql.detail"])
			}
			last := evs[17]
			if !last.Timestamp.Equal(time.Date(2022, 7, 15, 13, 4, 27, 0, time.UTC)) || !strings.Contains(last.Cordon.TimeDerivation, c.note) {
				t.Errorf("AEST line: %s (%s)", last.Timestamp, last.Cordon.TimeDerivation)
			}
			if last.Process.PID != 203851 || last.Labels["postgresql.session_line"] != "1" || last.User.Name != "user" || last.Labels["postgresql.database"] != "databasename" {
				t.Errorf("[203851-1] user@databasename: pid %d, labels %v, user %+v", last.Process.PID, last.Labels, last.User)
			}
		})
	}
}

// TestSessionIDs: %c and %l are kept, with the prefix given or recognised.
func TestSessionIDs(t *testing.T) {
	const log = "2026-11-23 03:15:17.282 UTC [30155-3] 6921a3f5.75cb LOG:  statement: SELECT 1\n"
	for _, prefix := range []string{"%m [%p-%l] %c ", ""} {
		evs, ws := parse(t, log, timeline.Origin{}, Options{LinePrefix: prefix})
		if len(evs) != 1 || len(ws) != 0 {
			t.Fatalf("prefix %q: %d events %+v", prefix, len(evs), ws)
		}
		e := evs[0]
		if e.Process.PID != 30155 || e.Labels["postgresql.session_line"] != "3" || (prefix != "" && e.Labels["postgresql.session_id"] != "6921a3f5.75cb") {
			t.Errorf("prefix %q: pid %d labels %v", prefix, e.Process.PID, e.Labels)
		}
	}
}
