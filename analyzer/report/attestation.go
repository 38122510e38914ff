package report

import (
	"fmt"
	"html/template"
	"strings"
)

// Attestation is the report's binary-attestation section (cordon attest):
// what was compared with which trusted copy, the verdicts and diffs, the
// provenance checks and the golden point of each program's builds.
type Attestation struct {
	// Summary goes into the report's summary: the counts, then the golden
	// point of each program whose builds turned bad.
	Summary    []string         `json:"summary"`
	Counts     string           `json:"counts"`
	Golden     []string         `json:"golden_points,omitempty"`
	Items      []AttestationRow `json:"items"`
	Provenance []AttestationRow `json:"provenance,omitempty"`
}

// AttestationRow is one item attested, or one provenance statement checked.
type AttestationRow struct {
	Verdict string   `json:"verdict"`
	Kind    string   `json:"kind"`
	Subject string   `json:"subject"`
	Where   string   `json:"where"` // bundle: entry:line of the record
	Trusted string   `json:"trusted,omitempty"`
	Detail  []string `json:"detail,omitempty"`
}

// The section is a template of the page's own set, so that html/template
// escapes it the same way.
var _ = template.Must(page.New("attestation").Parse(`<h2 id="attestation">Binary attestation</h2>
<p>{{.Counts}}</p>
{{range .Golden}}<p class="golden">{{.}}</p>{{end}}
<table><tr><th>verdict</th><th>kind</th><th>what</th><th>trusted copy</th><th>difference</th><th>evidence</th></tr>
{{range .Items}}<tr{{if eq .Verdict "differs"}} class="first"{{end}}><td>{{.Verdict}}</td><td>{{.Kind}}</td><td><code>{{.Subject}}</code></td><td><code>{{.Trusted}}</code></td><td>{{range .Detail}}{{.}}<br>{{end}}</td><td><code>{{.Where}}</code></td></tr>
{{end}}</table>
{{with .Provenance}}<h3>Provenance</h3><table><tr><th>signature</th><th>statement</th><th>subjects</th><th>evidence</th></tr>
{{range .}}<tr><td>{{.Verdict}}</td><td><code>{{.Subject}}</code></td><td>{{range .Detail}}{{.}}<br>{{end}}</td><td><code>{{.Where}}</code></td></tr>
{{end}}</table>{{end}}
`))

// attestationSummary gives the summary's lines of the section.
func attestationSummary(a *Attestation) []summaryLine {
	if a == nil {
		return nil
	}
	var out []summaryLine
	for i, s := range a.Summary {
		label := "Build golden point"
		if i == 0 {
			label = "Binary attestation"
		}
		out = append(out, summaryLine{Label: label, Text: s})
	}
	return out
}

// attestationMarkdown writes the section in Markdown (e escapes).
func attestationMarkdown(b *strings.Builder, a *Attestation, e func(string) string) {
	if a == nil {
		return
	}
	fmt.Fprintf(b, "\n## Binary attestation\n\n%s\n", e(a.Counts))
	for _, g := range a.Golden {
		fmt.Fprintf(b, "\n> **Golden point.** %s\n", e(g))
	}
	fmt.Fprintf(b, "\n| verdict | kind | what | trusted copy | difference | evidence |\n|---|---|---|---|---|---|\n")
	for _, r := range a.Items {
		d := make([]string, len(r.Detail))
		for i, x := range r.Detail {
			d[i] = e(x)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", e(r.Verdict), e(r.Kind), e(r.Subject), e(r.Trusted), strings.Join(d, "<br>"), e(r.Where))
	}
	if len(a.Provenance) > 0 {
		fmt.Fprintf(b, "\n### Provenance\n\n| signature | statement | subjects | evidence |\n|---|---|---|---|\n")
		for _, r := range a.Provenance {
			d := make([]string, len(r.Detail))
			for i, x := range r.Detail {
				d[i] = e(x)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", e(r.Verdict), e(r.Subject), strings.Join(d, "<br>"), e(r.Where))
		}
	}
}
