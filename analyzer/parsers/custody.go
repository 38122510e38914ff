package parsers

import (
	"fmt"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// CustodyEvents turns a verified manifest, the collection's own log, into
// events: the collection's start and end, each source's outcome, every
// error the collector met and everything it could not collect. Their
// provenance is manifest.json itself.
func CustodyEvents(m *bundle.Manifest, manifestSHA256 string) []timeline.Event {
	if m == nil {
		return nil
	}
	host := m.Custody.Host.Hostname
	prov := timeline.Provenance{Bundle: m.Custody.EvidenceID, Entry: bundle.ManifestName, SHA256: manifestSHA256}
	base := func(t time.Time, action, msg string) timeline.Event {
		ev := timeline.Event{
			Timestamp: t.UTC(),
			Message:   msg,
			Event:     timeline.EventFields{Kind: "event", Category: []string{"host"}, Action: action, Dataset: "collection"},
			Cordon:    timeline.Cordon{TimeMeaning: timeline.MeaningLogged, TimeDerivation: "the collector's clock, from the signed manifest", Provenance: prov},
		}
		if host != "" {
			ev.Host = &timeline.Host{Name: host}
		}
		return ev
	}
	var out []timeline.Event
	c := m.Custody
	start := base(c.Host.ClockStart, "collection-started",
		fmt.Sprintf("collection %s started by %s %s (euid %d), examiner %q, case %q",
			c.EvidenceID, c.Collector.Name, c.Collector.Version, c.Collector.EUID, c.Examiner, c.CaseID))
	start.Labels = map[string]string{"command_line": strings.Join(c.Collector.CommandLine, " ")}
	if c.Host.ClockOffsetSeconds != nil {
		start.Labels["clock_offset_seconds"] = fmt.Sprintf("%.3f", *c.Host.ClockOffsetSeconds)
	}
	out = append(out, start)
	for _, s := range c.Sources {
		if s.Started.IsZero() {
			continue // skipped sources have no time of their own
		}
		ev := base(s.Started, "source-"+string(s.Status),
			fmt.Sprintf("source %s: %s, %d entries, %d bytes, %d errors %s", s.Name, s.Status, s.Entries, s.Bytes, s.Errors, s.Detail))
		ev.Labels = map[string]string{"source": s.Name, "status": string(s.Status)}
		if s.Status == bundle.SourceOK {
			ev.Event.Outcome = "success"
		} else if s.Status != bundle.SourceNoData {
			ev.Event.Outcome = "failure"
		}
		out = append(out, ev)
	}
	for _, e := range c.Errors {
		ev := base(e.At, "collection-error", fmt.Sprintf("%s: %s", e.Source, e.Error))
		ev.Event.Outcome = "failure"
		if e.HostPath != "" {
			ev.File = &timeline.File{Path: e.HostPath}
		}
		out = append(out, ev)
	}
	for _, miss := range m.Missing {
		ev := base(miss.At, "not-collected", fmt.Sprintf("%s could not collect %s: %s", miss.Source, miss.HostPath, miss.Error))
		ev.Event.Outcome = "failure"
		ev.File = &timeline.File{Path: miss.HostPath}
		if miss.Original != nil {
			ev.File.Type = miss.Original.Type
			ev.File.Size = miss.Original.Size
		}
		out = append(out, ev)
	}
	out = append(out, base(c.Host.ClockEnd, "collection-finished",
		fmt.Sprintf("collection %s finished: %d entries, %d not collected, %d errors", c.EvidenceID, len(m.Entries), len(m.Missing), len(c.Errors))))
	return out
}
