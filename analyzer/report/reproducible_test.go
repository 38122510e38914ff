package report_test

// The same case gives the same findings, attack chain and report, byte for
// byte, whatever order its events are read in: the events of the sample
// incident are fed to the rules and the correlation in many shuffled
// orders, and every rendering is compared with the first.

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/analyzer/report"
	"github.com/cordon-forensics/cordon/analyzer/rules"
	"github.com/cordon-forensics/cordon/timeline"
)

// sampleEvents analyzes samples/incident.cordon into a temporary case and
// returns its events in the case's order.
func sampleEvents(t *testing.T) []timeline.Event {
	t.Helper()
	c := analyzertest.Analyze(t, pipeline.Options{Force: true}, filepath.Join("..", "..", "samples", "incident.cordon"))
	evs := analyzertest.Events(t, c, casestore.Query{})
	if len(evs) < 1000 {
		t.Fatalf("the sample case has %d events", len(evs))
	}
	return evs
}

// render runs the rules and the correlation over evs, in that order, and
// renders findings --json's document, the report's JSON, Markdown and HTML.
func render(t *testing.T, rs []findings.Rule, evs []timeline.Event) [4][]byte {
	t.Helper()
	eng := findings.NewEngine(rs)
	cor := correlate.New()
	for _, ev := range evs {
		eng.Add(ev)
		cor.Add(ev)
	}
	fs := eng.Findings()
	agg := map[string]bool{}
	for _, r := range rs {
		if r.Respawn != nil || r.Check != nil {
			agg[r.ID] = true
		}
	}
	ch := cor.Build(fs, correlate.Options{Aggregate: agg})
	var out [4][]byte
	var err error
	if out[0], err = json.MarshalIndent(struct {
		F []findings.Finding `json:"findings"`
		C correlate.Result   `json:"attack_chain"`
	}{fs, ch}, "", "  "); err != nil {
		t.Fatal(err)
	}
	r := report.Build("sample", "test", fs, ch.Threads, ch.Links, nil, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	for i, w := range []func(*bytes.Buffer, report.Report) error{
		func(b *bytes.Buffer, r report.Report) error { return report.JSON(b, r) },
		func(b *bytes.Buffer, r report.Report) error { return report.Markdown(b, r) },
		func(b *bytes.Buffer, r report.Report) error { return report.HTML(b, r) },
	} {
		var b bytes.Buffer
		if err := w(&b, r); err != nil {
			t.Fatal(err)
		}
		out[i+1] = b.Bytes()
	}
	return out
}

func TestSameCaseSameBytesInAnyOrder(t *testing.T) {
	rs, err := findings.LoadRules(rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	evs := sampleEvents(t)
	want := render(t, rs, evs)
	if !bytes.Contains(want[0], []byte(`"first_anomalous": true`)) {
		t.Fatalf("the sample's chain has no first anomalous event:\n%.2000s", want[0])
	}
	names := [4]string{"findings --json", "report JSON", "report Markdown", "report HTML"}
	orders := map[string]func([]timeline.Event){
		"reversed": slices.Reverse[[]timeline.Event],
	}
	for seed := range 24 {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		orders["shuffle "+string(rune('a'+seed))] = func(e []timeline.Event) {
			rng.Shuffle(len(e), func(i, j int) { e[i], e[j] = e[j], e[i] })
		}
	}
	for name, reorder := range orders {
		e := slices.Clone(evs)
		reorder(e)
		got := render(t, rs, e)
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("%s: the %s differs from the case order's:\n%s", name, names[i], firstDiff(want[i], got[i]))
			}
		}
	}
}

// firstDiff shows the lines around the first difference.
func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(al) && i < len(bl); i++ {
		if !bytes.Equal(al[i], bl[i]) {
			lo := max(0, i-3)
			return "want:\n" + string(bytes.Join(al[lo:min(len(al), i+3)], []byte("\n"))) + "\ngot:\n" + string(bytes.Join(bl[lo:min(len(bl), i+3)], []byte("\n")))
		}
	}
	return "one is a prefix of the other"
}
