package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// TestCollectedSweepFindings plants, on this machine, a hidden directory
// at the top of /tmp holding a set-user-ID copy of a harmless program and
// a hidden executable, collects the machine with cordon-collect (process,
// kernel and sweep sources), and checks that cordon findings reports them
// with evidence citing the sweep's entry and line, and that the kernel's
// state and ring buffer reached the timeline. What it planted is removed.
func TestCollectedSweepFindings(t *testing.T) {
	testenv.NeedRoot(t)
	dir := t.TempDir()
	collect := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon-collect")
	cordon := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon")

	hidden, err := os.MkdirTemp("/tmp", ".cordon-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(hidden) })
	suid := filepath.Join(hidden, "true-suid")
	src, err := os.Open("/usr/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, p := range []string{suid, filepath.Join(hidden, ".payload")} {
		dst, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(suid, os.ModeSetuid|0o755); err != nil { // after the write: a write clears the bit
		t.Fatal(err)
	}

	bundlePath := filepath.Join(dir, "host.cordon")
	cmd := exec.Command(collect, "-o", bundlePath, "-q", "--only", "processes,hostinfo,kernel,sweep")
	if out, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("cordon-collect: %v\n%s", err, out)
	}
	caseDir := filepath.Join(dir, "case")
	var stdout, stderr bytes.Buffer
	f := exec.Command(cordon, "findings", bundlePath, "--case", caseDir, "--format", "json")
	f.Stdout, f.Stderr = &stdout, &stderr
	if err := f.Run(); err != nil {
		t.Fatalf("cordon findings: %v\n%s", err, stderr.String())
	}
	var res struct {
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Evidence []struct {
				Message    string `json:"message"`
				Provenance struct {
					Entry string `json:"entry"`
					Line  int64  `json:"line"`
				} `json:"provenance"`
			} `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("findings JSON: %v\n%s", err, stdout.String())
	}
	want := map[string]string{"CORDON-FS-001": suid, "CORDON-FS-002": hidden, "CORDON-FS-003": filepath.Join(hidden, ".payload")}
	for _, fd := range res.Findings {
		path, ok := want[fd.RuleID]
		if !ok {
			continue
		}
		for _, e := range fd.Evidence {
			if strings.Contains(e.Message, path+" (") && e.Provenance.Entry == filetimeline.SweepEntry && e.Provenance.Line > 0 {
				delete(want, fd.RuleID)
				t.Logf("%s: %s:%d %s", fd.RuleID, e.Provenance.Entry, e.Provenance.Line, e.Message)
			}
		}
	}
	for id, path := range want {
		t.Errorf("%s did not cite %s in %s:LINE; findings:\n%s", id, path, filetimeline.SweepEntry, stdout.String())
	}

	// The kernel's state and ring buffer are in the timeline.
	tl := exec.Command(cordon, "timeline", "--case", caseDir, "--format", "jsonl", "--query", "event.dataset:kernel OR event.dataset:kmsg")
	out, err := tl.Output()
	if err != nil {
		t.Fatalf("cordon timeline: %v", err)
	}
	for _, ds := range []string{`"dataset":"kernel"`, `"dataset":"kmsg"`} {
		if !bytes.Contains(out, []byte(ds)) {
			t.Errorf("no %s event in the timeline", ds)
		}
	}
}
