package report

// The Sigma section: findings of rules written by others (analyzer/sigma),
// apart from Cordon's own, each with its rule's author, which the
// Detection Rule License of SigmaHQ's rules requires wherever a match is
// shown. Build moves them out of Findings into Sigma.

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/cordon-forensics/cordon/analyzer/findings"
)

// splitSigma separates the findings of Sigma rules from Cordon's own.
func splitSigma(fs []findings.Finding) (own, sigma []findings.Finding) {
	for _, f := range fs {
		if f.Origin == "sigma" {
			sigma = append(sigma, f)
		} else {
			own = append(own, f)
		}
	}
	return own, sigma
}

// sigmaSummary is the summary's line about the Sigma findings ("" without).
func sigmaSummary(sigma []findings.Finding) string {
	if len(sigma) == 0 {
		return ""
	}
	rules := map[string]bool{}
	for _, f := range sigma {
		rules[f.RuleID] = true
	}
	return fmt.Sprintf("Sigma rules: %d findings of %d rules; most severe: %s (%s, by %s). They are listed in their own section, with their authors.",
		len(sigma), len(rules), sigma[0].Title, strings.ToUpper(sigma[0].Severity), sigma[0].Author)
}

// sigmaHTML is the Sigma section of the HTML page (html.go includes it).
var _ = template.Must(page.New("sigma").Parse(`{{if or .R.Sigma .R.SigmaNotes}}<h2 id="sigma">Sigma rules</h2>
<p>Findings of Sigma rules loaded with <code>--sigma</code>, one per rule and activity. Each rule is its author's work, credited as the Detection Rule License requires.</p>
{{with .R.SigmaNotes}}<ul>{{range .}}<li><small>{{.}}</small></li>{{end}}</ul>{{end}}
{{range .R.Sigma}}<section>
<h3 class="{{.Severity}}">[{{upper .Severity}}] {{.Title}}</h3>
<p>Rule <code>{{.RuleID}}</code>{{with .RuleFile}} (<code>{{.}}</code>){{end}} by <strong>{{.Author}}</strong>{{with .Status}}; status {{.}}{{end}}{{with .Level}}; level {{.}}{{end}}{{with .Attack.ID}}; ATT&amp;CK {{.}}{{end}}{{with .Attack.Name}} ({{.}}){{end}}.</p>
{{with .Why}}<p>{{.}}</p>{{end}}
{{with .Instances}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{with .FalsePositives}}<p><small>False positives: {{range $i, $f := .}}{{if $i}}; {{end}}{{$f}}{{end}}</small></p>{{end}}
{{with .Tags}}<p><small>Tags: {{range .}}<code>{{.}}</code> {{end}}</small></p>{{end}}
{{with .References}}<p><small>References: {{range .}}<code>{{.}}</code> {{end}}</small></p>{{end}}
<table><tr><th>time</th><th>event</th><th>bundle</th><th>entry</th><th>line</th><th>offset</th></tr>
{{range .Evidence}}<tr><td>{{.Time}}</td><td><code>{{.Message}}</code></td><td>{{.Provenance.Bundle}}</td><td><code>{{.Provenance.Entry}}</code></td><td>{{.Provenance.Line}}</td><td>{{.Provenance.Offset}}</td></tr>
{{end}}</table></section>
{{else}}<p>No Sigma rule matched.</p>{{end}}{{end}}`))

// sigmaMarkdown writes the Sigma section of the Markdown report.
func sigmaMarkdown(b *strings.Builder, r Report) {
	if len(r.Sigma) == 0 && len(r.SigmaNotes) == 0 {
		return
	}
	e := mdEscape
	fmt.Fprintf(b, "\n## Sigma rules\n\nFindings of Sigma rules loaded with `--sigma`, one per rule and activity. Each rule is its author's work, credited as the Detection Rule License requires.\n")
	if len(r.SigmaNotes) > 0 {
		b.WriteString("\n")
		for _, n := range r.SigmaNotes {
			fmt.Fprintf(b, "- %s\n", e(n))
		}
	}
	if len(r.Sigma) == 0 {
		b.WriteString("\nNo Sigma rule matched.\n")
	}
	for _, f := range r.Sigma {
		fmt.Fprintf(b, "\n### [%s] %s\n\nRule %s", strings.ToUpper(f.Severity), e(f.Title), e(f.RuleID))
		if f.RuleFile != "" {
			fmt.Fprintf(b, " (%s)", e(f.RuleFile))
		}
		fmt.Fprintf(b, " by **%s**", e(f.Author))
		for _, kv := range [][2]string{{"status", f.Status}, {"level", f.Level}, {"ATT&CK", strings.TrimSpace(f.Attack.ID + " " + f.Attack.Name)}} {
			if kv[1] != "" {
				fmt.Fprintf(b, "; %s %s", e(kv[0]), e(kv[1]))
			}
		}
		b.WriteString(".\n\n")
		if f.Why != "" {
			fmt.Fprintf(b, "%s\n\n", e(f.Why))
		}
		for _, in := range f.Instances {
			fmt.Fprintf(b, "- %s\n", e(in))
		}
		if len(f.FalsePositives) > 0 {
			fmt.Fprintf(b, "\nFalse positives: %s\n", e(strings.Join(f.FalsePositives, "; ")))
		}
		if len(f.References) > 0 {
			fmt.Fprintf(b, "\nReferences: %s\n", e(strings.Join(f.References, " ")))
		}
		b.WriteString("\n| time | event | evidence |\n|---|---|---|\n")
		for _, x := range f.Evidence {
			fmt.Fprintf(b, "| %s | %s | %s |\n", e(x.Time), e(x.Message), e(x.Provenance.Bundle+": "+where(x)))
		}
	}
}
