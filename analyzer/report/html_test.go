package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// hostile is evidence an attacker wrote: markup, a style breaker, terminal escapes.
const hostile = "<script>document.title='PWNED'</script></style><img src=x onerror=\"document.title='PWNED'\">\x1b[2J\x1b]0;evil\x07"

func sample() Report {
	t0 := time.Date(2026, 11, 20, 3, 14, 0, 0, time.UTC)
	fs := []findings.Finding{
		{RuleID: "CORDON-PROC-001", Title: "Process running from a deleted executable", Severity: "high",
			Attack: findings.Attack{ID: "T1070.004", Name: "File Deletion"}, Why: "why",
			Evidence: []findings.Evidence{
				{Time: t0.Format(time.RFC3339Nano), Message: "process 4242 \"mysql\" exe /tmp/mysql (deleted) " + hostile,
					Provenance: timeline.Provenance{Bundle: "EV-1", Entry: "logs/" + hostile, Line: 3, Offset: 120}},
				{Time: t0.Add(time.Minute).Format(time.RFC3339Nano), Message: "second",
					Provenance: timeline.Provenance{Bundle: "EV-1", Entry: "volatile/processes.json"}},
			}},
	}
	offset := 0.4
	bs := []Bundle{{EvidenceID: "EV-1", Path: "/cases/x.cordon", SHA256: strings.Repeat("ab", 32), Verification: bundle.StatusIntact,
		KeyID: "RWQ", Trust: bundle.TrustSelfSigned, Examiner: "J. Doe " + hostile, Host: "ci-build-07", Start: t0, End: t0.Add(5 * time.Minute),
		ClockOffsetSeconds: &offset, ReferenceTime: t0, ToolVersion: "dev", ParserSettings: []Setting{{Name: "postgresql.log_line_prefix", Value: hostile, From: "fs/etc/" + hostile}},
		Options: map[string]string{"MaxFileSize": "2.68435456e+08", "Root": hostile},
		Entries: []Entry{{Name: "etc/" + hostile, SHA256: strings.Repeat("cd", 32), Size: 10}}}}
	ref := fs[0].Evidence[0]
	threads := []correlate.Thread{{
		Title: "\"init\" (PID 4242) started through PostgreSQL backend 4240, from 203.0.113.9 " + hostile, Score: 40, Bundle: "EV-1",
		Attackers: []string{"203.0.113.9", hostile},
		Steps: []correlate.Step{
			{Time: t0.Add(-time.Minute), Stage: correlate.StageInitialAccess, Text: "first event naming 203.0.113.9 " + hostile, Evidence: []findings.Evidence{ref}, First: true},
			{Time: t0, Stage: correlate.StageExecution, Text: "PostgreSQL backend 4240 ran: COPY t TO PROGRAM '" + hostile + "' | a|b `x` **y** [l](http://e)", Evidence: []findings.Evidence{ref}},
		},
		RootCause: []correlate.Step{{Time: t0, Stage: correlate.StageExposure, Text: "listens on all interfaces " + hostile, Evidence: []findings.Evidence{ref}}},
		Tree:      []correlate.TreeLine{{Depth: 0, PID: 1, Name: "systemd"}, {Depth: 1, PID: 4242, Name: "mysql", Exe: "/tmp/" + hostile + " ``` (deleted)", Suspect: "exe deleted", Ref: ref}},
		Golden:    "The last known-good state is before " + t0.Add(-time.Minute).Format(time.RFC3339Nano) + hostile,
	}}
	return Build("case-1 "+hostile, "dev", fs, threads, nil, bs, t0.Add(time.Hour))
}

func TestHTMLEscapesEvidence(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, sample()); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, bad := range []string{"<script>", "</style><img", "onerror=\"", "\x1b", "\x07"} {
		if strings.Contains(s, bad) {
			t.Errorf("report holds unescaped %q", bad)
		}
	}
	if !strings.Contains(s, `content="default-src &#39;none&#39;`) && !strings.Contains(s, `content="default-src 'none'`) {
		t.Errorf("no CSP meta")
	}
	for _, fetch := range []string{`href="http`, `src="http`, `href=http`, `src=http`, "url(", "@import"} {
		if strings.Contains(s, fetch) {
			t.Errorf("report refers to a remote address: %s", fetch)
		}
	}
}

// TestHTMLInChromium renders the report headless: it must load without
// console errors, no planted script may run (the title stays), the hostile
// text must show literally, and a screenshot must be a PNG.
func TestHTMLInChromium(t *testing.T) {
	chromium := testenv.NeedTool(t, "chromium")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := HTML(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(extra ...string) (stdout, stderr string) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + filepath.Join(dir, "profile"),
			"--enable-logging=stderr", "--v=0"}, extra...)
		args = append(args, "file://"+page)
		cmd := exec.CommandContext(ctx, chromium, args...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, e.String())
		}
		return o.String(), e.String()
	}
	dom, log := run("--dump-dom")
	if !strings.Contains(dom, "<title>Cordon report: case-1 &lt;script&gt;") {
		t.Errorf("title changed or not rendered literally:\n%.400s", dom)
	}
	if strings.Contains(dom, "PWNED</title>") || strings.Contains(dom, "<img src=\"x\"") {
		t.Errorf("planted markup became live:\n%s", dom)
	}
	if !strings.Contains(dom, "&lt;script&gt;document.title='PWNED'&lt;/script&gt;&lt;/style&gt;") {
		t.Errorf("hostile text not shown literally")
	}
	if !strings.Contains(dom, "<svg") || !strings.Contains(dom, "<circle") {
		t.Errorf("timeline SVG missing")
	}
	for _, want := range []string{"Attack chain", "first anomalous event", "Process tree", "What made it possible", "Chain of custody"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "Uncaught") || strings.Contains(l, "CONSOLE") || strings.Contains(l, "Content Security Policy") || strings.Contains(l, "Content-Security-Policy") {
			t.Errorf("chromium console: %s", l)
		}
	}
	shot := filepath.Join(dir, "report.png")
	run("--screenshot="+shot, "--window-size=1200,1600")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 100 || r.Dy() < 100 {
		t.Errorf("screenshot is %v", r)
	}
	// The page rendered something: a blank page is one colour.
	colours := map[uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 7 {
		for x := r.Min.X; x < r.Max.X; x += 7 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colours[cr>>8<<16|cg>>8<<8|cb>>8] = true
		}
	}
	if len(colours) < 3 {
		t.Errorf("the screenshot is blank (%d colours)", len(colours))
	}
	if d := os.Getenv("CORDON_TEST_ARTIFACTS"); d != "" {
		if data, err := os.ReadFile(shot); err == nil {
			_ = os.WriteFile(filepath.Join(d, "report.png"), data, 0o644)
		}
	}
	t.Logf("screenshot %s (%v)", shot, img.Bounds())
}

// TestMarkdownEscapesEvidence: hostile text cannot add markup, break a
// table row or close the process tree's fence.
func TestMarkdownEscapesEvidence(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, sample()); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	// Outside the process tree's fence (where Markdown renders nothing as
	// markup), no markup survives; control bytes survive nowhere.
	parts := strings.Split(s, "```")
	for i := 0; i < len(parts); i += 2 {
		for _, bad := range []string{"<script", "<img", "</style>", "[l](http"} {
			if strings.Contains(parts[i], bad) {
				t.Errorf("markdown holds unescaped %q", bad)
			}
		}
	}
	if strings.ContainsAny(s, "\x1b\x07") {
		t.Errorf("raw control bytes in the markdown")
	}
	// Every row of a table has as many unescaped pipes as its header.
	inTree := false
	header := 0
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "| time") {
			header = strings.Count(line, "|")
		}
		if strings.HasPrefix(line, "```") {
			inTree = !inTree
			continue
		}
		if inTree && strings.Contains(line, "```") {
			t.Errorf("the fence can be closed from evidence: %q", line)
		}
		if strings.HasPrefix(line, "| 2026-") || strings.HasPrefix(line, "| **2026-") {
			if n := strings.Count(line, "|") - strings.Count(line, "\\|"); n != header {
				t.Errorf("%d unescaped pipes in row %q", n, line)
			}
		}
	}
	for _, want := range []string{"## Attack chain", "first anomalous event", "**Process tree**", "## Chain of custody", "Golden point"} {
		if !strings.Contains(s, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}
