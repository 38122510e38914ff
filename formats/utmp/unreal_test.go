package utmp

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// TestUnreal: records no real host writes are warnings with their offset,
// never events; real ones at the edges of the bounds are events.
func TestUnreal(t *testing.T) {
	readAt := time.Unix(t0, 0).Add(30 * 24 * time.Hour)
	birth := time.Unix(t0, 0).Add(-10 * 24 * time.Hour)
	o := wtmpOrigin
	o.ReadAt, o.Birth, o.ModTime = readAt, birth, readAt.Add(-time.Hour)
	for _, c := range []struct {
		name string
		r    rec
		why  string // "" for a real record
	}{
		{"a login", rec{typ: UserProcess, pid: 7, line: "pts/0", user: "root", host: "203.0.113.7", sec: t0}, ""},
		{"a name in UTF-8", rec{typ: UserProcess, pid: 7, line: "pts/0", user: "jürgen", sec: t0}, ""},
		{"a run level encodes levels in ut_pid", rec{typ: RunLevel, pid: 0x3335, user: "runlevel", host: "6.1.0", sec: t0}, ""},
		{"a day after the collection is clock skew", rec{typ: BootTime, user: "reboot", host: "6.1.0", sec: readAt.Unix() + 3600}, ""},
		{"a boot months before the file was born", rec{typ: BootTime, user: "reboot", host: "6.1.0", sec: birth.Unix() - 200*86400}, ""},
		{"control bytes in the line", rec{typ: UserProcess, pid: 7, line: "pts/\x1b[2J", user: "root", sec: t0}, "ut_line is not printable text"},
		{"invalid UTF-8 in the user", rec{typ: UserProcess, pid: 7, line: "pts/0", user: "r\xffoot", sec: t0}, "ut_user is not printable text"},
		{"a NUL-free host of control bytes", rec{typ: BootTime, host: strings.Repeat("\x01", 256), sec: t0}, "ut_host is not printable text"},
		{"microseconds out of range", rec{typ: BootTime, user: "reboot", sec: t0, usec: 1000000}, "tv_usec 1000000"},
		{"a negative PID", rec{typ: DeadProcess, pid: -5, line: "pts/0", sec: t0}, "ut_pid -5 is no process ID"},
		{"a PID over pid_max", rec{typ: UserProcess, pid: 1 << 23, line: "pts/0", user: "root", sec: t0}, "is no process ID"},
		{"a boot in 2053", rec{typ: BootTime, user: "reboot", host: "6.1.0", sec: time.Date(2053, 5, 1, 0, 0, 0, 0, time.UTC).Unix()}, "after the collection"},
		{"a login in 1981, long before the file", rec{typ: UserProcess, pid: 7, line: "pts/0", user: "root", sec: time.Date(1981, 5, 1, 0, 0, 0, 0, time.UTC).Unix()}, "more than a year before the file was created"},
	} {
		evs, warns, err := parse(c.r.bytes(t, LittleEndian384), o, Options{Layout: LittleEndian384})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.why == "" && (len(evs) != 1 || len(warns) != 0):
			t.Errorf("%s: %d events, warnings %+v", c.name, len(evs), warns)
		case c.why != "" && (len(evs) != 0 || len(warns) != 1 || !strings.Contains(warns[0].Message, c.why) || warns[0].Offset != 0):
			t.Errorf("%s: %d events, warnings %+v", c.name, len(evs), warns)
		case c.why != "" && strings.ContainsAny(warns[0].Message, "\x1b\x01\xff"):
			t.Errorf("%s: raw bytes in the warning %q", c.name, warns[0].Message)
		}
	}
}

// TestCopiedFileKeepsOldRecords: a wtmp copied by hand is born after its
// last write: its birth bounds nothing, its old records are read.
func TestCopiedFileKeepsOldRecords(t *testing.T) {
	o := wtmpOrigin
	o.ReadAt = time.Unix(t0, 0).Add(20 * 365 * 24 * time.Hour)
	o.ModTime, o.Birth = o.ReadAt.Add(-time.Hour), o.ReadAt.Add(-time.Hour)
	evs, warns, err := parse(rec{typ: UserProcess, pid: 7, line: "pts/0", user: "root", sec: t0}.bytes(t, LittleEndian384), o, Options{})
	if err != nil || len(evs) != 1 || len(warns) != 0 {
		t.Errorf("%d events, warnings %+v, %v", len(evs), warns, err)
	}
}

// TestRandomWtmp: 50 MB of random bytes read as a wtmp (it once gave two
// "boot" records dated 2053 and 2056, and a first login in 1981): no
// event at all, so no finding can rest on one; warnings bounded.
func TestRandomWtmp(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB")
	}
	b := make([]byte, 50<<20)
	rand.New(rand.NewSource(20261201)).Read(b)
	o := wtmpOrigin
	o.ReadAt = time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	o.ModTime = o.ReadAt.Add(-time.Hour)
	var evs []timeline.Event
	warns := 0
	if err := Parse(strings.NewReader(string(b)), o, func(e timeline.Event) { evs = append(evs, e) }, func(timeline.Warning) { warns++ }); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		t.Errorf("an event from random bytes: %s %s %q", e.Timestamp, e.Event.Action, e.Event.Original)
	}
	if warns == 0 || warns > MaxItemised+3 {
		t.Errorf("%d warnings", warns)
	}
}
