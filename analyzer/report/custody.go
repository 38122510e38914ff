package report

import "github.com/cordon-forensics/cordon/formats/bundle"

// WithCustody returns b with what the signed manifest says of the
// collection: examiner, host, times, clock offset, collector and its
// options, whether it was imported or interrupted and which sources fell short, and the signed entries for the appendix. The caller sets the
// verification outcome (EvidenceID, Path, SHA256, Verification,
// Unverified, KeyID, Trust) and the parser settings.
func (b Bundle) WithCustody(c bundle.Custody, entries []bundle.EntryRecord) Bundle {
	b.Examiner, b.Host = c.Examiner, c.Host.Hostname
	b.Start, b.End = c.Host.ClockStart, c.Host.ClockEnd
	b.ClockOffsetSeconds, b.ReferenceTime = c.Host.ClockOffsetSeconds, c.Host.ReferenceTime
	b.ToolVersion = c.Collector.Name + " " + c.Collector.Version
	b.Options = c.Options
	b.Imported, b.Interrupted = c.Import, c.Interrupted
	b.Incomplete = nil
	for _, s := range c.Sources {
		switch s.Status {
		case bundle.SourcePartial, bundle.SourceError, bundle.SourceTimeout, bundle.SourceInterrupted:
			b.Incomplete = append(b.Incomplete, SourceNote{Name: s.Name, Status: s.Status, Detail: s.Detail})
		}
	}
	b.Entries = nil
	for _, e := range entries {
		b.Entries = append(b.Entries, Entry{Name: e.Name, SHA256: e.SHA256, Size: e.Size})
	}
	return b
}
