package main

// postgres_test.go starts real PostgreSQL 15 servers where the standard
// paths do not reach them, runs a COPY … TO PROGRAM in each, collects the
// host with the built cordon-collect and checks, with the built cordon,
// that the findings show CORDON-PG-001 with each statement:
//
//   - a CI job's cluster: initdb in a temporary directory, logging_collector
//     on, a log_directory of its own and a log_filename of its own;
//   - a cluster in a container: its own mount namespace and root (an
//     overlay whose writable layer is the container's), a cgroup named like
//     Docker's, logging_collector off and pg_ctl -l FILE inside it.

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
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

	"github.com/klauspost/compress/zstd"

	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

const pgBin = "/usr/lib/postgresql/15/bin/"

type pgUser struct{ uid, gid int }

func lookupPostgres(t *testing.T) pgUser {
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("no postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return pgUser{uid, gid}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// pgCluster is a server the test started, and how to run its tools.
type pgCluster struct {
	name string
	port int
	data string // in the server's own view
	// run runs a PostgreSQL tool as postgres in the server's view.
	run       func(name string, args ...string) *exec.Cmd
	statement string
}

func (c *pgCluster) must(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := c.run(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", c.name, filepath.Base(name), err, out)
	}
}

// start runs initdb, appends conf to postgresql.conf and starts the
// server with pg_ctl -w (which returns once it accepts connections).
func (c *pgCluster) start(t *testing.T, hostData, conf, logFile string) {
	t.Helper()
	c.must(t, pgBin+"initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "--no-sync")
	f, err := os.OpenFile(filepath.Join(hostData, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = ''\nlog_statement = 'all'\n"+
		"log_line_prefix = '%%m [%%p] %%q%%u@%%d '\nlc_messages = 'C'\nfsync = off\n%s", c.port, conf)
	f.Close()
	c.must(t, pgBin+"pg_ctl", "-D", c.data, "-w", "-t", "60", "-l", logFile, "start")
	t.Cleanup(func() { c.run(pgBin+"pg_ctl", "-D", c.data, "-w", "-m", "immediate", "stop").Run() })
}

// copyToProgram runs a harmless COPY … TO PROGRAM over TCP, as the attacker did.
func (c *pgCluster) copyToProgram(t *testing.T, psql string) {
	t.Helper()
	marker := make([]byte, 4)
	rand.Read(marker)
	c.statement = fmt.Sprintf("COPY (SELECT 'cordon-%s-%x') TO PROGRAM 'true'", c.name, marker)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, psql, "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres", "-d", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", c.statement)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "PGCONNECT_TIMEOUT=10"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: psql: %v\n%s", c.name, err, out)
	}
}

func TestPostgresWhereverItRuns(t *testing.T) {
	testenv.NeedRoot(t)
	psql := testenv.NeedTool(t, pgBin+"psql")
	testenv.NeedTool(t, pgBin+"initdb")
	testenv.NeedTool(t, pgBin+"pg_ctl")
	pg := lookupPostgres(t)
	collect := built(t, "cordon-collect")
	cordon := built(t, "cordon")
	asPostgres := func(dir string) func(string, ...string) *exec.Cmd {
		return func(name string, args ...string) *exec.Cmd {
			c := exec.Command(name, args...)
			c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(pg.uid), Gid: uint32(pg.gid)}}
			c.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + dir}
			c.Dir = dir
			return c
		}
	}

	// A CI job's cluster under /tmp: logging collector on, its own
	// log_directory and log_filename.
	job, err := os.MkdirTemp("", "cordon-ci-job-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(job) })
	os.Chmod(job, 0o755)
	os.Chown(job, pg.uid, pg.gid)
	ci := &pgCluster{name: "ci", port: freePort(t), data: filepath.Join(job, "data"), run: asPostgres(job)}
	ci.start(t, ci.data, "logging_collector = on\nlog_directory = 'activity'\nlog_filename = 'server-%d.txt'\n", filepath.Join(job, "startup.txt"))

	// A cluster in a container.
	ct := startContainerCluster(t, pg)

	ci.copyToProgram(t, psql)
	ct.copyToProgram(t, psql)

	out := filepath.Join(t.TempDir(), "host.cordon")
	cmd := exec.Command(collect, "-o", out, "--only", "postgres", "--memory", "none", "-q")
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cordon-collect: %v\n%s", err, o)
	}
	entries, records := readBundleFile(t, out)
	var clusters []snapshot.PostgresCluster
	if err := json.Unmarshal(entries[snapshot.PostgresClustersEntry], &clusters); err != nil {
		t.Fatalf("%s: %v", snapshot.PostgresClustersEntry, err)
	}
	find := func(port int) *snapshot.PostgresCluster {
		for i := range clusters {
			if clusters[i].Settings["port"].Value == strconv.Itoa(port) {
				return &clusters[i]
			}
		}
		t.Fatalf("no cluster on port %d in %s: %+v", port, snapshot.PostgresClustersEntry, clusters)
		return nil
	}
	// logFiles returns the entries of a cluster's logs that hold text.
	logWith := func(c *snapshot.PostgresCluster, role, text string) *snapshot.PostgresFile {
		for i, f := range c.Files {
			if f.Role == role && f.Entry != "" && bytes.Contains(entries[f.Entry], []byte(text)) {
				return &c.Files[i]
			}
		}
		return nil
	}

	a := find(ci.port)
	if a.DataDirectory != ci.data || a.DataDirectoryFrom != "cwd" || a.LogDirectory != filepath.Join(ci.data, "activity") || a.ReadThrough != "" {
		t.Errorf("CI cluster: data %q from %q, log directory %q, read through %q", a.DataDirectory, a.DataDirectoryFrom, a.LogDirectory, a.ReadThrough)
	}
	if f := logWith(a, "log", ci.statement); f == nil || !strings.HasPrefix(f.Path, filepath.Join(ci.data, "activity")+"/server-") {
		t.Errorf("CI cluster: no log in activity/ holds %q: %+v", ci.statement, a.Files)
	}
	// pg_ctl -l: the logging collector keeps the file as its fds 1 and 2.
	if f := logWith(a, "stdout", "redirecting log output to logging collector process"); f == nil || f.Path != filepath.Join(job, "startup.txt") {
		t.Errorf("CI cluster: the pg_ctl -l file is not collected: %+v", a.Files)
	}
	for _, role := range []string{"postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "postmaster.opts"} {
		if !hasRole(a, role) {
			t.Errorf("CI cluster: no %s copied: %+v", role, a.Files)
		}
	}

	b := find(ct.port)
	if b.ContainerID != ct.containerID || b.ReadThrough != "/proc/"+strconv.Itoa(b.PID)+"/root" || b.DataDirectory != ct.data {
		t.Errorf("container cluster: container %q (want %q), read through %q, data %q (want %q)", b.ContainerID, ct.containerID, b.ReadThrough, b.DataDirectory, ct.data)
	}
	f := logWith(b, "stdout", ct.statement)
	if f == nil || f.Path != ct.logFile || f.HostPath != b.ReadThrough+ct.logFile {
		t.Fatalf("container cluster: its pg_ctl -l file %s is not read through its root with %q: %+v", ct.logFile, ct.statement, b.Files)
	}
	if _, err := os.Stat(ct.logFile); !os.IsNotExist(err) {
		t.Errorf("%s exists on the host too: the test cannot tell whose file was read", ct.logFile)
	}
	rec := records[f.Entry]
	if rec.Source != snapshot.PostgresSource || !strings.HasPrefix(rec.Note, snapshot.PostgresLogNote) || !strings.Contains(rec.Note, ct.containerID) {
		t.Errorf("entry %s: source %q note %q", f.Entry, rec.Source, rec.Note)
	}

	// The analyst's view.
	fo, err := exec.Command(cordon, "findings", out).CombinedOutput()
	if err != nil {
		t.Fatalf("cordon findings: %v\n%s", err, fo)
	}
	if testing.Verbose() {
		cj, _ := json.MarshalIndent(clusters, "", " ")
		t.Logf("%s\n%s", cj, fo)
	}
	for _, c := range []*pgCluster{ci, ct.pgCluster} {
		if !findingWith(string(fo), "CORDON-PG-001", c.statement) {
			t.Errorf("cordon findings does not show CORDON-PG-001 with %q:\n%s", c.statement, fo)
		}
	}
}

func hasRole(c *snapshot.PostgresCluster, role string) bool {
	for _, f := range c.Files {
		if f.Role == role && f.Entry != "" {
			return true
		}
	}
	return false
}

// findingWith reports whether the findings text names rule id with a
// statement: the statement appears after the rule's line and before the
// next rule's.
func findingWith(out, id, statement string) bool {
	for _, part := range strings.Split(out, id)[1:] {
		if i := strings.Index(part, "CORDON-"); i >= 0 {
			part = part[:i]
		}
		if strings.Contains(part, statement) {
			return true
		}
	}
	return false
}

type containerCluster struct {
	*pgCluster
	containerID string
	logFile     string
}

// startContainerCluster starts PostgreSQL the way a container runtime
// would (testenv.Container: its own mount namespace rooted at an overlay,
// a cgroup named like Docker's), so that its files exist only in its own view.
func startContainerCluster(t *testing.T, pg pgUser) *containerCluster {
	t.Helper()
	ct := testenv.NewContainer(t)
	home := "/var/lib/postgresql/cordon-ct"
	for _, d := range []string{home, "/srv/ci"} {
		os.MkdirAll(filepath.Join(ct.Merged, d), 0o755)
		os.Chown(filepath.Join(ct.Merged, d), pg.uid, pg.gid)
	}
	c := &containerCluster{containerID: ct.ID, logFile: "/srv/ci/postgres-" + ct.ID[:8] + ".log"}
	c.pgCluster = &pgCluster{name: "container", port: freePort(t), data: home + "/data", run: func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.SysProcAttr = ct.SysProcAttr(&syscall.Credential{Uid: uint32(pg.uid), Gid: uint32(pg.gid)})
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + home}
		cmd.Dir = "/"
		return cmd
	}}
	c.start(t, filepath.Join(ct.Merged, c.data), "logging_collector = off\n", c.logFile)
	return c
}

// readBundleFile reads every entry of a bundle, and the manifest's records.
func readBundleFile(t *testing.T, path string) (map[string][]byte, map[string]snapshotRecord) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f, zstd.WithDecoderMaxWindow(64<<20), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	entries := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		entries[h.Name] = b
	}
	var m struct {
		Entries []snapshotRecord `json:"entries"`
	}
	if err := json.Unmarshal(entries["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	records := map[string]snapshotRecord{}
	for _, r := range m.Entries {
		records[r.Name] = r
	}
	return entries, records
}

type snapshotRecord struct {
	Name     string `json:"name"`
	HostPath string `json:"host_path"`
	Source   string `json:"source"`
	Note     string `json:"note"`
}
