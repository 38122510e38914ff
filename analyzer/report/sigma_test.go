package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/timeline"
)

// sigmaFinding is a Sigma rule's finding whose rule text is hostile too:
// rules come from wherever the analyst got them.
func sigmaFinding() findings.Finding {
	return findings.Finding{RuleID: "5cd16c8f-44a6-4654-81e7-a84d6db507d4", Title: "Process Execution From Shared Memory Directory " + hostile,
		Severity: "high", Attack: findings.Attack{ID: "T1059", Name: "execution"}, Why: "Detects execution from /dev/shm",
		Evidence: []findings.Evidence{{Time: "2026-11-20T03:14:00.000000000Z", Message: "process 4242 \"x\" started " + hostile,
			Provenance: timeline.Provenance{Bundle: "EV-1", Entry: "proc/processes.jsonl", Line: 9}}},
		Instances: []string{"process 4242 (/dev/shm/x) on web01: 2 matching events in proc/processes.jsonl, fs/var/log/audit/audit.log"},
		Origin:    "sigma", Author: "Stan Beukers " + hostile, Status: "test", Level: "high", Tags: []string{"attack.execution"},
		FalsePositives: []string{"Unknown"}, References: []string{"https://example.org/shm"}, RuleFile: "process_creation/proc_creation_lnx_susp_exec_from_dev_shm.yml"}
}

func sigmaReport() Report {
	r := sample()
	fs := append(append([]findings.Finding{}, r.Findings...), sigmaFinding())
	return Build(r.Case, "dev", fs, r.Threads, nil, r.Bundles, time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC))
}

func TestSigmaSection(t *testing.T) {
	r := sigmaReport()
	r.SigmaNotes = []string{"sigma: not applicable: rules/x.yml (X): needs OriginalFileName " + hostile}
	if len(r.Sigma) != 1 || len(r.Findings) != 1 || r.Findings[0].RuleID != "CORDON-PROC-001" {
		t.Fatalf("split: %d Sigma, %d Cordon findings", len(r.Sigma), len(r.Findings))
	}
	var h bytes.Buffer
	if err := HTML(&h, r); err != nil {
		t.Fatal(err)
	}
	hs := h.String()
	sec := hs[strings.Index(hs, `<h2 id="sigma">`):]
	for _, want := range []string{"by <strong>Stan Beukers &lt;script&gt;", "needs OriginalFileName &lt;script&gt;", "5cd16c8f-44a6-4654-81e7-a84d6db507d4", "proc_creation_lnx_susp_exec_from_dev_shm.yml",
		"status test", "2 matching events in proc/processes.jsonl, fs/var/log/audit/audit.log", "False positives: Unknown", "proc/processes.jsonl:9"} {
		if !strings.Contains(sec, want) {
			t.Errorf("HTML Sigma section lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>", "\x1b", "\x07"} {
		if strings.Contains(hs, bad) {
			t.Errorf("HTML holds %q", bad)
		}
	}
	own := hs[strings.Index(hs, `<h2 id="findings">`):strings.Index(hs, `<h2 id="sigma">`)]
	if strings.Contains(own, "Process Execution From Shared Memory") || !strings.Contains(own, "CORDON-PROC-001") {
		t.Error("the Sigma finding is shown among Cordon's")
	}
	var m bytes.Buffer
	if err := Markdown(&m, r); err != nil {
		t.Fatal(err)
	}
	ms := m.String()
	if i := strings.Index(ms, "## Sigma rules"); i < 0 || !strings.Contains(ms[i:], `by **Stan Beukers &lt;script&gt;`) || !strings.Contains(ms[i:], "needs OriginalFileName") || strings.Contains(ms, "\x1b") {
		t.Errorf("Markdown Sigma section:\n%s", ms[max(0, strings.Index(ms, "## Sigma")):])
	}
	var j bytes.Buffer
	if err := JSON(&j, r); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Sigma []struct {
			RuleID string `json:"rule_id"`
			Author string `json:"author"`
			Origin string `json:"origin"`
		} `json:"sigma_findings"`
	}
	if err := json.Unmarshal(j.Bytes(), &back); err != nil || len(back.Sigma) != 1 || back.Sigma[0].RuleID != "5cd16c8f-44a6-4654-81e7-a84d6db507d4" ||
		!strings.HasPrefix(back.Sigma[0].Author, "Stan Beukers") || back.Sigma[0].Origin != "sigma" {
		t.Errorf("JSON: %v %+v", err, back.Sigma)
	}
	// the summary says it, in both renderings
	sum := hs[:strings.Index(hs, `<h2 id="findings">`)]
	if !strings.Contains(sum, "<dt>Sigma rules</dt><dd>1 findings of 1 rules") || !strings.Contains(ms, "1 findings of 1 rules") {
		t.Errorf("summary lacks the Sigma line:\n%s", sum)
	}
}
