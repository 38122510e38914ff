// Package investigation is what the rules and the correlation make of a
// case, or of some of its hosts: it reads their events once, in time
// order, through the rule engine (analyzer/findings), the correlator
// (analyzer/correlate) and the fleet observer (analyzer/fleet), and
// returns the findings, the attack threads and what the attacker left on
// several hosts.
package investigation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/fleet"
	"github.com/cordon-forensics/cordon/analyzer/sigma"
	"github.com/cordon-forensics/cordon/timeline"
)

// Investigation is what the rules and the correlation make of a case, or
// of some of its hosts: the findings, the attack threads rebuilt from joins
// across sources, the values an attacker left on several hosts, and the
// bundles with their custody.
type Investigation struct {
	Findings []findings.Finding
	Chain    correlate.Result
	// Fleet are the attacker's values seen on several hosts (their
	// findings are among Findings, CORDON-FLEET-…).
	Fleet []fleet.Spread
	// Hosts are the hosts investigated (host.name); nil for the whole case.
	Hosts []string
	// Bundles are the case's bundles (for some hosts: those of these hosts,
	// and those whose events were read).
	Bundles []casestore.CaseBundle
	Events  int64
	// Unverified is true when a bundle of the case was analyzed with --force.
	Unverified bool
}

// maxFleetAddresses bounds the attacker addresses searched for across the
// hosts (the threads' first, most significant first).
const maxFleetAddresses = 64

// Investigate reads every event of the case once, in time order, through
// the rule engine, the correlator and the fleet observer, then builds the
// attack threads and follows their attacker addresses across the hosts.
func Investigate(ctx context.Context, c *casestore.Case, rules []findings.Rule) (*Investigation, error) {
	return InvestigateWith(ctx, c, RuleSet{Rules: rules})
}

// InvestigateWith is Investigate with a whole rule set: Cordon's rules
// and, when rs.Sigma is set, the Sigma rules, in the same pass. Sigma
// findings are listed with the others (Origin "sigma") but do not steer
// the attack chain: rules written for any host would start threads of
// their own.
func InvestigateWith(ctx context.Context, c *casestore.Case, rs RuleSet) (*Investigation, error) {
	return InvestigateHosts(ctx, c, rs, nil)
}

// InvestigateHosts is InvestigateWith over the events of some hosts only
// (host.name; nil or empty: every host).
func InvestigateHosts(ctx context.Context, c *casestore.Case, rs RuleSet, hosts []string) (*Investigation, error) {
	invs, err := investigateMany(ctx, c, rs, [][]string{hosts})
	if err != nil {
		return nil, err
	}
	return invs[0], nil
}

// scope is one investigation of investigateMany in the making.
type scope struct {
	hosts map[string]bool // nil: every host
	eng   *findings.Engine
	cor   *correlate.Correlator
	obs   *fleet.Observer // nil for a single host
	sig   *sigma.Engine   // nil without Sigma rules
	seen  map[string]bool // evidence ids of the bundles read
	n     int64
}

// maxScopesPerPass bounds the investigations made in one reading of the
// events: each holds its own rule engine and correlator, whose memory
// grows with the events they keep.
const maxScopesPerPass = 2

// investigateMany makes one investigation per host set (nil: the whole
// case), maxScopesPerPass of them per reading of the case's events.
func investigateMany(ctx context.Context, c *casestore.Case, rs RuleSet, sets [][]string) ([]*Investigation, error) {
	var out []*Investigation
	for i := 0; i < len(sets); i += maxScopesPerPass {
		invs, err := investigatePass(ctx, c, rs, sets[i:min(i+maxScopesPerPass, len(sets))])
		if err != nil {
			return nil, err
		}
		out = append(out, invs...)
	}
	return out, nil
}

// investigatePass makes one investigation per host set in one reading of
// the case's events.
func investigatePass(ctx context.Context, c *casestore.Case, rs RuleSet, sets [][]string) ([]*Investigation, error) {
	offsets := clockOffsets(c)
	scopes := make([]*scope, len(sets))
	var union []string
	all := false
	for i, hs := range sets {
		hs = normHosts(hs)
		sets[i] = hs
		sc := &scope{eng: findings.NewEngine(rs.Rules), cor: correlate.New(), seen: map[string]bool{}}
		if rs.Sigma != nil {
			sc.sig = sigma.NewEngine(rs.Sigma)
		}
		if hs == nil {
			all = true
		} else {
			sc.hosts = map[string]bool{}
			for _, h := range hs {
				sc.hosts[h] = true
			}
			union = append(union, hs...)
		}
		if hs == nil || len(hs) > 1 {
			sc.obs = fleet.NewObserver(fleet.HostOf, offsets)
		}
		scopes[i] = sc
	}
	// The events of some hosts are found through the indexes; when they
	// are most of the case, reading it whole is faster (the scopes filter
	// by host anyway).
	q := casestore.Query{}
	if !all {
		in := map[string]bool{}
		for _, h := range union {
			in[h] = true
		}
		n := 0
		for _, b := range c.Bundles() {
			if in[b.Host()] {
				n++
			}
		}
		if 2*n <= len(c.Bundles()) {
			q.Hosts = normHosts(union)
		}
	}
	err := c.Events(ctx, q, func(ev timeline.Event) error {
		h := fleet.HostOf(&ev)
		for _, sc := range scopes {
			if sc.hosts != nil && !sc.hosts[h] {
				continue
			}
			sc.n++
			sc.seen[ev.Cordon.Provenance.Bundle] = true
			sc.eng.Add(ev)
			sc.cor.Add(ev)
			if sc.obs != nil {
				sc.obs.Add(&ev)
			}
			if sc.sig != nil {
				sc.sig.Add(&ev)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the case's events: %w", err)
	}
	out := make([]*Investigation, len(scopes))
	for i, sc := range scopes {
		inv, err := sc.finish(ctx, c, rs, sets[i])
		if err != nil {
			return nil, err
		}
		out[i] = inv
	}
	return out, nil
}

// finish builds the findings, the threads and the fleet of one scope.
func (sc *scope) finish(ctx context.Context, c *casestore.Case, rs RuleSet, hosts []string) (*Investigation, error) {
	inv := newInvestigation(c, hosts, sc.seen, sc.eng.Findings(), correlate.Result{}, nil, sc.n)
	// Every evidence reference carries the hash of the signed entry it was read from.
	hashes := map[string]string{}
	for _, b := range inv.Bundles {
		for _, e := range b.Entries {
			hashes[b.EvidenceID+"\x00"+e.Name] = e.SHA256
		}
	}
	withHashes := func(fs []findings.Finding) {
		for i := range fs {
			for j := range fs[i].Evidence {
				pv := &fs[i].Evidence[j].Provenance
				if pv.SHA256 == "" {
					pv.SHA256 = hashes[pv.Bundle+"\x00"+pv.Entry]
				}
			}
		}
	}
	withHashes(inv.Findings)
	agg := map[string]bool{}
	for _, r := range rs.Rules {
		if r.Respawn != nil || r.Check != nil {
			agg[r.ID] = true
		}
	}
	inv.Chain = sc.cor.Build(inv.Findings, correlate.Options{Aggregate: agg})
	inv.Findings = append(inv.Findings, correlationFindings(inv.Chain)...)
	if sc.obs != nil {
		attackers, err := sc.followAttackers(ctx, c, inv)
		if err != nil {
			return nil, err
		}
		inv.Fleet = sc.obs.Spreads(attackers)
		inv.Findings = append(inv.Findings, fleet.Findings(inv.Fleet)...)
	}
	if sc.sig != nil {
		sf := sc.sig.Findings()
		withHashes(sf)
		inv.Findings = append(inv.Findings, sf...)
	}
	findings.SortFindings(inv.Findings)
	return inv, nil
}

// followAttackers searches the scope's hosts for every event naming an
// address the threads name as the attacker's, and returns those addresses
// with what named them.
func (sc *scope) followAttackers(ctx context.Context, c *casestore.Case, inv *Investigation) (map[string]string, error) {
	hostOf := map[string]string{}
	for _, b := range c.Bundles() {
		hostOf[b.EvidenceID] = b.Host()
	}
	attackers := map[string]string{}
	var order []string
	for _, t := range inv.Chain.Threads {
		for _, a := range t.Attackers {
			if _, ok := attackers[a]; ok || len(order) >= maxFleetAddresses {
				continue
			}
			attackers[a] = fmt.Sprintf("an address the correlation tied to the attack on %s: %s", hostOf[t.Bundle], t.Title)
			order = append(order, a)
		}
	}
	var hosts []string
	for h := range sc.hosts {
		hosts = append(hosts, h)
	}
	for _, a := range order {
		qs := fleet.AddrQuery(a)
		if qs == "" {
			continue
		}
		err := c.Events(ctx, casestore.Query{Query: qs, Hosts: normHosts(hosts)}, func(ev timeline.Event) error {
			sc.obs.AddAddress(&ev, a)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("following %s across the hosts: %w", a, err)
		}
	}
	return attackers, nil
}

// newInvestigation is the investigation of c (of hosts, nil for all) with
// these results; seen are the evidence ids of the bundles whose events
// were read.
func newInvestigation(c *casestore.Case, hosts []string, seen map[string]bool, fs []findings.Finding, chain correlate.Result, spreads []fleet.Spread, events int64) *Investigation {
	inv := &Investigation{Findings: fs, Chain: chain, Fleet: spreads, Hosts: hosts, Events: events}
	in := map[string]bool{}
	for _, h := range hosts {
		in[h] = true
	}
	for _, b := range c.Bundles() {
		if hosts == nil || in[b.Host()] || seen[b.EvidenceID] {
			inv.Bundles = append(inv.Bundles, b)
		}
	}
	for _, b := range inv.Bundles {
		if b.Unverified {
			inv.Unverified = true
		}
	}
	return inv
}

// normHosts sorts host names and drops repeats and empty ones; nil when none is left.
func normHosts(hs []string) []string {
	var out []string
	for _, h := range hs {
		if h != "" {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// clockOffsets are the hosts' clock offsets measured at collection (the
// latest collection's, for a host collected more than once).
func clockOffsets(c *casestore.Case) map[string]float64 {
	out := map[string]float64{}
	latest := map[string]time.Time{}
	for _, b := range c.Bundles() {
		cu := b.Custody.Host
		if cu.ClockOffsetSeconds == nil || b.Host() == "" {
			continue
		}
		if t, ok := latest[b.Host()]; !ok || cu.ClockStart.After(t) {
			latest[b.Host()] = cu.ClockStart
			out[b.Host()] = *cu.ClockOffsetSeconds
		}
	}
	return out
}

// Findings the correlation makes, that no rule over single events can:
// they are Go, not YAML, and listed here.
var (
	// RespawnFinding: a program restarted by its parent after an earlier
	// instance ended, the death seen in the capture.
	RespawnFinding = findings.Finding{RuleID: "CORDON-CORR-001", Title: "Watchdog respawn: a program restarted by its parent after an earlier instance ended",
		Severity: "high", Attack: findings.Attack{ID: "T1543", Name: "Create or Modify System Process"},
		Why: "A watchdog that restarts a killed program keeps malware alive after cleanup; kill the parent first."}
	// NewEgressFinding: outbound connections to addresses no event names
	// before the first anomalous event of the main attack thread.
	NewEgressFinding = findings.Finding{RuleID: "CORDON-CORR-002", Title: "Egress to addresses not seen before the incident",
		Severity: "medium", Attack: findings.Attack{ID: "T1071", Name: "Application Layer Protocol"},
		Why: "Destinations that appear only after the first anomalous event are where the intruder's programs talk: block and investigate them."}
)

func correlationFindings(ch correlate.Result) []findings.Finding {
	f := RespawnFinding
	for _, t := range ch.Threads {
		for _, s := range t.Steps {
			if s.Kind != correlate.KindRespawn {
				continue
			}
			for _, e := range s.Evidence {
				e.Message = s.Text + " [" + e.Message + "]"
				f.Evidence = append(f.Evidence, e)
			}
		}
	}
	var out []findings.Finding
	if len(f.Evidence) > 0 {
		out = append(out, f)
	}
	eg := NewEgressFinding
	for _, e := range ch.NewEgress {
		for _, r := range e.Evidence {
			r.Message = e.Text + " [" + r.Message + "]"
			eg.Evidence = append(eg.Evidence, r)
		}
	}
	if len(eg.Evidence) > 0 {
		out = append(out, eg)
	}
	return out
}

// MainThread returns the most significant attack thread, or nil.
func (inv *Investigation) MainThread() *correlate.Thread {
	if len(inv.Chain.Threads) == 0 {
		return nil
	}
	return &inv.Chain.Threads[0]
}

// String is a one-line summary, for logs.
func (inv *Investigation) String() string {
	var ids []string
	for _, f := range inv.Findings {
		ids = append(ids, f.RuleID)
	}
	return fmt.Sprintf("%d events, %d findings (%s), %d threads, %d values on several hosts", inv.Events, len(inv.Findings), strings.Join(ids, " "), len(inv.Chain.Threads), len(inv.Fleet))
}
