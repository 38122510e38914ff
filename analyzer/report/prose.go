package report

// The sentences a person reads, made from the report's typed facts when
// the HTML or the Markdown is written: one place for both renderings.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/clip"
)

// timeUTC is how the report writes an instant.
func timeUTC(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000Z")
}

// evidenceTime writes an evidence time (RFC 3339 text) as timeUTC does;
// text that is no time is kept as it is.
func evidenceTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	if t.Year() < 1971 {
		return "no time"
	}
	return timeUTC(t)
}

// verificationText says what verifying the bundle found.
func verificationText(b Bundle) string {
	var s string
	switch b.Verification {
	case bundle.StatusIntact:
		s = "intact: every entry, checkpoint, the manifest and SHA256SUMS check out"
	case bundle.StatusIncomplete:
		s = "incomplete: verified up to its last checkpoint, then cut off"
	case bundle.StatusFailed:
		s = "FAILED: something was altered, added, removed, reordered or forged"
	default:
		s = "not verified (" + string(b.Verification) + ")"
	}
	if b.Unverified {
		s += "; analyzed with --force: UNVERIFIED, nothing resting on it is covered by a signature"
	}
	return s
}

// trustText says what the signature is worth.
func trustText(b Bundle) string {
	switch b.Trust {
	case bundle.TrustTrusted:
		return "signed with the key the analyst gave: trusted"
	case bundle.TrustSelfSigned:
		return "self-signed: compare the fingerprint " + b.KeyID + " with the custody form"
	case bundle.TrustNone:
		return "no valid signature"
	}
	return "trust unknown (" + string(b.Trust) + ")"
}

// evidenceLine is the summary's line for one bundle.
func evidenceLine(b Bundle) string {
	s := fmt.Sprintf("%s from %s: %s; %s.", b.EvidenceID, orUnknown(b.Host), verificationText(b), trustText(b))
	for _, c := range completeness(b, true) {
		s += " " + upperFirst(c[0]) + ": " + c[1] + "."
	}
	return s
}

// completeness says, as label and text, what the evidence of b lacks:
// that it was imported (and what the archive holds not), that its
// collection was interrupted, which sources fell short. Brief (the
// summary) names only the sources cut short (error, timeout,
// interrupted) and counts those that collected with errors.
func completeness(b Bundle, brief bool) [][2]string {
	var out [][2]string
	if im := b.Imported; im != nil {
		out = append(out, [2]string{"imported", cut(im.Statement, 400)})
		if !im.Complete {
			t := "it ends early"
			if im.StoppedAt != "" {
				t += ", at " + cut(im.StoppedAt, 300)
			}
			out = append(out, [2]string{"archive incomplete", t})
		}
		if len(im.NotInArchive) > 0 {
			var ns []string
			for i, n := range im.NotInArchive {
				if i == maxNotInArchive {
					ns = append(ns, fmt.Sprintf("and %d more", len(im.NotInArchive)-i))
					break
				}
				ns = append(ns, cut(n, 200))
			}
			out = append(out, [2]string{"not in the archive", strings.Join(ns, "; ")})
		}
	}
	if b.Interrupted != "" {
		out = append(out, [2]string{"interrupted", cut(b.Interrupted, 300)})
	}
	var ss []string
	partial := 0
	for _, n := range b.Incomplete {
		if brief && n.Status == bundle.SourcePartial {
			partial++
			continue
		}
		if len(ss) == maxIncompleteListed {
			ss = append(ss, "and more (the manifest lists them all)")
			break
		}
		t := cut(n.Name, 80) + " (" + cut(string(n.Status), 40)
		if n.Detail != "" && !brief {
			t += ": " + cut(n.Detail, 120)
		}
		ss = append(ss, t+")")
	}
	if brief && partial > 0 {
		more := ""
		if len(ss) > 0 {
			more = "more "
		}
		ss = append(ss, fmt.Sprintf("%d %scollected with errors (see the chain of custody)", partial, more))
	}
	if len(ss) > 0 {
		out = append(out, [2]string{"sources not complete", strings.Join(ss, ", ")})
	}
	return out
}

// maxNotInArchive bounds the list of what an imported archive lacks (the
// manifest is the analyst's import, but the list is read back from a file).
const maxNotInArchive = 20

// maxIncompleteListed bounds the sources named as incomplete (a collector
// has about thirty; a forged manifest may list any number).
const maxIncompleteListed = 40

// upperFirst capitalises the first letter of an ASCII label.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func orUnknown(s string) string {
	if s == "" {
		return "an unnamed host"
	}
	return s
}

// clockText says how far the host clock was from the reference.
func clockText(b Bundle) string {
	if b.ClockOffsetSeconds == nil {
		return "not measured (no --reference-time)"
	}
	return fmt.Sprintf("%+.3f s against %s", *b.ClockOffsetSeconds, b.ReferenceTime.UTC().Format(time.RFC3339))
}

// settingText is one parser setting as a line.
func settingText(s Setting) string {
	return fmt.Sprintf("%s = %q (from %s)", s.Name, s.Value, s.From)
}

// optionValue writes a collector option for people. Collectors before
// 0.2 recorded numbers through a float ("2.68435456e+08", "6e+10"): an
// integral one is written out whole ("268435456"); other values are kept.
func optionValue(v string) string {
	if !strings.ContainsAny(v, "eE.") {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return v
	}
	return strconv.FormatInt(int64(f), 10)
}

// option is one collector option, rendered.
type option struct{ Name, Value string }

func options(b Bundle) []option {
	out := make([]option, 0, len(b.Options))
	for _, k := range sortedKeys(b.Options) {
		out = append(out, option{k, optionValue(b.Options[k])})
	}
	return out
}

// summaryLine is one line of the summary: a label, a sentence, and the
// evidence it rests on.
type summaryLine struct {
	Label string
	Text  string
	Refs  []Ref
	Step  int // a numbered step of the line above (first actions), 0 if not
}

// summaryLines makes the summary's sentences, in the order a lead asks:
// what happened, since when, how they got in, what was recovered, what to
// do first, what the evidence is worth.
func summaryLines(r Report) []summaryLine {
	s := r.Summary
	var out []summaryLine
	add := func(label, text string, refs ...Ref) {
		out = append(out, summaryLine{Label: label, Text: text, Refs: refs})
	}
	if s.WhatHappened != "" {
		add("What happened", s.WhatHappened+".")
	}
	if s.FirstAnomalous != nil {
		add("Since", fmt.Sprintf("%s: %s. The last known-good state is just before it.", timeUTC(s.Since), cut(s.FirstAnomalous.Text, 240)), s.FirstAnomalous.Evidence...)
	}
	out = append(out, attestationSummary(r.Attestation)...)
	if s.WayIn != nil {
		text := cut(s.WayIn.Text, 240) + "."
		if len(s.RootCause) > 0 {
			text += fmt.Sprintf(" Made possible by: %s.", firstClause(s.RootCause[0].Text, 200))
			if n := len(s.RootCause) - 1; n > 0 {
				text += fmt.Sprintf(" (%d more in the attack chain)", n)
			}
		}
		add("How they got in", text, s.WayIn.Evidence...)
	}
	if len(s.Attackers) > 0 {
		add("Outside addresses", strings.Join(s.Attackers, ", ")+".")
	}
	out = append(out, fleetSummary(r.Fleet)...)
	if len(s.Recovered) > 0 {
		var parts []string
		var refs []Ref
		for _, st := range s.Recovered {
			parts = append(parts, fmt.Sprintf("the deleted executable of PID %d, SHA-256 %s", st.PID, st.SHA256))
			refs = append(refs, st.Evidence...)
		}
		add("Recovered", strings.Join(parts, "; ")+".", refs...)
	}
	for i, a := range s.FirstActions {
		l := summaryLine{Text: actionText(a), Step: i + 1}
		if i == 0 {
			l.Label = "What to do first"
		}
		out = append(out, l)
	}
	if len(r.Findings) == 0 {
		add("Findings", noFindings(r))
	} else {
		var parts []string
		for _, c := range s.Severities {
			parts = append(parts, fmt.Sprintf("%d %s", c.Count, c.Severity))
		}
		f := r.Findings[0]
		add("Findings", fmt.Sprintf("%d: %s. Most severe: %s, %s (%s %s).", len(r.Findings), strings.Join(parts, ", "), f.RuleID, f.Title, f.Attack.ID, f.Attack.Name))
	}
	if t := sigmaSummary(r.Sigma); t != "" {
		add("Sigma rules", t)
	}
	if s.Earliest != nil {
		add("Earliest evidence", fmt.Sprintf("%s at %s.", cut(s.Earliest.Message, 240), s.Earliest.Time), *s.Earliest)
	}
	if n := len(r.Threads) - 1 + r.OtherThreads; n > 0 {
		add("Other threads", fmt.Sprintf("%d other groups of suspect processes or logins are in the attack chain section.", n))
	}
	for i, b := range r.Bundles {
		label := ""
		if i == 0 {
			label = "Evidence"
		}
		add(label, evidenceLine(b))
	}
	return out
}

// actionText says one first action.
func actionText(a Action) string {
	switch a.Kind {
	case ActionStopWatchdog:
		var rs []string
		for _, p := range a.Restarts {
			rs = append(rs, procText(p))
		}
		return fmt.Sprintf("Stop the watchdog %s first: it restarts %s, so stopping those first only makes them start again.",
			procText(Process{PID: a.PID, Name: a.Name}), strings.Join(rs, ", "))
	case ActionStopProcesses:
		var ps []string
		for _, p := range a.Processes {
			ps = append(ps, procText(p))
		}
		return "Then stop the suspect processes: " + strings.Join(ps, ", ") + "."
	case ActionBlockAddresses:
		return "Block the outside addresses: " + strings.Join(a.Addresses, ", ") + "."
	case ActionCloseWayIn:
		var ss []string
		for i, s := range a.Steps {
			if i == 3 {
				ss = append(ss, fmt.Sprintf("and %d more (see the attack chain)", len(a.Steps)-3))
				break
			}
			ss = append(ss, firstClause(s.Text, 110))
		}
		return "Close the way in: " + strings.Join(ss, "; ") + "."
	case ActionRestore:
		return fmt.Sprintf("Restore from images or backups made before %s, and treat everything after it as untrusted.", timeUTC(a.Before))
	}
	return a.Kind
}

func procText(p Process) string {
	if p.Name == "" {
		return fmt.Sprintf("PID %d", p.PID)
	}
	return fmt.Sprintf("%q (PID %d)", p.Name, p.PID)
}

// goldenText states the last known-good point of a thread.
func goldenText(t correlate.Thread) string {
	f := t.FirstAnomalous()
	if f == nil {
		return ""
	}
	return fmt.Sprintf("Last known-good state: before %s. The first anomalous event of this chain is: %s", timeUTC(f.Time), cut(f.Text, 300))
}

// firstClause is s up to its first parenthesis (a rule's reason), cut to n.
func firstClause(s string, n int) string {
	if i := strings.Index(s, " ("); i > 0 {
		s = s[:i]
	}
	return cut(s, n)
}

// cut shortens s to about n bytes on a rune boundary.
func cut(s string, n int) string { return clip.Cut(s, n) }

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
