package sigma

import (
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// execve is the audit log's execve of a program.
func execve(at time.Time, pid, ppid int64, exe string, args ...string) timeline.Event {
	return timeline.Event{Timestamp: at, Message: "SYSCALL: " + strings.Join(args, " "),
		Event:   timeline.EventFields{Dataset: "auditd", Action: "process-executed", Original: "type=EXECVE msg=audit(…): a0=…"},
		Host:    &timeline.Host{Name: "web01"},
		Process: &timeline.Process{PID: pid, Executable: exe, Name: exe[strings.LastIndexByte(exe, '/')+1:], Args: args, CommandLine: strings.Join(args, " "), Parent: &timeline.ParentProcess{PID: ppid}},
		Labels:  map[string]string{"audit.record_types": "SYSCALL,EXECVE,CWD,PATH,PROCTITLE", "audit.auid": "1000"},
		Cordon:  timeline.Cordon{Provenance: timeline.Provenance{Bundle: "ev1", Entry: "fs/var/log/audit/audit.log", Line: pid}}}
}

const shmRule = "    sel:\n        Image|startswith: '/dev/shm/'\n    condition: sel"

func TestOneActivityTwoSources(t *testing.T) {
	set := ruleOf(t, pcSource, shmRule)
	e := NewEngine(set)
	// the process snapshot: started at t0 (fork), still running, exe deleted
	snap := started("/dev/shm/x (deleted)", "/dev/shm/x --quiet")
	snap.Timestamp = t0
	// the audit log: its execve 12 ms after the fork
	aud := execve(t0.Add(12*time.Millisecond), 4242, 1, "/dev/shm/x", "/dev/shm/x", "--quiet")
	// the same PID reused an hour later by another run
	later := execve(t0.Add(time.Hour), 4242, 1, "/dev/shm/x", "/dev/shm/x")
	// another process
	other := execve(t0.Add(2*time.Hour), 5000, 1, "/dev/shm/y", "/dev/shm/y")
	for _, ev := range []timeline.Event{snap, aud, later, other} {
		e.Add(&ev)
	}
	fs := e.Findings()
	if len(fs) != 3 {
		for _, f := range fs {
			t.Logf("%s %v", f, f.Instances)
		}
		t.Fatalf("%d findings, want 3 (one per run of a program)", len(fs))
	}
	f := fs[0]
	if len(f.Evidence) != 2 || f.Evidence[0].Provenance.Entry != "proc/processes.jsonl" || f.Evidence[1].Provenance.Entry != "fs/var/log/audit/audit.log" {
		t.Errorf("first finding's evidence: %+v", f.Evidence)
	}
	if !strings.Contains(f.Instances[0], "process 4242 (/dev/shm/x) on web01: 2 matching events in proc/processes.jsonl, fs/var/log/audit/audit.log") {
		t.Errorf("activity: %q", f.Instances[0])
	}
	if f.Author != "Test Author" || f.Origin != "sigma" || f.Severity != "high" || f.RuleID != "00000000-0000-0000-0000-000000000001" || f.RuleFile != "rule.yml" {
		t.Errorf("rule facts: %+v", f)
	}
	if len(fs[1].Evidence) != 1 || len(fs[2].Evidence) != 1 || fs[2].Evidence[0].Provenance.Line != 5000 {
		t.Errorf("later runs: %+v / %+v", fs[1].Evidence, fs[2].Evidence)
	}
	if e.Matched[f.RuleID] != 4 {
		t.Errorf("matched %d events, want 4", e.Matched[f.RuleID])
	}
}

func TestFindingsPerRuleBounded(t *testing.T) {
	set := ruleOf(t, pcSource, shmRule)
	e := NewEngine(set)
	e.MaxFindingsPerRule, e.MaxEvidence = 3, 2
	for i := int64(0); i < 10; i++ {
		ev := execve(t0.Add(time.Duration(i)*time.Minute), 100+i, 1, "/dev/shm/x", "/dev/shm/x")
		e.Add(&ev)
	}
	fs := e.Findings()
	if len(fs) != 4 {
		t.Fatalf("%d findings, want 3 activities and one for the rest", len(fs))
	}
	last := fs[3]
	if !strings.HasPrefix(last.Instances[0], "7 more events of other activities") || len(last.Evidence) != 2 || !strings.Contains(last.Instances[0], "the first 2 listed") {
		t.Errorf("the rest: %q, %d evidence", last.Instances, len(last.Evidence))
	}
}

func TestAuditedParent(t *testing.T) {
	// The parent of an audited execve is the program its parent PID ran
	// last: here a shell seen in the snapshot, then a curl it ran.
	set := ruleOf(t, pcSource, "    sel:\n        ParentImage|endswith: '/bash'\n        ParentCommandLine|contains: 'bash -i'\n        Image|endswith: '/curl'\n    condition: sel")
	e := NewEngine(set)
	sh := started("/usr/bin/bash", "bash -i")
	sh.Process.PID = 300
	cu := execve(t0.Add(time.Minute), 301, 300, "/usr/bin/curl", "curl", "http://x")
	early := execve(t0.Add(-time.Minute), 299, 300, "/usr/bin/curl", "curl", "http://x") // before the shell started
	for _, ev := range []timeline.Event{early, sh, cu} {
		e.Add(&ev)
	}
	fs := e.Findings()
	if len(fs) != 1 || fs[0].Evidence[0].Provenance.Line != 301 {
		t.Fatalf("findings %v", fs)
	}
}

func TestCollectorIsNoEvidence(t *testing.T) {
	set := ruleOf(t, pcSource, shmRule)
	ev := started("/dev/shm/cordon-collect", "/dev/shm/cordon-collect -o -")
	ev.Labels = map[string]string{"cordon.collector": "self"}
	if fires(set, ev) {
		t.Error("the collector's own process fired a rule")
	}
}

func TestNotApplicable(t *testing.T) {
	cases := []struct{ logsource, detection, want string }{
		{"product: windows\n    category: process_creation", shmRule, `logsource product "windows"`},
		{"product: linux\n    category: dns_query", "    sel:\n        QueryName: x\n    condition: sel", `category "dns_query"`},
		{pcSource, "    sel:\n        OriginalFileName: x\n    condition: sel", "needs OriginalFileName"},
		// the auditd field a0 is not a process_creation field
		{pcSource, "    sel:\n        a0: x\n    condition: sel", "needs a0"},
	}
	for _, c := range cases {
		set := ruleOf(t, c.logsource, c.detection)
		r := set.Rules[0]
		if r.Applicable || !strings.Contains(r.NotApplicable, c.want) {
			t.Errorf("%s / %s: applicable %v %q, want not applicable %q", c.logsource, c.detection, r.Applicable, r.NotApplicable, c.want)
		}
	}
	// A filter on a missing field never holds: the rule still can.
	set := ruleOf(t, pcSource, "    sel:\n        Image|endswith: '/curl'\n    filter:\n        OriginalFileName: x\n    condition: sel and not filter")
	if r := set.Rules[0]; !r.Applicable || strings.Join(r.Missing, ",") != "OriginalFileName" {
		t.Errorf("filter on a missing field: %+v", r)
	}
	if !fires(set, started("/usr/bin/curl", "curl x")) {
		t.Error("filter on a missing field: want a match")
	}
}

func TestAttackTags(t *testing.T) {
	a := attackOf([]string{"attack.execution", "attack.t1059.004", "attack.g0032", "attack.defense_evasion", "cve.2021-1"})
	if a.ID != "T1059.004" || a.Name != "execution, defense evasion" {
		t.Errorf("%+v", a)
	}
}

func TestDestinationHostnameFromDNS(t *testing.T) {
	set := ruleOf(t, "product: linux\n    category: network_connection", "    sel:\n        DestinationHostname: 'pool.minexmr.com'\n    condition: sel")
	e := NewEngine(set)
	answer := timeline.Event{Timestamp: t0, Message: "DNS answer", Host: &timeline.Host{Name: "web01"},
		Event: timeline.EventFields{Dataset: "pcap", Action: "dns-answer"},
		DNS:   &timeline.DNS{Type: "answer", QuestionName: "pool.minexmr.com", Answers: []string{"198.51.100.10"}}}
	flow := timeline.Event{Timestamp: t0.Add(time.Second), Message: "flow", Host: &timeline.Host{Name: "web01"},
		Event:       timeline.EventFields{Dataset: "pcap", Action: "flow"},
		Destination: &timeline.Endpoint{IP: "198.51.100.10", Port: 3333}}
	other := flow
	other.Destination = &timeline.Endpoint{IP: "198.51.100.11", Port: 3333}
	for _, ev := range []timeline.Event{answer, flow, other} {
		e.Add(&ev)
	}
	if fs := e.Findings(); len(fs) != 1 || !strings.Contains(fs[0].Instances[0], "198.51.100.10") {
		t.Errorf("findings %v", fs)
	}
}
