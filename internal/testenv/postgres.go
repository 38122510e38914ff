package testenv

import (
	"context"
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
)

// PGBin is where Debian's postgresql-15 package puts the server's programs.
const PGBin = "/usr/lib/postgresql/15/bin/"

// PGConfig says how StartPostgreSQL makes its server.
type PGConfig struct {
	// Conf is appended to postgresql.conf after the lines every test
	// server has: listen on 127.0.0.1 at a free port, no Unix socket,
	// log_statement = 'all', messages in English, fsync off.
	Conf string
	// LogFile is the file pg_ctl -l sends the server's standard error to,
	// in the server's view; "" is server.log in its directory.
	LogFile string
	// Container, when set, runs the server inside it (its own root and
	// cgroup), its directory Home in the container's view.
	Container *Container
	Home      string
}

// PostgreSQL is a real PostgreSQL 15 server a test started as the
// postgres user on 127.0.0.1: initdb, then pg_ctl -w (which returns
// once it accepts connections). It is stopped at cleanup.
type PostgreSQL struct {
	Port int
	// Dir is the server's own directory (data/ and its logs), Data its data
	// directory and LogFile the pg_ctl -l file, in the server's view;
	// HostDir and HostData are where the host sees them.
	Dir, Data, LogFile string
	HostDir, HostData  string
	UID, GID           int
	root               string // the container's root as the host sees it; "" on the host
	cmd                func(name string, args ...string) *exec.Cmd
	stopped            bool
}

// StartPostgreSQL starts a server; it needs root, the postgres user and
// Debian's postgresql-15 (missing: skipped, or failed under CI).
func StartPostgreSQL(t testing.TB, cfg PGConfig) *PostgreSQL {
	t.Helper()
	NeedRoot(t)
	for _, tool := range []string{"initdb", "pg_ctl", "psql"} {
		NeedTool(t, PGBin+tool)
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("no postgres user: %v", err)
	}
	p := &PostgreSQL{Port: FreePort(t)}
	p.UID, _ = strconv.Atoi(u.Uid)
	p.GID, _ = strconv.Atoi(u.Gid)
	cred := &syscall.Credential{Uid: uint32(p.UID), Gid: uint32(p.GID)}
	var attr *syscall.SysProcAttr
	if ct := cfg.Container; ct != nil {
		p.Dir, p.root = cfg.Home, ct.Merged
		p.HostDir = filepath.Join(ct.Merged, cfg.Home)
		if err := os.MkdirAll(p.HostDir, 0o755); err != nil {
			t.Fatal(err)
		}
		attr = ct.SysProcAttr(cred)
	} else {
		// t.TempDir's parents are 0700 root: the server runs as postgres.
		dir, err := os.MkdirTemp("", "cordon-pg-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		p.Dir, p.HostDir = dir, dir
		attr = &syscall.SysProcAttr{Credential: cred}
	}
	if err := os.Chmod(p.HostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p.HostDir, p.UID, p.GID); err != nil {
		t.Fatal(err)
	}
	p.Data, p.HostData = filepath.Join(p.Dir, "data"), filepath.Join(p.HostDir, "data")
	p.LogFile = cfg.LogFile
	if p.LogFile == "" {
		p.LogFile = filepath.Join(p.Dir, "server.log")
	}
	p.cmd = func(name string, args ...string) *exec.Cmd {
		c := exec.Command(name, args...)
		c.SysProcAttr = attr
		c.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + p.Dir}
		c.Dir = p.Dir
		return c
	}
	if out, err := p.cmd(PGBin+"initdb", "-D", p.Data, "-U", "postgres", "--auth=trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	f, err := os.OpenFile(filepath.Join(p.HostData, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(f, "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = ''\nlog_statement = 'all'\nlc_messages = 'C'\nfsync = off\n%s", p.Port, cfg.Conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if out, err := p.cmd(PGBin+"pg_ctl", "-D", p.Data, "-w", "-t", "60", "-l", p.LogFile, "start").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, Tail(p.hostPath(p.LogFile), 4096))
	}
	t.Cleanup(func() { p.Stop(t) })
	return p
}

// hostPath is where the host sees a path of the server's view.
func (p *PostgreSQL) hostPath(name string) string {
	return filepath.Join(p.root, name)
}

// Stop stops the server (fast shutdown, waiting for it), once.
func (p *PostgreSQL) Stop(t testing.TB) {
	t.Helper()
	if p.stopped {
		return
	}
	p.stopped = true
	if out, err := p.cmd(PGBin+"pg_ctl", "-D", p.Data, "-w", "-t", "60", "-m", "fast", "stop").CombinedOutput(); err != nil {
		t.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
}

// Psql runs one SQL command over TCP as role (psql -X -q -t -A, stopping
// on error, within 30 seconds), with env added to psql's environment, and
// returns its output trimmed.
func (p *PostgreSQL) Psql(role, sql string, env ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, PGBin+"psql", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", role, "-d", "postgres",
		"-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql)
	c.Env = append([]string{"PATH=/usr/bin:/bin", "LC_ALL=C", "PGCONNECT_TIMEOUT=10"}, env...)
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return strings.TrimSpace(string(out)), fmt.Errorf("psql %q: %w: %s", sql, err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// FreePort is a TCP port of 127.0.0.1 free when it returns.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Tail is the last n bytes of a file, for error messages ("" when unreadable).
func Tail(name string, n int64) string {
	f, err := os.Open(name)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		f.Seek(fi.Size()-n, 0)
	}
	b := make([]byte, n)
	k, _ := f.Read(b)
	return string(b[:k])
}
