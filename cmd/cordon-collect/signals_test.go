package main

// signals_test.go runs the built cordon-collect as a responder would:
// into a pipe that closes early, and interrupted by a signal.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

var (
	buildOnce sync.Once
	builtDir  string
	buildErr  error
)

// built returns the path of a binary of this module built once per test
// process (cmd is "cordon-collect" or "cordon").
func built(t testing.TB, cmd string) string {
	t.Helper()
	buildOnce.Do(func() {
		builtDir, buildErr = os.MkdirTemp("", "cordon-collect-test-")
		if buildErr != nil {
			return
		}
		for _, c := range []string{"cordon-collect", "cordon"} {
			b := exec.Command("go", "build", "-o", filepath.Join(builtDir, c), "../"+c)
			b.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := b.CombinedOutput(); err != nil {
				buildErr = errors.Join(err, errors.New(string(out)))
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return filepath.Join(builtDir, cmd)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// exitStatus returns the exit code, and whether a signal killed the process.
func exitStatus(t *testing.T, err error, st *os.ProcessState) (int, bool) {
	t.Helper()
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("wait: %v", err)
		}
	}
	ws := st.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return -1, true
	}
	return ws.ExitStatus(), false
}

// TestClosedPipe: `cordon-collect -o - | head -c 1000`. The reader goes
// away after 1000 bytes: the collector must not die of SIGPIPE, must stop
// collecting, say why on stderr and exit with the code for an output that
// could not be written.
func TestClosedPipe(t *testing.T) {
	bin := built(t, "cordon-collect")
	cmd := exec.Command(bin, "-o", "-", "--only", "persistence,packages,filetimeline", "--timeline-root", "/usr", "--timeline-budget", "10m")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 1000)
	if _, err := io.ReadFull(stdout, head); err != nil {
		t.Fatalf("reading the first 1000 bytes: %v", err)
	}
	stdout.Close() // head -c 1000 exits
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("cordon-collect went on after its output closed:\n%s", stderr.String())
	}
	code, signaled := exitStatus(t, werr, cmd.ProcessState)
	if signaled {
		t.Fatalf("cordon-collect was killed by a signal (SIGPIPE?):\n%s", stderr.String())
	}
	if code != exitOutput {
		t.Errorf("exit code %d, want %d (output could not be written)\n%s", code, exitOutput, stderr.String())
	}
	if !strings.Contains(stderr.String(), "standard output") || !strings.Contains(stderr.String(), "broken pipe") {
		t.Errorf("stderr does not say the output failed:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "Copy onto the custody form") {
		t.Errorf("custody lines printed for a bundle that was not written:\n%s", stderr.String())
	}
}

// TestInterrupt: SIGINT and SIGTERM during a long source stop the
// collector within a second or so; the bundle is signed, verifies intact,
// and its manifest says it was interrupted and which sources were.
func TestInterrupt(t *testing.T) {
	bin := built(t, "cordon-collect")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "b.cordon")
			// The file timeline of the whole file system, with a budget of
			// ten minutes: it is under way when the signal comes.
			cmd := exec.Command(bin, "-o", out, "--only", "accounts,filetimeline", "--timeline-root", "/", "--timeline-budget", "10m")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			sc := bufio.NewScanner(stderr)
			var log strings.Builder
			// Readiness: the accounts source has finished, so the file
			// timeline has started.
			for sc.Scan() {
				log.WriteString(sc.Text() + "\n")
				if strings.Contains(sc.Text(), "accounts ") {
					break
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			rest := make(chan struct{})
			go func() {
				for sc.Scan() {
					log.WriteString(sc.Text() + "\n")
				}
				close(rest)
			}()
			werr := cmd.Wait()
			took := time.Since(t0)
			<-rest
			t.Logf("stopped %v after %v", sig, took)
			code, signaled := exitStatus(t, werr, cmd.ProcessState)
			if signaled || code != exitInterrupted {
				t.Fatalf("exit code %d (signaled %v), want %d\n%s", code, signaled, exitInterrupted, log.String())
			}
			// "Within a second" on an idle machine; the bound here leaves
			// room for a loaded one (the figure is logged above).
			if took > 5*time.Second {
				t.Errorf("took %v to stop", took)
			}
			if !strings.Contains(log.String(), "interrupted") {
				t.Errorf("stderr does not say interrupted:\n%s", log.String())
			}
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rep, err := bundle.Verify(f, bundle.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != bundle.StatusIntact || rep.Manifest == nil {
				t.Fatalf("verify: %s %+v", rep.Status, rep.Problems)
			}
			c := rep.Manifest.Custody
			if c.Interrupted == "" {
				t.Errorf("the manifest does not say the collection was interrupted")
			}
			statuses := map[string]bundle.SourceOutcome{}
			for _, s := range c.Sources {
				statuses[s.Name] = s.Status
			}
			if statuses["accounts"] != bundle.SourceOK || statuses["filetimeline"] != bundle.SourceInterrupted {
				t.Errorf("statuses %v: want accounts ok, filetimeline interrupted", statuses)
			}
			// The analyst is told, not only the manifest's reader.
			vo, _ := exec.Command(built(t, "cordon"), "verify", out).CombinedOutput()
			if !strings.Contains(string(vo), "INTERRUPTED: ") || !strings.Contains(string(vo), "filetimeline (interrupted)") {
				t.Errorf("cordon verify does not say the collection was interrupted:\n%s", vo)
			}
		})
	}
}
