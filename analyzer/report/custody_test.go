package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// A bundle imported from another collector's archive, or whose collection
// was interrupted, says so in the summary, in the custody section of every
// format, and in the JSON as values; sources skipped on purpose are not
// called incomplete.
func TestCustodySaysWhatTheEvidenceLacks(t *testing.T) {
	c := bundle.Custody{
		Interrupted: "interrupted by a signal at 2026-12-01T10:00:00Z",
		Sources: []bundle.SourceStatus{
			{Name: "processes", Status: bundle.SourceOK},
			{Name: "capture", Status: bundle.SourceSkipped},
			{Name: "filetimeline", Status: bundle.SourceInterrupted},
			{Name: "sweep", Status: bundle.SourceTimeout, Detail: "budget 2m0s"},
		},
		Import: &bundle.ImportFacts{
			Statement:    "imported from UAC 3.3.0 archive 0f85, not collected by Cordon, no signature from the suspect host",
			Complete:     false,
			StoppedAt:    "live_response/process/ps.txt",
			NotInArchive: []string{"a packet capture: UAC does not capture packets"},
		},
	}
	b := Bundle{EvidenceID: "E1", Verification: bundle.StatusIntact, Trust: bundle.TrustSelfSigned}.WithCustody(c, nil)
	r := Build("case", "test", nil, nil, nil, []Bundle{b}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))

	var md, html, js bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&html, r); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"markdown": md.String(), "html": html.String()} {
		esc := func(s string) string { return s }
		if name == "markdown" {
			esc = mdEscape
		}
		for _, w := range []string{
			"imported from UAC 3.3.0 archive 0f85, not collected by Cordon",
			"live_response/process/ps.txt",
			"a packet capture: UAC does not capture packets",
			"interrupted by a signal at 2026-12-01T10:00:00Z",
			"filetimeline (interrupted)",
			"sweep (timeout",
		} {
			want := esc(w)
			if got := strings.Count(out, want); got < 2 { // the summary and the custody section
				t.Errorf("%s: %q appears %d times, want the summary and the custody section", name, want, got)
			}
		}
		if strings.Contains(out, esc("capture (skipped")) || strings.Contains(out, esc("processes (ok")) {
			t.Errorf("%s: a source that ended as asked is called incomplete", name)
		}
		if !strings.Contains(out, esc("sweep (timeout: budget 2m0s)")) {
			t.Errorf("%s: the custody section does not give the source's detail", name)
		}
	}
	var doc struct {
		Bundles []struct {
			Imported    *bundle.ImportFacts `json:"imported"`
			Interrupted string              `json:"interrupted"`
			Incomplete  []SourceNote        `json:"incomplete_sources"`
		} `json:"bundles"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Bundles) != 1 || doc.Bundles[0].Imported == nil || doc.Bundles[0].Interrupted == "" || len(doc.Bundles[0].Incomplete) != 2 ||
		doc.Bundles[0].Incomplete[1].Status != bundle.SourceTimeout {
		t.Errorf("JSON: %s", js.String())
	}
}
