package pglog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// TestRealPostgreSQL15 starts a PostgreSQL 15 server on 127.0.0.1 from a
// fresh data directory, logging to stderr, csvlog and jsonlog at once with
// a custom log_line_prefix; connects over TCP with psql and makes known
// connections and statements (a multi-line one, a failing one, a login
// with a role that does not exist, and a harmless COPY … TO PROGRAM);
// stops it, then parses the three logs and checks they hold those
// connections and statements, with the clients' ports agreeing.
func TestRealPostgreSQL15(t *testing.T) {
	const prefix = "%m [%p] %q%u@%d %r app=%a "
	pg := testenv.StartPostgreSQL(t, testenv.PGConfig{Conf: `logging_collector = on
log_directory = 'log'
log_filename = 'pg'
log_destination = 'stderr,csvlog,jsonlog'
log_connections = on
log_disconnections = on
log_line_prefix = '` + prefix + `'
`})
	data := pg.Data
	stop := func() { pg.Stop(t) }
	run := func(role, sql string) string {
		out, _ := pg.Psql(role, sql, "PGAPPNAME=cordon-test") // the failing statement and the unknown role fail on purpose
		return out
	}
	// the server's own word for this session's backend and client port,
	// to compare with what the logs say
	var seen clientSeen
	if _, err := fmt.Sscanf(run("postgres", "SELECT pg_backend_pid(), inet_client_port()"), "%d|%d", &seen.pid, &seen.port); err != nil || seen.port == 0 {
		t.Fatalf("pg_backend_pid, inet_client_port: %v", err)
	}
	run("postgres", "SELECT 1 AS one")
	run("postgres", "SELECT\n  2 AS two,\n  'x' AS ex")
	run("postgres", "SELECT * FROM no_such_table")
	run("nobody", "SELECT 3")
	run("postgres", "COPY (SELECT 1) TO PROGRAM 'true'")
	stop()

	logs := filepath.Join(data, "log")
	for _, c := range []struct {
		file string
		opts Options
	}{
		{"pg", Options{LinePrefix: prefix}},
		{"pg", Options{}}, // recognised without being told the prefix
		{"pg.csv", Options{}},
		{"pg.json", Options{}},
	} {
		t.Run(fmt.Sprintf("%s prefix=%v", c.file, c.opts.LinePrefix != ""), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(logs, c.file))
			if err != nil {
				t.Fatal(err)
			}
			evs, ws := parse(t, string(raw), timeline.Origin{Entry: "fs/var/lib/postgresql/15/main/log/" + c.file}, c.opts)
			for _, w := range ws {
				t.Errorf("warning: %+v", w)
			}
			checkRealSession(t, evs, seen)
		})
	}
}

// clientSeen is a backend PID and its client's port, as the server told them.
type clientSeen struct {
	pid  int64
	port int
}

// checkRealSession asserts what TestRealPostgreSQL15 did is in the events.
func checkRealSession(t *testing.T, evs []timeline.Event, seen clientSeen) {
	t.Helper()
	received := map[int64]int{} // backend pid → client port
	var statements []string
	var copyProgram, badRole, failedSelect bool
	for _, e := range evs {
		pid := int64(0)
		if e.Process != nil {
			pid = e.Process.PID
		}
		switch e.Event.Action {
		case "connection-received":
			if e.Source == nil || e.Source.IP != "127.0.0.1" || e.Source.Port == 0 {
				t.Errorf("connection without its client: %+v", e)
				continue
			}
			received[pid] = e.Source.Port
		case "statement":
			sql := e.Labels["postgresql.statement"]
			statements = append(statements, sql)
			if e.Source == nil || e.Source.Port != received[pid] || e.User == nil || e.User.Name != "postgres" {
				t.Errorf("statement %q without its session's client and role: %+v %+v", sql, e.Source, e.User)
			}
			if e.Labels["postgresql.dangerous"] == KindCopyProgram && e.Labels["postgresql.program"] == "true" {
				copyProgram = true
			}
		case "authentication-failed":
			if e.User != nil && e.User.Name == "nobody" && e.Source != nil && e.Source.Port == received[pid] {
				badRole = true
			}
		case "error":
			if strings.Contains(e.Labels["postgresql.statement"], "no_such_table") {
				failedSelect = true
			}
		}
	}
	if len(received) != 6 {
		t.Errorf("%d connections received, want 6", len(received))
	}
	if received[seen.pid] != seen.port {
		t.Errorf("backend %d: the log says client port %d, the server said %d", seen.pid, received[seen.pid], seen.port)
	}
	want := []string{"SELECT pg_backend_pid(), inet_client_port()", "SELECT 1 AS one", "SELECT\n  2 AS two,\n  'x' AS ex", "SELECT * FROM no_such_table", "COPY (SELECT 1) TO PROGRAM 'true'"}
	if strings.Join(statements, "|") != strings.Join(want, "|") {
		t.Errorf("statements\n got %q\nwant %q", statements, want)
	}
	if !copyProgram || !badRole || !failedSelect {
		t.Errorf("COPY TO PROGRAM marked %v, unknown role %v, failing statement %v", copyProgram, badRole, failedSelect)
	}
}
