package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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

// engineThatStalls keeps documents by _id (a second create of an id is a
// 409) and, while stall is set, holds every bulk request after the first
// few until the client goes away.
type engineThatStalls struct {
	mu       sync.Mutex
	docs     map[string]bool
	bulks    int
	stall    atomic.Bool
	stalled  chan struct{} // closed when a request is held
	release  chan struct{} // closed to let held requests go
	stallOne sync.Once
}

func (e *engineThatStalls) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_bulk" {
		w.Write([]byte(`{"acknowledged":true}`))
		return
	}
	e.mu.Lock()
	e.bulks++
	n := e.bulks
	e.mu.Unlock()
	if e.stall.Load() && n > 3 {
		// Read the body first: only then does the server notice the client leaving.
		io.Copy(io.Discard, r.Body)
		e.stallOne.Do(func() { close(e.stalled) })
		select {
		case <-r.Context().Done():
		case <-e.release:
		}
		return
	}
	var items []string
	errs := false
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 64<<20)
	for i := 0; sc.Scan(); i++ {
		if i%2 != 0 {
			continue
		}
		var action struct {
			Create struct {
				ID string `json:"_id"`
			} `json:"create"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		if e.docs[action.Create.ID] {
			items = append(items, `{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}}`)
			errs = true
		} else {
			e.docs[action.Create.ID] = true
			items = append(items, `{"create":{"status":201}}`)
		}
		e.mu.Unlock()
	}
	fmt.Fprintf(w, `{"errors":%v,"items":[%s]}`, errs, strings.Join(items, ","))
}

// TestExportInterruptThenResume stops the real binary with SIGINT while a
// bulk request hangs, then continues with --resume: exit 130 with where to
// resume, the state file says how far it got, and the resumed export sends
// only the rest; every event and finding ends up in the engine once.
func TestExportInterruptThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	cordon := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon")
	caseDir := filepath.Join(dir, "case")
	if out, err := exec.Command(cordon, "analyze", filepath.Join("..", "..", "samples", "incident.cordon"), "--case", caseDir).CombinedOutput(); err != nil {
		t.Fatalf("cordon analyze: %v\n%s", err, out)
	}
	eng := &engineThatStalls{docs: map[string]bool{}, stalled: make(chan struct{}), release: make(chan struct{})}
	eng.stall.Store(true)
	srv := httptest.NewServer(eng)
	defer srv.Close()
	defer close(eng.release) // before srv.Close, which waits for the handlers

	cmd := exec.Command(cordon, "export", "--case", caseDir, "--to", srv.URL, "--batch-docs", "100", "--workers", "1", "--format", "json")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-eng.stalled:
	case err := <-exited:
		t.Fatalf("ended before its fourth request (%v)\n%s", err, stderr.String())
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("no fourth request\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("still running a minute after SIGINT\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted after 300 of") ||
		!strings.Contains(stderr.String(), "--resume continues") || strings.Contains(stderr.String(), "nothing half-done") {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	states, _ := filepath.Glob(filepath.Join(caseDir, "exports", "*.json"))
	if len(states) != 1 {
		t.Fatalf("state files %v", states)
	}
	data, err := os.ReadFile(states[0])
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		EventsDone int64 `json:"events_done"`
		Complete   bool  `json:"complete"`
	}
	if err := json.Unmarshal(data, &st); err != nil || st.EventsDone != 300 || st.Complete {
		t.Fatalf("state %s (%v)", data, err)
	}

	eng.stall.Store(false)
	out, errOut, code := cordonRun(t, "export", "--case", caseDir, "--to", srv.URL, "--resume", "--format", "json")
	var fig struct {
		Events   struct{ Sent, Created, Conflicts int64 }
		Findings struct{ Sent, Created int64 }
		Skipped  int64 `json:"skipped"`
		Complete bool  `json:"complete"`
	}
	if err := json.Unmarshal([]byte(out), &fig); err != nil || code != exitOK || !fig.Complete || fig.Skipped != 300 || fig.Findings.Created == 0 {
		t.Fatalf("resumed: %d %+v (%v)\n%s\n%s", code, fig, err, out, errOut)
	}
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if int64(len(eng.docs)) != fig.Events.Sent+fig.Findings.Sent || fig.Events.Created+fig.Events.Conflicts != fig.Events.Sent {
		t.Errorf("the engine holds %d documents; figures %+v", len(eng.docs), fig)
	}
}
