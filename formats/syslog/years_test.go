package syslog

import (
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

func utc(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
}

// TestYears: the year of each line is inferred for the whole file, from
// its last line backwards, preferring what the file states.
func TestYears(t *testing.T) {
	for _, c := range []struct {
		name   string
		lines  []string
		o      timeline.Origin
		want   []time.Time
		note   string // in the derivation of the first event
		warned string // in a warning
	}{
		{"December then January rolls over",
			[]string{"Dec 30 10:00:00 h a: x", "Dec 31 23:59:59 h a: x", "Jan  1 00:00:01 h a: x", "Jan  2 08:00:00 h a: x"},
			timeline.Origin{ModTime: utc(2026, 1, 3, 0, 0, 0)},
			[]time.Time{utc(2025, 12, 30, 10, 0, 0), utc(2025, 12, 31, 23, 59, 59), utc(2026, 1, 1, 0, 0, 1), utc(2026, 1, 2, 8, 0, 0)},
			"year 2025 inferred from the file's mtime 2026-01-03T00:00:00Z, counting back from the file's last line (line 4), 1 New Year crossed", ""},
		{"a line just before midnight logged after one just after",
			[]string{"Jan  1 00:00:01 h a: x", "Dec 31 23:59:59 h a: x", "Jan  1 00:00:02 h a: x"},
			timeline.Origin{ModTime: utc(2026, 1, 1, 12, 0, 0)},
			[]time.Time{utc(2026, 1, 1, 0, 0, 1), utc(2025, 12, 31, 23, 59, 59), utc(2026, 1, 1, 0, 0, 2)}, "", ""},
		{"a file of 2005 whose mtime is today: the year an RFC 3339 line states wins",
			[]string{"Mar  3 10:00:00 h a: x", "2005-03-03T10:00:05+00:00 h rsyslogd: restart", "Mar  3 10:00:09 h a: x"},
			timeline.Origin{ModTime: utc(2026, 11, 23, 6, 0, 0)},
			[]time.Time{utc(2005, 3, 3, 10, 0, 0), utc(2005, 3, 3, 10, 0, 5), utc(2005, 3, 3, 10, 0, 9)},
			"year 2005 from the year the file states (a line with a full timestamp, line 2)", ""},
		{"anacron states the date of its own line",
			[]string{"Nov  2 07:30:01 h anacron[812]: Anacron 2.3 started on 2019-11-02", "Nov  2 07:35:01 h anacron[812]: Job `cron.daily' started"},
			timeline.Origin{ModTime: utc(2026, 11, 23, 6, 0, 0)},
			[]time.Time{utc(2019, 11, 2, 7, 30, 1), utc(2019, 11, 2, 7, 35, 1)}, "anacron's start line, line 1", ""},
		{"a stated year after the file's mtime is kept, and said",
			[]string{"2031-03-03T10:00:05+00:00 h rsyslogd: start", "Mar  3 10:00:09 h a: x"},
			timeline.Origin{ModTime: utc(2026, 11, 23, 6, 0, 0)},
			[]time.Time{utc(2031, 3, 3, 10, 0, 5), utc(2031, 3, 3, 10, 0, 9)}, "RFC 3339", "after the file's mtime"},
		{"the kernel's RTC line states the date",
			[]string{"Mar 12 10:23:01 h kernel: [    1.234567] rtc_cmos 00:02: setting system clock to 2019-03-12T10:23:01 UTC (1552386181)", "Mar 12 10:25:00 h sshd[1]: x"},
			timeline.Origin{ModTime: utc(2026, 11, 23, 6, 0, 0)},
			[]time.Time{utc(2019, 3, 12, 10, 23, 1), utc(2019, 3, 12, 10, 25, 0)}, "the kernel's RTC line", ""},
		{"a date an attacker put in a user name is not a statement",
			[]string{"Nov  2 10:24:55 h sshd[1]: Invalid user 2031-11-02 from 203.0.113.7 port 4000", "Nov  2 10:25:00 h sshd[1]: x"},
			timeline.Origin{ModTime: utc(2026, 11, 23, 6, 0, 0)},
			[]time.Time{utc(2026, 11, 2, 10, 24, 55), utc(2026, 11, 2, 10, 25, 0)}, "inferred from the file's mtime", ""},
		{"Feb 29 is never March 1st: the nearest leap year before",
			[]string{"Feb 28 23:00:00 h a: x", "Feb 29 01:15:43 h a: leap", "Mar  1 00:00:00 h a: x"},
			timeline.Origin{ModTime: utc(2026, 3, 5, 0, 0, 0)},
			[]time.Time{utc(2024, 2, 28, 23, 0, 0), utc(2024, 2, 29, 1, 15, 43), utc(2024, 3, 1, 0, 0, 0)},
			"year 2024 (first inferred 2026)", "a Feb 29 line in a year inferred as 2026"},
		{"Feb 29 before a New Year: only its year and those before move",
			[]string{"Feb 29 10:00:00 h a: x", "Dec 31 10:00:00 h a: x", "Jan  1 10:00:00 h a: x"},
			timeline.Origin{ModTime: utc(2026, 1, 2, 0, 0, 0)},
			[]time.Time{utc(2024, 2, 29, 10, 0, 0), utc(2024, 12, 31, 10, 0, 0), utc(2026, 1, 1, 10, 0, 0)}, "line 1 is Feb 29", ""},
		{"no mtime: the collection time anchors",
			[]string{"Nov  2 10:24:55 h a: x"},
			timeline.Origin{ReadAt: utc(2026, 11, 23, 6, 0, 0)},
			[]time.Time{utc(2026, 11, 2, 10, 24, 55)}, "the time the file was collected", ""},
		{"a year written in the timestamp",
			[]string{"Mar 11 2017 22:55:30 h a: x"},
			timeline.Origin{ModTime: utc(2026, 11, 23, 6, 0, 0)},
			[]time.Time{utc(2017, 3, 11, 22, 55, 30)}, "syslog timestamp with its year", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, ws := parse(t, strings.Join(c.lines, "\n")+"\n", c.o)
			if len(evs) != len(c.want) {
				t.Fatalf("%d events, want %d; warnings %+v", len(evs), len(c.want), ws)
			}
			for i, e := range evs {
				if !e.Timestamp.Equal(c.want[i]) {
					t.Errorf("line %d: %s, want %s (%s)", i+1, e.Timestamp.Format(time.RFC3339), c.want[i].Format(time.RFC3339), e.Cordon.TimeDerivation)
				}
			}
			if c.note != "" && !strings.Contains(evs[0].Cordon.TimeDerivation, c.note) {
				t.Errorf("derivation %q lacks %q", evs[0].Cordon.TimeDerivation, c.note)
			}
			found := c.warned == ""
			for _, w := range ws {
				if c.warned != "" && strings.Contains(w.Message, c.warned) {
					found = true
				}
			}
			if !found {
				t.Errorf("no warning saying %q: %+v", c.warned, ws)
			}
		})
	}
}

// TestYearsUnanchored: with nothing to anchor the year, a warning says so.
func TestYearsUnanchored(t *testing.T) {
	evs, ws := parse(t, "Nov  2 10:24:55 h a: x\n", timeline.Origin{})
	if len(evs) != 1 || len(ws) != 1 || !strings.Contains(ws[0].Message, "which nothing anchors") {
		t.Fatalf("%d events, warnings %+v", len(evs), ws)
	}
}

// TestTimeZone: local times follow the host's zone and its DST rules; an
// unknown zone is said, in a warning and in every derivation.
func TestTimeZone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	file := "Jan 15 12:00:00 h a: winter\nJul 15 12:00:00 h a: summer\n"
	o := timeline.Origin{Entry: "fs/var/log/syslog", ModTime: utc(2026, 8, 1, 0, 0, 0), Location: paris}
	evs, ws := parse(t, file, o)
	if len(evs) != 2 || len(ws) != 0 || !evs[0].Timestamp.Equal(utc(2026, 1, 15, 11, 0, 0)) || !evs[1].Timestamp.Equal(utc(2026, 7, 15, 10, 0, 0)) {
		t.Fatalf("%v %v %+v", evs[0].Timestamp, evs[1].Timestamp, ws)
	}
	if !strings.Contains(evs[1].Cordon.TimeDerivation, "local time in Europe/Paris") {
		t.Errorf("derivation %q", evs[1].Cordon.TimeDerivation)
	}
	var got []timeline.Event
	var warns []timeline.Warning
	o.Location = nil
	if err := Parse(strings.NewReader(file+"2026-07-15T12:00:00+02:00 h a: zoned\n"), o, Options{}, func(e timeline.Event) { got = append(got, e) }, func(w timeline.Warning) { warns = append(warns, w) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(warns) != 1 || !strings.Contains(warns[0].Message, "time zone is unknown") || !got[0].Timestamp.Equal(utc(2026, 1, 15, 12, 0, 0)) {
		t.Fatalf("%d events, warnings %+v", len(got), warns)
	}
	for _, e := range got[:2] {
		if !strings.Contains(e.Cordon.TimeDerivation, "read as UTC: the host's time zone is unknown") {
			t.Errorf("derivation %q", e.Cordon.TimeDerivation)
		}
	}
	if strings.Contains(got[2].Cordon.TimeDerivation, "unknown") {
		t.Errorf("a line with its own offset: %q", got[2].Cordon.TimeDerivation)
	}
}

// TestContinuationAndRepeats: an indented line continues the line before;
// repeated messages keep their meaning and say how many.
func TestContinuationAndRepeats(t *testing.T) {
	file := strings.Join([]string{
		"Nov 18 01:15:20 h aprocess[10100]: This is a multi-line message that screws up",
		"\tmany syslog parsers.",
		"Nov 18 01:15:21 h sshd[7]: Failed password for root from 203.0.113.7 port 4000 ssh2",
		"Nov 18 01:15:43 h --- last message repeated 5 times ---",
		"Nov 18 01:15:44: --- last message repeated 2 times ---",
		"Nov 18 01:15:45 h sshd[7]: message repeated 3 times: [ Failed password for root from 203.0.113.7 port 4000 ssh2]",
	}, "\n") + "\n"
	evs, ws := parse(t, file, timeline.Origin{ModTime: mtime})
	if len(evs) != 5 || len(ws) != 0 {
		t.Fatalf("%d events, %+v", len(evs), ws)
	}
	if evs[0].Message != "aprocess: This is a multi-line message that screws up\nmany syslog parsers." || evs[0].Labels["syslog.continuation_lines"] != "1" {
		t.Errorf("continuation: %q %v", evs[0].Message, evs[0].Labels)
	}
	for i, want := range []string{"", "", "5", "2", "3"} {
		e := evs[i]
		if e.Labels["syslog.repeated"] != want {
			t.Errorf("event %d: repeated %q, want %q", i, e.Labels["syslog.repeated"], want)
		}
		if i >= 1 && (e.Event.Action != "ssh-login" || e.Event.Outcome != "failure" || e.Source == nil || e.Source.IP != "203.0.113.7") {
			t.Errorf("event %d: %s/%s %+v", i, e.Event.Action, e.Event.Outcome, e.Source)
		}
	}
	if evs[2].Labels["syslog.repeats_line"] != "3" || evs[3].Labels["syslog.repeats_line"] != "3" || evs[2].Cordon.Provenance.Line != 4 {
		t.Errorf("last message repeated: %v line %d", evs[2].Labels, evs[2].Cordon.Provenance.Line)
	}
}
