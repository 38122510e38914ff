package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

// TestExportIncidentToVictoriaLogs runs cordon export on the incident's
// case into a real VictoriaLogs, then again with --resume (nothing is
// left to send), and reads the count back.
func TestExportIncidentToVictoriaLogs(t *testing.T) {
	bin := testenv.NeedVictoriaLogs(t)
	caseDir := filepath.Join(t.TempDir(), "case")
	if out, errOut, code := cordonRun(t, "analyze", filepath.Join("..", "..", "samples", "incident.cordon"), "--case", caseDir); code != exitOK {
		t.Fatalf("analyze: %d\n%s\n%s", code, out, errOut)
	}
	vl := testenv.StartVictoriaLogs(t, bin)
	to := vl.URL + "/insert/elasticsearch"
	out, errOut, code := cordonRun(t, "export", "--case", caseDir, "--to", to)
	if code != exitOK || !strings.Contains(out, "(victorialogs)") || !strings.Contains(out, "0 rejected, 0 unacknowledged") ||
		!strings.Contains(out, "read back: VictoriaLogs holds every event of 1 bundles") {
		t.Fatalf("export: %d\n%s\n%s", code, out, errOut)
	}
	var events string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "events:" {
			events = f[1]
		}
	}
	resp, err := http.Get(vl.URL + "/select/logsql/query?query=" + url.QueryEscape(`event.dataset:!="cordon.findings" | stats count() c`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var row map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&row); err != nil || row["c"] != events || events == "" {
		t.Fatalf("VictoriaLogs holds %v (%v), cordon export said %q were sent", row, err, events)
	}

	out, errOut, code = cordonRun(t, "export", "--case", caseDir, "--to", to, "--resume", "--format", "json")
	var fig struct {
		Requests int64 `json:"requests"`
		Skipped  int64 `json:"skipped"`
		Complete bool  `json:"complete"`
	}
	if err := json.Unmarshal([]byte(out), &fig); code != exitOK || err != nil || fig.Requests != 0 || !fig.Complete || fig.Skipped == 0 {
		t.Fatalf("export --resume of a finished export: %d %+v (%v)\n%s\n%s", code, fig, err, out, errOut)
	}
	states, _ := filepath.Glob(filepath.Join(caseDir, "exports", "*.json"))
	if len(states) != 1 {
		t.Errorf("state files %v", states)
	}
}

// TestExportUsage: credentials never come from the command line, and a
// password file is sent as basic auth; a rejected document is exit 1.
func TestExportUsage(t *testing.T) {
	caseDir := filepath.Join(t.TempDir(), "case")
	if _, errOut, code := cordonRun(t, "analyze", filepath.Join("..", "..", "samples", "incident.cordon"), "--case", caseDir); code != exitOK {
		t.Fatalf("analyze: %d %s", code, errOut)
	}
	var mu sync.Mutex
	var auths []string
	var reject atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.URL.Path != "/_bulk" {
			w.Write([]byte(`{"acknowledged":true}`))
			return
		}
		var items []string
		sc := bufio.NewScanner(r.Body)
		sc.Buffer(nil, 64<<20)
		for i := 0; sc.Scan(); i++ {
			if i%2 == 0 {
				if reject.Load() && i == 0 {
					items = append(items, `{"create":{"status":400,"error":{"type":"document_parsing_exception","reason":"bad \u001b[31mfield"}}}`)
				} else {
					items = append(items, `{"create":{"status":201}}`)
				}
			}
		}
		w.Write([]byte(`{"errors":` + map[bool]string{true: "true", false: "false"}[reject.Load()] + `,"items":[` + strings.Join(items, ",") + `]}`))
	}))
	defer srv.Close()
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no --to", []string{"--case", caseDir}, exitUsage, "--to URL are needed"},
		{"no case", []string{"--to", srv.URL}, exitUsage, "--case DIR is needed"},
		{"credentials in the URL", []string{"--case", caseDir, "--to", strings.Replace(srv.URL, "http://", "http://elastic:pw@", 1)}, exitUsage, "never on the command line"},
		{"a user without password", []string{"--case", caseDir, "--to", srv.URL, "--user", "cordon"}, exitUsage, "has no password"},
		{"a missing CA file", []string{"--case", caseDir, "--to", srv.URL, "--ca", filepath.Join(caseDir, "nope.pem")}, exitUsage, "CA file"},
		{"basic auth from a file", []string{"--case", caseDir, "--to", srv.URL, "--user", "cordon", "--password-file", pw}, exitOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cordonRun(t, append([]string{"export"}, tc.args...)...)
			if code != tc.wantCode || !strings.Contains(errOut, tc.wantErr) || strings.Contains(errOut+out, "s3cret") {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.wantCode, out, errOut)
			}
		})
	}
	mu.Lock()
	if len(auths) == 0 || auths[len(auths)-1] != "Basic Y29yZG9uOnMzY3JldA==" {
		t.Errorf("Authorization headers %q", auths)
	}
	mu.Unlock()

	reject.Store(true)
	out, errOut, code := cordonRun(t, "export", "--case", caseDir, "--to", srv.URL, "--no-findings")
	t.Logf("%s%s", out, errOut)
	if code != exitFailed || !strings.Contains(errOut, "documents missing from the engine") || !strings.Contains(out, "not stored:") ||
		strings.Contains(out+errOut, "\x1b") {
		t.Fatalf("export with rejections: %d\n%s\n%s", code, out, errOut)
	}
}
