package findings

// The total orders that make the findings the same whatever order the
// events arrive in: evidence by time then place, events by
// timeline.Compare. Every bounded list keeps its smallest members under
// these orders, not the first ones read.

import (
	"cmp"
	"slices"

	"github.com/cordon-forensics/cordon/timeline"
)

// CompareEvidence orders evidence by time (the fixed-width UTC form sorts
// as text), then by provenance, then by message: a total order.
func CompareEvidence(a, b Evidence) int {
	if c := cmp.Compare(a.Time, b.Time); c != 0 {
		return c
	}
	if c := a.Provenance.Compare(b.Provenance); c != 0 {
		return c
	}
	return cmp.Compare(a.Message, b.Message)
}

// SortEvidence sorts evidence by CompareEvidence and drops exact repeats.
func SortEvidence(ev []Evidence) []Evidence {
	slices.SortFunc(ev, CompareEvidence)
	return slices.CompactFunc(ev, func(a, b Evidence) bool { return CompareEvidence(a, b) == 0 })
}

// evidenceOf is the evidence an event gives.
func evidenceOf(ev *timeline.Event) Evidence {
	return Evidence{Time: ev.Timestamp.UTC().Format("2006-01-02T15:04:05.000000000Z"), Message: ev.Message, Provenance: ev.Cordon.Provenance}
}

// keepSmallest adds x to a list bounded to n members, keeping the n
// smallest under less-or-equal cmp; top caches the index of the largest
// member (-1: unknown). Exact repeats (cmp 0 with a member) are kept once.
func keepSmallest[T any](list []T, top *int, n int, x T, compare func(a, b T) int) []T {
	if len(list) >= n {
		if n == 0 {
			return list
		}
		if *top < 0 {
			*top = 0
			for i := range list {
				if compare(list[i], list[*top]) > 0 {
					*top = i
				}
			}
		}
		if compare(x, list[*top]) >= 0 {
			return list // the common case when events come in order: one comparison
		}
	}
	for i := range list {
		if compare(list[i], x) == 0 {
			return list
		}
	}
	if len(list) < n {
		return append(list, x)
	}
	list[*top] = x
	*top = -1
	return list
}

// earlier says whether event a comes before b in the total order.
func earlier(a, b *timeline.Event) bool { return timeline.Compare(a, b) < 0 }

// sortEvents sorts events by timeline.Compare.
func sortEvents(evs []timeline.Event) {
	slices.SortFunc(evs, func(a, b timeline.Event) int { return timeline.Compare(&a, &b) })
}
