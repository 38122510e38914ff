package dockerlog

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/pglog"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

const pgBin = "/usr/lib/postgresql/15/bin/"

// TestPostgreSQLInContainerLog: a real PostgreSQL 15 logging to its
// standard error as the official postgres image does (logging_collector
// off, the default log_line_prefix '%m [%p] '), its lines kept one JSON
// record each as Docker's json-file driver writes a container's stderr;
// the records read back are PostgreSQL events of the container: the
// COPY … TO PROGRAM marked, the multi-line statement whole, the failing
// statement with its STATEMENT line.
func TestPostgreSQLInContainerLog(t *testing.T) {
	testenv.NeedRoot(t)
	initdb := testenv.NeedTool(t, pgBin+"initdb")
	pgctl := testenv.NeedTool(t, pgBin+"pg_ctl")
	psql := testenv.NeedTool(t, pgBin+"psql")
	pgUser, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("no postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(pgUser.Uid)
	gid, _ := strconv.Atoi(pgUser.Gid)
	dir, err := os.MkdirTemp("", "cordon-dockerlog-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	asPostgres := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(name, args...)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		c.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + dir}
		c.Dir = dir
		return c
	}
	data := filepath.Join(dir, "data")
	if out, err := asPostgres(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nlogging_collector = off\nlog_connections = on\nlog_statement = 'all'\nlc_messages = 'C'\nfsync = off\n", port, dir)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	stderrLog := filepath.Join(dir, "stderr.log")
	if out, err := asPostgres(pgctl, "-D", data, "-w", "-t", "60", "-l", stderrLog, "start").CombinedOutput(); err != nil {
		boot, _ := os.ReadFile(stderrLog)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, boot)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			if out, err := asPostgres(pgctl, "-D", data, "-w", "-m", "fast", "stop").CombinedOutput(); err != nil {
				t.Errorf("pg_ctl stop: %v\n%s", err, out)
			}
		}
	}
	t.Cleanup(stop)
	for _, sql := range []string{"SELECT\n  2 AS two,\n  'x' AS ex", "SELECT * FROM no_such_table", "COPY (SELECT 1) TO PROGRAM 'true'"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c := exec.CommandContext(ctx, psql, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "-d", "postgres", "-X", "-q", "-c", sql)
		c.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "PGCONNECT_TIMEOUT=10"}
		c.Run() // the failing statement fails on purpose
		cancel()
	}
	stop()

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
