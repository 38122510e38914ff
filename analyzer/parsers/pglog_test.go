package parsers

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	for _, q := range For(bundle.EntryRecord{Name: "fs/var/log/postgresql/postgresql-15-main.log", Source: "logs"}) {
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

// pgParser returns the registered PostgreSQL log parser for an entry.
func pgParser(t *testing.T, e bundle.EntryRecord) Parser {
	t.Helper()
	for _, q := range For(e) {
		if q.Name == "postgresql" {
			return q
		}
	}
	t.Fatalf("no postgresql parser for %s", e.Name)
	return Parser{}
}

// TestPostgresLogSample: the checked-in bundle's PostgreSQL log (the
// reenactment, samples/reenact.sh) read through the registered parser
// holds the attacker's COPY … TO PROGRAM from 10.213.0.2, with its session.
func TestPostgresLogSample(t *testing.T) {
	const name = "fs/var/log/postgresql/postgresql-15-cordonreenact.log"
	f, err := os.Open(filepath.Join("..", "..", "samples", "incident.cordon"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, done, _, err := bundle.Open(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	tr := tar.NewReader(zr)
	var data []byte
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the sample: %v", name, err)
		}
		if hdr.Name == name {
			if data, err = io.ReadAll(io.LimitReader(tr, 16<<20)); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	p := pgParser(t, bundle.EntryRecord{Name: name, Source: "logs"})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	for _, c := range []struct {
		entry string
		data  []byte
	}{{name, data}, {name + ".1.gz", gz.Bytes()}} { // a rotation is read through gzip
		var evs []timeline.Event
		var ws []timeline.Warning
		err := p.Parse(bytes.NewReader(c.data), timeline.Origin{Entry: c.entry},
			Emit{Event: func(e timeline.Event) { evs = append(evs, e) }, Warn: func(w timeline.Warning) { ws = append(ws, w) }})
		if err != nil || len(ws) != 0 {
			t.Fatalf("%s: %v, warnings %+v", c.entry, err, ws)
		}
		var copies []string
		for _, e := range evs {
			if e.Labels["postgresql.dangerous"] != "copy-program" {
				continue
			}
			if e.Event.Action != "statement" || e.Source == nil || e.Source.IP != "10.213.0.2" || e.User == nil || e.User.Name != "postgres" ||
				e.Labels["postgresql.database"] != "postgres" || e.Process == nil {
				t.Errorf("%s: COPY … TO PROGRAM without its session: %+v", c.entry, e)
				continue
			}
			copies = append(copies, fmt.Sprintf("%d %d %s", e.Process.PID, e.Source.Port, e.Labels["postgresql.program"]))
		}
		want := []string{"30155 56946 base64 -d > /tmp/mysql && chmod 755 /tmp/mysql", "30161 56948 exec /tmp/mysql >/dev/null 2>&1"}
		if strings.Join(copies, "|") != strings.Join(want, "|") {
			t.Errorf("%s: COPY … TO PROGRAM\n got %q\nwant %q", c.entry, copies, want)
		}
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
