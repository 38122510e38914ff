package report

// fleet.go is the report's section on what the attacker left on several
// hosts (analyzer/fleet): one table per value, its hosts in the order they
// were reached with their first and last sightings, and a line of the
// summary. Its findings (CORDON-FLEET-…) are in the findings section with
// the others.

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/cordon-forensics/cordon/analyzer/fleet"
)

// AddFleet puts the values seen on several hosts in the report.
func (r *Report) AddFleet(spreads []fleet.Spread) { r.Fleet = spreads }

// fleetSummary is the summary's line: how far the attack spread, and the
// order the hosts were reached in, from the value seen on the most hosts.
func fleetSummary(spreads []fleet.Spread) []summaryLine {
	if len(spreads) == 0 {
		return nil
	}
	hosts := map[string]bool{}
	widest := spreads[0]
	for _, sp := range spreads {
		for _, h := range sp.Hosts {
			hosts[h.Host] = true
		}
		if len(sp.Hosts) > len(widest.Hosts) {
			widest = sp
		}
	}
	text := fmt.Sprintf("%d of the attacker's values (addresses, wallets, pools, executables, command lines, SSH keys) are on %d hosts; the %s %s reached %s, in that order.",
		len(spreads), len(hosts), widest.Kind, cut(widest.Value, 120), strings.Join(widest.HostNames(), " → "))
	return []summaryLine{{Label: "Across hosts", Text: text, Refs: []Ref{widest.Hosts[0].FirstRef}}}
}

// The section is a template of the page's own set, so that html/template
// escapes it the same way.
var _ = template.Must(page.New("fleet").Parse(`<h2 id="fleet">Across hosts</h2>
<p>Values of the attacker's seen on several hosts, the hosts in the order they were reached (times as each host's clock wrote them; ordered by them corrected by the host's clock offset when it was measured).</p>
{{range .}}<h3>{{.Kind}}: <code>{{.Value}}</code></h3><p>{{.Why}}.</p>
<table><tr><th>#</th><th>host</th><th>first sighting</th><th>last sighting</th><th>events</th><th>evidence</th></tr>
{{range $i, $h := .Hosts}}<tr><td>{{add $i 1}}</td><td>{{$h.Host}}</td><td>{{utc $h.First}}</td><td>{{utc $h.Last}}</td><td>{{$h.Events}}</td><td><code>{{$h.FirstRef.Provenance.Bundle}}: {{$h.FirstRef.Provenance.Where}}</code></td></tr>
{{end}}</table>
{{end}}`))

// fleetMarkdown writes the section in Markdown (e escapes).
func fleetMarkdown(b *strings.Builder, spreads []fleet.Spread, e func(string) string) {
	if len(spreads) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## Across hosts\n\nValues of the attacker's seen on several hosts, the hosts in the order they were reached.\n")
	for _, sp := range spreads {
		fmt.Fprintf(b, "\n### %s: %s\n\n%s.\n\n| # | host | first sighting | last sighting | events | evidence |\n|---|---|---|---|---|---|\n", e(string(sp.Kind)), e(sp.Value), e(sp.Why))
		for i, h := range sp.Hosts {
			fmt.Fprintf(b, "| %d | %s | %s | %s | %d | %s |\n", i+1, e(h.Host), timeUTC(h.First), timeUTC(h.Last), h.Events,
				e(h.FirstRef.Provenance.Bundle+": "+h.FirstRef.Provenance.Where()))
		}
	}
}
