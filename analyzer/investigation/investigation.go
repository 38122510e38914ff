// Package investigation is what the rules and the correlation make of a
// case: it reads every event of the case once, in time order, through the
// rule engine (analyzer/findings) and the correlator (analyzer/correlate),
// and returns the findings and the attack threads.
package investigation

import (
	"context"
	"fmt"
	"strings"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/timeline"
)

// Investigation is what the rules and the correlation make of a case: the
// findings, the attack threads rebuilt from joins across sources, and the
// bundles with their custody.
type Investigation struct {
	Findings []findings.Finding
	Chain    correlate.Result
	Bundles  []casestore.CaseBundle
	Events   int64
	// Unverified is true when a bundle of the case was analyzed with --force.
	Unverified bool
}

// Investigate reads every event of the case once, in time order, through
// the rule engine and the correlator, then builds the attack threads.
func Investigate(ctx context.Context, c *casestore.Case, rules []findings.Rule) (*Investigation, error) {
	var events int64
	eng := findings.NewEngine(rules)
	cor := correlate.New()
	err := c.Events(ctx, casestore.Query{}, func(ev timeline.Event) error {
		events++
		eng.Add(ev)
		cor.Add(ev)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the case's events: %w", err)
	}
	inv := newInvestigation(c, eng.Findings(), correlate.Result{}, events)
	// Every evidence reference carries the hash of the signed entry it was read from.
	hashes := map[string]string{}
	for _, b := range inv.Bundles {
		for _, e := range b.Entries {
			hashes[b.EvidenceID+"\x00"+e.Name] = e.SHA256
		}
	}
	for i := range inv.Findings {
		for j := range inv.Findings[i].Evidence {
			pv := &inv.Findings[i].Evidence[j].Provenance
			if pv.SHA256 == "" {
				pv.SHA256 = hashes[pv.Bundle+"\x00"+pv.Entry]
			}
		}
	}
	agg := map[string]bool{}
	for _, r := range rules {
		if r.Respawn != nil || r.Check != nil {
			agg[r.ID] = true
		}
	}
	inv.Chain = cor.Build(inv.Findings, correlate.Options{Aggregate: agg})
	inv.Findings = append(inv.Findings, correlationFindings(inv.Chain)...)
	findings.SortFindings(inv.Findings)
	return inv, nil
}

// newInvestigation is the investigation of c with these results.
func newInvestigation(c *casestore.Case, fs []findings.Finding, chain correlate.Result, events int64) *Investigation {
	inv := &Investigation{Findings: fs, Chain: chain, Bundles: c.Bundles(), Events: events}
	for _, b := range inv.Bundles {
		if b.Unverified {
			inv.Unverified = true
		}
	}
	return inv
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
	return fmt.Sprintf("%d events, %d findings (%s), %d threads", inv.Events, len(inv.Findings), strings.Join(ids, " "), len(inv.Chain.Threads))
}
