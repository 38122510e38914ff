package findings

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/syslog"
	"github.com/cordon-forensics/cordon/timeline"
)

// bruteForceLog writes what a password-guessing run leaves in auth.log,
// connection by connection, as OpenSSH 8/9 with Linux-PAM on Debian
// writes it (formats/syslog/auth_sources_test.go cites each form): for
// each connection an invalid user or not, the pam_unix failure then, two
// seconds later (pam_faildelay), sshd's "Failed password", two more
// "Failed password" on the same connection (the second reduced by
// rsyslog to "message repeated"), the disconnection and PAM's summary.
// It returns the log and how many passwords were tried.
func bruteForceLog(conns int) (string, int) {
	var b strings.Builder
	t := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	line := func(pid int, format string, a ...any) {
		fmt.Fprintf(&b, "%s web01 sshd[%d]: %s\n", t.Format("Jan _2 15:04:05"), pid, fmt.Sprintf(format, a...))
	}
	tried := 0
	for c := 0; c < conns; c++ {
		pid, port := 4000+c, 40000+c
		user, invalid := "root", ""
		if c%3 == 2 {
			user, invalid = "oracle", "invalid user "
			line(pid, "Invalid user oracle from 203.0.113.7 port %d", port)
			line(pid, "Failed none for invalid user oracle from 203.0.113.7 port %d ssh2", port)
			line(pid, "pam_unix(sshd:auth): check pass; user unknown")
			line(pid, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7")
		} else {
			line(pid, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root")
		}
		t = t.Add(2 * time.Second)
		line(pid, "Failed password for %s%s from 203.0.113.7 port %d ssh2", invalid, user, port)
		t = t.Add(3 * time.Second)
		line(pid, "Failed password for %s%s from 203.0.113.7 port %d ssh2", invalid, user, port)
		t = t.Add(3 * time.Second)
		line(pid, "message repeated 1 times: [ Failed password for %s%s from 203.0.113.7 port %d ssh2]", invalid, user, port)
		tried += 3
		line(pid, "Connection closed by %s%s 203.0.113.7 port %d [preauth]", map[bool]string{true: "invalid user ", false: "authenticating user "}[invalid != ""], user, port)
		line(pid, "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=%s", user)
		t = t.Add(time.Second)
	}
	return b.String(), tried
}

func parseAuth(t *testing.T, log, entry, dataset string) []timeline.Event {
	t.Helper()
	var evs []timeline.Event
	err := syslog.Parse(strings.NewReader(log), timeline.Origin{Entry: entry, ModTime: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), Location: time.UTC},
		syslog.Options{Dataset: dataset}, func(e timeline.Event) { evs = append(evs, e) }, func(w timeline.Warning) { t.Errorf("warning %+v", w) })
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

var reAttempts = regexp.MustCompile(`: (\d+) failed login attempts from .* counted from (\d+) failure lines`)

// acc002 runs the built-in rules and returns CORDON-ACC-002's instance
// counts: attempts and the lines they came from.
func acc002(t *testing.T, evs []timeline.Event) (attempts, lines int, summary string) {
	t.Helper()
	e := NewEngine(builtin(t))
	for _, ev := range evs {
		e.Add(ev)
	}
	for _, f := range e.Findings() {
		if f.RuleID != "CORDON-ACC-002" {
			continue
		}
		if len(f.Instances) != 1 {
			t.Fatalf("instances %q", f.Instances)
		}
		m := reAttempts.FindStringSubmatch(f.Instances[0])
		if m == nil {
			t.Fatalf("summary %q", f.Instances[0])
		}
		a, _ := strconv.Atoi(m[1])
		l, _ := strconv.Atoi(m[2])
		return a, l, f.Instances[0]
	}
	t.Fatal("no CORDON-ACC-002")
	return 0, 0, ""
}

// TestBruteForceCountsAttempts: one attempt, one count, whatever the lines
// it left: the pam_unix line and sshd's "Failed" line of one attempt are
// one, "message repeated" counts its N, "Failed none" and the summaries
// count nothing, and the journal's copy of the same lines adds nothing.
func TestBruteForceCountsAttempts(t *testing.T) {
	log, tried := bruteForceLog(100)
	evs := parseAuth(t, log, "fs/var/log/auth.log", "")
	attempts, lines, sum := acc002(t, evs)
	if attempts != tried {
		t.Errorf("%d attempts counted, %d tried: %s", attempts, tried, sum)
	}
	if lines <= attempts {
		t.Errorf("%d lines for %d attempts: the joining did nothing?", lines, attempts)
	}
	if !strings.Contains(sum, "are one attempt") || !strings.Contains(sum, "root (") || !strings.Contains(sum, "oracle (") {
		t.Errorf("the finding does not say how it counted: %s", sum)
	}
	// the same lines in the journal too (rsyslog and journald both kept them)
	journal := parseAuth(t, log, "fs/var/log/journal/x/system.journal", "journal")
	if a, _, s := acc002(t, append(append([]timeline.Event{}, evs...), journal...)); a != tried {
		t.Errorf("with the journal's copy: %d attempts, %d tried: %s", a, tried, s)
	}
	// btmp holds one record per failed password of each process
	var btmp []timeline.Event
	for _, e := range evs {
		if e.Event.Action == "ssh-login" && e.Event.Outcome == "failure" && e.Labels["ssh.method"] == "password" {
			n, _ := strconv.Atoi(e.Labels["syslog.repeated"])
			for i := 0; i < max(n, 1); i++ {
				b := timeline.Event{Timestamp: e.Timestamp, Event: timeline.EventFields{Dataset: "btmp", Action: "login-failed", Outcome: "failure"},
					User: e.User, Source: &timeline.Endpoint{IP: e.Source.IP}, Process: &timeline.Process{PID: e.Process.PID}}
				btmp = append(btmp, b)
			}
		}
	}
	if a, _, s := acc002(t, append(append([]timeline.Event{}, evs...), btmp...)); a != tried {
		t.Errorf("with btmp: %d attempts, %d tried: %s", a, tried, s)
	}
}
