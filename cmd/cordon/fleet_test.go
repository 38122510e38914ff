package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/fleet"
)

// TestFleetCase is the fleet workflow end to end with the real parsers:
// bundles of several hosts analyzed two at a time into one case, then
// again with one more (the others are recognised and skipped); the fleet
// findings name the hosts in the order the attacker reached them (which
// is not the order of their names); --host narrows findings, report,
// search and timeline; cordon hosts prints one line per host.
func TestFleetCase(t *testing.T) {
	dir := t.TempDir()
	fl := analyzertest.SyntheticFleet(t, dir, analyzertest.FleetOptions{Bundles: 6, Hosts: 5, MinLines: 1500, MaxLines: 2500})
	if len(fl.Reached) != 3 || strings.Join(fl.Reached, " ") == "agent00 agent02 agent04" {
		t.Fatalf("the synthetic attack reached %v: the order must differ from the names'", fl.Reached)
	}
	caseDir := filepath.Join(dir, "case")

	// Five bundles (one per host), two at a time.
	out, errOut, code := cordonRun(t, append([]string{"analyze", "--case", caseDir, "--jobs", "2"}, fl.Paths[:5]...)...)
	if code != exitOK || !strings.Contains(out, "5 bundles analyzed now") || !strings.Contains(out, "investigated:") {
		t.Fatalf("analyze: %d\n%s\n%s", code, out, errOut)
	}
	// The summaries come in the order of the arguments, whatever order the workers finished in.
	last := -1
	for _, p := range fl.Paths[:5] {
		i := strings.Index(out, p)
		if i < 0 || i < last {
			t.Fatalf("summary of %s missing or out of order:\n%s", p, out)
		}
		last = i
	}
	// Again with the sixth (agent00's second day): the five are skipped, unread.
	out, errOut, code = cordonRun(t, append([]string{"analyze", "--case", caseDir, "--jobs", "2"}, fl.Paths...)...)
	if code != exitOK || !strings.Contains(out, "1 bundles analyzed now") || strings.Count(errOut, "skipped: already in the case") != 5 ||
		!strings.Contains(out, fl.Paths[5]) {
		t.Fatalf("second analyze: %d\n%s\n%s", code, out, errOut)
	}

	// The fleet findings, in JSON.
	out, errOut, code = cordonRun(t, "findings", "--case", caseDir, "--format", "json")
	if code != exitOK {
		t.Fatalf("findings: %d %s", code, errOut)
	}
	var doc struct {
		Findings []findings.Finding `json:"findings"`
		Fleet    []fleet.Spread     `json:"fleet"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	spreads := map[fleet.Kind]fleet.Spread{}
	for _, sp := range doc.Fleet {
		if _, dup := spreads[sp.Kind]; dup {
			t.Errorf("two %s spreads: %+v", sp.Kind, doc.Fleet)
		}
		spreads[sp.Kind] = sp
	}
	want := strings.Join(fl.Reached, " ")
	if sp := spreads[fleet.Address]; sp.Value != analyzertest.FleetAttacker || strings.Join(sp.HostNames(), " ") != want {
		t.Errorf("the attacker address: %+v, want the hosts %s", sp, want)
	}
	if sp := spreads[fleet.SSHKey]; sp.Value != analyzertest.FleetKey || strings.Join(sp.HostNames(), " ") != want {
		t.Errorf("the attacker's key: %+v, want the hosts %s", sp, want)
	}
	if len(doc.Fleet) != 2 {
		t.Errorf("fleet: %+v (the administrators' key and address are not the attacker's)", doc.Fleet)
	}
	// First and last sighting per host: on the first host, the brute force's first line.
	if sp := spreads[fleet.Address]; len(sp.Hosts) == 3 {
		h := sp.Hosts[0]
		if !h.First.Equal(fl.ReachedAt[0]) || h.Events != 14 || !strings.Contains(h.FirstRef.Message, "Failed password for root") ||
			h.ClockOffset == nil || !h.AsSource {
			t.Errorf("first host's sighting: %+v", h)
		}
	}
	var ff *findings.Finding
	for i := range doc.Findings {
		if doc.Findings[i].RuleID == "CORDON-FLEET-001" {
			ff = &doc.Findings[i]
		}
	}
	if ff == nil || ff.Attack.ID != "T1021" || len(ff.Instances) != 4 || ff.Instances[0] != "hosts in the order reached: "+strings.Join(fl.Reached, " → ") ||
		!strings.HasPrefix(ff.Instances[1], "1. "+fl.Reached[0]+": first ") {
		t.Errorf("CORDON-FLEET-001: %+v", ff)
	}

	// The text output names them too.
	out, _, code = cordonRun(t, "findings", "--case", caseDir)
	if code != exitOK || !strings.Contains(out, "CORDON-FLEET-001") || !strings.Contains(out, "hosts in the order reached: "+strings.Join(fl.Reached, " → ")) {
		t.Errorf("findings text: %d\n%s", code, out)
	}

	// --host: the findings of one host, computed for it alone.
	out, errOut, code = cordonRun(t, "findings", "--case", caseDir, "--host", fl.Reached[1], "--format", "json")
	if code != exitOK || !strings.Contains(errOut, "only the events of "+fl.Reached[1]) {
		t.Fatalf("findings --host: %d %s", code, errOut)
	}
	doc.Fleet, doc.Findings = nil, nil
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Fleet) != 0 {
		t.Errorf("one host has no fleet: %+v", doc.Fleet)
	}
	for _, f := range doc.Findings {
		for _, e := range f.Evidence {
			if e.Provenance.Bundle != "ev-"+fl.Reached[1]+"-day0" {
				t.Errorf("%s cites %s, not of the host asked for", f.RuleID, e.Provenance.Bundle)
			}
		}
	}
	// Two hosts: a fleet of two.
	out, _, code = cordonRun(t, "findings", "--case", caseDir, "--host", fl.Reached[2], "--host", fl.Reached[0], "--format", "json")
	doc.Fleet = nil
	if err := json.Unmarshal([]byte(out), &doc); code != exitOK || err != nil {
		t.Fatalf("findings of two hosts: %d %v", code, err)
	}
	if len(doc.Fleet) != 2 || strings.Join(doc.Fleet[0].HostNames(), " ") != fl.Reached[0]+" "+fl.Reached[2] {
		t.Errorf("fleet of two hosts: %+v", doc.Fleet)
	}
	if _, errOut, code := cordonRun(t, "findings", "--case", caseDir, "--host", "nosuchhost"); code != exitUsage || !strings.Contains(errOut, "cordon hosts") {
		t.Errorf("an unknown host: %d %s", code, errOut)
	}
	// Kept in the case, per host set.
	if m, _ := filepath.Glob(filepath.Join(caseDir, "investigations", "hosts-*.json")); len(m) != 2 {
		t.Errorf("investigations kept per host set: %q", m)
	}

	// The report: the section across hosts, in the order reached.
	md := filepath.Join(dir, "r.md")
	if _, errOut, code := cordonRun(t, "report", "--case", caseDir, "-o", md); code != exitOK {
		t.Fatalf("report: %d %s", code, errOut)
	}
	data, _ := os.ReadFile(md)
	sec := string(data)
	if i := strings.Index(sec, "## Across hosts"); i < 0 {
		t.Errorf("no section across hosts in the report")
	} else {
		sec = sec[i:]
		a, b, c := strings.Index(sec, "| 1 | "+fl.Reached[0]), strings.Index(sec, "| 2 | "+fl.Reached[1]), strings.Index(sec, "| 3 | "+fl.Reached[2])
		if a < 0 || b < a || c < b {
			t.Errorf("hosts of the report's section out of order:\n%.1500s", sec)
		}
	}
	html := filepath.Join(dir, "r1.html")
	if _, errOut, code := cordonRun(t, "report", "--case", caseDir, "--host", fl.Reached[0], "-o", html); code != exitOK {
		t.Fatalf("report --host: %d %s", code, errOut)
	}

	// search and timeline: --host repeatable.
	count := func(hosts ...string) string {
		args := []string{"search", "--case", caseDir, "--count"}
		for _, h := range hosts {
			args = append(args, "--host", h)
		}
		out, errOut, code := cordonRun(t, append(args, "source.ip:"+analyzertest.FleetAttacker)...)
		if code != exitOK {
			t.Fatalf("search: %d %s", code, errOut)
		}
		return strings.TrimSpace(out)
	}
	if all, one, two := count(), count(fl.Reached[0]), count(fl.Reached[0], fl.Reached[1]); all != "20" || one != "14" || two != "17" {
		t.Errorf("attacker lines: all %s, first host %s, first two %s", all, one, two)
	}

	// A range: search (which asks only the bundles spanning it) and
	// timeline (which walks every bundle) agree, on a range within one
	// bundle's day and on one across two days.
	for _, r := range [][2]string{{"2026-11-03T10:00:00Z", "2026-11-03T11:00:00Z"}, {"2026-11-02T23:30:00Z", "2026-11-03T00:30:00Z"}} {
		n, errOut, code := cordonRun(t, "search", "--case", caseDir, "--count", "--from", r[0], "--to", r[1], "event.dataset:auth")
		tl, _, code2 := cordonRun(t, "timeline", "--case", caseDir, "--from", r[0], "--to", r[1], "--query", "event.dataset:auth", "--format", "jsonl")
		if code != exitOK || code2 != exitOK || strings.TrimSpace(n) != fmt.Sprint(strings.Count(tl, "\n")) || strings.TrimSpace(n) == "0" {
			t.Errorf("range %v: search counts %s (%s), timeline %d", r, n, errOut, strings.Count(tl, "\n"))
		}
	}

	// hosts: one line per host, sorted by name.
	out, errOut, code = cordonRun(t, "hosts", "--case", caseDir)
	if code != exitOK {
		t.Fatalf("hosts: %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "HOST") {
		t.Fatalf("hosts:\n%s", out)
	}
	for i, l := range lines[1:] {
		host := fmt.Sprintf("agent%02d", i)
		f := strings.Fields(l)
		if f[0] != host || !strings.Contains(l, "intact") || !strings.Contains(l, " s  ") {
			t.Errorf("line of %s: %q", host, l)
		}
		reached := strings.Contains(want, host)
		if fleetCount := f[len(f)-1]; (reached && fleetCount != "2") || (!reached && fleetCount != "0") {
			t.Errorf("line of %s: %s fleet findings", host, fleetCount)
		}
	}
	if !strings.Contains(lines[1], "(2 collections)") {
		t.Errorf("agent00 was collected twice: %q", lines[1])
	}
	out, _, code = cordonRun(t, "hosts", "--case", caseDir, "--format", "json")
	var hd struct {
		Hosts []struct {
			Host        string         `json:"host"`
			Collections int            `json:"collections"`
			ClockOffset *float64       `json:"clock_offset_seconds"`
			Events      int64          `json:"events"`
			Findings    map[string]int `json:"findings"`
			Bundles     []hostBundle   `json:"bundles"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(out), &hd); code != exitOK || err != nil || len(hd.Hosts) != 5 {
		t.Fatalf("hosts json: %d %v\n%s", code, err, out)
	}
	// Severities in their order, critical first, as on the terminal.
	first := out[strings.Index(out, `"findings"`):]
	first = first[:strings.Index(first, "}")]
	if !regexp.MustCompile(`"critical":\s*\d+,\s*"high":\s*\d+,\s*"medium":\s*\d+,\s*"low":\s*\d+,\s*"info":\s*\d+`).MatchString(first) {
		t.Errorf("findings by severity, not in severity order: %s", first)
	}
	for _, h := range hd.Hosts {
		// The same findings as cordon findings --host.
		fo, _, _ := cordonRun(t, "findings", "--case", caseDir, "--host", h.Host, "--format", "json")
		doc.Findings = nil
		if err := json.Unmarshal([]byte(fo), &doc); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range h.Findings {
			n += c
		}
		if h.Host == fl.Reached[0] && h.Findings["critical"] == 0 {
			t.Errorf("the brute-forced host has no critical finding: %+v", h)
		}
		if n != len(doc.Findings) || h.Events == 0 || h.ClockOffset == nil || len(h.Bundles) != h.Collections {
			t.Errorf("host %s: %d findings, cordon findings --host says %d; %+v", h.Host, n, len(doc.Findings), h)
		}
	}
}
