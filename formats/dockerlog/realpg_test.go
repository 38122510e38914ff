package dockerlog

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/pglog"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// TestPostgreSQLInContainerLog: a real PostgreSQL 15 logging to its
// standard error as the official postgres image does (logging_collector
// off, the default log_line_prefix '%m [%p] '), its lines kept one JSON
// record each as Docker's json-file driver writes a container's stderr;
// the records read back are PostgreSQL events of the container: the
// COPY … TO PROGRAM marked, the multi-line statement whole, the failing
// statement with its STATEMENT line.
func TestPostgreSQLInContainerLog(t *testing.T) {
	pg := testenv.StartPostgreSQL(t, testenv.PGConfig{Conf: "logging_collector = off\nlog_connections = on\n"})
	for _, sql := range []string{"SELECT\n  2 AS two,\n  'x' AS ex", "SELECT * FROM no_such_table", "COPY (SELECT 1) TO PROGRAM 'true'"} {
		pg.Psql("postgres", sql) // the failing statement fails on purpose
	}
	pg.Stop(t)
	stderrLog := pg.LogFile

	// the json-file driver: one record a line of the stream, "time" when read
	raw, err := os.ReadFile(stderrLog)
	if err != nil {
		t.Fatal(err)
	}
	var js strings.Builder
	at := time.Now().UTC()
	for i, line := range strings.SplitAfter(string(raw), "\n") {
		if line == "" {
			continue
		}
		b, _ := json.Marshal(map[string]string{"log": line, "stream": "stderr", "time": at.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)})
		js.Write(b)
		js.WriteByte('\n')
	}
	res := ParseBytes([]byte(js.String()), origin)
	for _, w := range res.Warnings {
		t.Errorf("warning: %+v", w)
	}
	var statements []string
	copyProgram, failed := false, false
	for _, e := range res.Events {
		if e.Event.Dataset != "postgresql" || e.Container == nil || e.Container.ID != cid {
			t.Errorf("not a PostgreSQL event of the container: %s %q", e.Event.Dataset, e.Message)
			continue
		}
		if e.Timestamp.Before(at.Add(-time.Hour)) || e.Timestamp.After(at.Add(time.Hour)) {
			t.Errorf("%q dated %s", e.Message, e.Timestamp)
		}
		switch e.Event.Action {
		case "statement":
			statements = append(statements, e.Labels["postgresql.statement"])
			if e.Labels["postgresql.dangerous"] == pglog.KindCopyProgram && e.Labels["postgresql.program"] == "true" {
				copyProgram = true
			}
		case "error":
			failed = failed || strings.Contains(e.Labels["postgresql.statement"], "no_such_table")
		}
	}
	want := []string{"SELECT\n  2 AS two,\n  'x' AS ex", "SELECT * FROM no_such_table", "COPY (SELECT 1) TO PROGRAM 'true'"}
	if strings.Join(statements, "|") != strings.Join(want, "|") || !copyProgram || !failed {
		t.Errorf("statements %q, COPY TO PROGRAM marked %v, the error with its statement %v\n%s", statements, copyProgram, failed, raw)
	}
}
