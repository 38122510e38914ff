package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

func cordonRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// TestAnalyzeSearchTimelineOnTheIncident runs the analyst's verbs on the
// checked-in bundle of the reenacted incident, with the real parsers: the
// miner is found by the query of the scenario, and every timeline format
// is written and read back by what reads it (mactime for the bodyfile).
func TestAnalyzeSearchTimelineOnTheIncident(t *testing.T) {
	caseDir := filepath.Join(t.TempDir(), "case")
	sample := filepath.Join("..", "..", "samples", "incident.cordon")
	out, errOut, code := cordonRun(t, "analyze", sample, "--case", caseDir)
	if code != exitOK || !strings.Contains(out, "intact, self-signed") || !strings.Contains(out, "1 bundles analyzed now") {
		t.Fatalf("analyze: %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := cordonRun(t, "analyze", sample, "--case", caseDir); code != exitOK || !strings.Contains(errOut, "already in the case") {
		t.Errorf("second analyze: %d %s", code, errOut)
	}

	out, errOut, code = cordonRun(t, "search", "--case", caseDir, `+process.executable:"/tmp/mysql" +event.action:process-started`)
	if code != exitOK || !strings.Contains(errOut, "2 matching events, 2 shown") || strings.Count(out, "\n") != 3 ||
		!strings.Contains(out, `exe "/tmp/mysql (deleted)"`) {
		t.Errorf("search: %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = cordonRun(t, "search", "--case", caseDir, "--count", `destination.port:3333 +event.dataset:pcap`)
	if code != exitOK || strings.TrimSpace(out) == "0" {
		t.Errorf("stratum flows: %d %q", code, out)
	}
	if _, errOut, code := cordonRun(t, "search", "--case", caseDir, `message:"unclosed`); code != exitUsage || errOut == "" {
		t.Errorf("bad query: %d %q", code, errOut)
	}

	for _, format := range timeline.Formats {
		out, errOut, code := cordonRun(t, "timeline", "--case", caseDir, "--format", format)
		if code != exitOK || len(out) == 0 {
			t.Fatalf("timeline --format %s: %d %s", format, code, errOut)
		}
		switch format {
		case "timesketch":
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) < 1000 || rows[0][0] != "message" || rows[0][1] != "datetime" || rows[0][2] != "timestamp_desc" {
				t.Fatalf("timesketch: %d rows, header %v", len(rows), rows[0])
			}
			for i, r := range rows[1:] {
				if r[0] == "" || r[1] == "" || r[2] == "" {
					t.Fatalf("timesketch row %d lacks a required column: %q", i+1, r[:3])
				}
			}
		case "jsonl":
			for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				var ev timeline.Event
				if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Cordon.Provenance.Entry == "" {
					t.Fatalf("jsonl line %d: %v %s", i+1, err, line)
				}
			}
		case "bodyfile":
			if !strings.Contains(errOut, "not file times left out") {
				t.Errorf("bodyfile: %q", errOut)
			}
			mactime := testenv.NeedTool(t, "mactime")
			body := filepath.Join(t.TempDir(), "body.txt")
			if err := os.WriteFile(body, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(mactime, "-b", body, "-d", "-y", "-z", "UTC")
			var mout, merr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &mout, &merr
			if err := cmd.Run(); err != nil || merr.Len() > 0 {
				t.Fatalf("mactime: %v\n%s", err, merr.String())
			}
			if n := strings.Count(mout.String(), "\n"); n < strings.Count(out, "\n") {
				t.Errorf("mactime printed %d rows for %d files", n, strings.Count(out, "\n"))
			}
			if !strings.Contains(mout.String(), `"/etc/postgresql/15/main/pg_hba.conf"`) {
				t.Errorf("mactime output lacks pg_hba.conf:\n%.2000s", mout.String())
			}
		}
	}

	out, errOut, code = cordonRun(t, "timeline", "--case", caseDir, "--query", "event.dataset:pcap", "--from", "2026-11-23T03:15:20Z", "--to", "2026-11-23")
	if code != exitOK || strings.Contains(out, "T03:15:17") || !strings.Contains(out, "stratum-login") {
		t.Errorf("timeline with query and range: %d\n%s\n%s", code, out, errOut)
	}
	for _, bad := range [][]string{{"timeline", "--case", caseDir, "--from", "yesterday"}, {"timeline", "--case", caseDir, "--format", "xml"},
		{"timeline", "--case", filepath.Join(caseDir, "nope")}, {"timeline"}, {"analyze", sample}} {
		if _, _, code := cordonRun(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d", bad, code)
		}
	}
}

// TestAnalyzeRefusesTamperedBundle: a bundle with one flipped byte is
// refused (exit 1); --force analyzes it and the table flags every event.
func TestAnalyzeRefusesTamperedBundle(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "samples", "incident.cordon"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.cordon")
	if err := os.WriteFile(cut, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	caseDir := filepath.Join(dir, "case")
	if out, errOut, code := cordonRun(t, "analyze", cut, "--case", caseDir); code != exitFailed || !strings.Contains(errOut, "refused") {
		t.Fatalf("cut bundle: %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code := cordonRun(t, "analyze", cut, "--case", caseDir, "--force")
	if code != exitOK || !strings.Contains(out, "UNVERIFIED") {
		t.Fatalf("forced: %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = cordonRun(t, "timeline", "--case", caseDir)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != exitOK || len(lines) < 2 || !strings.Contains(errOut, "WARNING") {
		t.Fatalf("timeline: %d %s", code, errOut)
	}
	for _, l := range lines[1:] {
		if l[31] != '!' {
			t.Fatalf("unverified event not flagged: %q", l)
		}
	}
}
