// Package samples holds the reenacted incident of shared/scenario: the
// script that stages it (reenact.sh), a bundle it made (incident.cordon)
// with the SHA-256 of the file the attacker dropped, and the findings
// Cordon must report on it (incident.expected-findings.json).
package samples

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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

// checkIncident runs cordon on a bundle of the reenacted incident: it must
// verify, report every expected finding with its evidence, and hold a
// recovered executable byte-identical to the file the attacker dropped.
func checkIncident(t *testing.T, cordon, bundlePath, droppedSHA256 string) {
	t.Helper()
	if b, err := exec.Command(cordon, "verify", bundlePath).CombinedOutput(); err != nil {
		t.Fatalf("cordon verify: %v\n%s", err, b)
	}
	out, err := exec.Command(cordon, "findings", "--json", bundlePath).Output()
	if err != nil {
		t.Fatalf("cordon findings: %v", err)
	}
	var found []struct {
		RuleID   string `json:"rule_id"`
		Evidence []struct {
			Message    string `json:"message"`
			Provenance struct {
				Entry  string `json:"entry"`
				SHA256 string `json:"entry_sha256"`
			} `json:"provenance"`
		} `json:"evidence"`
	}
	if err := json.Unmarshal(out, &found); err != nil {
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
		for _, f := range found {
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
		t.Skip("the reenactment takes about 30 s")
	}
	out := filepath.Join(t.TempDir(), "incident.cordon")
	cmd := exec.Command("bash", "reenact.sh", out, "--timeline-root", "/tmp", "--timeline-root", "/etc/postgresql",
		"--skip", "packages", "--skip", "persistence", "--max-memory-per-process", "16M")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reenact.sh: %v\n%s", err, b)
	}
	checkIncident(t, buildCordon(t), out, readSHA(t, out+".dropped.sha256"))
}
