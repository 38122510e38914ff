package utmp

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// TestCorpus: plaso's login-record files as its README (and util-linux's
// utmpdump) read them.
func TestCorpus(t *testing.T) {
	dir := testenv.Corpus(t, "plaso")
	read := func(name, entry string) ([]timeline.Event, []timeline.Warning) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		o := timeline.Origin{Entry: entry, ReadAt: time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)}
		evs, warns, err := parse(b, o, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return evs, warns
	}
	at := func(evs []timeline.Event, off int64) *timeline.Event {
		for i := range evs {
			if evs[i].Cordon.Provenance.Offset == off {
				return &evs[i]
			}
		}
		return nil
	}

	// wtmp.1: 4 records, 2 all-zero; the login: userA, PID 20060, from 10.10.122.1, at 2011-12-01T17:36:38.432935Z
	evs, warns := read("wtmp.1", "fs/var/log/wtmp.1")
	login := 0
	for _, e := range evs {
		if e.Event.Action != "user-login" {
			continue
		}
		login++
		if e.User.Name != "userA" || e.Process.PID != 20060 || e.Source == nil || e.Source.IP != "10.10.122.1" ||
			!e.Timestamp.Equal(time.Date(2011, 12, 1, 17, 36, 38, 432935000, time.UTC)) {
			t.Errorf("wtmp.1 login: %+v %+v %+v %s", e.User, e.Process, e.Source, e.Timestamp)
		}
	}
	if len(evs) != 2 || login != 1 || !hasWarning(warns, "2 all-zero records") {
		t.Errorf("wtmp.1: %d events (%d logins), warnings %+v", len(evs), login, warns)
	}

	// utmp: 14 records; a LOGIN record on tty4, PID 1115
	evs, warns = read("utmp", "fs/run/utmp")
	zeros := 0
	for _, w := range warns {
		if n, ok := countAllZero(w.Message); ok {
			zeros += n
		}
	}
	if len(evs)+zeros != 14 {
		t.Errorf("utmp: %d events and %d all-zero records, want 14 records; warnings %+v", len(evs), zeros, warns)
	}
	found := false
	for _, e := range evs {
		if e.Event.Action == "login-process" && e.Labels["tty"] == "tty4" && e.Process.PID == 1115 {
			found = true
		}
	}
	if !found {
		t.Errorf("utmp: no LOGIN_PROCESS record on tty4 with PID 1115")
	}

	// utmp_x86_64: 6 records; the one at byte 384: PID 19, tty2, host 4.3.2.1
	evs, _ = read("utmp_x86_64", "fs/run/utmp")
	if e := at(evs, 384); len(evs) != 6 || e == nil || e.Process == nil || e.Process.PID != 19 || e.Labels["tty"] != "tty2" || e.Source == nil || e.Source.IP != "4.3.2.1" {
		t.Errorf("utmp_x86_64: %d events, at 384 %+v", len(evs), e)
	}

	// utmp_corrupted: 2 good records and damage; user bob at byte 1152 from 10.0.0.5
	evs, warns = read("utmp_corrupted", "fs/var/log/wtmp")
	if e := at(evs, 1152); len(evs) != 2 || e == nil || e.User == nil || e.User.Name != "bob" || e.Source == nil || e.Source.IP != "10.0.0.5" || len(warns) == 0 {
		t.Errorf("utmp_corrupted: %d events, at 1152 %+v, warnings %+v", len(evs), e, warns)
	}
}

func hasWarning(ws []timeline.Warning, s string) bool {
	for _, w := range ws {
		if strings.Contains(w.Message, s) {
			return true
		}
	}
	return false
}

// countAllZero reads the count of the all-zero summary warning.
func countAllZero(msg string) (int, bool) {
	var kind string
	var n int
	if _, err := fmt.Sscanf(msg, "%s %d all-zero records", &kind, &n); err != nil {
		return 0, false
	}
	return n, true
}
