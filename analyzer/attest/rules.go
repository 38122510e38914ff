package attest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/formats/elfdiff"
	"github.com/cordon-forensics/cordon/formats/provenance"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The findings of an attestation, with their MITRE ATT&CK techniques.
var (
	supplyChain  = findings.Attack{ID: "T1195.002", Name: "Compromise Software Supply Chain"}
	linkerHijack = findings.Attack{ID: "T1574.006", Name: "Dynamic Linker Hijacking"}
)

const (
	RuleDiffers         = "CORDON-ATT-001"
	RuleInjectionPoint  = "CORDON-ATT-002"
	RuleDigestMismatch  = "CORDON-ATT-003"
	RuleSignatureFailed = "CORDON-ATT-004"
	RulePreloaded       = "CORDON-ATT-005"
	RuleOddObject       = "CORDON-ATT-006"
)

func (it *Item) evidence(msg string) findings.Evidence {
	e := findings.Evidence{Message: msg, Provenance: timeline.Provenance{Bundle: it.Bundle, Entry: it.Record, Line: it.Line}}
	if !it.Time.IsZero() {
		e.Time = it.Time.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	}
	return e
}

// injectionPoints lists what a diff changed at the places injected code
// is made to run: constructors, the entry point, libraries, search paths.
func injectionPoints(d *elfdiff.Diff) []string {
	var out []string
	for _, p := range d.Pointers {
		switch p.Status {
		case elfdiff.Added:
			out = append(out, fmt.Sprintf("%s[%d] added, calling %s", p.Table, p.Index, p.Suspect))
		case elfdiff.Removed:
			out = append(out, fmt.Sprintf("%s[%d] removed (was %s)", p.Table, p.Index, p.Trusted))
		default:
			out = append(out, fmt.Sprintf("%s[%d] now %s (trusted: %s)", p.Table, p.Index, p.Suspect, p.Trusted))
		}
	}
	for _, n := range d.NeededAdded {
		out = append(out, "DT_NEEDED "+n+" added")
	}
	for _, f := range d.Facts {
		switch f.Fact {
		case "interpreter", "rpath", "runpath":
			out = append(out, fmt.Sprintf("%s %q (trusted: %q)", f.Fact, f.Suspect, f.Trusted))
		}
	}
	return out
}

func (res *Result) findings() []findings.Finding {
	var out []findings.Finding
	add := func(f findings.Finding) {
		if len(f.Instances) > 0 {
			out = append(out, f)
		}
	}
	differs := findings.Finding{RuleID: RuleDiffers, Title: "A program differs from its trusted copy", Severity: "critical", Attack: supplyChain,
		Why: "What ran or was built on the host is not what the trusted rebuild or the package holds: the build, the package or the file was altered."}
	inject := findings.Finding{RuleID: RuleInjectionPoint, Title: "Code added where it runs by itself: constructors, entry point, libraries, search paths", Severity: "critical", Attack: supplyChain,
		Why: "A build that gains a constructor, a DT_NEEDED library, a new entry point or a library search path runs injected code before main without any call in the source."}
	for i := range res.Items {
		it := &res.Items[i]
		if it.Verdict != VerdictDiffers {
			continue
		}
		line := fmt.Sprintf("%s %s (%s) differs from %s", it.Kind, it.Label(), it.Bundle, trustedLabel(it.Trusted))
		if it.Diff != nil {
			line += ": " + it.Diff.Summary()
		} else if it.Note != "" {
			line += ": " + it.Note
		}
		differs.Instances = append(differs.Instances, line)
		differs.Evidence = append(differs.Evidence, it.evidence(line))
		if it.Diff != nil {
			if pts := injectionPoints(it.Diff); len(pts) > 0 {
				l := fmt.Sprintf("%s %s: %s", it.Kind, it.Label(), strings.Join(pts, "; "))
				inject.Instances = append(inject.Instances, l)
				inject.Evidence = append(inject.Evidence, it.evidence(l))
			}
		}
	}
	add(differs)
	add(inject)

	digest := findings.Finding{RuleID: RuleDigestMismatch, Title: "A provenance subject's digest does not match the artifact", Severity: "high", Attack: supplyChain,
		Why: "The attestation vouches for other bytes than the artifact beside it: the artifact was replaced after the build, or the attestation forged."}
	sigs := findings.Finding{RuleID: RuleSignatureFailed, Title: "A provenance signature does not verify with the builder's key", Severity: "high", Attack: supplyChain,
		Why: "An attestation that does not verify proves nothing: it was altered after signing or signed by another key."}
	for _, sc := range res.Statements {
		ev := findings.Evidence{Message: "provenance " + sc.File, Provenance: timeline.Provenance{Bundle: sc.Bundle, Entry: sc.Entry, Line: int64(sc.Statement.Line)}}
		for _, s := range sc.Subjects {
			if s.Status == "digest mismatch" {
				l := fmt.Sprintf("%s (line %d) says %s has SHA-256 %s; the artifact %s has %s", sc.File, sc.Statement.Line, s.Name, s.SHA256, s.Artifact, s.Actual)
				digest.Instances = append(digest.Instances, l)
				ev.Message = l
				digest.Evidence = append(digest.Evidence, ev)
			}
		}
		if sc.Statement.Verification == provenance.Failed {
			l := fmt.Sprintf("%s (line %d), builder %s, commit %s: signature fails verification", sc.File, sc.Statement.Line, sc.Statement.BuilderID, sc.Statement.SourceCommit)
			sigs.Instances = append(sigs.Instances, l)
			ev.Message = l
			sigs.Evidence = append(sigs.Evidence, ev)
		}
	}
	add(digest)
	add(sigs)

	pre := findings.Finding{RuleID: RulePreloaded, Title: "A process maps a preloaded shared object (ld.so.preload, LD_PRELOAD)", Severity: "high", Attack: linkerHijack,
		Why: "Preloading puts a library's code into every process the linker starts: the classic userland rootkit and credential stealer."}
	odd := findings.Finding{RuleID: RuleOddObject, Title: "A process maps a deleted shared object, or one from outside the package directories", Severity: "medium", Attack: linkerHijack,
		Why: "Libraries come from the packages' directories; one loaded from elsewhere, or deleted after loading, was put there by a build step, a search path or an intruder."}
	for i := range res.Items {
		it := &res.Items[i]
		if it.Kind != KindSharedObject {
			continue
		}
		l := fmt.Sprintf("PID %d maps %s (%s; %s)", it.PID, it.Path, strings.Join(it.Reasons, ", "), it.Verdict)
		hasPre := false
		for _, r := range it.Reasons {
			hasPre = hasPre || r == snapshot.ReasonLDPreload || r == snapshot.ReasonLdSoPreload
		}
		if hasPre {
			pre.Instances = append(pre.Instances, l)
			pre.Evidence = append(pre.Evidence, it.evidence(l))
		} else {
			odd.Instances = append(odd.Instances, l)
			odd.Evidence = append(odd.Evidence, it.evidence(l))
		}
	}
	add(pre)
	add(odd)
	sev := map[string]int{"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
	sort.SliceStable(out, func(i, j int) bool {
		if sev[out[i].Severity] != sev[out[j].Severity] {
			return sev[out[i].Severity] < sev[out[j].Severity]
		}
		return out[i].RuleID < out[j].RuleID
	})
	return out
}

func trustedLabel(r *TrustedRef) string {
	if r == nil {
		return "no trusted copy"
	}
	s := r.Kind + " " + r.Source
	if r.Package != "" {
		s = "package " + r.Package
	}
	return s + ": " + r.Path + " (matched by " + r.MatchedBy + ")"
}
