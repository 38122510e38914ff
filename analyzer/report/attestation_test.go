package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestAttestationSectionEscaped: names from a hostile build (a symbol or
// path holding markup, a terminal escape) reach the HTML and Markdown
// inert, and the section is there with its golden point.
func TestAttestationSectionEscaped(t *testing.T) {
	evil := "<script>alert(1)</script>\x1b]0;pwned\x07|`x`"
	r := Build("case", "test", nil, nil, nil, nil, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	r.Attestation = &Attestation{Counts: "Compared: 0 identical, 1 differs.", Golden: []string{"prog: first tainted: commit " + evil},
		Items: []AttestationRow{{Verdict: "differs", Kind: "executable", Subject: "/tmp/" + evil, Where: "b: proc/executables.jsonl:1",
			Trusted: "directory /t: prog", Detail: []string{"added function " + evil}}},
		Provenance: []AttestationRow{{Verdict: "failed", Subject: evil, Detail: []string{evil}}}}
	var h, m bytes.Buffer
	if err := HTML(&h, r); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&m, r); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"html": h.String(), "md": m.String()} {
		if strings.Contains(out, "<script>") || strings.Contains(out, "\x1b") || strings.Contains(out, "\x07") {
			t.Errorf("%s: hostile text rendered raw", name)
		}
		if !strings.Contains(out, "Binary attestation") || !strings.Contains(out, "first tainted: commit") {
			t.Errorf("%s: no attestation section", name)
		}
	}
}
