package main

// capture_lead_test.go runs the built cordon-collect as a script driving a
// reenactment does: a capture with a long lead, traffic once the capture
// says it runs, then SIGUSR1 to snapshot now.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// readLines sends each line of r on the returned channel, closed at EOF,
// and keeps every line in log.
func readLines(r io.Reader, log *syncBuilder) <-chan string {
	ch := make(chan string, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			log.add(sc.Text() + "\n")
			ch <- sc.Text()
		}
	}()
	return ch
}

// TestCaptureLeadEndsOnSIGUSR1: with a lead of five minutes, the collector
// prints that the capture runs; traffic sent then is in the capture; a
// SIGUSR1 ends the lead, and the manifest says the lead ended on it and
// the capture's end came forward, every source ok.
func TestCaptureLeadEndsOnSIGUSR1(t *testing.T) {
	testenv.NeedRoot(t) // AF_PACKET needs CAP_NET_RAW
	bin := built(t, "cordon-collect")
	cordon := built(t, "cordon")
	const lead = 5 * time.Minute
	out := filepath.Join(t.TempDir(), "b.cordon")
	cmd := exec.Command(bin, "-o", out, "--only", "capture,accounts", "--capture", "lo",
		"--capture-lead", lead.String(), "--capture-for", (lead + 2*time.Second).String())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	var log syncBuilder
	lines := readLines(stderr, &log)

	// Readiness: the line saying the capture runs.
	want := fmt.Sprintf("cordon-collect: capture running on lo; lead up to %v (SIGUSR1 ends it)", lead)
	deadline := time.After(2 * time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("cordon-collect ended before it said the capture runs:\n%s", log.String())
			}
			if l == want {
				break wait
			}
		case <-deadline:
			t.Fatalf("no %q on stderr within 2 minutes:\n%s", want, log.String())
		}
	}

	// What is sent now must be in the capture: the line is the promise.
	marker := fmt.Sprintf("cordon-lead-marker-%d", time.Now().UnixNano())
	sendOnLoopback(t, marker)

	if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for range lines {
		}
		done <- cmd.Wait()
	}()
	var werr error
	select {
	case werr = <-done:
	case <-time.After(3 * time.Minute): // the lead is 5 min: SIGUSR1 did not end it
		cmd.Process.Kill()
		t.Fatalf("cordon-collect still running 3 minutes after SIGUSR1:\n%s", log.String())
	}
	code, signaled := exitStatus(t, werr, cmd.ProcessState)
	if signaled || code != exitOK {
		t.Fatalf("exit code %d (signaled %v), want %d\n%s", code, signaled, exitOK, log.String())
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
	if c.Interrupted != "" {
		t.Errorf("the manifest says interrupted: %s", c.Interrupted)
	}
	for _, s := range c.Sources {
		if s.Status != bundle.SourceOK && s.Status != bundle.SourceSkipped {
			t.Errorf("source %s: %s (%s)", s.Name, s.Status, s.Detail)
		}
		if s.Name == "capture" && !strings.Contains(s.Detail, "the lead ended on SIGUSR1 after") {
			t.Errorf("capture detail %q does not say the lead ended on SIGUSR1", s.Detail)
		}
	}
	var volatile *bundle.Phase
	for i := range c.Phases {
		if c.Phases[i].Name == "volatile" {
			volatile = &c.Phases[i]
		}
	}
	if volatile == nil || !strings.Contains(volatile.Note, "capture lead ended on SIGUSR1 after") {
		t.Fatalf("the volatile phase does not record the lead ended on SIGUSR1: %+v", volatile)
	}
	t.Logf("volatile phase: %s", volatile.Note)

	x := filepath.Join(t.TempDir(), "x")
	if b, err := exec.Command(cordon, "extract", out, "-o", x).CombinedOutput(); err != nil {
		t.Fatalf("cordon extract: %v\n%s", err, b)
	}
	var st struct {
		StopReason string   `json:"stop_reason"`
		Parts      []string `json:"parts"`
	}
	b, err := os.ReadFile(filepath.Join(x, "capture", "lo-stats.json"))
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		t.Fatalf("capture/lo-stats.json: %v", err)
	}
	if !strings.Contains(st.StopReason, "brought forward") || !strings.Contains(st.StopReason, "SIGUSR1") {
		t.Errorf("stop reason %q: want the capture's end brought forward by SIGUSR1", st.StopReason)
	}
	found := false
	for _, p := range st.Parts {
		if b, err := os.ReadFile(filepath.Join(x, filepath.FromSlash(p))); err == nil && bytes.Contains(b, []byte(marker)) {
			found = true
		}
	}
	if !found {
		t.Errorf("the traffic sent after the readiness line (%s) is in none of the capture's parts %v", marker, st.Parts)
	}
}

// sendOnLoopback sends marker over a TCP connection on 127.0.0.1 and waits
// for the peer to have read it.
func sendOnLoopback(t *testing.T, marker string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Minute))
		b, _ := io.ReadAll(c)
		got <- b
	}()
	c, err := net.DialTimeout("tcp", l.Addr().String(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, marker); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if b := <-got; string(b) != marker {
		t.Fatalf("loopback peer read %q, want %q", b, marker)
	}
}

// syncBuilder is a strings.Builder safe for one writer and other readers.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) add(x string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(x)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
