package export

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/timeline"
)

// ids returns the ids of a source's events, in order.
func ids(t *testing.T, src Events) []string {
	t.Helper()
	h := newIDHasher()
	var out []string
	if err := src(context.Background(), func(ev timeline.Event) error {
		out = append(out, h.id(&ev))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIDsAreDeterministicAndDistinct(t *testing.T) {
	a, b := ids(t, synthEvents(4000)), ids(t, synthEvents(4000))
	seen := map[string]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("event %d: %s then %s", i, a[i], b[i])
		}
		if seen[a[i]] || len(a[i]) != 40 {
			t.Fatalf("event %d: id %q repeated or malformed", i, a[i])
		}
		seen[a[i]] = true
	}

	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	base := timeline.Event{Timestamp: t0, Event: timeline.EventFields{Dataset: "auth", Action: "ssh-login"},
		Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningLogged, Provenance: timeline.Provenance{Bundle: "ev-1", Entry: "fs/var/log/auth.log", Line: 7, Offset: 700}}}
	variant := func(f func(*timeline.Event)) timeline.Event {
		ev := base
		f(&ev)
		return ev
	}
	// Each pair differs in one thing that makes another document, or in
	// nothing at all (two identical events are two documents).
	for _, tc := range []struct {
		name string
		evs  []timeline.Event
	}{
		{"identical events", []timeline.Event{base, base, base}},
		{"another bundle", []timeline.Event{base, variant(func(e *timeline.Event) { e.Cordon.Provenance.Bundle = "ev-2" })}},
		{"another meaning", []timeline.Event{base, variant(func(e *timeline.Event) { e.Cordon.TimeMeaning = timeline.MeaningModified })}},
		{"another action", []timeline.Event{base, variant(func(e *timeline.Event) { e.Event.Action = "ssh-logout" })}},
		{"another line", []timeline.Event{base, variant(func(e *timeline.Event) { e.Cordon.Provenance.Line = 8 })}},
		{"another nanosecond", []timeline.Event{base, variant(func(e *timeline.Event) { e.Timestamp = t0.Add(1) })}},
		{"field boundaries", []timeline.Event{
			variant(func(e *timeline.Event) { e.Cordon.Provenance.Bundle, e.Cordon.Provenance.Entry = "ab", "c" }),
			variant(func(e *timeline.Event) { e.Cordon.Provenance.Bundle, e.Cordon.Provenance.Entry = "a", "bc" })}},
	} {
		got := ids(t, func(ctx context.Context, fn func(timeline.Event) error) error {
			for _, ev := range tc.evs {
				if err := fn(ev); err != nil {
					return err
				}
			}
			return nil
		})
		for i := 1; i < len(got); i++ {
			for j := range i {
				if got[i] == got[j] {
					t.Errorf("%s: events %d and %d share id %s", tc.name, j, i, got[i])
				}
			}
		}
	}
}

func TestEventDocument(t *testing.T) {
	ev := timeline.Event{
		Timestamp: time.Date(2026, 11, 2, 10, 24, 55, 123456789, time.UTC),
		Event:     timeline.EventFields{Dataset: "processes", Action: "process-started", Category: []string{"process"}},
		Process:   &timeline.Process{PID: 4300, Executable: "/tmp/mysql (deleted)"},
		Host:      &timeline.Host{Name: "build-01"},
		Cordon:    timeline.Cordon{Provenance: timeline.Provenance{Bundle: "ev-1", Entry: "cordon/processes.jsonl", Offset: 12}},
	}
	b, err := appendEventDoc([]byte("prefix\n"), "cordon-events", "abc", &ev)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) != 4 || lines[0] != "prefix" || lines[1] != `{"create":{"_index":"cordon-events","_id":"abc"}}` || lines[3] != "" {
		t.Fatalf("lines %q", lines)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"@timestamp":     "2026-11-02T10:24:55.123456789Z",
		"message":        "process-started", // the event has none: its action stands in
		"datetime":       "2026-11-02T10:24:55.123456+00:00",
		"timestamp_desc": "event time",
		"timestamp":      float64(1793615095123456),
		"data_type":      "cordon:processes",
	} {
		if doc[k] != want {
			t.Errorf("%s = %#v, want %#v", k, doc[k], want)
		}
	}
	if p := doc["process"].(map[string]any); p["pid"] != float64(4300) || p["executable"] != "/tmp/mysql (deleted)" {
		t.Errorf("process %v", p)
	}
	if pv := doc["cordon"].(map[string]any)["provenance"].(map[string]any); pv["entry"] != "cordon/processes.jsonl" {
		t.Errorf("provenance %v", pv)
	}
}

func TestFindingDocument(t *testing.T) {
	f := findings.Finding{RuleID: "CORDON-PG-001", Title: "COPY FROM PROGRAM", Severity: "high",
		Attack: findings.Attack{ID: "T1059", Name: "Command and Scripting Interpreter"}, Why: "runs a shell",
		Evidence: []findings.Evidence{
			{Time: "2026-11-02T10:24:57.000000000Z", Message: "second", Provenance: timeline.Provenance{Bundle: "ev-b", Entry: "e", Line: 2}},
			{Time: "2026-11-02T10:24:55.500000000Z", Message: "first", Provenance: timeline.Provenance{Bundle: "ev-a", Entry: "e", Line: 1}},
		}}
	d := newFindingDoc(&f)
	if d.Timestamp != "2026-11-02T10:24:55.5Z" || d.Datetime != "2026-11-02T10:24:55.500000+00:00" || d.Micros == nil ||
		d.Message != "[high] CORDON-PG-001 COPY FROM PROGRAM" || d.Event.Kind != "alert" || d.Event.Severity != 73 ||
		d.Threat.Technique.ID != "T1059" || strings.Join(d.Cordon.Bundles, ",") != "ev-a,ev-b" || d.Cordon.EvidenceCount != 2 {
		t.Errorf("document %+v", d)
	}
	g := f
	g.Evidence = append([]findings.Evidence{}, f.Evidence...)
	g.Evidence[0].Provenance.Line = 3
	if findingID(&f) != findingID(&f) || findingID(&f) == findingID(&g) {
		t.Error("finding ids: not deterministic, or blind to the evidence")
	}
	many := f
	for range maxFindingEvidence + 5 {
		many.Evidence = append(many.Evidence, f.Evidence[0])
	}
	if d := newFindingDoc(&many); len(d.Cordon.Evidence) > maxFindingEvidence || len(d.Cordon.Evidence) < 500 || !d.Cordon.EvidenceTruncated || d.Cordon.EvidenceCount != maxFindingEvidence+7 {
		t.Errorf("bounded evidence: %d kept of %d, truncated %v", len(d.Cordon.Evidence), d.Cordon.EvidenceCount, d.Cordon.EvidenceTruncated)
	}
}

func TestFlatLabels(t *testing.T) {
	for _, tc := range []struct {
		in, want map[string]string
	}{
		{nil, nil},
		{map[string]string{"tty": "pts/0"}, map[string]string{"tty": "pts/0"}},
		{map[string]string{"error": "gone", "error.exe": "readlink failed", "postgresql.database": "db"},
			map[string]string{"error": "gone", "error_exe": "readlink failed", "postgresql_database": "db"}},
		{map[string]string{"a_b": "1", "a.b": "2", "a.b_": "3"}, map[string]string{"a_b": "1", "a_b_": "2", "a_b__": "3"}},
	} {
		got := flatLabels(tc.in)
		if len(got) != len(tc.want) {
			t.Errorf("flatLabels(%v) = %v, want %v", tc.in, got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("flatLabels(%v) = %v, want %v", tc.in, got, tc.want)
			}
		}
	}
	ev := timeline.Event{Labels: map[string]string{"error.exe": "x"}}
	b, err := appendEventDoc(nil, "i", "id", &ev)
	if err != nil || !strings.Contains(string(b), `"labels":{"error_exe":"x"}`) || strings.Count(string(b), `"labels"`) != 1 {
		t.Errorf("document %s (%v)", b, err)
	}
}

func TestFindingDocumentIsBounded(t *testing.T) {
	f := findings.Finding{RuleID: "CORDON-PROC-001", Severity: "high"}
	long := strings.Repeat("a", 2000)
	for i := range 500 {
		f.Evidence = append(f.Evidence, findings.Evidence{Time: "2026-11-02T10:24:57.000000000Z", Message: long,
			Provenance: timeline.Provenance{Bundle: "ev", Entry: "proc/processes.jsonl", Line: int64(i + 1)}})
	}
	b, err := appendFindingDoc(nil, "cordon-findings", findingID(&f), &f)
	if err != nil {
		t.Fatal(err)
	}
	d := newFindingDoc(&f)
	if len(b) > 256<<10 || !d.Cordon.EvidenceTruncated || d.Cordon.EvidenceCount != 500 || len(d.Cordon.Evidence) < 50 {
		t.Errorf("document of %d bytes, %d of %d evidence, truncated %v", len(b), len(d.Cordon.Evidence), d.Cordon.EvidenceCount, d.Cordon.EvidenceTruncated)
	}
}
