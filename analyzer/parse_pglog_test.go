package analyzer

import (
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

func TestPostgresLogEntries(t *testing.T) {
	for name, want := range map[string]bool{
		"fs/var/log/postgresql/postgresql-15-main.log":                       true,
		"fs/var/log/postgresql/postgresql-15-main.log.2.gz":                  true,
		"fs/var/lib/postgresql/15/main/log/postgresql-2026-11-23_000000.csv": true,
		"fs/srv/db/logs/postgresql-2026-11-23_000000.log":                    true,
		"fs/var/lib/pgsql/data/log/postgresql-Mon.log":                       true,
		"fs/etc/postgresql/15/main/postgresql.conf":                          false,
		"fs/var/log/syslog":                            false,
		"fs/var/lib/postgresql/15/main/postmaster.pid": false,
	} {
		e := bundle.EntryRecord{Name: name, Source: "logs"}
		if strings.HasPrefix(name, "fs/etc/") {
			e.Source = "exposure"
		}
		if got := isPostgresLog(e); got != want {
			t.Errorf("isPostgresLog(%s) = %v, want %v", name, got, want)
		}
	}
}

// The analyst's log_line_prefix (cordon analyze --pg-log-line-prefix)
// reaches the parser: a prefix no heuristic reads is read exactly.
func TestPostgresLogLinePrefixSetting(t *testing.T) {
	const line = "db01|4242|app|shop|LOG:  statement: SELECT 1\n"
	var p Parser
	for _, q := range ParsersFor(bundle.EntryRecord{Name: "fs/var/log/postgresql/postgresql-15-main.log", Source: "logs"}) {
		if q.Name == "postgresql" {
			p = q
		}
	}
	if p.Parse == nil {
		t.Fatal("no postgresql parser")
	}
	run := func(settings map[string]string) timeline.Event {
		var evs []timeline.Event
		err := p.Parse(strings.NewReader(line), timeline.Origin{Entry: "fs/var/log/postgresql/postgresql-15-main.log", Settings: settings},
			Emit{Event: func(e timeline.Event) { evs = append(evs, e) }, Warn: func(timeline.Warning) {}})
		if err != nil || len(evs) != 1 {
			t.Fatalf("%v, %d events", err, len(evs))
		}
		return evs[0]
	}
	if e := run(nil); e.User != nil && e.User.Name == "app" {
		t.Errorf("the odd prefix was read without being given: %+v", e)
	}
	e := run(map[string]string{SettingPGLogLinePrefix: "%h|%p|%u|%d|"})
	if e.User == nil || e.User.Name != "app" || e.Process.PID != 4242 || e.Labels["postgresql.database"] != "shop" {
		t.Errorf("with the prefix given: %+v", e)
	}
}

func TestSyslogEntries(t *testing.T) {
	for name, want := range map[string]bool{
		"fs/var/log/auth.log":           true,
		"fs/var/log/auth.log.2.gz":      true,
		"fs/var/log/secure-20261101":    true,
		"fs/var/log/syslog.1":           true,
		"fs/var/log/messages":           true,
		"fs/var/log/kern.log":           true,
		"fs/var/log/authlog":            false,
		"fs/var/log/postgresql/syslog":  false,
		"fs/var/log/syslog-ng.conf.bak": false,
	} {
		if got := isSyslogEntry(name); got != want {
			t.Errorf("isSyslogEntry(%s) = %v, want %v", name, got, want)
		}
	}
}
