package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

func render(t *testing.T, r Report) (js, md, html string) {
	t.Helper()
	var a, b, c bytes.Buffer
	if err := JSON(&a, r); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&c, r); err != nil {
		t.Fatal(err)
	}
	return a.String(), b.String(), c.String()
}

// TestJSONHoldsTypedValues: the JSON holds formats/bundle's statuses and
// trust levels and numbers, never the sentences made of them; the HTML
// and Markdown hold the sentences.
func TestJSONHoldsTypedValues(t *testing.T) {
	r := sample()
	r.Bundles[0].Unverified = true
	r.Bundles[0].Verification = bundle.StatusIncomplete
	js, md, html := render(t, r)
	var got struct {
		Bundles []map[string]any `json:"bundles"`
	}
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatal(err)
	}
	b := got.Bundles[0]
	if b["verification"] != string(bundle.StatusIncomplete) || b["trust"] != string(bundle.TrustSelfSigned) || b["unverified"] != true || b["host_clock_offset_seconds"] != 0.4 {
		t.Errorf("bundle JSON: %v", b)
	}
	for _, prose := range []string{"compare the fingerprint", "UNVERIFIED", "analyzed with --force", " s against ", "What happened", "Stop the watchdog"} {
		if strings.Contains(js, prose) {
			t.Errorf("the JSON holds the sentence %q", prose)
		}
	}
	for _, out := range []string{md, html} {
		for _, prose := range []string{"self-signed: compare the fingerprint RWQ with the custody form", "incomplete: verified up to its last checkpoint", "UNVERIFIED", "0.400 s against 2026-11-20T03:14:00Z"} {
			if !strings.Contains(out, prose) {
				t.Errorf("a rendering lacks %q", prose)
			}
		}
	}
}

func TestOptionValue(t *testing.T) {
	for in, want := range map[string]string{
		"2.68435456e+08": "268435456",
		"6e+10":          "60000000000",
		"1e+06":          "1000000",
		"0.5":            "0.5",
		"1.5e+300":       "1.5e+300",
		"suspect":        "suspect",
		"[lo cordon-v]":  "[lo cordon-v]",
		"true":           "true",
		"42":             "42",
		"-3e+02":         "-300",
		"NaN":            "NaN",
	} {
		if got := optionValue(in); got != want {
			t.Errorf("optionValue(%q) = %q, want %q", in, got, want)
		}
	}
	_, md, html := render(t, sample())
	for _, out := range []string{md, html} {
		if strings.Contains(out, "e+08") || !strings.Contains(out, "268435456") {
			t.Errorf("the collector option MaxFileSize is not written whole")
		}
	}
}

// TestNoEmptyStatements: a thread without outside addresses or findings
// says nothing of them (no "Outside addresses: ." with nothing between).
func TestNoEmptyStatements(t *testing.T) {
	r := sample()
	r.Threads[0].Attackers = nil
	r.Threads[0].Rules = nil
	r.Summary = summarize(r.Findings, r.Threads)
	_, md, html := render(t, r)
	for _, out := range []string{md, html} {
		if regexp.MustCompile(`(?i)outside addresses[^.;]*: *[.;<]|findings: *[.;<]`).MatchString(out) {
			t.Errorf("an empty list is stated:\n%s", regexp.MustCompile(`(?i).{40}outside addresses.{40}`).FindString(out))
		}
	}
}

// respawnThread is the scenario's chain: a watchdog (PID 30162) that
// restarted the miner (PID 30344) after it was killed.
func respawnThread() correlate.Thread {
	t0 := time.Date(2026, 11, 23, 3, 15, 15, 0, time.UTC)
	ref := findings.Evidence{Time: t0.Format(time.RFC3339Nano), Message: "m", Provenance: timeline.Provenance{Bundle: "EV", Entry: "proc/processes.jsonl", Line: 84}}
	return correlate.Thread{Title: "watchdog", Bundle: "EV", Attackers: []string{"10.213.0.2"},
		Steps: []correlate.Step{
			{Time: t0, Stage: correlate.StageInitialAccess, Kind: correlate.KindFirstContact, Text: "first event naming 10.213.0.2", Evidence: []findings.Evidence{ref}, First: true},
			{Time: t0.Add(time.Second), Stage: correlate.StageInitialAccess, Kind: correlate.KindLogin, Text: "PostgreSQL authorized the connection", Evidence: []findings.Evidence{ref}},
			{Time: t0.Add(2 * time.Second), Stage: correlate.StageDefenseEvasion, Kind: correlate.KindDeletedExecutable, PID: 30162, SHA256: strings.Repeat("f3", 32), Text: "deleted", Evidence: []findings.Evidence{ref}},
			{Time: t0.Add(6 * time.Second), Stage: correlate.StagePersistence, Kind: correlate.KindRespawn, PID: 30344, ParentPID: 30162, Text: "restarted", Evidence: []findings.Evidence{ref}},
		},
		RootCause: []correlate.Step{{Time: t0, Stage: correlate.StageExposure, Text: "CORDON-EXP-002: pg_hba.conf trusts connections from the network (why)"}},
		Tree: []correlate.TreeLine{{PID: 30161, Name: "postgres"}, {Depth: 1, PID: 30162, Name: "init", Exe: "/tmp/mysql (deleted)", Suspect: "exe deleted"},
			{Depth: 2, PID: 30344, Name: "mysql", Exe: "/tmp/mysql (deleted)", Suspect: "exe deleted"}},
	}
}

// TestSummaryStopsTheWatchdogFirst: a respawning parent in the chain makes
// the first action stopping it, before what it restarts.
func TestSummaryStopsTheWatchdogFirst(t *testing.T) {
	r := Build("c", "v", nil, []correlate.Thread{respawnThread()}, nil, nil, time.Time{})
	s := r.Summary
	if len(s.FirstActions) < 2 {
		t.Fatalf("first actions: %+v", s.FirstActions)
	}
	a := s.FirstActions[0]
	if a.Kind != ActionStopWatchdog || a.PID != 30162 || a.Name != "init" || len(a.Restarts) != 1 || a.Restarts[0].PID != 30344 {
		t.Errorf("first action %+v: want stopping the watchdog 30162 before 30344", a)
	}
	if b := s.FirstActions[1]; b.Kind != ActionStopProcesses || len(b.Processes) != 1 || b.Processes[0].PID != 30344 {
		t.Errorf("second action %+v: want stopping 30344", b)
	}
	kinds := []string{}
	for _, a := range s.FirstActions {
		kinds = append(kinds, a.Kind)
	}
	if strings.Join(kinds, " ") != "stop-watchdog stop-processes block-addresses close-way-in restore-before" {
		t.Errorf("actions %v", kinds)
	}
	if s.WayIn == nil || s.WayIn.Kind != correlate.KindLogin || s.FirstAnomalous == nil || !s.Since.Equal(s.FirstAnomalous.Time) {
		t.Errorf("way in %+v, first %+v, since %v", s.WayIn, s.FirstAnomalous, s.Since)
	}
	if len(s.Recovered) != 1 || s.Recovered[0].PID != 30162 {
		t.Errorf("recovered %+v", s.Recovered)
	}
	_, md, html := render(t, r)
	for _, out := range []string{md, html} {
		i, j := strings.Index(out, "Stop the watchdog"), strings.Index(out, "Then stop the suspect processes")
		if i < 0 || j < i || !regexp.MustCompile(`PID 30162\\?\) first: it restarts .*PID 30344`).MatchString(out) {
			t.Errorf("the summary does not say to stop the watchdog first")
		}
	}
	// Without a respawn, no watchdog is named.
	th := respawnThread()
	th.Steps = th.Steps[:3]
	r = Build("c", "v", nil, []correlate.Thread{th}, nil, nil, time.Time{})
	if r.Summary.FirstActions[0].Kind != ActionStopProcesses {
		t.Errorf("without a respawn: %+v", r.Summary.FirstActions[0])
	}
}

// TestTimelineHasAnAxis: labelled UTC ticks, the first anomalous event and
// the golden point labelled, a <title> on every mark.
func TestTimelineHasAnAxis(t *testing.T) {
	r := Build("c", "v", nil, []correlate.Thread{respawnThread()}, nil, nil, time.Time{})
	p := draw(r)
	if p == nil || len(p.Ticks) < 3 || len(p.Marks) != 4 || p.First == nil || p.Golden == nil {
		t.Fatalf("%v", p)
	}
	for i, tk := range p.Ticks {
		if !regexp.MustCompile(`^03:15:\d\d$`).MatchString(tk.Label) || (i > 0 && tk.X <= p.Ticks[i-1].X) || tk.X < plotLeft || tk.X > plotRight {
			t.Errorf("tick %d: %+v", i, tk)
		}
	}
	if !strings.Contains(p.First.Label, "first anomalous event 03:15:15") || !strings.Contains(p.Golden.Label, "last known-good: before 03:15:15") {
		t.Errorf("pins %+v %+v", p.First, p.Golden)
	}
	_, _, html := render(t, r)
	svg := html[strings.Index(html, "<svg"):strings.Index(html, "</svg>")]
	for _, mark := range regexp.MustCompile(`<(circle|path|line)[^>]*?(/?)>`).FindAllStringSubmatch(svg, -1) {
		if mark[1] == "circle" || mark[1] == "path" {
			if mark[2] == "/" {
				t.Errorf("a mark without a title: %s", mark[0])
			}
		}
	}
	if n := strings.Count(svg, "<circle"); n != 4 || strings.Count(svg, "<title>") < n+len(p.Ticks) {
		t.Errorf("%d circles, %d titles", n, strings.Count(svg, "<title>"))
	}
	if strings.Contains(html, "<script") {
		t.Errorf("the page holds a script")
	}
}

// TestCitationsNameTheBundleOnce: within a section whose evidence is of
// one bundle, citations are entry:line linked to the appendix; a citation
// from another bundle names it.
func TestCitationsNameTheBundleOnce(t *testing.T) {
	bs := []Bundle{{EvidenceID: "EV", Entries: []Entry{{Name: "a.log"}, {Name: "proc/processes.jsonl"}}}}
	c := newCiter(bs)
	got := c.cite("EV", findings.Evidence{Provenance: timeline.Provenance{Bundle: "EV", Entry: "proc/processes.jsonl", Line: 84, SHA256: "ab"}})
	if got.Text != "proc/processes.jsonl:84" || got.Href != "#e1-2" || !strings.Contains(got.Title, "SHA-256 ab") {
		t.Errorf("%+v", got)
	}
	got = c.cite("EV", findings.Evidence{Provenance: timeline.Provenance{Bundle: "OTHER", Entry: "x.pcap", Offset: 77}})
	if got.Text != "OTHER: x.pcap@77" || got.Href != "" {
		t.Errorf("%+v", got)
	}
	r := Build("c", "v", nil, []correlate.Thread{respawnThread()}, nil, []Bundle{{EvidenceID: "EV", Verification: bundle.StatusIntact, Trust: bundle.TrustTrusted,
		Entries: []Entry{{Name: "proc/processes.jsonl", SHA256: strings.Repeat("0", 64)}}}}, time.Time{})
	_, _, html := render(t, r)
	if !strings.Contains(html, `<a class="cite" href="#e1-1"`) || !strings.Contains(html, `<tr id="e1-1">`) {
		t.Errorf("citations are not linked to the appendix")
	}
	chain := html[strings.Index(html, `id="chain"`):strings.Index(html, `id="findings"`)]
	if strings.Count(chain, ">EV: ") > 0 || strings.Count(chain, "bundle <code>EV</code>") != 1 {
		t.Errorf("the chain does not name its bundle once:\n%s", chain)
	}
}

// TestDatedByEvidence: without a stated generation time the report is
// dated by its evidence and the same input gives the same bytes.
func TestDatedByEvidence(t *testing.T) {
	a, b := sample(), sample()
	a.Generated, b.Generated = time.Time{}, time.Time{}
	ja, ma, ha := render(t, a)
	jb, mb, hb := render(t, b)
	if ja != jb || ma != mb || ha != hb {
		t.Errorf("the same report renders differently")
	}
	if !a.AsOf.Equal(a.Bundles[0].End) || strings.Contains(ja, `"generated"`) || strings.Contains(ha, "report generated") {
		t.Errorf("as of %v (want the collection end %v); JSON states a generation time: %v", a.AsOf, a.Bundles[0].End, strings.Contains(ja, `"generated"`))
	}
	c := sample()
	c.Generated = time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	jc, _, hc := render(t, c)
	if !strings.Contains(jc, `"generated": "2027-01-02T03:04:05Z"`) || !strings.Contains(hc, "report generated 2027-01-02 03:04:05.000Z") {
		t.Errorf("a stated generation time is not written")
	}
}
