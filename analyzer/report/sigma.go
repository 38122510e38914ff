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

// sigmaSummary is the summary's sentence about the Sigma findings ("" without).
func sigmaSummary(sigma []findings.Finding) string {
	if len(sigma) == 0 {
		return ""
	}
	rules := map[string]bool{}
	for _, f := range sigma {
		rules[f.RuleID] = true
	}
	return fmt.Sprintf("%d findings of %d rules; most severe: %s (%s), by %s. They are listed in their own section, with their authors.",
		len(sigma), len(rules), sigma[0].Title, strings.ToUpper(sigma[0].Severity), sigma[0].Author)
}

// noFindings is the summary's sentence when Cordon's rules found nothing.
func noFindings(r Report) string {
	if len(r.Sigma) > 0 {
		return "No Cordon rule matched the events of this case."
	}
	return "No rule matched the events of this case."
}

// The Sigma section of the HTML page (html.go includes it).
var _ = template.Must(page.New("sigma").Parse(`{{if or .R.Sigma .R.SigmaNotes}}<h2 id="sigma">Sigma rules</h2>
<p>Findings of Sigma rules loaded with <code>--sigma</code>, one per rule and activity. Each rule is its author's work, credited as the Detection Rule License requires.</p>
{{with .R.SigmaNotes}}<ul class="meta">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{range .R.Sigma}}{{$sec := section .Evidence}}<section class="finding">
<h3><span class="badge sev-{{.Severity}}">{{upper .Severity}}</span>{{.Title}}</h3>
<p>Rule <code>{{.RuleID}}</code>{{with .RuleFile}} (<code>{{.}}</code>){{end}} by <strong>{{.Author}}</strong>{{with .Status}}; status {{.}}{{end}}{{with .Level}}; level {{.}}{{end}}{{with .Attack.ID}}; ATT&amp;CK {{.}}{{end}}{{with .Attack.Name}} ({{.}}){{end}}.</p>
{{with .Why}}<p>{{.}}</p>{{end}}
{{with .Instances}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{with .FalsePositives}}<p class="meta">False positives: {{range $i, $f := .}}{{if $i}}; {{end}}{{$f}}{{end}}</p>{{end}}
{{with .Tags}}<p class="meta">Tags: {{range .}}<code>{{.}}</code> {{end}}</p>{{end}}
{{with .References}}<p class="meta">References: {{range .}}<code>{{.}}</code> {{end}}</p>{{end}}
{{with .Evidence}}<p class="meta">{{if $sec}}Evidence from bundle <code>{{$sec}}</code>{{else}}Evidence from several bundles{{end}}:</p>
<table><colgroup><col class="time"><col><col class="where"></colgroup>
<thead><tr><th>time (UTC)</th><th>event</th><th>where</th></tr></thead><tbody>
{{range .}}<tr><td>{{evtime .Time}}</td><td><code>{{.Message}}</code></td><td>{{template "cite" ($.C.Cite $sec .)}}</td></tr>
{{end}}</tbody></table>{{end}}</section>
{{else}}<p>No Sigma rule matched.</p>{{end}}{{end}}`))

// sigmaMarkdown writes the Sigma section of the Markdown report.
func sigmaMarkdown(b *strings.Builder, r Report) {
	if len(r.Sigma) == 0 && len(r.SigmaNotes) == 0 {
		return
	}
	e := mdEscape
	c := newCiter(r.Bundles)
	b.WriteString("\n## Sigma rules\n\nFindings of Sigma rules loaded with `--sigma`, one per rule and activity. Each rule is its author's work, credited as the Detection Rule License requires.\n")
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
		fmt.Fprintf(b, "\n### %s %s\n\nRule %s", e("["+strings.ToUpper(f.Severity)+"]"), e(f.Title), e(f.RuleID))
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
		if len(f.Evidence) == 0 {
			continue
		}
		sec := sectionBundle(f.Evidence)
		if sec != "" {
			fmt.Fprintf(b, "\nEvidence from bundle %s:\n", e(sec))
		}
		b.WriteString("\n| time | event | where |\n|---|---|---|\n")
		for _, x := range f.Evidence {
			fmt.Fprintf(b, "| %s | %s | %s |\n", e(evidenceTime(x.Time)), e(x.Message), e(c.cite(sec, x).Text))
		}
	}
}
