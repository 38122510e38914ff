package pipeline_test

import (
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/analyzer/rules"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/bundletest"
	"github.com/cordon-forensics/cordon/timeline"
)

// A bundle with the kernel's ring buffer, the sweep and the kernel's
// state: the ring buffer is timed by the boot time the custody records,
// and the new rules fire with evidence citing entry:line.
func TestCollectedEntriesThroughTheCase(t *testing.T) {
	boot := time.Date(2026, 11, 4, 8, 0, 0, 0, time.UTC)
	entries := []bundletest.Entry{
		{Name: snapshot.KmsgEntry, Source: "kernel", Data: []byte("6,1,1000000,-;Linux version 6.1.0\n4,2,7200000000,-;diamorphine: loading out-of-tree module taints kernel.\n")},
		{Name: filetimeline.SweepEntry, Source: "sweep", Data: []byte(`{"path":"/tmp/.cache/sh","type":"file","mode":2541,"ctime":"2026-11-04T09:00:00Z","reasons":["suid"]}` + "\n" +
			`{"path":"/usr/bin/su","type":"file","mode":2541,"ctime":"2025-01-01T00:00:00Z","reasons":["suid"]}` + "\n")},
		{Name: snapshot.KernelStateEntry, Source: "kernel", Data: []byte(`{"read_at":"2026-11-04T10:00:00Z","tainted":12288,"tainted_flags":["O","E"],"core_pattern":"core","modules":[]}`)},
	}
	analyze := func(edit func(*bundle.Custody)) (*casestore.Case, []timeline.Event, []string) {
		dir := t.TempDir()
		path := bundletest.Write(t, dir, "web01.cordon", bundletest.Options{Host: "web01", Edit: edit}, entries...)
		c := analyzertest.Analyze(t, pipeline.Options{Analyzer: "test"}, path)
		var warns []string
		if err := c.Warnings(func(_ casestore.CaseBundle, _ string, w timeline.Warning) error {
			warns = append(warns, w.Entry+": "+w.Message)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return c, analyzertest.Events(t, c, casestore.Query{}), warns
	}

	_, evs, _ := analyze(func(c *bundle.Custody) { c.Host.BootTime = boot })
	var kmsg []timeline.Event
	rs, err := findings.LoadRules(rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	eng := findings.NewEngine(rs)
	for _, ev := range evs {
		if ev.Event.Dataset == "kmsg" {
			kmsg = append(kmsg, ev)
		}
		eng.Add(ev)
	}
	if len(kmsg) != 2 || !kmsg[1].Timestamp.Equal(boot.Add(2*time.Hour)) || kmsg[1].Cordon.Provenance.Where() != snapshot.KmsgEntry+":2" {
		t.Fatalf("kernel messages %+v", kmsg)
	}
	want := map[string]string{"CORDON-FS-001": filetimeline.SweepEntry + ":1", "CORDON-KRN-007": snapshot.KmsgEntry + ":2", "CORDON-KRN-003": snapshot.KernelStateEntry + "@0"}
	got := map[string]string{}
	for _, f := range eng.Findings() {
		if _, ok := want[f.RuleID]; ok {
			if len(f.Evidence) != 1 {
				t.Errorf("%s: %d evidence %+v", f.RuleID, len(f.Evidence), f.Evidence)
				continue
			}
			got[f.RuleID] = f.Evidence[0].Provenance.Where()
		}
	}
	for id, where := range want {
		if got[id] != where {
			t.Errorf("%s: evidence at %q, want %q", id, got[id], where)
		}
	}

	// Without a boot time, the offset is kept and the parser says so.
	_, evs, warns := analyze(nil)
	found := false
	for _, ev := range evs {
		if ev.Event.Dataset == "kmsg" && ev.Labels["kmsg.seq"] == "2" {
			found = ev.Timestamp.Equal(time.Unix(7200, 0))
		}
	}
	said := false
	for _, w := range warns {
		said = said || w == snapshot.KmsgEntry+": "+snapshot.KmsgNoBootTime
	}
	if !found || !said {
		t.Errorf("without a boot time: event at the epoch plus its offset %v, warning %v (%q)", found, said, warns)
	}
}
