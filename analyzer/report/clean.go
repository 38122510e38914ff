package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes attacker-written text safe for any reader: control characters
// (terminal escapes, BEL, NUL) and invalid UTF-8 become visible \xNN / \u
// escapes. HTML escaping is html/template's job; this is the rest.
func Clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r):
			if r < 0x100 {
				fmt.Fprintf(&b, "\\x%02x", r)
			} else {
				fmt.Fprintf(&b, "\\u%04x", r)
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// cleaned returns a copy of r with every evidence string passed through Clean.
func cleaned(r Report) Report {
	r.Case = Clean(r.Case)
	r.Summary = append([]string(nil), r.Summary...)
	for i := range r.Summary {
		r.Summary[i] = Clean(r.Summary[i])
	}
	fs := append(r.Findings[:0:0], r.Findings...)
	for i := range fs {
		ev := append(fs[i].Evidence[:0:0], fs[i].Evidence...)
		for j := range ev {
			ev[j].Message = Clean(ev[j].Message)
			ev[j].Provenance.Entry = Clean(ev[j].Provenance.Entry)
			ev[j].Provenance.Bundle = Clean(ev[j].Provenance.Bundle)
		}
		fs[i].Evidence = ev
	}
	r.Findings = fs
	bs := append(r.Bundles[:0:0], r.Bundles...)
	for i := range bs {
		b := &bs[i]
		b.EvidenceID, b.Path, b.Examiner, b.Host = Clean(b.EvidenceID), Clean(b.Path), Clean(b.Examiner), Clean(b.Host)
		b.Verification, b.KeyID, b.Trust, b.ClockOffset, b.ToolVersion = Clean(b.Verification), Clean(b.KeyID), Clean(b.Trust), Clean(b.ClockOffset), Clean(b.ToolVersion)
		es := append(b.Entries[:0:0], b.Entries...)
		for j := range es {
			es[j].Name = Clean(es[j].Name)
		}
		b.Entries = es
	}
	r.Bundles = bs
	return r
}
