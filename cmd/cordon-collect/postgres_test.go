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
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// pgCluster is a server the test started, and the statement it ran.
type pgCluster struct {
	*testenv.PostgreSQL
	name, statement string
}

// startCluster starts a server whose log lines name the user and database.
func startCluster(t *testing.T, name string, cfg testenv.PGConfig) *pgCluster {
	t.Helper()
	cfg.Conf = "log_line_prefix = '%m [%p] %q%u@%d '\n" + cfg.Conf
	return &pgCluster{PostgreSQL: testenv.StartPostgreSQL(t, cfg), name: name}
}

// copyToProgram runs a harmless COPY … TO PROGRAM over TCP, as the attacker did.
func (c *pgCluster) copyToProgram(t *testing.T) {
	t.Helper()
	marker := make([]byte, 4)
	rand.Read(marker)
	c.statement = fmt.Sprintf("COPY (SELECT 'cordon-%s-%x') TO PROGRAM 'true'", c.name, marker)
	if _, err := c.Psql("postgres", c.statement); err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
}

func TestPostgresWhereverItRuns(t *testing.T) {
	collect := built(t, "cordon-collect")
	cordon := built(t, "cordon")

	// A CI job's cluster under /tmp: logging collector on, its own
	// log_directory and log_filename.
	ci := startCluster(t, "ci", testenv.PGConfig{Conf: "logging_collector = on\nlog_directory = 'activity'\nlog_filename = 'server-%d.txt'\n"})

	// A cluster in a container.
	ct := startContainerCluster(t)

	ci.copyToProgram(t)
	ct.copyToProgram(t)

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

	a := find(ci.Port)
	if a.DataDirectory != ci.Data || a.DataDirectoryFrom != "cwd" || a.LogDirectory != filepath.Join(ci.Data, "activity") || a.ReadThrough != "" {
		t.Errorf("CI cluster: data %q from %q, log directory %q, read through %q", a.DataDirectory, a.DataDirectoryFrom, a.LogDirectory, a.ReadThrough)
	}
	if f := logWith(a, "log", ci.statement); f == nil || !strings.HasPrefix(f.Path, filepath.Join(ci.Data, "activity")+"/server-") {
		t.Errorf("CI cluster: no log in activity/ holds %q: %+v", ci.statement, a.Files)
	}
	// pg_ctl -l: the logging collector keeps the file as its fds 1 and 2.
	if f := logWith(a, "stdout", "redirecting log output to logging collector process"); f == nil || f.Path != ci.LogFile {
		t.Errorf("CI cluster: the pg_ctl -l file is not collected: %+v", a.Files)
	}
	for _, role := range []string{"postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "postmaster.opts"} {
		if !hasRole(a, role) {
			t.Errorf("CI cluster: no %s copied: %+v", role, a.Files)
		}
	}

	b := find(ct.Port)
	if b.ContainerID != ct.containerID || b.ReadThrough != "/proc/"+strconv.Itoa(b.PID)+"/root" || b.DataDirectory != ct.Data {
		t.Errorf("container cluster: container %q (want %q), read through %q, data %q (want %q)", b.ContainerID, ct.containerID, b.ReadThrough, b.DataDirectory, ct.Data)
	}
	f := logWith(b, "stdout", ct.statement)
	if f == nil || f.Path != ct.LogFile || f.HostPath != b.ReadThrough+ct.LogFile {
		t.Fatalf("container cluster: its pg_ctl -l file %s is not read through its root with %q: %+v", ct.LogFile, ct.statement, b.Files)
	}
	if _, err := os.Stat(ct.LogFile); !os.IsNotExist(err) {
		t.Errorf("%s exists on the host too: the test cannot tell whose file was read", ct.LogFile)
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
}

// startContainerCluster starts PostgreSQL the way a container runtime
// would (testenv.Container: its own mount namespace rooted at an overlay,
// a cgroup named like Docker's), so that its files exist only in its own
// view; its log goes, through pg_ctl -l, to a file under /srv/ci.
func startContainerCluster(t *testing.T) *containerCluster {
	t.Helper()
	ct := testenv.NewContainer(t)
	logDir := filepath.Join(ct.Merged, "/srv/ci")
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("no postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(logDir, uid, gid); err != nil { // the server, as postgres, writes its log there
		t.Fatal(err)
	}
	pg := startCluster(t, "container", testenv.PGConfig{Container: ct, Home: "/var/lib/postgresql/cordon-ct",
		LogFile: "/srv/ci/postgres-" + ct.ID[:8] + ".log", Conf: "logging_collector = off\n"})
	return &containerCluster{pgCluster: pg, containerID: ct.ID}
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
