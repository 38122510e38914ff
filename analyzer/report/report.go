// Package report renders a case's findings and chain of custody as one
// self-contained HTML file (html/template, strict Content-Security-Policy,
// no external fetches, a timeline SVG drawn here), as Markdown and as JSON.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
)

// Entry is one bundle entry's name and hash, for the custody appendix.
type Entry struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Bundle is what the report states about one evidence bundle.
type Bundle struct {
	EvidenceID   string    `json:"evidence_id"`
	Path         string    `json:"path"`
	SHA256       string    `json:"sha256"`
	Verification string    `json:"verification"` // e.g. "signature valid", "FAILED: …"
	KeyID        string    `json:"key_id"`
	Trust        string    `json:"trust"` // e.g. "fingerprint pinned", "unknown key"
	Examiner     string    `json:"examiner"`
	Host         string    `json:"host"`
	Start        time.Time `json:"collection_start"`
	End          time.Time `json:"collection_end"`
	ClockOffset  string    `json:"host_clock_offset"`
	ToolVersion  string    `json:"tool_version"`
	Entries      []Entry   `json:"entries"`
}

// Report is everything rendered, in the order an incident lead reads it.
type Report struct {
	Case        string             `json:"case"`
	Generated   time.Time          `json:"generated"`
	ToolVersion string             `json:"tool_version"`
	Summary     []string           `json:"summary"`
	Findings    []findings.Finding `json:"findings"`
	Bundles     []Bundle           `json:"bundles"`
}

// Build fills the summary from the findings: one line per severity count
// and the most severe finding's title, so the lead reads it in a minute.
func Build(caseName, version string, fs []findings.Finding, bs []Bundle, now time.Time) Report {
	r := Report{Case: caseName, Generated: now.UTC(), ToolVersion: version, Findings: fs, Bundles: bs}
	count := map[string]int{}
	for _, f := range fs {
		count[f.Severity]++
	}
	if len(fs) == 0 {
		r.Summary = append(r.Summary, "No rule matched the events of this case.")
	} else {
		var parts []string
		for _, s := range []string{"critical", "high", "medium", "low", "info"} {
			if count[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
			}
		}
		r.Summary = append(r.Summary, fmt.Sprintf("%d findings: %s.", len(fs), strings.Join(parts, ", ")))
		r.Summary = append(r.Summary, "Most severe: "+fs[0].Title+" ("+fs[0].Attack.ID+" "+fs[0].Attack.Name+").")
		if first := firstEvidence(fs); first != nil {
			r.Summary = append(r.Summary, fmt.Sprintf("First anomalous event: %s at %s (%s, entry %s).", first.Message, first.Time, first.Provenance.Bundle, first.Provenance.Entry))
		}
	}
	for _, b := range bs {
		r.Summary = append(r.Summary, fmt.Sprintf("Evidence %s: %s, %s.", b.EvidenceID, b.Verification, b.Trust))
	}
	return r
}

// firstEvidence is the earliest timed evidence of any finding: the event that
// brackets the last known-good state.
func firstEvidence(fs []findings.Finding) *findings.Evidence {
	var best *findings.Evidence
	for i := range fs {
		for j := range fs[i].Evidence {
			e := &fs[i].Evidence[j]
			if e.Time == "" || strings.HasPrefix(e.Time, "0001-") {
				continue
			}
			if best == nil || e.Time < best.Time {
				best = e
			}
		}
	}
	return best
}

// JSON writes the report as indented JSON.
func JSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report json: %w", err)
	}
	return nil
}

// point is one evidence mark on the timeline picture.
type point struct {
	X     int
	Y     int
	Color string
	Label string
}

var sevColor = map[string]string{"critical": "#b00020", "high": "#e65100", "medium": "#f9a825", "low": "#1565c0", "info": "#607d8b"}

// points lays evidence on a 900-wide axis between the earliest and latest time.
func points(fs []findings.Finding) []point {
	type tp struct {
		t time.Time
		f *findings.Finding
		e *findings.Evidence
	}
	var all []tp
	for i := range fs {
		for j := range fs[i].Evidence {
			t, err := time.Parse(time.RFC3339Nano, fs[i].Evidence[j].Time)
			if err != nil || t.Year() < 1971 {
				continue
			}
			all = append(all, tp{t, &fs[i], &fs[i].Evidence[j]})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
	if len(all) == 0 {
		return nil
	}
	span := all[len(all)-1].t.Sub(all[0].t)
	var out []point
	for i, p := range all {
		x := 50
		if span > 0 {
			x += int(float64(p.t.Sub(all[0].t)) / float64(span) * 800)
		}
		out = append(out, point{X: x, Y: 30 + (i%5)*12, Color: sevColor[p.f.Severity], Label: p.t.Format(time.RFC3339) + " " + p.f.RuleID + ": " + p.e.Message})
	}
	return out
}
