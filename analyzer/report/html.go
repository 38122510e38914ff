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
	"upper":        strings.ToUpper,
	"indent":       func(n int) string { return strings.Repeat("    ", n) },
	"add":          func(a, b int) int { return a + b },
	"utc":          timeUTC,
	"evtime":       evidenceTime,
	"verification": verificationText,
	"trust":        trustText,
	"clock":        clockText,
	"setting":      settingText,
	"options":      options,
	"completeness": completeness,
	"golden":       goldenText,
	"section":      sectionBundle,
}

// style is the page's only stylesheet: a screen layout that never needs
// to scroll sideways at 1280 px (fixed table layouts, long tokens broken
// anywhere), and a print layout for A4 (no cut text, headers repeated,
// the custody appendix on its own pages).
const style = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#111;margin:0 auto;padding:1.2rem 1.5rem;max-width:78rem}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;border-bottom:2px solid #333;padding-bottom:.15rem;margin-top:1.8rem}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}h4{margin:.8rem 0 .3rem}
.meta{color:#444;font-size:.9rem;margin:.2rem 0 .6rem}
table{border-collapse:collapse;width:100%;table-layout:fixed;margin-bottom:.8rem}
td,th{border:1px solid #ccc;padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f3f3}
code,pre,.cite{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85em}
code{white-space:pre-wrap;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fafafa;border:1px solid #ddd;padding:.5rem;margin:.3rem 0}
.cites{margin-top:.15rem;color:#444}
.cite{display:inline-block;max-width:100%;color:#1a4d8f;text-decoration:none;margin-right:.8em;overflow-wrap:anywhere}
a.cite:hover{text-decoration:underline}
.badge{display:inline-block;min-width:4.6em;text-align:center;padding:.05em .45em;border-radius:.3em;color:#fff;font-size:.78em;font-weight:700;letter-spacing:.04em;vertical-align:.1em;margin-right:.4em}
.sev-critical{background:#b00020}.sev-high{background:#d84315}.sev-medium{background:#9a6b00}.sev-low{background:#1565c0}.sev-info{background:#607d8b}
.summary{border:2px solid #333;border-radius:.4rem;padding:.6rem .9rem;margin:.8rem 0}
.summary h2{border:0;margin:0 0 .4rem}
.summary dl{display:grid;grid-template-columns:10.5em 1fr;gap:.25rem 1rem;margin:0}
.summary dt{font-weight:700}.summary dd{margin:0;overflow-wrap:anywhere}
.first td{background:#fff3cd}.first .stage{font-weight:700}
.golden{border-left:4px solid #b8860b;padding:.3em .8em;background:#fffbe6}
.note{border-left:4px solid #b00020;padding:.3em .8em;background:#fdecea;font-weight:700}
.suspect{color:#b00020;font-weight:700}
small{color:#555}
svg{width:100%;height:auto;display:block}
col.time{width:15%}col.stage{width:11%}col.where{width:30%}col.key{width:19%}col.size{width:9%}col.kind{width:12%}
@media print{
 @page{size:A4;margin:14mm 12mm}
 body{font-size:9.5pt;max-width:none;padding:0}
 h2{break-after:avoid}h3,h4{break-after:avoid}
 tr,.summary dd,.golden,.note,svg{break-inside:avoid}
 thead{display:table-header-group}
 .summary{break-inside:avoid}
 #custody{break-before:page}
 a.cite{color:#1a4d8f}
 .badge,.sev-critical,.sev-high,.sev-medium,.sev-low,.sev-info,.first td,.golden,.note,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}`

var page = template.Must(template.New("report").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cordon report: {{.R.Case}}</title>
<style>{{.Style}}</style></head><body>
<h1>Cordon report: {{.R.Case}}</h1>
<p class="meta">Evidence collected up to {{utc .R.AsOf}}; analyzed by cordon {{.R.ToolVersion}}{{if not .R.Generated.IsZero}}; report generated {{utc .R.Generated}}{{end}}.
Every statement cites the signed bundle entry it rests on as <code>entry:line</code> or <code>entry@offset</code>, linked to the entry's SHA-256 in the chain-of-custody appendix.</p>
{{range .R.Bundles}}{{if .Unverified}}<p class="note">UNVERIFIED: {{.EvidenceID}} ({{.Path}}) is {{verification .}}.</p>{{end}}{{end}}
{{range .R.Notes}}<p class="note">{{.}}</p>{{end}}
<section class="summary" id="summary"><h2>Summary</h2>
<dl>{{range .Summary}}<dt>{{.Label}}</dt><dd>{{if .Step}}{{.Step}}. {{end}}{{.Text}}{{with .Refs}} <span class="cites">{{range .}}{{template "cite" ($.C.Cite $.Main .)}}{{end}}</span>{{end}}</dd>
{{end}}</dl></section>
{{with .Pic}}<h2 id="timeline">Timeline</h2>
<svg viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="the attack chain and the findings over time, UTC">
<title>The main attack chain and the findings' evidence over time (UTC), {{.From}} to {{.To}}</title>
{{range .Lanes}}<line x1="{{$.Pic.PlotLeft}}" y1="{{.Y}}" x2="{{$.Pic.PlotRight}}" y2="{{.Y}}" stroke="#e4e4e4"/><text x="{{add $.Pic.PlotLeft -8}}" y="{{add .Y 4}}" text-anchor="end" font-size="12" fill="{{.Color}}">{{.Label}}<title>{{.Label}}</title></text>
{{end}}<line x1="{{.PlotLeft}}" y1="{{.AxisY}}" x2="{{.PlotRight}}" y2="{{.AxisY}}" stroke="#333"/>
{{range .Ticks}}<line x1="{{.X}}" y1="{{$.Pic.AxisY}}" x2="{{.X}}" y2="{{add $.Pic.AxisY 5}}" stroke="#333"/><text x="{{.X}}" y="{{add $.Pic.AxisY 18}}" text-anchor="middle" font-size="11">{{.Label}}<title>{{.Label}} UTC</title></text>
{{end}}<text x="{{.PlotRight}}" y="{{add .AxisY 32}}" text-anchor="end" font-size="11" fill="#555">UTC, {{.From}} to {{.To}}</text>
{{with .First}}<line x1="{{.X}}" y1="14" x2="{{.X}}" y2="{{$.Pic.AxisY}}" stroke="#b8860b" stroke-width="1.5" stroke-dasharray="5 3"><title>{{.Title}}</title></line><text x="{{if .Left}}{{add .X -5}}{{else}}{{add .X 5}}{{end}}" y="12" {{if .Left}}text-anchor="end" {{end}}font-size="12" font-weight="bold" fill="#7a5a00">{{.Label}}<title>{{.Title}}</title></text>
{{end}}{{with .Golden}}<path d="M{{.X}} {{add $.Pic.AxisY 1}} l-6 11 h12 z" fill="#b8860b"><title>{{.Title}}</title></path><text x="{{if .Left}}{{add .X -9}}{{else}}{{add .X 9}}{{end}}" y="{{add $.Pic.AxisY 46}}" {{if .Left}}text-anchor="end" {{end}}font-size="12" fill="#7a5a00">{{.Label}}<title>{{.Title}}</title></text>
{{end}}{{range .Marks}}<circle cx="{{.X}}" cy="{{.Y}}" r="5" fill="{{.Color}}" fill-opacity="0.85"><title>{{.Label}}</title></circle>
{{end}}</svg>
<p class="meta">Each mark is one step of the main attack chain or one piece of evidence of a finding; hover over it to read it.{{if .Outside}} {{.Outside}} pieces of evidence outside this window are not drawn.{{end}}</p>{{end}}
<h2 id="chain">Attack chain</h2>
{{range $i, $t := .R.Threads}}<section class="thread">
<h3>{{if eq $i 0}}Main thread{{else}}Thread {{add $i 1}}{{end}}: {{$t.Title}}</h3>
<p class="meta">Evidence from bundle <code>{{$t.Bundle}}</code>; score {{$t.Score}}{{with $t.Attackers}}; outside addresses: {{range $j, $a := .}}{{if $j}}, {{end}}<code>{{$a}}</code>{{end}}{{end}}{{with $t.Rules}}; findings: {{range $j, $r := .}}{{if $j}}, {{end}}{{$r}}{{end}}{{end}}{{if $t.OmittedSteps}}; {{$t.OmittedSteps}} later steps left out{{end}}.</p>
{{with golden $t}}<p class="golden">{{.}}</p>{{end}}
<table><colgroup><col class="time"><col class="stage"><col></colgroup>
<thead><tr><th>time (UTC)</th><th>stage</th><th>what, and where it is written</th></tr></thead><tbody>
{{range $t.Steps}}<tr{{if .First}} class="first"{{end}}><td>{{utc .Time}}{{if .First}}<br><strong>first anomalous event</strong>{{end}}</td><td class="stage">{{.Stage}}</td><td>{{.Text}}<div class="cites">{{range .Evidence}}{{template "cite" ($.C.Cite $t.Bundle .)}}{{end}}</div></td></tr>
{{end}}</tbody></table>
{{with $t.RootCause}}<h4>What made it possible</h4><table><colgroup><col></colgroup><thead><tr><th>what, and where it is written</th></tr></thead><tbody>
{{range .}}<tr><td>{{.Text}}<div class="cites">{{range .Evidence}}{{template "cite" ($.C.Cite $t.Bundle .)}}{{end}}</div></td></tr>
{{end}}</tbody></table>{{end}}
{{with $t.Tree}}<h4>Process tree</h4><pre>{{range .}}{{indent .Depth}}{{if .Suspect}}<span class="suspect">{{.PID}} {{.Name}} {{.Exe}}  [{{.Suspect}}]</span>{{else}}{{.PID}} {{.Name}} {{.Exe}}{{end}}  <small>started {{utc .Start}}</small>
{{end}}</pre>{{end}}
</section>
{{else}}<p>No suspect process was found to build a chain around; see the findings.</p>{{end}}
{{if .R.OtherThreads}}<p class="meta">{{.R.OtherThreads}} more threads were rebuilt; cordon findings --json lists them all.</p>{{end}}
<h2 id="findings">Findings</h2>
{{range .R.Findings}}{{$sec := section .Evidence}}<section class="finding">
<h3><span class="badge sev-{{.Severity}}">{{upper .Severity}}</span>{{.RuleID}}: {{.Title}}</h3>
<p>ATT&amp;CK {{.Attack.ID}} {{.Attack.Name}}. {{.Why}}</p>
{{with .Instances}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{with .Evidence}}<p class="meta">{{if $sec}}Evidence from bundle <code>{{$sec}}</code>{{else}}Evidence from several bundles{{end}}:</p>
<table><colgroup><col class="time"><col><col class="where"></colgroup>
<thead><tr><th>time (UTC)</th><th>event</th><th>where</th></tr></thead><tbody>
{{range .}}<tr><td>{{evtime .Time}}</td><td><code>{{.Message}}</code></td><td>{{template "cite" ($.C.Cite $sec .)}}</td></tr>
{{end}}</tbody></table>{{end}}</section>
{{else}}<p>No findings.</p>{{end}}
{{template "sigma" .}}
{{with .R.Attestation}}{{template "attestation" .}}{{end}}
{{with .R.Fleet}}{{template "fleet" .}}{{end}}
{{with .R.Links}}<h2 id="joins">Joins between sources</h2><table><colgroup><col class="kind"><col></colgroup><thead><tr><th>kind</th><th>what, and where it is written</th></tr></thead><tbody>
{{range .}}{{$sec := section .Evidence}}<tr><td>{{.Kind}}</td><td>{{.Text}}<div class="cites">{{range .Evidence}}{{template "cite" ($.C.Cite $sec .)}}{{end}}</div></td></tr>
{{end}}</tbody></table>{{end}}
<h2 id="custody">Chain of custody</h2>
{{range $bi, $b := .R.Bundles}}<h3>Bundle {{$b.EvidenceID}}</h3>
<table><colgroup><col class="key"><col></colgroup><tbody>
<tr><th>evidence id</th><td><code>{{$b.EvidenceID}}</code></td></tr>
<tr><th>bundle file</th><td><code>{{$b.Path}}</code></td></tr>
<tr><th>SHA-256</th><td><code>{{$b.SHA256}}</code></td></tr>
<tr><th>verification</th><td>{{verification $b}}</td></tr>
<tr><th>key fingerprint</th><td><code>{{$b.KeyID}}</code>: {{trust $b}}</td></tr>
<tr><th>examiner</th><td>{{if $b.Examiner}}{{$b.Examiner}}{{else}}not stated{{end}}</td></tr>
<tr><th>host</th><td>{{$b.Host}}</td></tr>
<tr><th>collection</th><td>{{utc $b.Start}} to {{utc $b.End}}</td></tr>
<tr><th>host clock offset</th><td>{{clock $b}}</td></tr>
<tr><th>collector</th><td>{{$b.ToolVersion}}</td></tr>
{{range completeness $b false}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}<tr><th>analyzer</th><td>cordon {{$.R.ToolVersion}}</td></tr>
{{range $b.ParserSettings}}<tr><th>parser setting</th><td><code>{{setting .}}</code></td></tr>
{{end}}</tbody></table>
{{with options $b}}<h4>Collector options</h4><table><colgroup><col class="key"><col></colgroup><tbody>
{{range .}}<tr><th>{{.Name}}</th><td><code>{{.Value}}</code></td></tr>
{{end}}</tbody></table>{{end}}
<p>Check without Cordon: <code>sha256sum BUNDLE</code> gives the SHA-256 above; <code>tar --zstd -xf BUNDLE &amp;&amp; minisign -Vm SHA256SUMS -p cordon/cordon.pub &amp;&amp; sha256sum -c SHA256SUMS</code> checks every entry.</p>
<h4>Appendix: entries of {{$b.EvidenceID}}</h4>
<table><colgroup><col><col class="size"><col class="where"></colgroup>
<thead><tr><th>entry</th><th>size</th><th>SHA-256</th></tr></thead><tbody>
{{range $ei, $e := $b.Entries}}<tr id="{{$.C.Anchor $bi $ei}}"><td><code>{{$e.Name}}</code></td><td>{{$e.Size}}</td><td><code>{{$e.SHA256}}</code></td></tr>
{{end}}</tbody></table>
{{end}}</body></html>
{{define "cite"}}{{if .Href}}<a class="cite" href="{{.Href}}" title="{{.Title}}">{{.Text}}</a>{{else}}<span class="cite" title="{{.Title}}">{{.Text}}</span>{{end}}{{end}}`))

// HTML writes the report as one self-contained HTML page.
func HTML(w io.Writer, r Report) error {
	c := cleaned(r)
	if err := page.Execute(w, struct {
		CSP     string
		Style   template.CSS
		R       Report
		Summary []summaryLine
		Pic     *picture
		C       citer
		Main    string
	}{CSP, template.CSS(style), c, summaryLines(c), draw(c), newCiter(c.Bundles), mainBundle(c)}); err != nil {
		return fmt.Errorf("report html: %w", err)
	}
	return nil
}

// mainBundle is the bundle the summary need not name: the main thread's,
// or the only one.
func mainBundle(r Report) string {
	if len(r.Threads) > 0 {
		return r.Threads[0].Bundle
	}
	if len(r.Bundles) == 1 {
		return r.Bundles[0].EvidenceID
	}
	return ""
}

// Cite is a citation for the template; section is the bundle the section
// has named already.
func (c citer) Cite(section string, r Ref) citation { return c.cite(section, r) }

// Anchor is the appendix row id of entry j of bundle i.
func (c citer) Anchor(i, j int) string { return entryAnchor(i, j) }
