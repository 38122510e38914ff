package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/Velocidex/ordereddict"
	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/clip"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	registerVerb[hostsOptions]("hosts", "list a case's hosts: collection, verification, clock offset, findings by severity", hostsHelp)
}

const hostsHelp = `cordon hosts: one line per host of a case

Usage:
  cordon hosts --case DIR [--rules DIR] [--format text|json] [-o FILE]

For each host whose bundles the case holds (by the host name the
collection recorded): when it was collected (the latest collection, and
how many there were), how its bundles verified, its clock offset measured
at collection (cordon-collect --reference-time), the findings of its own
events by severity (the same as cordon findings --host HOST), and how
many fleet findings (CORDON-FLEET-…, values of the attacker's seen on
several hosts) name it. The hosts' judgements are computed together in one
reading of the case the first time, then kept in the case.

Examples:
  cordon hosts --case IR-031
  cordon hosts --case IR-031 --format json

Exit codes: 0 done, 2 usage error or no case, 130 interrupted.
`

type hostsOptions struct {
	caseDir caseOptions
	rules   ruleOptions
	output  outputOptions
}

func (o *hostsOptions) addFlags(fs *pflag.FlagSet) {
	o.caseDir.addFlags(fs, "the case directory (cordon analyze --case)")
	o.rules.addFlags(fs)
	o.output.addFlags(fs, []string{"text", "json"}, false)
}

// hostLine is one host of the case, as cordon hosts prints it.
type hostLine struct {
	Host string `json:"host"`
	// Collected is the start of the latest collection (the host's clock).
	Collected    time.Time `json:"collected"`
	Collections  int       `json:"collections"`
	Verification string    `json:"verification"`
	// ClockOffset is of the latest collection, in seconds (nil: not measured).
	ClockOffset *float64 `json:"clock_offset_seconds"`
	Events      int64    `json:"events"`
	// Findings counts the host's findings by severity, in severity order
	// (critical first) in the JSON as on the terminal.
	Findings      *ordereddict.Dict `json:"findings"`
	FleetFindings int               `json:"fleet_findings"`
	Bundles       []hostBundle      `json:"bundles"`
}

type hostBundle struct {
	Dir          string        `json:"dir"`
	EvidenceID   string        `json:"evidence_id"`
	SHA256       string        `json:"sha256"`
	Start        time.Time     `json:"collection_start"`
	End          time.Time     `json:"collection_end"`
	Verification bundle.Status `json:"verification"`
	Trust        bundle.Trust  `json:"trust"`
	Unverified   bool          `json:"unverified,omitempty"`
	ClockOffset  *float64      `json:"clock_offset_seconds,omitempty"`
}

var severityOrder = []string{"critical", "high", "medium", "low", "info"}

func (o *hostsOptions) run(ctx context.Context, std stdio, args []string) error {
	if len(args) != 0 {
		return usageErrorf("unexpected argument %q", args[0])
	}
	format, err := o.output.chosen()
	if err != nil {
		return err
	}
	rs, err := investigation.LoadRules(o.rules.rules...)
	if err != nil {
		return withCode(exitUsage, err)
	}
	c, err := o.caseDir.open()
	if err != nil {
		return err
	}
	defer c.Close()
	lines := hostLines(c.Bundles())
	// The whole case (for its fleet findings) and each host, in one reading.
	sets := [][]string{nil}
	for _, l := range lines {
		if l.Host != "" {
			sets = append(sets, []string{l.Host})
		}
	}
	invs, _, err := investigation.GetEach(ctx, c, rs, sets)
	if err != nil {
		return err
	}
	// Each value spread over hosts is one fleet finding (fleet.Findings).
	fleetOf := map[string]int{}
	for _, sp := range invs[0].Fleet {
		for _, h := range sp.Hosts {
			fleetOf[h.Host]++
		}
	}
	j := 1
	for i := range lines {
		l := &lines[i]
		l.Findings = severityCounts(nil)
		l.FleetFindings = fleetOf[l.Host]
		if l.Host == "" {
			continue
		}
		inv := invs[j]
		j++
		l.Events = inv.Events
		l.Findings = severityCounts(inv.Findings)
	}

	out, err := o.output.open(std.out)
	if err != nil {
		return err
	}
	defer out.Abort()
	if format == "json" {
		return out.JSON(struct {
			Hosts []hostLine `json:"hosts"`
		}{lines})
	}
	rows := [][]string{{"HOST", "COLLECTED (HOST CLOCK)", "VERIFICATION", "CLOCK OFFSET", "EVENTS", "FINDINGS (CRIT/HIGH/MED/LOW/INFO)", "FLEET"}}
	for _, l := range lines {
		host := l.Host
		if host == "" {
			host = "(no host name)"
		}
		collected := l.Collected.UTC().Format("2006-01-02T15:04:05Z")
		if l.Collections > 1 {
			collected += fmt.Sprintf(" (%d collections)", l.Collections)
		}
		offset := "not measured"
		if l.ClockOffset != nil {
			offset = fmt.Sprintf("%+.3f s", *l.ClockOffset)
		}
		var sev []string
		for _, s := range severityOrder {
			n, _ := l.Findings.GetInt64(s)
			sev = append(sev, fmt.Sprint(n))
		}
		events, findings := fmt.Sprint(l.Events), strings.Join(sev, "/")
		if l.Host == "" {
			events, findings = "-", "-"
		}
		rows = append(rows, []string{clip.Cut(safeterm.Escape(host), 40), collected, l.Verification, offset, events, findings, fmt.Sprint(l.FleetFindings)})
	}
	writeColumns(out, rows)
	return out.Commit()
}

// hostLines groups the bundles by host (the host name of their custody),
// sorted by host name.
func hostLines(bs []casestore.CaseBundle) []hostLine {
	by := map[string]*hostLine{}
	for _, b := range bs {
		l := by[b.Host()]
		if l == nil {
			l = &hostLine{Host: b.Host()}
			by[b.Host()] = l
		}
		cu := b.Custody.Host
		hb := hostBundle{Dir: b.Dir, EvidenceID: b.EvidenceID, SHA256: b.SHA256, Start: cu.ClockStart, End: cu.ClockEnd,
			Verification: b.Verification, Trust: b.Trust, Unverified: b.Unverified, ClockOffset: cu.ClockOffsetSeconds}
		l.Bundles = append(l.Bundles, hb)
	}
	var out []hostLine
	for _, l := range by {
		slices.SortFunc(l.Bundles, func(a, b hostBundle) int {
			if c := a.Start.Compare(b.Start); c != 0 {
				return c
			}
			return cmp.Compare(a.Dir, b.Dir)
		})
		latest := l.Bundles[len(l.Bundles)-1]
		l.Collected, l.Collections, l.ClockOffset = latest.Start, len(l.Bundles), latest.ClockOffset
		var statuses []string
		for _, b := range l.Bundles {
			s := string(b.Verification)
			if b.Unverified {
				s = "UNVERIFIED (" + s + ")"
			}
			if !slices.Contains(statuses, s) {
				statuses = append(statuses, s)
			}
		}
		slices.Sort(statuses)
		l.Verification = strings.Join(statuses, ", ")
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b hostLine) int { return cmp.Compare(a.Host, b.Host) })
	return out
}

// writeColumns writes rows aligned in columns two spaces apart.
func writeColumns(w io.Writer, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-len([]rune(c))+2))
			}
		}
		b.WriteByte('\n')
		io.WriteString(w, b.String()) // a failed write is the output's error, at Commit

	}
}

// severityCounts counts findings by severity: every severity of
// severityOrder in that order, then any other a rule set gave, by name.
func severityCounts(fs []findings.Finding) *ordereddict.Dict {
	n := map[string]int64{}
	for _, f := range fs {
		n[f.Severity]++
	}
	d := ordereddict.NewDict()
	for _, s := range severityOrder {
		d.Set(s, n[s])
		delete(n, s)
	}
	for _, s := range slices.Sorted(maps.Keys(n)) {
		d.Set(s, n[s])
	}
	return d
}
