package analyzer

import (
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/correlate"
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
