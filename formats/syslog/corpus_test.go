package syslog

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// readCorpus parses a file of ../shared/corpus/plaso (gunzipped when .gz),
// as the analyzer would, with the file's mtime at the given time.
func readCorpus(t *testing.T, name, entry string, modTime time.Time) ([]timeline.Event, []timeline.Warning) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.Corpus(t, "plaso"), name))
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(data)
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var evs []timeline.Event
	var ws []timeline.Warning
	o := timeline.Origin{Entry: entry, ModTime: modTime, Location: time.UTC, Host: "myhostname"}
	if err := Parse(r, o, Options{}, func(e timeline.Event) { evs = append(evs, e) }, func(w timeline.Warning) { ws = append(ws, w) }); err != nil {
		t.Fatal(err)
	}
	return evs, ws
}

func notSyslog(ws []timeline.Warning) (n int, lines []int64) {
	for _, w := range ws {
		if strings.HasPrefix(w.Message, "not a syslog line") {
			n++
			lines = append(lines, w.Line)
		}
	}
	return n, lines
}

// TestCorpusSyslog: plaso's syslog test file as its README says: 16
// events, 1 line plaso cannot read, the tab-indented line part of the line
// before, "last message repeated" and Feb 29 valid.
func TestCorpusSyslog(t *testing.T) {
	evs, ws := readCorpus(t, "syslog", "fs/var/log/syslog", time.Date(2026, 12, 1, 14, 27, 0, 0, time.UTC))
	if len(evs) != 16 {
		t.Fatalf("%d events, want 16; warnings %+v", len(evs), ws)
	}
	if n, lines := notSyslog(ws); n != 1 || lines[0] != 8 {
		t.Errorf("unreadable lines %v, want line 8 alone (MMM 22)", lines)
	}
	byLine := map[int64]timeline.Event{}
	for _, e := range evs {
		byLine[e.Cordon.Provenance.Line] = e
	}
	if e := byLine[1]; e.Host.Name != "myhostname.myhost.com" || e.Process.Name != "client" || e.Process.PID != 30840 || e.Message != "client: INFO No new content in ímynd.dd." {
		t.Errorf("line 1: %+v %+v %q", e.Host, e.Process, e.Message)
	}
	if e := byLine[6]; e.Message != "Job `cron.daily' terminated" || e.Host.Name != "myhostname.myhost.com" {
		t.Errorf("line 6 (no program): %q", e.Message)
	}
	if e := byLine[7]; e.Timestamp.Month() != time.February || e.Timestamp.Day() != 29 || !isLeap(e.Timestamp.Year()) {
		t.Errorf("Feb 29 line dated %s (%s)", e.Timestamp, e.Cordon.TimeDerivation)
	}
	if e := byLine[11]; e.Timestamp.Nanosecond() != 123e6 || e.Process.PID != 19 {
		t.Errorf("fractional seconds: %s", e.Timestamp)
	}
	if e := byLine[12]; e.Process.Name != "/sbin/anacron" {
		t.Errorf("line 12 program %q", e.Process.Name)
	}
	if e := byLine[13]; !strings.HasSuffix(e.Message, "screws up\nmany syslog parsers.") {
		t.Errorf("continuation: %q", e.Message)
	}
	if _, ok := byLine[14]; ok {
		t.Error("the continuation line is an event of its own")
	}
	if e := byLine[15]; e.Host.Name != "victoria" || e.Timestamp.Day() != 6 {
		t.Errorf("single-character day: %+v %s", e.Host, e.Timestamp)
	}
	if e := byLine[16]; e.Labels["syslog.repeated"] != "5" || e.Labels["syslog.repeats_line"] != "15" {
		t.Errorf("last message repeated: %v", e.Labels)
	}
	if e := byLine[17]; e.Process.Name != "kernel" || e.Host.Name != "myhostname" {
		t.Errorf("kernel line without a host: %+v %+v", e.Process, e.Host)
	}
	// the years run forward through the file: each group after a step back
	// is a year later, and the last line is before the mtime
	for i := 1; i < len(evs); i++ {
		if evs[i].Timestamp.Year() < evs[i-1].Timestamp.Year() {
			t.Errorf("line %d (%s) a year before line %d (%s)", evs[i].Cordon.Provenance.Line, evs[i].Timestamp, evs[i-1].Cordon.Provenance.Line, evs[i-1].Timestamp)
		}
	}
	if last := evs[len(evs)-1]; last.Timestamp.Year() != 2026 {
		t.Errorf("last line dated %s", last.Timestamp)
	}
}

// TestCorpusSyslogGz: the gzip-compressed copy (the analyzer gunzips it):
// its two unreadable lines are warnings, the rest events.
func TestCorpusSyslogGz(t *testing.T) {
	evs, ws := readCorpus(t, "syslog.gz", "fs/var/log/syslog.2.gz", time.Date(2026, 12, 1, 14, 27, 0, 0, time.UTC))
	if n, lines := notSyslog(ws); len(evs) != 12 || n != 2 {
		t.Errorf("%d events, unreadable lines %v", len(evs), lines)
	}
}

// TestCorpusRsyslog: 5 events, RFC 3339 times as written.
func TestCorpusRsyslog(t *testing.T) {
	evs, ws := readCorpus(t, "syslog_rsyslog", "fs/var/log/messages", time.Time{})
	if len(evs) != 5 || len(ws) != 0 {
		t.Fatalf("%d events, %+v", len(evs), ws)
	}
	e := evs[0]
	if !e.Timestamp.Equal(time.Date(2020, 5, 31, 0, 0, 45, 698463000, time.UTC)) || e.Host.Name != "localhost" || e.Process.Name != "rsyslogd" || e.Labels["syslog.repeated"] != "76" {
		t.Errorf("first event %s %+v %+v %v", e.Timestamp, e.Host, e.Process, e.Labels)
	}
}

// TestCorpusSSH: 9 sshd events, each with its meaning, whatever the spacing.
func TestCorpusSSH(t *testing.T) {
	evs, ws := readCorpus(t, "syslog_ssh.log", "fs/var/log/auth.log", time.Date(2026, 12, 1, 14, 27, 0, 0, time.UTC))
	if len(evs) != 9 || len(ws) != 0 {
		t.Fatalf("%d events, %+v", len(evs), ws)
	}
	want := []string{"ssh-listening/success", "ssh-login/success", "ssh-login/success", "ssh-login/failure", "ssh-connection", "ssh-login/failure",
		"ssh-login/success", "ssh-login/success", "ssh-login/success"}
	for i, e := range evs {
		got := e.Event.Action
		if e.Event.Outcome == "success" || e.Event.Outcome == "failure" {
			got += "/" + e.Event.Outcome
		}
		if got != want[i] {
			t.Errorf("line %d: %s, want %s", i+1, got, want[i])
		}
	}
	if e := evs[1]; e.User.Name != "plaso" || e.Source.IP != "192.168.0.1" {
		t.Errorf("login: %+v %+v", e.User, e.Source)
	}
	if e := evs[3]; e.Source.IP != "001:db8:a0b:12f0::1" || e.Source.Port != 8759 {
		t.Errorf("failure: %+v", e.Source)
	}
	if e := evs[4]; e.Source.IP != "188.124.3.41" || e.Source.Port != 32889 {
		t.Errorf("connection: %+v", e.Source)
	}
}

// TestCorpusCron: 9 cron commands with their user and command.
func TestCorpusCron(t *testing.T) {
	evs, ws := readCorpus(t, "syslog_cron.log", "fs/var/log/syslog.1", time.Date(2026, 12, 1, 14, 27, 0, 0, time.UTC))
	if len(evs) != 9 || len(ws) != 0 {
		t.Fatalf("%d events, %+v", len(evs), ws)
	}
	for _, e := range evs {
		if e.Event.Action != "cron-command" || e.User.Name != "root" {
			t.Errorf("line %d: %s %+v", e.Cordon.Provenance.Line, e.Event.Action, e.User)
		}
	}
	if c := evs[1].Process.CommandLine; c != "sleep $(( 1 * 60 )); touch /tmp/afile.txt" {
		t.Errorf("command %q", c)
	}
}
