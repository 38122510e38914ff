package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/casestore"
)

// TestInterruptLeavesNothingBehind starts each long verb of the real
// binary on a bundle large enough to take seconds, waits until it is
// visibly midway (its temporary case, its half-written output, the bundle
// open), sends SIGINT, and checks that it exits with the documented code
// and message, within the deadline, and that nothing is left: no temporary
// case, no partial output, no bundle directory under construction, no lock
// held.
func TestInterruptLeavesNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large bundle")
	}
	dir := t.TempDir()
	cordon := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon")
	big := analyzertest.SyntheticAuthLog(t, dir, 100_000)
	// A second bundle (another file), for two analyzed at once.
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	big2 := analyzertest.SyntheticAuthLog(t, other, 100_001)

	// A case of the bundle, for the verbs that read one.
	caseDir := filepath.Join(dir, "case")
	if out, err := exec.Command(cordon, "analyze", big, "--case", caseDir).CombinedOutput(); err != nil {
		t.Fatalf("cordon analyze: %v\n%s", err, out)
	}

	tmp := filepath.Join(dir, "tmp")
	for _, tc := range []struct {
		name  string
		args  []string
		ready func() bool // the verb is midway
		left  []string    // globs that must match nothing afterwards
	}{
		{
			name:  "analyze",
			args:  []string{"analyze", big, "--case", filepath.Join(dir, "case2")},
			ready: globs(filepath.Join(dir, "case2", "bundles", "b-*.tmp-*")),
			left:  []string{filepath.Join(dir, "case2", "bundles", "*")},
		},
		{
			name:  "analyze, two at once",
			args:  []string{"analyze", "--jobs", "2", big, big2, "--case", filepath.Join(dir, "case3")},
			ready: globs(filepath.Join(dir, "case3", "bundles", "b-*.tmp-*")),
			left:  []string{filepath.Join(dir, "case3", "bundles", "*")},
		},
		{
			name:  "findings of a bundle (temporary case)",
			args:  []string{"findings", big},
			ready: globs(filepath.Join(tmp, "cordon-case-*", "bundles", "b-*.tmp-*")),
			left:  []string{filepath.Join(tmp, "*")},
		},
		{
			name:  "report of a bundle",
			args:  []string{"report", big, "-o", filepath.Join(dir, "r.html")},
			ready: globs(filepath.Join(tmp, "cordon-case-*", "bundles", "b-*.tmp-*")),
			left:  []string{filepath.Join(tmp, "*"), filepath.Join(dir, "r.html"), filepath.Join(dir, ".r.html.tmp-*")},
		},
		{
			name:  "attest",
			args:  []string{"attest", big, "--trusted", cordon, "-o", filepath.Join(dir, "a.html")},
			ready: globs(filepath.Join(tmp, "cordon-attest-*")),
			left:  []string{filepath.Join(tmp, "*"), filepath.Join(dir, "a.html"), filepath.Join(dir, ".a.html.tmp-*")},
		},
		{
			name:  "timeline to a file",
			args:  []string{"timeline", "--case", caseDir, "--format", "jsonl", "-o", filepath.Join(dir, "t.jsonl")},
			ready: globs(filepath.Join(dir, ".t.jsonl.tmp-*")),
			left:  []string{filepath.Join(dir, "t.jsonl"), filepath.Join(dir, ".t.jsonl.tmp-*")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.MkdirAll(tmp, 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(cordon, tc.args...)
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			deadline := time.Now().Add(5 * time.Minute)
			for !tc.ready() {
				select {
				case err := <-exited:
					t.Fatalf("ended before it was midway (%v): make the bundle larger\n%s", err, stderr.String())
				case <-time.After(5 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("never midway\n%s", stderr.String())
				}
			}
			sent := time.Now()
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			select {
			case <-exited:
			case <-time.After(time.Minute): // a second on a quiet machine; CI may be busy
				cmd.Process.Kill()
				t.Fatalf("still running a minute after SIGINT\n%s", stderr.String())
			}
			took := time.Since(sent)
			if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
				t.Errorf("exit code %d, want %d\n%s", code, exitInterrupted, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("no message saying it was interrupted:\n%s", stderr.String())
			}
			for _, g := range tc.left {
				if m, _ := filepath.Glob(g); len(m) > 0 {
					t.Errorf("left behind: %q", m)
				}
			}
			for _, d := range []string{caseDir, filepath.Join(dir, "case2"), filepath.Join(dir, "case3")} {
				if _, err := os.Stat(d); err == nil {
					unlock, err := casestore.Lock(d)
					if err != nil {
						t.Errorf("the lock of %s is still held: %v", d, err)
					} else {
						unlock()
					}
				}
			}
			t.Logf("stopped %v after SIGINT", took.Round(time.Millisecond))
		})
	}
}

// globs reports whether pattern matches anything.
func globs(pattern string) func() bool {
	return func() bool {
		m, _ := filepath.Glob(pattern)
		return len(m) > 0
	}
}
