package report

// fleet.go is the report's section on what the attacker left on several
// hosts (analyzer/fleet): one table per value, its hosts in the order they
// were reached with their first and last sightings. Its findings
// (CORDON-FLEET-…) are in the findings section with the others.

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/fleet"
)

// AddFleet puts the values seen on several hosts in the report, and says
// in the summary how far the attack spread.
func (r *Report) AddFleet(spreads []fleet.Spread) {
	r.Fleet = spreads
	if len(spreads) == 0 {
		return
	}
	hosts := map[string]bool{}
	for _, sp := range spreads {
		for _, h := range sp.Hosts {
			hosts[h.Host] = true
		}
	}
	first := spreads[0]
	r.Summary = append(r.Summary, fmt.Sprintf("Across hosts: %d values of the attacker's (addresses, wallets, pools, executables, command lines, SSH keys) are on %d hosts; the %s %s reached %s, in that order.",
		len(spreads), len(hosts), first.Kind, first.Value, strings.Join(first.HostNames(), " → ")))
}

// The HTML section, included by the page (html.go) after the findings.
var _ = template.Must(page.New("fleet").Parse(`{{with .R.Fleet}}<h2 id="fleet">Across hosts</h2>
<p>Values of the attacker's seen on several hosts, the hosts in the order they were reached (times as each host's clock wrote them; corrected by its offset when it was measured).</p>
{{range .}}<section><h3>{{.Kind}}: <code>{{.Value}}</code></h3><p>{{.Why}}.</p>
<table><tr><th>#</th><th>host</th><th>first sighting</th><th>last sighting</th><th>events</th><th>evidence</th></tr>
{{range $i, $h := .Hosts}}<tr><td>{{add $i 1}}</td><td>{{$h.Host}}</td><td>{{$h.First.UTC.Format "2006-01-02T15:04:05.000000Z"}}</td><td>{{$h.Last.UTC.Format "2006-01-02T15:04:05.000000Z"}}</td><td>{{$h.Events}}</td><td><code>{{$h.FirstRef.Provenance.Bundle}}: {{where $h.FirstRef}}</code></td></tr>
{{end}}</table></section>
{{end}}{{end}}`))

// markdownFleet writes the Markdown section (markdown.go calls it).
func markdownFleet(p func(string, ...any), e func(string) string, r Report) {
	if len(r.Fleet) == 0 {
		return
	}
	p("\n## Across hosts\n\nValues of the attacker's seen on several hosts, the hosts in the order they were reached.\n")
	for _, sp := range r.Fleet {
		p("\n### %s: %s\n\n%s.\n\n| # | host | first sighting | last sighting | events | evidence |\n|---|---|---|---|---|---|\n", e(string(sp.Kind)), e(sp.Value), e(sp.Why))
		for i, h := range sp.Hosts {
			p("| %d | %s | %s | %s | %d | %s |\n", i+1, e(h.Host), h.First.UTC().Format(time.RFC3339Nano), h.Last.UTC().Format(time.RFC3339Nano), h.Events,
				e(h.FirstRef.Provenance.Bundle+": "+where(h.FirstRef)))
		}
	}
}
