package attest

import (
	"fmt"
	"strings"

	"github.com/cordon-forensics/cordon/analyzer/report"
	"github.com/cordon-forensics/cordon/formats/elfdiff"
)

// Where names the record an item rests on: bundle: entry:line.
func (it *Item) Where() string {
	return fmt.Sprintf("%s: %s:%d", it.Bundle, it.Record, it.Line)
}

// DiffLines says what a diff found, one statement a line, the way a
// reverse engineer would list it.
func DiffLines(d *elfdiff.Diff, max int) []string {
	if d == nil {
		return nil
	}
	var out []string
	for _, f := range d.Facts {
		out = append(out, fmt.Sprintf("%s: %q, trusted %q", f.Fact, f.Suspect, f.Trusted))
	}
	for _, n := range d.NeededAdded {
		out = append(out, "new DT_NEEDED: "+n)
	}
	for _, n := range d.NeededRemoved {
		out = append(out, "DT_NEEDED removed: "+n)
	}
	out = append(out, injectionPoints(&elfdiff.Diff{Pointers: d.Pointers})...)
	fc := d.FunctionCounts
	out = append(out, fmt.Sprintf("functions (%s mode): %d added, %d removed, %d changed, %d unchanged (%d byte-identical, %d moved with the layout)",
		d.Mode, fc.Added, fc.Removed, fc.Changed, fc.Identical+fc.Moved, fc.Identical, fc.Moved))
	for _, r := range d.Injected() {
		var rs []string
		for _, c := range r.ChangedSuspect {
			rs = append(rs, c.String())
		}
		out = append(out, fmt.Sprintf("%s %s %s in %s at %s", r.Status, r.Kind, r.Name, r.Section, strings.Join(rs, ", ")))
	}
	for _, r := range d.Functions {
		if r.Status == elfdiff.Removed {
			out = append(out, fmt.Sprintf("removed function %s", r.Name))
		}
	}
	var secs []string
	for _, s := range d.Sections {
		secs = append(secs, fmt.Sprintf("%s %s", s.Name, s.Status))
	}
	if len(secs) > 0 {
		out = append(out, "sections not byte-identical: "+strings.Join(secs, ", "))
	}
	if max > 0 && len(out) > max {
		out = append(out[:max], fmt.Sprintf("… %d more lines (--json has them all)", len(out)-max))
	}
	return out
}

// Report gives the report's attestation section, with the summary lines
// that go beside the attack chain's golden point.
func (res *Result) Report() *report.Attestation {
	a := &report.Attestation{Counts: "Compared: " + res.CountLine() + "."}
	for _, g := range res.Golden {
		a.Golden = append(a.Golden, g.Program+": "+g.Text)
	}
	for i := range res.Items {
		it := &res.Items[i]
		row := report.AttestationRow{Verdict: it.Verdict, Kind: it.Kind, Subject: it.Label(), Where: it.Where(), Detail: DiffLines(it.Diff, 40)}
		if it.Trusted != nil {
			row.Trusted = trustedLabel(it.Trusted)
		}
		if it.Note != "" {
			row.Detail = append(row.Detail, it.Note)
		}
		if len(it.Reasons) > 0 {
			row.Detail = append(row.Detail, "mapped by PID "+fmt.Sprint(it.PID)+": "+strings.Join(it.Reasons, ", "))
		}
		a.Items = append(a.Items, row)
	}
	for _, sc := range res.Statements {
		st := sc.Statement
		row := report.AttestationRow{Verdict: st.Verification, Kind: st.PredicateType, Subject: sc.File,
			Where: fmt.Sprintf("%s: %s:%d", sc.Bundle, sc.Entry, st.Line)}
		row.Detail = append(row.Detail, fmt.Sprintf("builder %s; source %s commit %s; built %s to %s", st.BuilderID, st.SourceURI, st.SourceCommit,
			st.Started.Format("2006-01-02T15:04:05Z"), st.Finished.Format("2006-01-02T15:04:05Z")))
		for _, s := range sc.Subjects {
			row.Detail = append(row.Detail, fmt.Sprintf("%s sha256 %s: %s %s", s.Name, s.SHA256, s.Status, s.Artifact))
		}
		row.Detail = append(row.Detail, st.Errors...)
		a.Provenance = append(a.Provenance, row)
	}
	a.Summary = append(a.Summary, res.CountLine()+".")
	for _, g := range res.Golden {
		if g.FirstTainted != nil {
			a.Summary = append(a.Summary, g.Program+": "+g.Text+".")
		}
	}
	return a
}
