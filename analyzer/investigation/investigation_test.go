package investigation

import (
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/parsers"
	"github.com/cordon-forensics/cordon/analyzer/rules"
	"github.com/cordon-forensics/cordon/timeline"
)

// The correlation's own findings carry the step's statement with each
// piece of evidence, and appear only when the correlation found something.
func TestCorrelationFindings(t *testing.T) {
	if fs := correlationFindings(correlate.Result{}); len(fs) != 0 {
		t.Fatalf("findings from an empty correlation: %+v", fs)
	}
	ref := correlate.Ref{Time: "2026-11-02T10:24:03Z", Message: "tcp flow", Provenance: timeline.Provenance{Bundle: "ev", Entry: "capture/eth0-0001.pcapng", Offset: 300}}
	res := correlate.Result{
		Threads: []correlate.Thread{{Steps: []correlate.Step{
			{Kind: correlate.KindRespawn, Text: "restarted as PID 301", Evidence: []correlate.Ref{ref}},
			{Text: "not a respawn", Evidence: []correlate.Ref{ref}},
		}}},
		NewEgress: []correlate.Egress{{Destination: "198.51.100.20:3333", Time: time.Now(), Text: "process 301 connected out", Evidence: []correlate.Ref{ref}}},
	}
	fs := correlationFindings(res)
	if len(fs) != 2 || fs[0].RuleID != "CORDON-CORR-001" || fs[1].RuleID != "CORDON-CORR-002" {
		t.Fatalf("findings %+v", fs)
	}
	if len(fs[0].Evidence) != 1 || !strings.HasPrefix(fs[0].Evidence[0].Message, "restarted as PID 301 [tcp flow]") {
		t.Errorf("respawn evidence %+v", fs[0].Evidence)
	}
	if e := fs[1].Evidence; len(e) != 1 || e[0].Message != "process 301 connected out [tcp flow]" || e[0].Provenance.Offset != 300 {
		t.Errorf("egress evidence %+v", e)
	}
}

// The collector's own process, from wherever the responder ran it, is no
// evidence: its volatile events are labelled and no rule matches them; a
// log line that happens to carry the same PID is left alone.
func TestCollectorsOwnProcess(t *testing.T) {
	proc := timeline.Event{Event: timeline.EventFields{Dataset: "processes", Action: "process-started"}, Message: "process 4242",
		Process: &timeline.Process{PID: 4242, Name: "cordon-collect", Executable: "/tmp/cordon-collect"},
		Labels:  map[string]string{"suspect": "exe under /tmp"}}
	logLine := timeline.Event{Event: timeline.EventFields{Dataset: "syslog"}, Process: &timeline.Process{PID: 4242}}
	parsers.MarkCollector(&proc, 4242)
	parsers.MarkCollector(&logLine, 4242)
	if proc.Labels[parsers.SelfLabel] != "self" || proc.Labels["suspect"] != "" || !strings.HasSuffix(proc.Message, "(the collector itself)") {
		t.Errorf("collector's process %+v", proc)
	}
	if logLine.Labels[parsers.SelfLabel] != "" {
		t.Errorf("a log line was marked: %+v", logLine)
	}
	rs, err := findings.LoadRules(rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	eng := findings.NewEngine(rs)
	eng.Add(proc)
	other := proc
	other.Message = "process 4343"
	other.Labels = map[string]string{"suspect": "exe under /tmp"}
	other.Process = &timeline.Process{PID: 4343, Name: "cordon-collect", Executable: "/tmp/cordon-collect"}
	eng.Add(other)
	for _, f := range eng.Findings() {
		for _, e := range f.Evidence {
			if strings.Contains(e.Message, "collector itself") {
				t.Errorf("%s matched the collector's own process", f.RuleID)
			}
		}
	}
	if len(eng.Findings()) == 0 {
		t.Error("the same program under another PID matched no rule: the test proves nothing")
	}
}
