// Package report renders a case's findings and chain of custody as one
// self-contained HTML file (html/template, strict Content-Security-Policy,
// no script, no external fetch, a timeline SVG drawn here, a print
// stylesheet for the legal file), as Markdown and as JSON.
//
// The Report value, and so the JSON, holds typed facts: statuses and trust
// levels as formats/bundle's constants, times, counts, addresses, and the
// steps and findings the summary rests on. The sentences a person reads
// are made from them when the HTML or Markdown is written (prose.go).
//
// The same case gives the same bytes: Build takes no clock. The report is
// dated by its evidence (AsOf, the end of the latest collection); the time
// it was generated is stated only when the caller passes one.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/fleet"
	"github.com/cordon-forensics/cordon/formats/bundle"
)

// Entry is one bundle entry's name and hash, for the custody appendix.
type Entry struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Setting is one thing the parsers were told, and where it came from.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	From  string `json:"from"`
}

// Bundle is what the report states about one evidence bundle.
type Bundle struct {
	EvidenceID string `json:"evidence_id"`
	Path       string `json:"path"`
	SHA256     string `json:"sha256"`
	// Verification is the outcome of verifying the bundle.
	Verification bundle.Status `json:"verification"`
	// Unverified is true when a bundle that is not intact was analyzed
	// with --force: nothing that rests on it is covered by a signature.
	Unverified bool   `json:"unverified,omitempty"`
	KeyID      string `json:"key_id"`
	// Trust is whose signature the bundle carries.
	Trust    bundle.Trust `json:"trust"`
	Examiner string       `json:"examiner"`
	Host     string       `json:"host"`
	Start    time.Time    `json:"collection_start"`
	End      time.Time    `json:"collection_end"`
	// ClockOffsetSeconds is the host clock minus the reference time the
	// responder gave (nil: not measured).
	ClockOffsetSeconds *float64  `json:"host_clock_offset_seconds,omitempty"`
	ReferenceTime      time.Time `json:"reference_time,omitzero"`
	ToolVersion        string    `json:"tool_version"`
	// Options are the collector's effective options, as the signed
	// manifest records them.
	Options map[string]string `json:"collector_options,omitempty"`
	// ParserSettings say how the analysis read the sources, e.g. the
	// PostgreSQL log_line_prefix and where it came from.
	ParserSettings []Setting `json:"parser_settings,omitempty"`
	// Imported describes the archive of another collector the bundle was
	// made from (cordon import); nil for Cordon's own collection.
	Imported *bundle.ImportFacts `json:"imported,omitempty"`
	// Interrupted says why the collection stopped before its end.
	Interrupted string `json:"interrupted,omitempty"`
	// Incomplete are the collector's sources that collected with errors,
	// failed, timed out or were interrupted (not those skipped as asked or
	// that found nothing to collect).
	Incomplete []SourceNote `json:"incomplete_sources,omitempty"`
	Entries    []Entry      `json:"entries"`
}

// SourceNote is a collector source that did not end ok, as the signed
// manifest records it.
type SourceNote struct {
	Name   string               `json:"name"`
	Status bundle.SourceOutcome `json:"status"`
	Detail string               `json:"detail,omitempty"`
}

// Report is everything rendered, in the order an incident lead reads it.
type Report struct {
	Case string `json:"case"`
	// AsOf is the end of the latest collection (or, without bundles, the
	// newest evidence): what the report speaks for.
	AsOf time.Time `json:"as_of,omitzero"`
	// Generated is when the report was made, when the caller stated it
	// (cordon report --generated-at, SOURCE_DATE_EPOCH); zero otherwise,
	// so that the same case gives the same bytes.
	Generated   time.Time `json:"generated,omitzero"`
	ToolVersion string    `json:"tool_version"`
	Summary     Summary   `json:"summary"`
	// Threads are the attacks rebuilt by correlation, the main one first.
	Threads []correlate.Thread `json:"attack_chain"`
	// OtherThreads counts threads rebuilt but not shown (beyond maxThreads).
	OtherThreads int                `json:"other_threads,omitempty"`
	Links        []correlate.Link   `json:"links,omitempty"`
	Findings     []findings.Finding `json:"findings"`
	Bundles      []Bundle           `json:"bundles"`
	Notes        []string           `json:"notes,omitempty"`
	// Attestation is set by cordon attest (attestation.go).
	Attestation *Attestation `json:"attestation,omitempty"`

	// Sigma are the findings of Sigma rules (sigma.go), with their authors;
	// SigmaNotes say what of those rules did not load or cannot match.
	Sigma      []findings.Finding `json:"sigma_findings,omitempty"`
	SigmaNotes []string           `json:"sigma_notes,omitempty"`
	// Fleet are the attacker's values seen on several hosts (fleet.go).
	Fleet []fleet.Spread `json:"fleet,omitempty"`
}

// Summary is what an incident lead reads first, as facts: the sentences
// are made when the report is rendered.
type Summary struct {
	// WhatHappened is the main thread's title.
	WhatHappened string `json:"what_happened,omitempty"`
	// Since is the time of the main thread's first anomalous event; the
	// last known-good ("golden") state is just before it.
	Since time.Time `json:"since,omitzero"`
	// FirstAnomalous is that event's step.
	FirstAnomalous *correlate.Step `json:"first_anomalous,omitempty"`
	// WayIn is how the intruder got in: the main thread's first login or
	// authorized connection, else its first initial-access step that is
	// more than a first sighting of the address.
	WayIn *correlate.Step `json:"way_in,omitempty"`
	// RootCause is what on the host made it possible.
	RootCause []correlate.Step `json:"root_cause,omitempty"`
	// Attackers are the outside addresses of the main thread.
	Attackers []string `json:"attacker_addresses,omitempty"`
	// Recovered are the deleted executables the collector recovered.
	Recovered []correlate.Step `json:"recovered,omitempty"`
	// FirstActions are what to do first, most urgent first.
	FirstActions []Action `json:"first_actions,omitempty"`
	// Severities counts the findings by severity, most severe first.
	Severities []SeverityCount `json:"severities,omitempty"`
	// MostSevere is the rule id of the most severe finding.
	MostSevere string `json:"most_severe,omitempty"`
	// Earliest is the earliest timed evidence of any finding, when no
	// thread was rebuilt.
	Earliest *findings.Evidence `json:"earliest_evidence,omitempty"`
}

// SeverityCount is how many findings have a severity.
type SeverityCount struct {
	Severity string `json:"severity"`
	Count    int    `json:"count"`
}

// Kinds of first actions.
const (
	// ActionStopWatchdog: stop the process that restarts the others
	// (PID, Name) before the processes it restarts (Restarts).
	ActionStopWatchdog = "stop-watchdog"
	// ActionStopProcesses: stop the suspect processes (Processes).
	ActionStopProcesses = "stop-processes"
	// ActionBlockAddresses: block the outside addresses (Addresses).
	ActionBlockAddresses = "block-addresses"
	// ActionCloseWayIn: close what made the intrusion possible (Steps).
	ActionCloseWayIn = "close-way-in"
	// ActionRestore: restore from images or backups made before Before.
	ActionRestore = "restore-before"
)

// Action is one thing to do first, with the facts it rests on.
type Action struct {
	Kind      string           `json:"kind"`
	PID       int64            `json:"pid,omitempty"`
	Name      string           `json:"name,omitempty"`
	Restarts  []Process        `json:"restarts,omitempty"`
	Processes []Process        `json:"processes,omitempty"`
	Addresses []string         `json:"addresses,omitempty"`
	Steps     []correlate.Step `json:"steps,omitempty"`
	Before    time.Time        `json:"before,omitzero"`
}

// Process names a process of the chain.
type Process struct {
	PID  int64  `json:"pid"`
	Name string `json:"name,omitempty"`
	Exe  string `json:"executable,omitempty"`
}

// maxThreads bounds the threads a report shows in full.
const maxThreads = 5

// severityOrder lists the severities most severe first.
var severityOrder = []string{"critical", "high", "medium", "low", "info"}

// Build assembles the report and its summary from the attack threads and
// the findings, so that an incident lead reads what happened in a minute:
// what, since when, how they got in, what was recovered, what to do first.
// generated is stated as the report's making time unless zero.
func Build(caseName, version string, fs []findings.Finding, threads []correlate.Thread, links []correlate.Link, bs []Bundle, generated time.Time) Report {
	fs, sigma := splitSigma(fs)
	r := Report{Case: caseName, ToolVersion: version, Findings: fs, Sigma: sigma, Links: links, Bundles: bs}
	if !generated.IsZero() {
		r.Generated = generated.UTC()
	}
	if len(threads) > maxThreads {
		r.OtherThreads = len(threads) - maxThreads
		threads = threads[:maxThreads]
	}
	r.Threads = threads
	for _, b := range bs {
		if b.End.After(r.AsOf) {
			r.AsOf = b.End.UTC()
		}
	}
	if r.AsOf.IsZero() {
		r.AsOf = newestEvidence(fs)
	}
	r.Summary = summarize(fs, threads)
	return r
}

func summarize(fs []findings.Finding, threads []correlate.Thread) Summary {
	var s Summary
	count := map[string]int{}
	for _, f := range fs {
		count[f.Severity]++
	}
	for _, sev := range severityOrder {
		if count[sev] > 0 {
			s.Severities = append(s.Severities, SeverityCount{sev, count[sev]})
		}
	}
	if len(fs) > 0 {
		s.MostSevere = fs[0].RuleID
	}
	if len(threads) == 0 {
		s.Earliest = firstEvidence(fs)
		return s
	}
	t := &threads[0]
	s.WhatHappened = t.Title
	s.Attackers = t.Attackers
	s.RootCause = t.RootCause
	if f := t.FirstAnomalous(); f != nil {
		c := *f
		s.FirstAnomalous, s.Since = &c, f.Time
	}
	s.WayIn = wayIn(t)
	for _, st := range t.Steps {
		if st.Kind == correlate.KindDeletedExecutable && st.SHA256 != "" {
			s.Recovered = append(s.Recovered, st)
		}
	}
	s.FirstActions = firstActions(t)
	return s
}

func wayIn(t *correlate.Thread) *correlate.Step {
	pick := func(ok func(*correlate.Step) bool) *correlate.Step {
		for i := range t.Steps {
			if st := &t.Steps[i]; st.Stage == correlate.StageInitialAccess && ok(st) {
				c := *st
				return &c
			}
		}
		return nil
	}
	if st := pick(func(s *correlate.Step) bool { return s.Kind == correlate.KindLogin }); st != nil {
		return st
	}
	if st := pick(func(s *correlate.Step) bool { return s.Kind != correlate.KindFirstContact }); st != nil {
		return st
	}
	return pick(func(*correlate.Step) bool { return true })
}

// firstActions derives from the main thread what to do first: a watchdog
// that restarts the others is stopped before them (stopping a respawned
// program first only makes it start again), then the other suspect
// processes; then the outside addresses are blocked, the way in closed,
// and the host restored from before the first anomalous event.
func firstActions(t *correlate.Thread) []Action {
	names := map[int64]Process{}
	for _, l := range t.Tree {
		names[l.PID] = Process{PID: l.PID, Name: l.Name, Exe: l.Exe}
	}
	proc := func(pid int64) Process {
		if p, ok := names[pid]; ok {
			return p
		}
		return Process{PID: pid}
	}
	var out []Action
	watchdogs := map[int64]*Action{}
	var order []int64
	for _, st := range t.Steps {
		if st.Kind != correlate.KindRespawn || st.ParentPID == 0 {
			continue
		}
		a := watchdogs[st.ParentPID]
		if a == nil {
			p := proc(st.ParentPID)
			a = &Action{Kind: ActionStopWatchdog, PID: p.PID, Name: p.Name}
			watchdogs[st.ParentPID] = a
			order = append(order, st.ParentPID)
		}
		if !slices.ContainsFunc(a.Restarts, func(p Process) bool { return p.PID == st.PID }) {
			a.Restarts = append(a.Restarts, proc(st.PID))
		}
	}
	for _, pid := range order {
		out = append(out, *watchdogs[pid])
	}
	var rest []Process
	for _, l := range t.Tree {
		if l.Suspect == "" || watchdogs[l.PID] != nil {
			continue
		}
		if !slices.ContainsFunc(rest, func(p Process) bool { return p.PID == l.PID }) {
			rest = append(rest, Process{PID: l.PID, Name: l.Name, Exe: l.Exe})
		}
	}
	if len(rest) > 0 {
		out = append(out, Action{Kind: ActionStopProcesses, Processes: rest})
	}
	if len(t.Attackers) > 0 {
		out = append(out, Action{Kind: ActionBlockAddresses, Addresses: t.Attackers})
	}
	if len(t.RootCause) > 0 {
		out = append(out, Action{Kind: ActionCloseWayIn, Steps: t.RootCause})
	}
	if f := t.FirstAnomalous(); f != nil {
		out = append(out, Action{Kind: ActionRestore, Before: f.Time})
	}
	return out
}

// firstEvidence is the earliest timed evidence of any finding: the event that
// brackets the last known-good state.
func firstEvidence(fs []findings.Finding) *findings.Evidence {
	var best *findings.Evidence
	for i := range fs {
		for j := range fs[i].Evidence {
			e := &fs[i].Evidence[j]
			if e.Time == "" || strings.HasPrefix(e.Time, "0001-") {
				continue
			}
			if best == nil || findings.CompareEvidence(*e, *best) < 0 {
				best = e
			}
		}
	}
	if best == nil {
		return nil
	}
	c := *best
	return &c
}

// newestEvidence is the latest time any finding's evidence bears.
func newestEvidence(fs []findings.Finding) time.Time {
	var t time.Time
	for _, f := range fs {
		for _, e := range f.Evidence {
			if et, err := time.Parse(time.RFC3339Nano, e.Time); err == nil && et.After(t) {
				t = et.UTC()
			}
		}
	}
	return t
}

// JSON writes the report as indented JSON.
func JSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report json: %w", err)
	}
	return nil
}

// Ref is one evidence reference: time, message and provenance.
type Ref = findings.Evidence
