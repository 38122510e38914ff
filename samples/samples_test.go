// Package samples holds the reenacted incident of shared/scenario: the
// script that stages it (reenact.sh), a bundle it made (incident.cordon)
// with the SHA-256 of the file the attacker dropped, and the findings
// Cordon must report on it (incident.expected-findings.json).
package samples

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

type expectation struct {
	RuleID           string `json:"rule_id"`
	EvidenceContains string `json:"evidence_contains"`
}

func buildCordon(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "cordon")
	if b, err := exec.Command("go", "build", "-o", out, "github.com/cordon-forensics/cordon/cmd/cordon").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// chainStep is one step of the attack chain as cordon findings --json prints it.
type chainStep struct {
	Stage    string `json:"stage"`
	Text     string `json:"text"`
	First    bool   `json:"first_anomalous"`
	Evidence []struct {
		Provenance struct {
			Entry  string `json:"entry"`
			SHA256 string `json:"entry_sha256"`
		} `json:"provenance"`
	} `json:"evidence"`
}

type findingsOutput struct {
	Findings []struct {
		RuleID   string `json:"rule_id"`
		Evidence []struct {
			Message    string `json:"message"`
			Provenance struct {
				Entry  string `json:"entry"`
				SHA256 string `json:"entry_sha256"`
			} `json:"provenance"`
		} `json:"evidence"`
	} `json:"findings"`
	Chain struct {
		Threads []struct {
			Title     string      `json:"title"`
			Attackers []string    `json:"attacker_addresses"`
			Steps     []chainStep `json:"steps"`
			RootCause []chainStep `json:"root_cause"`
		} `json:"threads"`
	} `json:"attack_chain"`
}

// checkIncident runs cordon on a bundle of the reenacted incident: it must
// verify, analyze into a case, report every expected finding with its
// evidence, rebuild the attack chain across sources, and hold a recovered
// executable byte-identical to the file the attacker dropped.
func checkIncident(t *testing.T, cordon, bundlePath, droppedSHA256 string) {
	t.Helper()
	if b, err := exec.Command(cordon, "verify", bundlePath).CombinedOutput(); err != nil {
		t.Fatalf("cordon verify: %v\n%s", err, b)
	}
	caseDir := filepath.Join(t.TempDir(), "case")
	if b, err := exec.Command(cordon, "analyze", bundlePath, "--case", caseDir).CombinedOutput(); err != nil {
		t.Fatalf("cordon analyze: %v\n%s", err, b)
	}
	out, err := exec.Command(cordon, "findings", "--case", caseDir, "--json").Output()
	if err != nil {
		t.Fatalf("cordon findings: %v", err)
	}
	var res findingsOutput
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("findings JSON: %v", err)
	}
	var spec struct {
		Expect []expectation `json:"expect"`
	}
	b, _ := os.ReadFile("incident.expected-findings.json")
	if err := json.Unmarshal(b, &spec); err != nil || len(spec.Expect) == 0 {
		t.Fatalf("incident.expected-findings.json: %v", err)
	}
	for _, want := range spec.Expect {
		ok := false
		for _, f := range res.Findings {
			if f.RuleID != want.RuleID {
				continue
			}
			for _, e := range f.Evidence {
				if strings.Contains(e.Message, want.EvidenceContains) {
					ok = true
					if e.Provenance.Entry == "" || len(e.Provenance.SHA256) != 64 {
						t.Errorf("%s: evidence without a signed entry reference: %+v", want.RuleID, e.Provenance)
					}
				}
			}
		}
		if !ok {
			t.Errorf("no %s finding with evidence holding %q", want.RuleID, want.EvidenceContains)
		}
	}
	checkChain(t, res, droppedSHA256)

	x := filepath.Join(t.TempDir(), "x")
	if b, err := exec.Command(cordon, "extract", bundlePath, "-o", x).CombinedOutput(); err != nil {
		t.Fatalf("cordon extract: %v\n%s", err, b)
	}
	exes, _ := filepath.Glob(filepath.Join(x, "proc", "*", "exe"))
	recovered := false
	for _, p := range exes {
		data, _ := os.ReadFile(p)
		if fmt.Sprintf("%x", sha256.Sum256(data)) == droppedSHA256 {
			recovered = true
		}
	}
	if !recovered {
		t.Errorf("no recovered executable among %d has the dropped file's SHA-256 %s", len(exes), droppedSHA256)
	}
}

// attackerIP is the address reenact.sh gives the attacker's namespace.
const attackerIP = "10.213.0.2"

// checkChain asserts the attack chain of the incident, each link with its
// evidence: the attacker's connection to 5432 in the capture, the matching
// PostgreSQL connection and COPY … TO PROGRAM in the server's log, the
// stand-in started under the PostgreSQL backend, its deleted binary
// recovered with the dropped file's SHA-256, the watchdog's respawn, the
// stratum connection joined to the miner's PID, and the exposure as root
// cause; the first anomalous event names the attacker.
func checkChain(t *testing.T, res findingsOutput, droppedSHA256 string) {
	t.Helper()
	if len(res.Chain.Threads) == 0 {
		t.Fatal("no attack thread")
	}
	main := res.Chain.Threads[0]
	t.Logf("main thread: %s", main.Title)
	for _, s := range main.Steps {
		t.Logf("  %-30s %v %s", s.Stage, s.First, s.Text)
	}
	if !strings.Contains(main.Title, "PostgreSQL backend") || !strings.Contains(main.Title, attackerIP) {
		t.Errorf("main thread %q: want the PostgreSQL backend and %s", main.Title, attackerIP)
	}
	find := func(steps []chainStep, what, entryPrefix string, parts ...string) {
		t.Helper()
		for _, s := range steps {
			ok := true
			for _, p := range parts {
				if !strings.Contains(s.Text, p) {
					ok = false
				}
			}
			if !ok {
				continue
			}
			for _, e := range s.Evidence {
				if strings.HasPrefix(e.Provenance.Entry, entryPrefix) && len(e.Provenance.SHA256) == 64 {
					return
				}
			}
			t.Errorf("%s: step %q has no evidence in %s* with a hash", what, s.Text, entryPrefix)
			return
		}
		t.Errorf("%s: no step holding %q", what, parts)
	}
	find(main.Steps, "the attacker's connection in the capture", "capture/", attackerIP, ":5432")
	find(main.Steps, "the PostgreSQL connection", "fs/var/log/postgresql/", "PostgreSQL accepted a connection from "+attackerIP+":")
	find(main.Steps, "COPY … TO PROGRAM", "fs/var/log/postgresql/", "TO PROGRAM", attackerIP)
	find(main.Steps, "the stand-in under the backend", "proc/processes.jsonl", "postgres (PID", "/tmp/mysql")
	find(main.Steps, "the recovered binary", "proc/processes.jsonl", "/tmp/mysql", droppedSHA256)
	find(main.Steps, "the watchdog's respawn", "proc/processes.jsonl", "watchdog respawn")
	find(main.Steps, "the stratum connection joined to its PID", "net/sockets.jsonl", "holds a tcp connection", ":3333", "stratum")
	find(main.RootCause, "the listener on all interfaces", "net/sockets.jsonl", "all interfaces", ":5432")
	first := 0
	for _, s := range main.Steps {
		if s.First {
			first++
			if s.Stage != "initial access" || !strings.Contains(s.Text, attackerIP) {
				t.Errorf("first anomalous event %q (%s): want the attacker's first contact", s.Text, s.Stage)
			}
		}
	}
	if first != 1 {
		t.Errorf("%d steps marked first anomalous, want 1", first)
	}
}

func readSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSpace(b))
}

// TestCheckedInSample analyzes the bundle checked in beside this file; it
// needs neither root nor network.
func TestCheckedInSample(t *testing.T) {
	checkIncident(t, buildCordon(t), "incident.cordon", readSHA(t, "incident.dropped.sha256"))
}

// TestReenactment stages the incident for real (root, PostgreSQL 15,
// network namespaces, gcc) and checks the fresh bundle the same way.
func TestReenactment(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedTool(t, "gcc")
	testenv.NeedTool(t, "ip")
	testenv.NeedTool(t, "pg_createcluster")
	if testing.Short() {
		t.Skip("the reenactment takes one to three minutes")
	}
	out := filepath.Join(t.TempDir(), "incident.cordon")
	// The script is stopped with SIGTERM (its cleanup runs) a minute
	// before the test's deadline, so that a hang says where it hung.
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-time.Minute))
		defer cancel()
	}
	cordon := buildCordon(t)
	// --no-nice and --skip binaries: on a loaded machine a niced
	// persistent phase crawls, and no finding here needs the system
	// programs hashed (the collector's priority is tested in collector/).
	cmd := exec.CommandContext(ctx, "bash", "reenact.sh", out, "--timeline-root", "/tmp", "--timeline-root", "/etc/postgresql",
		"--skip", "packages", "--skip", "persistence", "--skip", "binaries", "--no-nice", "--max-memory-per-process", "16M")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	// Its progress is logged as it comes (go test -v shows it live).
	w := &lineLogger{t: t}
	cmd.Stdout, cmd.Stderr = w, w
	t0 := time.Now()
	err := cmd.Run()
	w.flush()
	t.Logf("reenact.sh took %v", time.Since(t0).Round(time.Second))
	if err != nil {
		t.Fatalf("reenact.sh: %v (context: %v)", err, ctx.Err())
	}
	checkIncident(t, cordon, out, readSHA(t, out+".dropped.sha256"))
}

// lineLogger logs each line written to it.
type lineLogger struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.t.Log(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(string(l.buf))
		l.buf = nil
	}
}
