package report_test

// The report as people get it: printed to PDF by headless Chromium for the
// legal file (page count, the summary on the first page, no text cut or
// off the page), and on a 1280-pixel-wide screen (nothing wider than the
// window). The sample incident's report is used, custody appendix included.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/analyzer/report"
	"github.com/cordon-forensics/cordon/analyzer/rules"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// sampleReport analyzes samples/incident.cordon and builds its report as
// cordon report does.
func sampleReport(t *testing.T) report.Report {
	t.Helper()
	c := analyzertest.Analyze(t, pipeline.Options{}, filepath.Join("..", "..", "samples", "incident.cordon"))
	rs, err := findings.LoadRules(rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := investigation.Investigate(context.Background(), c, rs)
	if err != nil {
		t.Fatal(err)
	}
	var bs []report.Bundle
	for _, cb := range inv.Bundles {
		bs = append(bs, report.Bundle{EvidenceID: cb.EvidenceID, Path: cb.Path, SHA256: cb.SHA256, KeyID: cb.KeyID,
			Verification: cb.Verification, Unverified: cb.Unverified, Trust: cb.Trust}.WithCustody(cb.Custody, cb.Entries))
	}
	return report.Build("CORDON-SAMPLE", "test", inv.Findings, inv.Chain.Threads, inv.Chain.Links, bs, time.Time{})
}

// headless runs Chromium on a page with the flags of FIELD-NOTES.md.
func headless(t *testing.T, dir string, args ...string) string {
	t.Helper()
	chromium := testenv.NeedTool(t, "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + filepath.Join(dir, "profile")}, args...)
	cmd := exec.CommandContext(ctx, chromium, all...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

func writeHTML(t *testing.T, dir string, r report.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "report.html")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// cited lists every place the report cites (entry:line or entry@offset).
func cited(r report.Report) []string {
	seen := map[string]bool{}
	var out []string
	add := func(refs []report.Ref) {
		for _, x := range refs {
			if w := x.Provenance.Where(); !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	for _, th := range r.Threads {
		for _, s := range th.Steps {
			add(s.Evidence)
		}
		for _, s := range th.RootCause {
			add(s.Evidence)
		}
	}
	for _, f := range r.Findings {
		add(f.Evidence)
	}
	for _, l := range r.Links {
		add(l.Evidence)
	}
	return out
}

var spaces = regexp.MustCompile(`\s+`)

// TestReportPrintsToPDF prints the sample's report as the legal file gets
// it and reads the PDF back with poppler: a sensible page count, the
// summary whole on the first page, every finding's title and every cited
// entry:line present, and no word outside its page.
func TestReportPrintsToPDF(t *testing.T) {
	pdftotext := testenv.NeedTool(t, "pdftotext")
	pdfinfo := testenv.NeedTool(t, "pdfinfo")
	testenv.NeedTool(t, "chromium")
	dir := t.TempDir()
	r := sampleReport(t)
	page := writeHTML(t, dir, r)
	pdf := filepath.Join(dir, "report.pdf")
	headless(t, dir, "--no-pdf-header-footer", "--print-to-pdf="+pdf, "file://"+page)

	info, err := exec.Command(pdfinfo, pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo gives no page count:\n%s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	// 16 findings with 67 pieces of evidence (some whole command lines),
	// three threads, 93 custody entries: tens of pages, not hundreds.
	if pages < 4 || pages > 60 {
		t.Errorf("the PDF has %d pages", pages)
	}
	if !strings.Contains(string(info), "A4") {
		t.Errorf("not A4:\n%s", info)
	}
	text := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(pdftotext, append(args, pdf, "-")...).Output()
		if err != nil {
			t.Fatalf("pdftotext %v: %v", args, err)
		}
		return string(out)
	}
	first := spaces.ReplaceAllString(text("-f", "1", "-l", "1"), "")
	for _, want := range []string{"Summary", "Whathappened", "Since", "Howtheygotin", "Whattodofirst", "Stopthewatchdog", "Evidence"} {
		if !strings.Contains(first, want) {
			t.Errorf("page 1 lacks %q: the summary does not fit the first page", want)
		}
	}
	all := spaces.ReplaceAllString(text("-raw"), "")
	for _, f := range r.Findings {
		if !strings.Contains(all, spaces.ReplaceAllString(f.Title, "")) {
			t.Errorf("the PDF lacks the finding title %q", f.Title)
		}
	}
	// The end of every piece of evidence is there: a line too long for
	// the paper loses its end first.
	for _, f := range r.Findings {
		for _, e := range f.Evidence {
			msg := []rune(spaces.ReplaceAllString(e.Message, ""))
			tail := string(msg[max(0, len(msg)-24):])
			if !strings.Contains(all, tail) {
				t.Errorf("%s: the PDF lacks the end of the evidence %q", f.RuleID, tail)
			}
		}
	}
	cites := cited(r)
	if len(cites) < 20 {
		t.Fatalf("only %d places cited", len(cites))
	}
	for _, w := range cites {
		if !strings.Contains(all, spaces.ReplaceAllString(w, "")) {
			t.Errorf("the PDF lacks the citation %s", w)
		}
	}
	// No word lies outside its page (cut off at the right or bottom).
	bbox := text("-bbox")
	pageRe := regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)">`)
	wordRe := regexp.MustCompile(`<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)</word>`)
	var w, h float64
	var heights []float64
	words, outside := 0, 0
	for _, line := range strings.Split(bbox, "\n") {
		if pm := pageRe.FindStringSubmatch(line); pm != nil {
			w, _ = strconv.ParseFloat(pm[1], 64)
			h, _ = strconv.ParseFloat(pm[2], 64)
			continue
		}
		wm := wordRe.FindStringSubmatch(line)
		if wm == nil {
			continue
		}
		words++
		var c [4]float64
		for i := range c {
			c[i], _ = strconv.ParseFloat(wm[i+1], 64)
		}
		heights = append(heights, c[3]-c[1])
		if c[0] < 0 || c[1] < 0 || c[2] > w+0.5 || c[3] > h+0.5 {
			outside++
			if outside <= 5 {
				t.Errorf("word %q at %v lies outside its %gx%g page", wm[5], c, w, h)
			}
		}
	}
	if words < 1000 {
		t.Fatalf("pdftotext -bbox found %d words", words)
	}
	// Chromium shrinks a page too wide for the paper until it fits: then
	// nothing is off the page, but the text is too small to read.
	slices.Sort(heights)
	if med := heights[len(heights)/2]; med < 7 {
		t.Errorf("the median word is %.1f pt high: the page was shrunk to fit the paper", med)
	}
	t.Logf("%d pages, %d words, %d citations checked", pages, words, len(cites))
	if d := os.Getenv("CORDON_TEST_ARTIFACTS"); d != "" {
		if data, err := os.ReadFile(pdf); err == nil {
			_ = os.WriteFile(filepath.Join(d, "report.pdf"), data, 0o644)
		}
	}
}

// overflowProbe is a page (without the report's CSP) that loads a page in
// a 1280-pixel-wide frame and writes what sticks out past its right edge.
const overflowProbe = `<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="%s" style="width:1280px;height:900px;border:0"></iframe>
<pre id="out">not measured</pre>
<script>
window.addEventListener("load", function () {
  var d = document.getElementById("f").contentDocument, root = d.documentElement, w = root.clientWidth;
  var wide = [];
  d.querySelectorAll("body *").forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 0.5) wide.push(e.tagName + " right=" + Math.round(r.right) + " " + (e.textContent || "").slice(0, 60));
  });
  document.getElementById("out").textContent = "client=" + w + " scroll=" + root.scrollWidth + " wide=" + wide.length + "\n" + wide.slice(0, 10).join("\n");
});
</script></body></html>`

// measure loads page in a 1280-pixel frame: the page's scroll width and
// client width, and what sticks out.
func measure(t *testing.T, dir, page string) (client, scroll int, detail string) {
	t.Helper()
	probe := filepath.Join(dir, "probe-"+filepath.Base(page))
	if err := os.WriteFile(probe, []byte(fmt.Sprintf(overflowProbe, filepath.Base(page))), 0o600); err != nil {
		t.Fatal(err)
	}
	dom := headless(t, dir, "--allow-file-access-from-files", "--window-size=1400,1000", "--dump-dom", "file://"+probe)
	m := regexp.MustCompile(`client=(\d+) scroll=(\d+) wide=(\d+)([^<]*)`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe measured nothing:\n%.2000s", dom)
	}
	client, _ = strconv.Atoi(m[1])
	scroll, _ = strconv.Atoi(m[2])
	return client, scroll, m[3] + m[4]
}

// TestReportFitsA1280PixelScreen: at 1280 pixels nothing of the sample's
// report is wider than the window (no sideways scrolling). The same probe
// on a page that does overflow must say so, or it proves nothing.
func TestReportFitsA1280PixelScreen(t *testing.T) {
	testenv.NeedTool(t, "chromium")
	dir := t.TempDir()
	wide := filepath.Join(dir, "wide.html")
	if err := os.WriteFile(wide, []byte(`<!DOCTYPE html><html><body><table><tr><td><code>`+strings.Repeat("x", 400)+`</code></td></tr></table></body></html>`), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, s, _ := measure(t, dir, wide); s <= c {
		t.Fatalf("the probe sees no overflow on a page that has one (client %d, scroll %d)", c, s)
	}
	page := writeHTML(t, dir, sampleReport(t))
	c, s, detail := measure(t, dir, page)
	if c < 1200 || c > 1280 {
		t.Errorf("the frame is %d pixels wide, want about 1280", c)
	}
	if s > c {
		t.Errorf("the report is %d pixels wide in a %d-pixel window: %s", s, c, detail)
	}
	t.Logf("client %d, scroll %d", c, s)
}
