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

	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/fleet"
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
	// ParserSettings say how the analysis read the sources, e.g. the
	// PostgreSQL log_line_prefix and where it came from.
	ParserSettings []string `json:"parser_settings,omitempty"`
	Entries        []Entry  `json:"entries"`
}

// Report is everything rendered, in the order an incident lead reads it.
type Report struct {
	Case        string    `json:"case"`
	Generated   time.Time `json:"generated"`
	ToolVersion string    `json:"tool_version"`
	Summary     []string  `json:"summary"`
	// Golden is the last known-good point, from the main thread's first anomalous event.
	Golden string `json:"golden,omitempty"`
	// Threads are the attacks rebuilt by correlation, the main one first.
	Threads  []correlate.Thread `json:"attack_chain"`
	Links    []correlate.Link   `json:"links,omitempty"`
	Findings []findings.Finding `json:"findings"`
	// Fleet are the attacker's values seen on several hosts (fleet.go).
	Fleet   []fleet.Spread `json:"fleet,omitempty"`
	Bundles []Bundle       `json:"bundles"`
	Notes   []string       `json:"notes,omitempty"`
}

// maxThreads bounds the threads a report shows in full.
const maxThreads = 5

// Build writes the summary from the attack threads and the findings, so
// that an incident lead reads what happened in a minute: who got in and
// how, what ran, what it talked to, what made it possible, and where the
// last known-good state is.
func Build(caseName, version string, fs []findings.Finding, threads []correlate.Thread, links []correlate.Link, bs []Bundle, now time.Time) Report {
	if len(threads) > maxThreads {
		threads = threads[:maxThreads]
	}
	r := Report{Case: caseName, Generated: now.UTC(), ToolVersion: version, Findings: fs, Threads: threads, Links: links, Bundles: bs}
	if len(threads) > 0 {
		t := threads[0]
		r.Summary = append(r.Summary, "What happened: "+t.Title+".")
		if len(t.Attackers) > 0 {
			r.Summary = append(r.Summary, "Outside addresses in the chain: "+strings.Join(t.Attackers, ", ")+".")
		}
		for _, stage := range []string{correlate.StageInitialAccess, correlate.StageExecution, correlate.StageDefenseEvasion, correlate.StagePersistence, correlate.StageImpact} {
			for _, s := range t.Steps {
				if s.Stage == stage {
					r.Summary = append(r.Summary, fmt.Sprintf("%s (%s): %s.", stageTitle(stage), s.Time.UTC().Format(time.RFC3339), s.Text))
					break
				}
			}
		}
		for _, s := range t.RootCause {
			r.Summary = append(r.Summary, "What made it possible: "+s.Text+".")
		}
		r.Golden = t.Golden
		if len(threads) > 1 {
			r.Summary = append(r.Summary, fmt.Sprintf("%d other groups of suspect processes are listed in the attack-chain section.", len(threads)-1))
		}
	}
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
		r.Summary = append(r.Summary, fmt.Sprintf("%d findings: %s. Most severe: %s (%s %s).", len(fs), strings.Join(parts, ", "), fs[0].Title, fs[0].Attack.ID, fs[0].Attack.Name))
		if len(threads) == 0 {
			if first := firstEvidence(fs); first != nil {
				r.Summary = append(r.Summary, fmt.Sprintf("Earliest evidence of any finding: %s at %s (%s, entry %s).", first.Message, first.Time, first.Provenance.Bundle, first.Provenance.Entry))
			}
		}
	}
	for _, b := range bs {
		r.Summary = append(r.Summary, fmt.Sprintf("Evidence %s: %s, %s.", b.EvidenceID, b.Verification, b.Trust))
	}
	return r
}

func stageTitle(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
	First bool
}

var sevColor = map[string]string{"critical": "#b00020", "high": "#e65100", "medium": "#f9a825", "low": "#1565c0", "info": "#607d8b"}

// points lays the main thread's steps and the findings' evidence on a
// 900-wide axis between the earliest and the latest time.
func points(r Report) []point {
	type tp struct {
		t     time.Time
		color string
		label string
		first bool
	}
	var all []tp
	if len(r.Threads) > 0 {
		for _, s := range r.Threads[0].Steps {
			if s.Time.Year() < 1971 {
				continue
			}
			all = append(all, tp{s.Time, "#4a148c", s.Time.UTC().Format(time.RFC3339Nano) + " " + s.Stage + ": " + s.Text, s.First})
		}
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		for j := range f.Evidence {
			t, err := time.Parse(time.RFC3339Nano, f.Evidence[j].Time)
			if err != nil || t.Year() < 1971 {
				continue
			}
			all = append(all, tp{t, sevColor[f.Severity], t.Format(time.RFC3339) + " " + f.RuleID + ": " + f.Evidence[j].Message, false})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
	if len(all) == 0 {
		return nil
	}
	// The picture spans the main thread when there is one, so that hours of
	// unrelated host history do not squeeze the attack into a dot.
	lo, hi := all[0].t, all[len(all)-1].t
	if len(r.Threads) > 0 && len(r.Threads[0].Steps) > 0 {
		st := r.Threads[0].Steps
		lo, hi = st[0].Time, st[len(st)-1].Time
		for _, s := range st {
			if s.Time.Year() > 1971 && s.Time.Before(lo) || lo.Year() < 1971 {
				lo = s.Time
			}
		}
		pad := hi.Sub(lo) / 10
		lo, hi = lo.Add(-pad), hi.Add(pad)
	}
	span := hi.Sub(lo)
	var out []point
	for i, p := range all {
		if p.t.Before(lo) || p.t.After(hi) {
			continue
		}
		x := 50
		if span > 0 {
			x += int(float64(p.t.Sub(lo)) / float64(span) * 800)
		}
		pt := point{X: x, Y: 20 + (i%6)*11, Color: p.color, Label: p.label}
		if p.first {
			pt.First = true
		}
		out = append(out, pt)
	}
	return out
}

// Ref is one evidence reference: time, message and provenance.
type Ref = findings.Evidence
