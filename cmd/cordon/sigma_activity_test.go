package main

// Real activity, real rules: this machine runs programs that SigmaHQ's
// rules describe while a real auditd logs every execve, cordon-collect
// takes the process snapshot and the audit log, and the named SigmaHQ
// rules must fire on the bundle, with their titles and authors, one
// finding per activity with the evidence of both sources where both saw
// it. A second, idle collection must fire none of them.
//
// auditd writes into a directory of the test's, never /var/log/audit: the
// collector runs in a mount namespace of its own (unshare) where that
// directory is bind-mounted on /var/log/audit, so it reads a real audit
// log at the real path and the machine's own logs are left alone.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// auditDaemon is a real auditd, started by the test, logging every execve.
type auditDaemon struct {
	dir      string
	auditctl string
	cmd      *exec.Cmd
	done     chan error
	enabled  string // the kernel's audit "enabled" state before the test
}

// auditStatus reads `auditctl -s` as key → value.
func auditStatus(t *testing.T, auditctl string) map[string]string {
	t.Helper()
	out, err := exec.Command(auditctl, "-s").CombinedOutput()
	if err != nil {
		t.Fatalf("auditctl -s: %v\n%s", err, out)
	}
	st := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			st[k] = strings.TrimSpace(v)
		}
	}
	return st
}

func startAudit(t *testing.T, auditd, auditctl string) *auditDaemon {
	t.Helper()
	st := auditStatus(t, auditctl)
	if st["pid"] != "0" {
		t.Fatalf("an audit daemon (pid %s) already runs: this test needs the audit subsystem to itself", st["pid"])
	}
	if out, _ := exec.Command(auditctl, "-l").CombinedOutput(); !bytes.Contains(out, []byte("No rules")) {
		t.Fatalf("audit rules are loaded already: this test needs the audit subsystem to itself:\n%s", out)
	}
	a := &auditDaemon{dir: t.TempDir(), auditctl: auditctl, done: make(chan error, 1), enabled: st["enabled"]}
	// auditd refuses a log directory others can write to
	if err := os.Chmod(a.dir, 0o750); err != nil {
		t.Fatal(err)
	}
	conf := strings.Join([]string{
		"local_events = yes", "write_logs = yes", "log_file = " + filepath.Join(a.dir, "audit.log"),
		"log_group = root", "log_format = ENRICHED", "flush = SYNC", "max_log_file = 64", "num_logs = 2",
		"max_log_file_action = IGNORE", "space_left = 2", "space_left_action = IGNORE", "admin_space_left = 1",
		"admin_space_left_action = IGNORE", "disk_full_action = IGNORE", "disk_error_action = IGNORE",
		"name_format = NONE", "end_of_event_timeout = 2", "",
	}, "\n")
	if err := os.WriteFile(filepath.Join(a.dir, "auditd.conf"), []byte(conf), 0o640); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	a.cmd = exec.Command(auditd, "-n", "-c", a.dir)
	a.cmd.Stdout, a.cmd.Stderr = &out, &out
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("auditd: %v", err)
	}
	go func() { a.done <- a.cmd.Wait() }()
	t.Cleanup(func() { a.stop(t) })
	// ready when the kernel names it as its audit daemon
	deadline := time.Now().Add(20 * time.Second)
	for auditStatus(t, auditctl)["pid"] != strconv.Itoa(a.cmd.Process.Pid) {
		select {
		case err := <-a.done:
			a.done <- err
			t.Fatalf("auditd ended: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("auditd was not registered with the kernel within 20 s\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b, err := exec.Command(auditctl, "-a", "always,exit", "-F", "arch=b64", "-S", "execve,execveat", "-k", "cordon_sigma_test").CombinedOutput(); err != nil {
		t.Fatalf("auditctl -a: %v\n%s", err, b)
	}
	return a
}

// waitFor waits until the audit log holds text (records reach the log
// through auditd, asynchronously).
func (a *auditDaemon) waitFor(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(a.dir, "audit.log"))
		if bytes.Contains(b, []byte(text)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the audit log does not hold %q after 20 s", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop removes the test's audit rule, ends auditd and puts the kernel's
// audit switch back as it was.
func (a *auditDaemon) stop(t *testing.T) {
	if a.cmd == nil {
		return
	}
	_ = exec.Command(a.auditctl, "-D").Run()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(20 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.done
	}
	if a.enabled != "" {
		_ = exec.Command(a.auditctl, "-e", a.enabled).Run()
	}
	a.cmd = nil
}

// collectWithAudit runs cordon-collect (processes, host facts, logs) with
// the test's audit directory seen at /var/log/audit.
func collectWithAudit(t *testing.T, collect, auditDir, out string) {
	t.Helper()
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount --bind "$0" /var/log/audit && exec "$1" -o "$2" --force -q --only processes,hostinfo,logs`, auditDir, collect, out)
	b, err := cmd.CombinedOutput()
	if err != nil && cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("cordon-collect: %v\n%s", err, b)
	}
}

// background starts a program the test ends itself (its process group).
func background(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	return cmd
}

// The SigmaHQ rules the activity must fire (from ../shared/sigma/rules-linux).
type wantRule struct {
	id, title, author string
	processCreation   bool
}

var (
	ruleShm        = wantRule{"5cd16c8f-44a6-4654-81e7-a84d6db507d4", "Process Execution From Shared Memory Directory", "Stan Beukers", true}
	ruleB64Pipe    = wantRule{"ba592c6d-6888-43c3-b8c6-689b8fe47337", "Linux Base64 Encoded Pipe to Shell", "pH-T (Nextron Systems)", true}
	ruleB64Decode  = wantRule{"e2072cab-8c9a-459b-b63c-40ae79e27031", "Decode Base64 Encoded Text", "Daniil Yugoslavskiy, oscd.community", true}
	ruleCrontab    = wantRule{"403ed92c-b7ec-4edd-9947-5b535ee12d46", "Crontab Enumeration", "Joseliyo Sanchez, @Joseliyo_Jstnk", true}
	ruleHistDelete = wantRule{"1182f3b3-e716-4efa-99ab-d2685d04360f", "History File Deletion", "Florian Roth (Nextron Systems)", true}
	ruleHistAudit  = wantRule{"eae8ce9f-bde9-47a6-8e79-f20d18419910", "Suspicious History File Operations - Linux", "Mikhail Larin, oscd.community", false}
	ruleHistKw     = wantRule{"fdc88d25-96fb-4b7c-9633-c0e417fdbd4e", "Linux Command History Tampering", "Patrick Bareiss", false}
)

// findingsOf returns the findings of one rule.
func findingsOf(fs []findings.Finding, id string) []findings.Finding {
	var out []findings.Finding
	for _, f := range fs {
		if f.RuleID == id {
			out = append(out, f)
		}
	}
	return out
}

// activityOf returns the finding of rule r whose evidence mentions text;
// it checks the title and author on the way.
func activityOf(t *testing.T, fs []findings.Finding, r wantRule, text string) *findings.Finding {
	t.Helper()
	got := findingsOf(fs, r.id)
	if len(got) == 0 {
		t.Errorf("SigmaHQ rule %q (%s) did not fire", r.title, r.id)
		return nil
	}
	for i := range got {
		f := &got[i]
		if f.Title != r.title || f.Author != r.author || f.Origin != "sigma" {
			t.Errorf("rule %s: title %q, author %q, origin %q; want %q by %q", r.id, f.Title, f.Author, f.Origin, r.title, r.author)
		}
		for _, e := range f.Evidence {
			if strings.Contains(e.Message, text) {
				return f
			}
		}
	}
	t.Errorf("rule %q fired, but on none of the test's activity (%q): %v", r.title, text, got[0].Instances)
	return nil
}

// entries lists the bundle entries a finding's evidence comes from.
func entries(f *findings.Finding) map[string]int {
	m := map[string]int{}
	for _, e := range f.Evidence {
		m[e.Provenance.Entry]++
	}
	return m
}

const (
	snapshotEntry = "proc/processes.jsonl"
	auditEntry    = "fs/var/log/audit/audit.log"
)

func TestSigmaRealActivity(t *testing.T) {
	testenv.NeedRoot(t)
	auditd := testenv.NeedTool(t, "auditd")
	auditctl := testenv.NeedTool(t, "auditctl")
	crontab := testenv.NeedTool(t, "crontab")
	testenv.NeedTool(t, "unshare")
	rules := testenv.Shared(t, "sigma", "rules-linux")
	dir := t.TempDir()
	collect := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon-collect")
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	mark := "cordon-sigma-" + hex.EncodeToString(rnd[:])

	// 1. Activity, under audit.
	a := startAudit(t, auditd, auditctl)
	// A program written under /dev/shm and run from there; still running at collection.
	shm := filepath.Join("/dev/shm", mark)
	data, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shm, data, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(shm) })
	shmProc := background(t, shm, "600")
	// A base64 payload decoded and piped to a shell, whose shell then waits.
	payload := base64Encode("echo " + mark)
	b64Cmd := "echo " + payload + " | base64 -d | sh ; sleep 600 ; true"
	b64Proc := background(t, "sh", "-c", b64Cmd)
	// A crontab listing (no crontab for root is fine: the listing was asked).
	cron := exec.Command(crontab, "-l")
	_ = cron.Run()
	// A shell history deleted (a decoy in the test's directory, not root's).
	hist := filepath.Join(dir, "home-"+mark, ".bash_history")
	if err := os.MkdirAll(filepath.Dir(hist), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hist, []byte("id\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("rm", "-f", hist).CombinedOutput(); err != nil {
		t.Fatalf("rm: %v %s", err, b)
	}
	// every program of the activity is in the audit log before collecting
	a.waitFor(t, hist)
	a.waitFor(t, strings.ToUpper(hex.EncodeToString([]byte(b64Cmd)))) // an argument with spaces is logged in hex
	a.waitFor(t, `a0="`+shm+`"`)
	bundle := filepath.Join(dir, "activity.cordon")
	collectWithAudit(t, collect, a.dir, bundle)
	a.stop(t)
	fs := sigmaFindings(t, bundle, rules)

	if f := activityOf(t, fs, ruleShm, shm); f != nil {
		// seen running by the snapshot and executed in the audit log: one finding, both sources
		if e := entries(f); e[snapshotEntry] != 1 || e[auditEntry] != 1 || !strings.Contains(f.Instances[0], fmt.Sprintf("process %d ", shmProc.Process.Pid)) {
			t.Errorf("%s: want one activity of PID %d with one snapshot and one audit event: %v %v", ruleShm.title, shmProc.Process.Pid, e, f.Instances)
		}
	}
	if f := activityOf(t, fs, ruleB64Pipe, payload); f != nil {
		if e := entries(f); e[snapshotEntry] != 1 || e[auditEntry] != 1 || !strings.Contains(f.Instances[0], fmt.Sprintf("process %d ", b64Proc.Process.Pid)) {
			t.Errorf("%s: want one activity of PID %d with one snapshot and one audit event: %v %v", ruleB64Pipe.title, b64Proc.Process.Pid, e, f.Instances)
		}
	}
	activityOf(t, fs, ruleB64Decode, "base64 -d")
	if f := activityOf(t, fs, ruleCrontab, "crontab -l"); f != nil && !strings.Contains(f.Instances[0], fmt.Sprintf("process %d ", cron.Process.Pid)) {
		t.Errorf("%s: want PID %d: %v", ruleCrontab.title, cron.Process.Pid, f.Instances)
	}
	activityOf(t, fs, ruleHistDelete, hist)
	activityOf(t, fs, ruleHistAudit, hist)
	activityOf(t, fs, ruleHistKw, hist)
	for _, f := range fs {
		t.Logf("activity: [%s] %s (%s): %s", f.Severity, f.Title, f.Author, f.Instances[0])
	}

	// 2. Idle: nothing of the above runs any more.
	_ = syscall.Kill(-shmProc.Process.Pid, syscall.SIGKILL)
	_ = syscall.Kill(-b64Proc.Process.Pid, syscall.SIGKILL)
	_ = shmProc.Wait()
	_ = b64Proc.Wait()
	a = startAudit(t, auditd, auditctl)
	idleMark := "cordon-idle-" + hex.EncodeToString(rnd[:])
	_ = exec.Command("true", idleMark).Run() // the audit log is live: this execve reaches it
	a.waitFor(t, idleMark)
	idle := filepath.Join(dir, "idle.cordon")
	collectWithAudit(t, collect, a.dir, idle)
	a.stop(t)
	fs = sigmaFindings(t, idle, rules)
	for _, r := range []wantRule{ruleShm, ruleB64Pipe, ruleB64Decode, ruleCrontab, ruleHistDelete, ruleHistAudit, ruleHistKw} {
		for _, f := range findingsOf(fs, r.id) {
			t.Errorf("idle collection: %q fired: %v", r.title, f.Instances)
		}
	}
	for _, f := range fs {
		t.Logf("idle: [%s] %s (%s): %s", f.Severity, f.Title, f.Author, f.Instances[0])
	}
}

func base64Encode(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// sigmaFindings runs `cordon findings BUNDLE --sigma DIR --format json`
// and returns the findings of the Sigma rules.
func sigmaFindings(t *testing.T, bundle, dir string) []findings.Finding {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"findings", bundle, "--sigma", dir, "--format", "json"}, &out, &errb); code != exitOK {
		t.Fatalf("cordon findings --sigma: exit %d\n%s", code, errb.String())
	}
	var doc struct {
		Findings []findings.Finding `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var fs []findings.Finding
	for _, f := range doc.Findings {
		if f.Origin == "sigma" {
			fs = append(fs, f)
		}
	}
	if !strings.Contains(errb.String(), "sigma: 210 rules loaded") {
		t.Errorf("no count of the Sigma rules on standard error:\n%s", errb.String())
	}
	return fs
}
