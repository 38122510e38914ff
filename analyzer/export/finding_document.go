package export

// finding_document.go turns one finding into one document of the findings
// index: ECS's alert fields (event.kind "alert", rule.*, threat.technique.*),
// Timesketch's attributes, and the evidence with its provenance.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
)

// maxFindingEvidence and maxFindingEvidenceBytes bound the evidence one
// finding document carries (a brute force can match tens of thousands of
// lines, a process finding quotes long command lines): the document stays
// under VictoriaLogs' default line limit (256 KiB), and the count says how
// many there were.
const (
	maxFindingEvidence      = 1000
	maxFindingEvidenceBytes = 128 << 10
)

// FindingsDataset is event.dataset of every finding document.
const FindingsDataset = "cordon.findings"

type findingDoc struct {
	Timestamp     string        `json:"@timestamp,omitempty"`
	Message       string        `json:"message"`
	Datetime      string        `json:"datetime,omitempty"`
	TimestampDesc string        `json:"timestamp_desc"`
	Micros        *int64        `json:"timestamp,omitempty"`
	DataType      string        `json:"data_type"`
	Event         findingEvent  `json:"event"`
	Rule          findingRule   `json:"rule"`
	Threat        findingThreat `json:"threat"`
	Cordon        findingCordon `json:"cordon"`
}

type findingEvent struct {
	Kind     string `json:"kind"`
	Dataset  string `json:"dataset"`
	Severity int    `json:"severity"`
}

type findingRule struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type findingThreat struct {
	Framework string           `json:"framework"`
	Technique findingTechnique `json:"technique"`
}

type findingTechnique struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type findingCordon struct {
	Severity          string              `json:"severity"`
	Instances         []string            `json:"instances,omitempty"`
	EvidenceCount     int                 `json:"evidence_count"`
	EvidenceTruncated bool                `json:"evidence_truncated,omitempty"`
	Evidence          []findings.Evidence `json:"evidence,omitempty"`
	Bundles           []string            `json:"bundles,omitempty"` // evidence ids of the bundles the evidence is from
}

// severityScore is ECS event.severity for Cordon's severities (the risk
// scores Elastic's detection rules use).
var severityScore = map[string]int{"critical": 99, "high": 73, "medium": 47, "low": 21, "info": 0}

// newFindingDoc builds the document of f. Its time is its earliest evidence.
func newFindingDoc(f *findings.Finding) findingDoc {
	d := findingDoc{
		Message:       fmt.Sprintf("[%s] %s %s", f.Severity, f.RuleID, f.Title),
		TimestampDesc: "first evidence",
		DataType:      "cordon:finding",
		Event:         findingEvent{Kind: "alert", Dataset: FindingsDataset, Severity: severityScore[f.Severity]},
		Rule:          findingRule{ID: f.RuleID, Name: f.Title, Description: f.Why},
		Threat:        findingThreat{Framework: "MITRE ATT&CK", Technique: findingTechnique{ID: f.Attack.ID, Name: f.Attack.Name}},
		Cordon:        findingCordon{Severity: f.Severity, Instances: f.Instances, EvidenceCount: len(f.Evidence)},
	}
	var first time.Time
	bundles := map[string]bool{}
	for _, e := range f.Evidence {
		if t, err := time.Parse(time.RFC3339Nano, e.Time); err == nil && (first.IsZero() || t.Before(first)) {
			first = t
		}
		if e.Provenance.Bundle != "" {
			bundles[e.Provenance.Bundle] = true
		}
	}
	if !first.IsZero() {
		first = first.UTC()
		d.Timestamp = first.Format(time.RFC3339Nano)
		d.Datetime = first.Format("2006-01-02T15:04:05.000000-07:00")
		us := first.UnixMicro()
		d.Micros = &us
	}
	size := 0
	for i, e := range f.Evidence {
		pv := e.Provenance
		size += len(e.Time) + len(e.Message) + len(pv.Bundle) + len(pv.Entry) + len(pv.SHA256) + 100
		if i == maxFindingEvidence || size > maxFindingEvidenceBytes && i > 0 {
			d.Cordon.EvidenceTruncated = true
			break
		}
		d.Cordon.Evidence = f.Evidence[:i+1]
	}
	for b := range bundles {
		d.Cordon.Bundles = append(d.Cordon.Bundles, b)
	}
	sort.Strings(d.Cordon.Bundles)
	return d
}

// findingID is the _id of f: 40 hex digits of a SHA-256 over its rule and
// everything it rests on (its evidence and instances), so that the same
// finding exported again is a conflict and a finding that grew is new.
func findingID(f *findings.Finding) string {
	h := sha256.New()
	var b []byte
	put := func(s string) {
		b = binary.AppendUvarint(b[:0], uint64(len(s)))
		h.Write(b)
		h.Write([]byte(s))
	}
	put("cordon-finding-v1")
	put(f.RuleID)
	for _, e := range f.Evidence {
		put(e.Time)
		put(e.Provenance.Bundle)
		put(e.Provenance.Entry)
		put(e.Provenance.SHA256)
		put(fmt.Sprint(e.Provenance.Line, ".", e.Provenance.Offset))
		put(e.Message)
	}
	put(fmt.Sprint(len(f.Evidence), " evidence, ", len(f.Instances), " instances"))
	for _, s := range f.Instances {
		put(s)
	}
	return hex.EncodeToString(h.Sum(nil)[:20])
}

// appendFindingDoc appends the action and source lines of f.
func appendFindingDoc(dst []byte, index, id string, f *findings.Finding) ([]byte, error) {
	n := len(dst)
	dst = appendAction(dst, index, id)
	dst, err := appendJSONLine(dst, newFindingDoc(f))
	if err != nil {
		return dst[:n], fmt.Errorf("encoding finding %s: %w", f.RuleID, err)
	}
	return dst, nil
}
