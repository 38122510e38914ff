package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

// CSP forbids every fetch and every script; only the inline style of this
// file and data: images are allowed.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"upper": strings.ToUpper,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<title>Cordon report: {{.R.Case}}</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:70em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .4em;text-align:left;vertical-align:top}
.critical{color:#b00020}.high{color:#e65100}.medium{color:#a07000}.low{color:#1565c0}
code,pre{white-space:pre-wrap;word-break:break-all}
</style></head><body>
<h1>Cordon report: {{.R.Case}}</h1>
<p>Generated {{.R.Generated.Format "2006-01-02T15:04:05Z"}} by cordon {{.R.ToolVersion}}.</p>
<h2 id="summary">Summary</h2>
<ul>{{range .R.Summary}}<li>{{.}}</li>{{end}}</ul>
<h2 id="timeline">Timeline</h2>
<svg width="900" height="100" role="img" aria-label="evidence over time">
<line x1="50" y1="90" x2="850" y2="90" stroke="#333"/>
{{range .Points}}<circle cx="{{.X}}" cy="{{.Y}}" r="5" fill="{{.Color}}"><title>{{.Label}}</title></circle>
{{end}}</svg>
<h2 id="findings">Findings</h2>
{{range .R.Findings}}<section>
<h3 class="{{.Severity}}">[{{upper .Severity}}] {{.RuleID}}: {{.Title}}</h3>
<p>ATT&amp;CK {{.Attack.ID}} {{.Attack.Name}}. {{.Why}}</p>
<table><tr><th>time</th><th>event</th><th>bundle</th><th>entry</th><th>line</th><th>offset</th></tr>
{{range .Evidence}}<tr><td>{{.Time}}</td><td><code>{{.Message}}</code></td><td>{{.Provenance.Bundle}}</td><td><code>{{.Provenance.Entry}}</code></td><td>{{.Provenance.Line}}</td><td>{{.Provenance.Offset}}</td></tr>
{{end}}</table></section>
{{else}}<p>No findings.</p>{{end}}
<h2 id="custody">Chain of custody</h2>
{{range .R.Bundles}}<table>
<tr><th>evidence id</th><td>{{.EvidenceID}}</td></tr>
<tr><th>bundle</th><td><code>{{.Path}}</code></td></tr>
<tr><th>SHA-256</th><td><code>{{.SHA256}}</code></td></tr>
<tr><th>signature</th><td>{{.Verification}}</td></tr>
<tr><th>key / fingerprint</th><td><code>{{.KeyID}}</code> ({{.Trust}})</td></tr>
<tr><th>examiner</th><td>{{.Examiner}}</td></tr>
<tr><th>host</th><td>{{.Host}}</td></tr>
<tr><th>collection</th><td>{{.Start.Format "2006-01-02T15:04:05Z07:00"}} to {{.End.Format "2006-01-02T15:04:05Z07:00"}}</td></tr>
<tr><th>host clock offset</th><td>{{.ClockOffset}}</td></tr>
<tr><th>collector version</th><td>{{.ToolVersion}}</td></tr>
</table>
<h3>Appendix: entries of {{.EvidenceID}}</h3>
<table><tr><th>entry</th><th>size</th><th>SHA-256</th></tr>
{{range .Entries}}<tr><td><code>{{.Name}}</code></td><td>{{.Size}}</td><td><code>{{.SHA256}}</code></td></tr>
{{end}}</table>
{{end}}</body></html>
`))

// HTML writes the report as one self-contained HTML page.
func HTML(w io.Writer, r Report) error {
	if err := page.Execute(w, struct {
		CSP    string
		R      Report
		Points []point
	}{CSP, cleaned(r), points(cleaned(r).Findings)}); err != nil {
		return fmt.Errorf("report html: %w", err)
	}
	return nil
}
