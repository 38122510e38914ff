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

var funcs = template.FuncMap{
	"upper":  strings.ToUpper,
	"indent": func(n int) string { return strings.Repeat("    ", n) },
	"where":  where,
	"add":    func(a, b int) int { return a + b },
}

// where names an evidence reference's place: entry:line or entry@offset.
func where(e Ref) string {
	if e.Provenance.Line > 0 {
		return fmt.Sprintf("%s:%d", e.Provenance.Entry, e.Provenance.Line)
	}
	return fmt.Sprintf("%s@%d", e.Provenance.Entry, e.Provenance.Offset)
}

var page = template.Must(template.New("report").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<title>Cordon report: {{.R.Case}}</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:.2em .4em;text-align:left;vertical-align:top}
.critical{color:#b00020}.high{color:#e65100}.medium{color:#a07000}.low{color:#1565c0}
.first{background:#fff3cd;font-weight:bold}.suspect{color:#b00020;font-weight:bold}
.golden{border-left:4px solid #b8860b;padding:.3em .8em;background:#fffbe6}
code,pre{white-space:pre-wrap;word-break:break-all}
small{color:#555}
</style></head><body>
<h1>Cordon report: {{.R.Case}}</h1>
<p>Generated {{.R.Generated.Format "2006-01-02T15:04:05Z"}} by cordon {{.R.ToolVersion}}. Every statement below cites the signed bundle entry (and line or byte offset) it rests on; the entries' SHA-256s are in the chain-of-custody appendix.</p>
<h2 id="summary">Summary</h2>
<ul>{{range .R.Summary}}<li>{{.}}</li>{{end}}</ul>
{{with .R.Golden}}<p class="golden">{{.}}</p>{{end}}
{{range .R.Notes}}<p><strong>{{.}}</strong></p>{{end}}
<h2 id="timeline">Timeline</h2>
<svg width="900" height="110" role="img" aria-label="the attack chain and the findings over time">
<line x1="50" y1="95" x2="850" y2="95" stroke="#333"/>
{{range .Points}}{{if .First}}<line x1="{{.X}}" y1="5" x2="{{.X}}" y2="95" stroke="#b8860b" stroke-dasharray="4 2"/>{{end}}<circle cx="{{.X}}" cy="{{.Y}}" r="5" fill="{{.Color}}"><title>{{.Label}}</title></circle>
{{end}}</svg>
<p><small>Purple: steps of the main attack chain; other colours: findings by severity; dashed line: the first anomalous event.</small></p>
<h2 id="chain">Attack chain</h2>
{{range $i, $t := .R.Threads}}<section>
<h3>{{if eq $i 0}}Main thread{{else}}Thread {{add $i 1}}{{end}}: {{$t.Title}}</h3>
<p>Score {{$t.Score}}{{with $t.Attackers}}; outside addresses: {{range .}}<code>{{.}}</code> {{end}}{{end}}{{with $t.Rules}}; findings: {{range .}}{{.}} {{end}}{{end}}</p>
<table><tr><th>time (UTC)</th><th>stage</th><th>what</th><th>evidence</th></tr>
{{range $t.Steps}}<tr{{if .First}} class="first"{{end}}><td>{{.Time.Format "2006-01-02T15:04:05.000000Z"}}{{if .First}}<br>first anomalous event{{end}}</td><td>{{.Stage}}</td><td>{{.Text}}</td><td>{{range .Evidence}}<code>{{.Provenance.Bundle}}: {{where .}}</code><br>{{end}}</td></tr>
{{end}}</table>
{{with $t.RootCause}}<h4>What made it possible</h4><table><tr><th>what</th><th>evidence</th></tr>
{{range .}}<tr><td>{{.Text}}</td><td>{{range .Evidence}}<code>{{.Provenance.Bundle}}: {{where .}}</code> {{.Message}}<br>{{end}}</td></tr>
{{end}}</table>{{end}}
{{with $t.Tree}}<h4>Process tree</h4><pre>{{range .}}{{indent .Depth}}{{if .Suspect}}<span class="suspect">{{.PID}} {{.Name}} {{.Exe}}  [{{.Suspect}}]</span>{{else}}{{.PID}} {{.Name}} {{.Exe}}{{end}}  <small>started {{.Start.Format "2006-01-02T15:04:05Z"}}</small>
{{end}}</pre>{{end}}
</section>
{{else}}<p>No suspect process was found to build a chain around; see the findings.</p>{{end}}
<h2 id="findings">Findings</h2>
{{range .R.Findings}}<section>
<h3 class="{{.Severity}}">[{{upper .Severity}}] {{.RuleID}}: {{.Title}}</h3>
<p>ATT&amp;CK {{.Attack.ID}} {{.Attack.Name}}. {{.Why}}</p>
{{with .Instances}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
<table><tr><th>time</th><th>event</th><th>bundle</th><th>entry</th><th>line</th><th>offset</th></tr>
{{range .Evidence}}<tr><td>{{.Time}}</td><td><code>{{.Message}}</code></td><td>{{.Provenance.Bundle}}</td><td><code>{{.Provenance.Entry}}</code></td><td>{{.Provenance.Line}}</td><td>{{.Provenance.Offset}}</td></tr>
{{end}}</table></section>
{{else}}<p>No findings.</p>{{end}}
{{template "fleet" .}}
{{with .R.Links}}<h2 id="joins">Joins between sources</h2><table><tr><th>kind</th><th>what</th><th>evidence</th></tr>
{{range .}}<tr><td>{{.Kind}}</td><td>{{.Text}}</td><td>{{range .Evidence}}<code>{{.Provenance.Bundle}}: {{where .}}</code><br>{{end}}</td></tr>
{{end}}</table>{{end}}
<h2 id="custody">Chain of custody</h2>
{{range .R.Bundles}}<table>
<tr><th>evidence id</th><td>{{.EvidenceID}}</td></tr>
<tr><th>bundle</th><td><code>{{.Path}}</code></td></tr>
<tr><th>SHA-256</th><td><code>{{.SHA256}}</code></td></tr>
<tr><th>verification</th><td>{{.Verification}}</td></tr>
<tr><th>key / fingerprint</th><td><code>{{.KeyID}}</code> ({{.Trust}})</td></tr>
<tr><th>examiner</th><td>{{.Examiner}}</td></tr>
<tr><th>host</th><td>{{.Host}}</td></tr>
<tr><th>collection</th><td>{{.Start.Format "2006-01-02T15:04:05Z07:00"}} to {{.End.Format "2006-01-02T15:04:05Z07:00"}}</td></tr>
<tr><th>host clock offset</th><td>{{.ClockOffset}}</td></tr>
<tr><th>collector version</th><td>{{.ToolVersion}}</td></tr>
<tr><th>analyzer version</th><td>{{$.R.ToolVersion}}</td></tr>
{{range .ParserSettings}}<tr><th>parser setting</th><td><code>{{.}}</code></td></tr>
{{end}}</table>
<p>Check without Cordon: <code>sha256sum BUNDLE</code> gives the SHA-256 above; <code>tar --zstd -xf BUNDLE &amp;&amp; minisign -Vm SHA256SUMS -p cordon/cordon.pub &amp;&amp; sha256sum -c SHA256SUMS</code> checks every entry.</p>
<h3>Appendix: entries of {{.EvidenceID}}</h3>
<table><tr><th>entry</th><th>size</th><th>SHA-256</th></tr>
{{range .Entries}}<tr><td><code>{{.Name}}</code></td><td>{{.Size}}</td><td><code>{{.SHA256}}</code></td></tr>
{{end}}</table>
{{end}}</body></html>
`))

// HTML writes the report as one self-contained HTML page.
func HTML(w io.Writer, r Report) error {
	c := cleaned(r)
	if err := page.Execute(w, struct {
		CSP    string
		R      Report
		Points []point
	}{CSP, c, points(c)}); err != nil {
		return fmt.Errorf("report html: %w", err)
	}
	return nil
}
