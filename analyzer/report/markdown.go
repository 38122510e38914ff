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
// tables for the chain, the findings and the custody appendix.
func Markdown(w io.Writer, r Report) error {
	r = cleaned(r)
	e := mdEscape
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	ref := func(x Ref) string { return e(x.Provenance.Bundle + ": " + where(x)) }
	p("# Cordon report: %s\n\nGenerated %s by cordon %s. Every statement cites the signed bundle entry (and line or byte offset) it rests on.\n\n",
		e(r.Case), r.Generated.Format(time.RFC3339), e(r.ToolVersion))
	p("## Summary\n\n")
	for _, s := range r.Summary {
		p("- %s\n", e(s))
	}
	if r.Golden != "" {
		p("\n> **Golden point.** %s\n", e(r.Golden))
	}
	for _, n := range r.Notes {
		p("\n**%s**\n", e(n))
	}
	p("\n## Attack chain\n")
	for i, t := range r.Threads {
		name := "Main thread"
		if i > 0 {
			name = fmt.Sprintf("Thread %d", i+1)
		}
		p("\n### %s: %s\n\nScore %d. Outside addresses: %s. Findings: %s.\n\n", name, e(t.Title), t.Score, e(strings.Join(t.Attackers, ", ")), e(strings.Join(t.Rules, ", ")))
		p("| time (UTC) | stage | what | evidence |\n|---|---|---|---|\n")
		for _, s := range t.Steps {
			tm := s.Time.UTC().Format("2006-01-02T15:04:05.000000Z")
			if s.First {
				tm = "**" + tm + " (first anomalous event)**"
			}
			var refs []string
			for _, x := range s.Evidence {
				refs = append(refs, ref(x))
			}
			p("| %s | %s | %s | %s |\n", tm, e(s.Stage), e(s.Text), strings.Join(refs, "<br>"))
		}
		if len(t.RootCause) > 0 {
			p("\n**What made it possible**\n\n")
			for _, s := range t.RootCause {
				var refs []string
				for _, x := range s.Evidence {
					refs = append(refs, ref(x))
				}
				p("- %s (%s)\n", e(s.Text), strings.Join(refs, ", "))
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
	p("\n## Findings\n")
	for _, f := range r.Findings {
		p("\n### [%s] %s: %s\n\nATT&CK %s %s. %s\n\n", strings.ToUpper(f.Severity), e(f.RuleID), e(f.Title), e(f.Attack.ID), e(f.Attack.Name), e(f.Why))
		for _, in := range f.Instances {
			p("- %s\n", e(in))
		}
		p("\n| time | event | evidence |\n|---|---|---|\n")
		for _, x := range f.Evidence {
			p("| %s | %s | %s |\n", e(x.Time), e(x.Message), ref(x))
		}
	}
	if len(r.Findings) == 0 {
		p("\nNo findings.\n")
	}
	markdownFleet(p, e, r)
	p("\n## Chain of custody\n")
	for _, bu := range r.Bundles {
		p("\n| | |\n|---|---|\n")
		for _, kv := range [][2]string{{"evidence id", bu.EvidenceID}, {"bundle", bu.Path}, {"SHA-256", bu.SHA256}, {"verification", bu.Verification},
			{"key / fingerprint", bu.KeyID + " (" + bu.Trust + ")"}, {"examiner", bu.Examiner}, {"host", bu.Host},
			{"collection", bu.Start.Format(time.RFC3339) + " to " + bu.End.Format(time.RFC3339)}, {"host clock offset", bu.ClockOffset},
			{"collector version", bu.ToolVersion}, {"analyzer version", r.ToolVersion}} {
			p("| %s | %s |\n", kv[0], e(kv[1]))
		}
		for _, st := range bu.ParserSettings {
			p("| parser setting | %s |\n", e(st))
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
