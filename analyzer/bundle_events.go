package analyzer

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// BundleResult is what ParseBundle found besides the events.
type BundleResult struct {
	Report      *bundle.Report
	Events      int
	Warnings    []timeline.Warning
	ParseErrors []string
}

// maxWarnings bounds the warnings kept from one bundle (the count goes on).
const maxWarnings = 10000

// ParseBundle verifies a bundle and, in the same streaming pass, runs every
// registered parser over the entries it matches, handing each event to fn
// as it is made. Events come before the checkpoint that signs their entry
// has been read: the caller must act on them only if the returned report's
// Status is intact (or mark them unverified). Provenance SHA-256s are those
// of the stream, which the report then confirms.
func ParseBundle(r io.Reader, vo bundle.VerifyOptions, fn func(timeline.Event)) (*BundleResult, error) {
	res := &BundleResult{}
	evidenceID := ""
	vo.OnEntry = func(name string, size int64, rd io.Reader) error {
		if name == bundle.HeaderName {
			var h bundle.Header
			if err := json.NewDecoder(io.LimitReader(rd, bundle.MaxHeaderSize)).Decode(&h); err == nil {
				evidenceID = h.EvidenceID
			}
			return nil
		}
		ps := ParsersFor(bundle.EntryRecord{Name: name})
		if len(ps) == 0 {
			return nil
		}
		o := timeline.Origin{Bundle: evidenceID, Entry: name}
		emit := Emit{
			Event: func(ev timeline.Event) {
				res.Events++
				fn(ev)
			},
			Warn: func(w timeline.Warning) {
				if len(res.Warnings) < maxWarnings {
					res.Warnings = append(res.Warnings, w)
				}
			},
		}
		if err := safeParse(ps[0], io.LimitReader(rd, size), o, emit); err != nil {
			res.ParseErrors = append(res.ParseErrors, fmt.Sprintf("%s: %s: %v", ps[0].Name, name, err))
		}
		return nil
	}
	rep, err := bundle.Verify(r, vo)
	res.Report = rep
	if rep != nil && rep.Manifest != nil {
		for _, ev := range CustodyEvents(rep.Manifest, rep.ManifestSHA256) {
			res.Events++
			fn(ev)
		}
	}
	return res, err
}

// safeParse runs a parser; a panic (a parser bug met by hostile bytes) is
// an error for that entry, never the end of the analysis.
func safeParse(p Parser, r io.Reader, o timeline.Origin, emit Emit) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("parser panicked: %v", x)
		}
	}()
	return p.Parse(r, o, emit)
}
