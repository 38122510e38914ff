package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// mdEscape makes evidence text inert in Markdown: Clean has already made
// control bytes visible; here the characters Markdown or its inline HTML
// would act on are escaped, and line breaks (which would end a table row)
// become spaces.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '!', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Markdown writes the report as Markdown: the same sections as the HTML,
// tables for the chain, the findings and the custody appendix. Evidence is
// cited as entry:line or entry@offset, the bundle named once per section.
func Markdown(w io.Writer, r Report) error {
	r = cleaned(r)
	e := mdEscape
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	c := newCiter(r.Bundles)
	cites := func(section string, refs []Ref, sep string) string {
		var out []string
		for _, x := range refs {
			out = append(out, e(c.cite(section, x).Text))
		}
		return strings.Join(out, sep)
	}
	p("# Cordon report: %s\n\nEvidence collected up to %s; analyzed by cordon %s", e(r.Case), timeUTC(r.AsOf), e(r.ToolVersion))
	if !r.Generated.IsZero() {
		p("; report generated %s", timeUTC(r.Generated))
	}
	p(". Every statement cites the signed bundle entry it rests on (entry:line or entry@offset); the entries' SHA-256s are in the chain-of-custody appendix.\n")
	for _, bu := range r.Bundles {
		if bu.Unverified {
			p("\n**UNVERIFIED: %s (%s) is %s.**\n", e(bu.EvidenceID), e(bu.Path), e(verificationText(bu)))
		}
	}
	for _, n := range r.Notes {
		p("\n**%s**\n", e(n))
	}
	p("\n## Summary\n\n")
	main := mainBundle(r)
	for _, l := range summaryLines(r) {
		label := ""
		if l.Label != "" {
			label = "**" + e(l.Label) + ":** "
		}
		line := e(l.Text)
		if len(l.Refs) > 0 {
			line += " (" + cites(main, l.Refs, ", ") + ")"
		}
		if l.Step > 0 {
			if label != "" {
				p("- %s\n", strings.TrimSpace(label))
			}
			p("    %d. %s\n", l.Step, line)
			continue
		}
		p("- %s%s\n", label, line)
	}
	p("\n## Attack chain\n")
	for i, t := range r.Threads {
		name := "Main thread"
		if i > 0 {
			name = fmt.Sprintf("Thread %d", i+1)
		}
		p("\n### %s: %s\n\nEvidence from bundle %s; score %d", name, e(t.Title), e(t.Bundle), t.Score)
		if len(t.Attackers) > 0 {
			p("; outside addresses: %s", e(strings.Join(t.Attackers, ", ")))
		}
		if len(t.Rules) > 0 {
			p("; findings: %s", e(strings.Join(t.Rules, ", ")))
		}
		p(".\n\n")
		if g := goldenText(t); g != "" {
			p("> **Golden point.** %s\n\n", e(g))
		}
		p("| time (UTC) | stage | what | where |\n|---|---|---|---|\n")
		for _, s := range t.Steps {
			tm := timeUTC(s.Time)
			if s.First {
				tm = "**" + tm + " (first anomalous event)**"
			}
			p("| %s | %s | %s | %s |\n", tm, e(s.Stage), e(s.Text), cites(t.Bundle, s.Evidence, "<br>"))
		}
		if len(t.RootCause) > 0 {
			p("\n**What made it possible**\n\n")
			for _, s := range t.RootCause {
				p("- %s (%s)\n", e(s.Text), cites(t.Bundle, s.Evidence, ", "))
			}
		}
		if len(t.Tree) > 0 {
			p("\n**Process tree**\n\n```text\n")
			for _, l := range t.Tree {
				mark := ""
				if l.Suspect != "" {
					mark = "  <-- " + l.Suspect
				}
				// Inside a fence nothing is rendered: only the fence itself must not be closable.
				line := fmt.Sprintf("%s%d %s %s%s", strings.Repeat("    ", l.Depth), l.PID, l.Name, l.Exe, mark)
				p("%s\n", strings.ReplaceAll(line, "```", "'''"))
			}
			p("```\n")
		}
	}
	if len(r.Threads) == 0 {
		p("\nNo suspect process was found to build a chain around; see the findings.\n")
	}
	if r.OtherThreads > 0 {
		p("\n%d more threads were rebuilt; cordon findings --json lists them all.\n", r.OtherThreads)
	}
	p("\n## Findings\n")
	for _, f := range r.Findings {
		p("\n### %s %s: %s\n\n**Severity: %s.** ATT&CK %s %s. %s\n\n", e("["+strings.ToUpper(f.Severity)+"]"), e(f.RuleID), e(f.Title), e(strings.ToUpper(f.Severity)), e(f.Attack.ID), e(f.Attack.Name), e(f.Why))
		for _, in := range f.Instances {
			p("- %s\n", e(in))
		}
		if len(f.Evidence) == 0 {
			continue
		}
		sec := sectionBundle(f.Evidence)
		if sec != "" {
			p("\nEvidence from bundle %s:\n", e(sec))
		}
		p("\n| time | event | where |\n|---|---|---|\n")
		for _, x := range f.Evidence {
			p("| %s | %s | %s |\n", e(evidenceTime(x.Time)), e(x.Message), e(c.cite(sec, x).Text))
		}
	}
	if len(r.Findings) == 0 {
		p("\nNo findings.\n")
	}
	sigmaMarkdown(&b, r)
	attestationMarkdown(&b, r.Attestation, e)
	fleetMarkdown(&b, r.Fleet, e)
	p("\n## Chain of custody\n")
	for _, bu := range r.Bundles {
		p("\n### Bundle %s\n\n| | |\n|---|---|\n", e(bu.EvidenceID))
		examiner := bu.Examiner
		if examiner == "" {
			examiner = "not stated"
		}
		for _, kv := range [][2]string{{"evidence id", bu.EvidenceID}, {"bundle file", bu.Path}, {"SHA-256", bu.SHA256}, {"verification", verificationText(bu)},
			{"key fingerprint", bu.KeyID + ": " + trustText(bu)}, {"examiner", examiner}, {"host", bu.Host},
			{"collection", bu.Start.UTC().Format(time.RFC3339) + " to " + bu.End.UTC().Format(time.RFC3339)}, {"host clock offset", clockText(bu)},
			{"collector", bu.ToolVersion}, {"analyzer", "cordon " + r.ToolVersion}} {
			p("| %s | %s |\n", kv[0], e(kv[1]))
		}
		for _, c := range completeness(bu, false) {
			p("| %s | %s |\n", e(c[0]), e(c[1]))
		}
		for _, st := range bu.ParserSettings {
			p("| parser setting | %s |\n", e(settingText(st)))
		}
		if opts := options(bu); len(opts) > 0 {
			p("\n#### Collector options\n\n| option | value |\n|---|---|\n")
			for _, o := range opts {
				p("| %s | %s |\n", e(o.Name), e(o.Value))
			}
		}
		p("\n#### Appendix: entries of %s\n\n| entry | size | SHA-256 |\n|---|---|---|\n", e(bu.EvidenceID))
		for _, en := range bu.Entries {
			p("| %s | %d | %s |\n", e(en.Name), en.Size, e(en.SHA256))
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("report markdown: %w", err)
	}
	return nil
}
