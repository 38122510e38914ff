package timeline

import (
	"cmp"
	"slices"
)

// Compare orders events by time, then by provenance (bundle, entry, line,
// byte offset), so that equal times keep the order of the evidence.
func Compare(a, b *Event) int {
	if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
		return c
	}
	pa, pb := &a.Cordon.Provenance, &b.Cordon.Provenance
	if c := cmp.Compare(pa.Bundle, pb.Bundle); c != 0 {
		return c
	}
	if c := cmp.Compare(pa.Entry, pb.Entry); c != 0 {
		return c
	}
	if c := cmp.Compare(pa.Line, pb.Line); c != 0 {
		return c
	}
	return cmp.Compare(pa.Offset, pb.Offset)
}

// Sort sorts events in place by Compare, keeping the order of events that
// compare equal.
func Sort(evs []Event) {
	slices.SortStableFunc(evs, func(a, b Event) int { return Compare(&a, &b) })
}
