package timeline

import (
	"cmp"
	"slices"
)

// Compare orders events by time, then by provenance (bundle, entry, line,
// byte offset), so that equal times keep the order of the evidence. Events
// read from one record (a file's several times, a process and its parent)
// are then ordered by what their time means, their action and their
// message: two events Compare calls equal say the same thing from the same
// place, and any order of them renders the same.
func Compare(a, b *Event) int {
	if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
		return c
	}
	if c := a.Cordon.Provenance.Compare(b.Cordon.Provenance); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Cordon.TimeMeaning, b.Cordon.TimeMeaning); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Event.Action, b.Event.Action); c != 0 {
		return c
	}
	return cmp.Compare(a.Message, b.Message)
}

// Compare orders provenances by bundle, entry, line, byte offset and entry
// hash: a total order, for output that does not depend on the order in
// which events were read.
func (p Provenance) Compare(q Provenance) int {
	if c := cmp.Compare(p.Bundle, q.Bundle); c != 0 {
		return c
	}
	if c := cmp.Compare(p.Entry, q.Entry); c != 0 {
		return c
	}
	if c := cmp.Compare(p.Line, q.Line); c != 0 {
		return c
	}
	if c := cmp.Compare(p.Offset, q.Offset); c != 0 {
		return c
	}
	return cmp.Compare(p.SHA256, q.SHA256)
}

// Sort sorts events in place by Compare, keeping the order of events that
// compare equal.
func Sort(evs []Event) {
	slices.SortStableFunc(evs, func(a, b Event) int { return Compare(&a, &b) })
}
