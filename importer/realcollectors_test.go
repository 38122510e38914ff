package importer_test

// The real collectors (../shared/peers: UAC 3.3.0, Cat-Scale 1.3.1) run
// on this machine in a small staged scene (testdata/scene.sh), and their
// archives go through cordon import, verify and findings, as an analyst
// would run them.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/imported"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// sharedDir is the shared test data beside the checkout (../shared from
// the module's root), or $CORDON_SHARED for a checkout elsewhere (a git
// worktree). Outside CI a test whose data is missing is skipped.
func sharedDir(t testing.TB, elem ...string) string {
	t.Helper()
	base := os.Getenv("CORDON_SHARED")
	if base == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			if filepath.Dir(dir) == dir {
				t.Fatal("no go.mod above the test")
			}
			dir = filepath.Dir(dir)
		}
		base = filepath.Join(dir, "..", "shared")
	}
	p := filepath.Join(append([]string{base}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		if testenv.InCI() {
			t.Fatalf("CI=true and the shared test data %s is missing", p)
		}
		t.Skipf("the shared test data %s is missing (CORDON_SHARED names another place)", p)
	}
	return p
}

type scene struct {
	work, exe, cordon, key, pub string
	sleepSHA256, sleepSHA1      string
}

// newScene prepares a work directory (under /var/tmp: the scene hides /tmp),
// a copy of the collector, the cordon binary and an import key.
func newScene(t *testing.T, peer string) *scene {
	t.Helper()
	testenv.NeedRoot(t)
	for _, tool := range []string{"unshare", "su", "ip", "tar", "gzip", "/usr/lib/postgresql/15/bin/postgres", "/usr/lib/postgresql/15/bin/initdb", "psql"} {
		if strings.HasPrefix(tool, "/") {
			if _, err := os.Stat(tool); err != nil {
				testenv.NeedTool(t, "postgresql-15 ("+tool+")")
			}
			continue
		}
		testenv.NeedTool(t, tool)
	}
	src := sharedDir(t, "peers", peer)
	work, err := os.MkdirTemp("/var/tmp", "cordon-import-"+peer+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept for a look: %s", work)
			return
		}
		os.RemoveAll(work)
	})
	if b, err := exec.Command("cp", "-r", src, filepath.Join(work, peer)).CombinedOutput(); err != nil {
		t.Fatalf("copying %s: %v\n%s", peer, err, b)
	}
	if b, err := exec.Command("chmod", "-R", "u+w", filepath.Join(work, peer)).CombinedOutput(); err != nil {
		t.Fatalf("chmod: %v\n%s", err, b)
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	// not /tmp/mysql*: samples/reenact.sh ends every such process on the host when it
	// cleans up; kinsing is a miner known for going after PostgreSQL
	s := &scene{work: work, exe: "kinsing-" + hex.EncodeToString(rnd[:])}
	s.cordon = filepath.Join(work, "cordon")
	if b, err := exec.Command("go", "build", "-o", s.cordon, "github.com/cordon-forensics/cordon/cmd/cordon").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	s.run(t, 0, "keygen", "-o", filepath.Join(work, "analyst"), "--without-password")
	s.key, s.pub = filepath.Join(work, "analyst.key"), filepath.Join(work, "analyst.pub")
	sleep, err := os.ReadFile("/usr/bin/sleep")
	if err != nil {
		t.Fatal(err)
	}
	s256, s1 := sha256.Sum256(sleep), sha1.Sum(sleep)
	s.sleepSHA256, s.sleepSHA1 = hex.EncodeToString(s256[:]), hex.EncodeToString(s1[:])
	return s
}

// collect runs the collector in the scene, from its folder.
func (s *scene) collect(t *testing.T, peer string, args ...string) string {
	t.Helper()
	script, err := filepath.Abs("testdata/scene.sh")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	opts := []string{"--pid", "--fork", "--mount-proc", "--mount", "--net", "bash", script, s.work, s.exe}
	if peer == "catscale" {
		opts = append(opts, "--small")
	}
	cmd := exec.CommandContext(ctx, "unshare", append(append(opts, "--"), args...)...)
	cmd.Dir = filepath.Join(s.work, peer)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s in the scene: %v\n%s", peer, err, out.String())
	}
	t.Logf("%s ran %s in the scene", peer, time.Since(start).Round(time.Second))
	return out.String()
}

// run runs cordon and checks its exit code.
func (s *scene) run(t *testing.T, want int, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.cordon, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("cordon %v: %v", args, err)
	}
	if code != want {
		t.Fatalf("cordon %s: exit %d, want %d\n%s\n%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String()
}

type importSummary struct {
	Import struct {
		Statement     string         `json:"statement"`
		ArchiveSHA256 string         `json:"archive_sha256"`
		Complete      bool           `json:"complete"`
		StoppedAt     string         `json:"stopped_at"`
		Checks        map[string]int `json:"checks"`
	}
	Failed []imported.Check
}

type findingsOut struct {
	Findings []struct {
		RuleID   string `json:"rule_id"`
		Evidence []struct {
			Message string `json:"message"`
		} `json:"evidence"`
	} `json:"findings"`
}

// importAndFind imports an archive, verifies the bundle with the import
// key and returns the import summary and the findings.
func (s *scene) importAndFind(t *testing.T, archive, bundlePath string, want int, extra ...string) (importSummary, findingsOut) {
	t.Helper()
	start := time.Now()
	defer func() {
		t.Logf("import, verify, findings of %s: %s", filepath.Base(archive), time.Since(start).Round(time.Second))
	}()
	out := s.run(t, want, append([]string{"import", archive, "-o", bundlePath, "--key", s.key, "--format", "json"}, extra...)...)
	var sum importSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("import --json: %v\n%s", err, out)
	}
	v := s.run(t, 0, "verify", bundlePath, "--pubkey", s.pub)
	if !strings.Contains(v, "trusted") {
		t.Errorf("verify: %s", v)
	}
	var f findingsOut
	fo := s.run(t, 0, "findings", bundlePath, "--format", "json")
	if err := json.Unmarshal([]byte(fo), &f); err != nil {
		t.Fatalf("findings --json: %v\n%s", err, fo)
	}
	return sum, f
}

// finding returns the evidence messages of a rule's findings.
func (f findingsOut) finding(id string) []string {
	var out []string
	for _, x := range f.Findings {
		if x.RuleID == id {
			for _, e := range x.Evidence {
				out = append(out, e.Message)
			}
		}
	}
	return out
}

func anyContains(ms []string, sub string) bool {
	for _, m := range ms {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}

// checkScene asserts the scene's story in the findings: the deleted
// executable, PostgreSQL spawning it, the COPY ... TO PROGRAM, the trust
// in pg_hba.conf, and the brute force.
func (s *scene) checkScene(t *testing.T, f findingsOut) {
	t.Helper()
	for _, c := range []struct{ rule, evidence string }{
		{"CORDON-PROC-001", "/tmp/" + s.exe + " (deleted)"},
		{"CORDON-PROC-004", "/tmp/" + s.exe + " (deleted)"},
		{"CORDON-PG-001", "TO PROGRAM 'exec /tmp/" + s.exe},
		{"CORDON-EXP-002", "host all all all trust"},
		{"CORDON-ACC-001", "Accepted password for root from 203.0.113.7"},
	} {
		if ev := f.finding(c.rule); !anyContains(ev, c.evidence) {
			t.Errorf("%s: no evidence holding %q in %q", c.rule, c.evidence, ev)
		}
	}
}

// extract extracts a bundle and reads an entry of JSON lines.
func extractRecords[T any](t *testing.T, s *scene, bundlePath, entry string) []T {
	t.Helper()
	dir := filepath.Join(s.work, "x-"+filepath.Base(bundlePath))
	if _, err := os.Stat(dir); err != nil {
		s.run(t, 0, "extract", bundlePath, "-o", dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, entry))
	if err != nil {
		t.Fatalf("%s: %v", entry, err)
	}
	var out []T
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var v T
		if err := json.Unmarshal(l, &v); err != nil {
			t.Fatalf("%s: %v", entry, err)
		}
		out = append(out, v)
	}
	return out
}

func TestRealUAC(t *testing.T) {
	s := newScene(t, "uac")
	out := filepath.Join(s.work, "out")
	os.MkdirAll(out, 0o755)
	// only the artifacts the scene needs (ir_triage takes minutes): the
	// process listings, the deleted binary, the process hashes, lsof, ss,
	// /var/log and /etc; -H lists the hashes of everything collected
	s.collect(t, "uac", "./uac", "-H", "-a", "live_response/process/ps.yaml,live_response/process/deleted.yaml,"+
		"live_response/process/hash_running_processes.yaml,live_response/process/lsof.yaml,live_response/network/ss.yaml,"+
		"files/logs/var_log.yaml,files/system/etc.yaml", out)
	archives, _ := filepath.Glob(filepath.Join(out, "uac-*.tar.gz"))
	if len(archives) != 1 {
		t.Fatalf("UAC wrote %v", archives)
	}
	archive := archives[0]
	if _, err := os.Stat(strings.TrimSuffix(archive, ".tar.gz") + ".log"); err != nil {
		t.Fatalf("no acquisition log: %v", err)
	}
	b := filepath.Join(s.work, "uac.cordon")
	sum, f := s.importAndFind(t, archive, b, 0)
	if !regexp.MustCompile(`^imported from UAC 3\.3\.0 archive [0-9a-f]{64}, not collected by Cordon, no signature from the suspect host$`).MatchString(sum.Import.Statement) ||
		!strings.Contains(sum.Import.Statement, sum.Import.ArchiveSHA256) {
		t.Errorf("custody statement %q", sum.Import.Statement)
	}
	// the acquisition log's MD5 and SHA-1, hash_list.* for every file, the recovered binary's hashes
	if sum.Import.Checks[imported.Match] < 10 || len(sum.Failed) != 0 || !sum.Import.Complete {
		t.Errorf("checks %v, failed %+v", sum.Import.Checks, sum.Failed)
	}
	s.checkScene(t, f)

	// the recovered executable is /usr/bin/sleep, byte for byte
	xs := extractRecords[snapshot.Executable](t, s, b, snapshot.ExecutablesEntry)
	found := false
	for _, x := range xs {
		if x.Link == "/tmp/"+s.exe+" (deleted)" {
			found = true
			if x.SHA256 != s.sleepSHA256 || x.Entry == "" {
				t.Errorf("recovered %+v, want sha256 %s", x, s.sleepSHA256)
			}
			data, err := os.ReadFile(filepath.Join(s.work, "x-uac.cordon", x.Entry))
			if err != nil {
				t.Fatal(err)
			}
			if h := sha256.Sum256(data); hex.EncodeToString(h[:]) != s.sleepSHA256 {
				t.Errorf("%s holds other bytes", x.Entry)
			}
		}
	}
	if !found {
		t.Errorf("no recovered executable for /tmp/%s in %+v", s.exe, xs)
	}

	t.Run("tampered", func(t *testing.T) {
		// the recovered binary changed after UAC hashed it: the acquisition
		// log's digests, hash_list and hash_running_processes all disagree
		tampered := filepath.Join(s.work, "tampered", filepath.Base(archive))
		retar(t, archive, tampered, func(name string, data []byte) []byte {
			if strings.HasSuffix(name, "/recovered_exe") {
				data = append([]byte(nil), data...)
				copy(data[len(data)/2:], "TAMPERED")
			}
			return data
		})
		copyFile(t, strings.TrimSuffix(archive, ".tar.gz")+".log", strings.TrimSuffix(tampered, ".tar.gz")+".log")
		sum, _ := s.importAndFind(t, tampered, filepath.Join(s.work, "tampered.cordon"), 1)
		kinds := map[string]bool{}
		for _, c := range sum.Failed {
			kinds[c.Kind+" "+c.Result] = true
		}
		for _, want := range []string{"archive mismatch", "collected-file mismatch", "running-process mismatch"} {
			if !kinds[want] {
				t.Errorf("no %q among %+v", want, sum.Failed)
			}
		}
	})

	t.Run("truncated", func(t *testing.T) {
		data, err := os.ReadFile(archive)
		if err != nil {
			t.Fatal(err)
		}
		cut := filepath.Join(s.work, "cut", filepath.Base(archive))
		os.MkdirAll(filepath.Dir(cut), 0o755)
		os.WriteFile(cut, data[:len(data)*3/5], 0o644)
		sum, _ := s.importAndFind(t, cut, filepath.Join(s.work, "cut.cordon"), 1, "--acquisition-log", "-")
		if sum.Import.Complete || !strings.Contains(sum.Import.StoppedAt, "after member") {
			t.Errorf("truncated: %+v", sum.Import)
		}
	})
}

func TestRealCatScale(t *testing.T) {
	s := newScene(t, "catscale")
	log := s.collect(t, "catscale", "./Cat-Scale.sh")
	archives, _ := filepath.Glob(filepath.Join(s.work, "catscale", "catscale_*.tar.gz"))
	if len(archives) != 1 {
		t.Fatalf("Cat-Scale wrote %v\n%s", archives, log)
	}
	// Cat-Scale prints the archive's SHA-1 for the custody form
	m := regexp.MustCompile(`(?m)^([0-9a-f]{40})  \S*catscale_`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no SHA-1 in Cat-Scale's output:\n%s", log)
	}
	b := filepath.Join(s.work, "catscale.cordon")
	sum, f := s.importAndFind(t, archives[0], b, 0, "--expect", m[1])
	if !regexp.MustCompile(`^imported from Cat-Scale archive [0-9a-f]{64}, not collected by Cordon, no signature from the suspect host$`).MatchString(sum.Import.Statement) {
		t.Errorf("custody statement %q", sum.Import.Statement)
	}
	if sum.Import.Checks[imported.Match] < 1 || len(sum.Failed) != 0 {
		t.Errorf("checks %v, failed %+v", sum.Import.Checks, sum.Failed)
	}
	s.checkScene(t, f)
	// Cat-Scale hashes running executables with SHA-1 and copies none:
	// the process record has no copy, the listing's SHA-1 is /usr/bin/sleep's
	procs := extractRecords[snapshot.Process](t, s, b, snapshot.ProcessesEntry)
	var pid int
	for _, p := range procs {
		if p.Exe == "/tmp/"+s.exe+" (deleted)" {
			pid = p.PID
		}
	}
	if pid == 0 {
		t.Fatalf("no process of /tmp/%s", s.exe)
	}
	hashes, err := filepath.Glob(filepath.Join(s.work, "x-catscale.cordon", "archive", "catscale_out", "Process_and_Network", "*-processhashes.txt"))
	if err != nil || len(hashes) != 1 {
		t.Fatalf("processhashes: %v %v", hashes, err)
	}
	list, _ := os.ReadFile(hashes[0])
	if !strings.Contains(string(list), s.sleepSHA1+"  /proc/"+strconv.Itoa(pid)+"/exe") {
		t.Errorf("Cat-Scale's SHA-1 of /proc/%d/exe is not /usr/bin/sleep's %s", pid, s.sleepSHA1)
	}
}

// retar rewrites a .tar.gz member by member through fn, headers kept.
func retar(t *testing.T, src, dst string, fn func(name string, data []byte) []byte) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	os.MkdirAll(filepath.Dir(dst), 0o755)
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := gzip.NewWriter(out)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		data = fn(h.Name, data)
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
