package correlate

// Total orders for everything the correlation outputs, so that the same
// case gives the same threads, steps, links and trees byte for byte,
// whatever order its events were read in and whatever order Go's maps
// are walked in.

import (
	"cmp"
	"slices"
	"sort"
)

// sortKept puts what Add kept in a total order before the joins walk it:
// the joins take "the first" of several candidates, and first must not
// depend on the order of reading.
func (c *Correlator) sortKept() {
	bySockRef := func(a, b sock) int { return compareRefs(a.ref, b.ref) }
	slices.SortFunc(c.socks, bySockRef)
	slices.SortFunc(c.listeners, bySockRef)
	byFlow := func(a, b flow) int {
		if x := a.first.Compare(b.first); x != 0 {
			return x
		}
		if x := compareRefs(a.ref, b.ref); x != 0 {
			return x
		}
		return cmp.Compare(a.protocol, b.protocol)
	}
	slices.SortFunc(c.flows, byFlow)
	slices.SortFunc(c.stratum, byFlow)
	slices.SortFunc(c.pg, func(a, b pgEvent) int {
		if x := a.time.Compare(b.time); x != 0 {
			return x
		}
		return compareRefs(a.ref, b.ref)
	})
	slices.SortFunc(c.logins, func(a, b login) int { return compareLogins(&a, &b) })
	slices.SortFunc(c.indicators, func(a, b indicator) int {
		if x := compareRefs(a.ref, b.ref); x != 0 {
			return x
		}
		if x := cmp.Compare(a.kind, b.kind); x != 0 {
			return x
		}
		return cmp.Compare(a.value, b.value)
	})
	for _, acts := range c.acts {
		slices.SortFunc(acts, func(a, b userAct) int {
			if x := a.time.Compare(b.time); x != 0 {
				return x
			}
			if x := compareRefs(a.ref, b.ref); x != 0 {
				return x
			}
			return cmp.Compare(a.text, b.text)
		})
	}
}

// compareProcs orders processes by start time, then PID, then evidence.
func compareProcs(a, b *proc) int {
	if x := a.start.Compare(b.start); x != 0 {
		return x
	}
	if x := cmp.Compare(a.pid, b.pid); x != 0 {
		return x
	}
	return compareRefs(a.ref, b.ref)
}

// stageRank orders the stages as an attack unfolds, for steps at the same instant.
var stageRank = map[string]int{StageExposure: 0, StageInitialAccess: 1, StageExecution: 2, StageDefenseEvasion: 3, StagePersistence: 4, StageImpact: 5}

// compareSteps orders steps by time, then stage, kind, text and evidence:
// a total order, so that which step comes first (and is marked the first
// anomalous event) never depends on the order they were found in.
func compareSteps(a, b *Step) int {
	if x := a.Time.Compare(b.Time); x != 0 {
		return x
	}
	ra, oka := stageRank[a.Stage]
	rb, okb := stageRank[b.Stage]
	if !oka {
		ra = len(stageRank)
	}
	if !okb {
		rb = len(stageRank)
	}
	if x := cmp.Compare(ra, rb); x != 0 {
		return x
	}
	if x := cmp.Compare(a.Stage, b.Stage); x != 0 {
		return x
	}
	if x := cmp.Compare(a.Kind, b.Kind); x != 0 {
		return x
	}
	if x := cmp.Compare(a.Text, b.Text); x != 0 {
		return x
	}
	return compareRefLists(a.Evidence, b.Evidence)
}

func compareRefLists(a, b []Ref) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if x := compareRefs(a[i], b[i]); x != 0 {
			return x
		}
	}
	return cmp.Compare(len(a), len(b))
}

// sortSteps sorts steps by compareSteps and keeps, of steps saying the
// same thing (stage and text), the earliest.
func sortSteps(steps []Step) []Step {
	slices.SortFunc(steps, func(a, b Step) int { return compareSteps(&a, &b) })
	seen := map[string]bool{}
	out := steps[:0]
	for _, s := range steps {
		k := s.Stage + "\x00" + s.Text
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, s)
	}
	return out
}

// compareThreads puts the most significant thread first: highest score,
// then the earliest first step, then by title and bundle.
func compareThreads(a, b *Thread) int {
	if x := cmp.Compare(b.Score, a.Score); x != 0 {
		return x
	}
	if len(a.Steps) > 0 && len(b.Steps) > 0 {
		if x := compareSteps(&a.Steps[0], &b.Steps[0]); x != 0 {
			return x
		}
	}
	if x := cmp.Compare(len(b.Steps), len(a.Steps)); x != 0 {
		return x
	}
	if x := cmp.Compare(a.Title, b.Title); x != 0 {
		return x
	}
	return cmp.Compare(a.Bundle, b.Bundle)
}

// sortLinks orders joins by kind, text and evidence, dropping repeats (a
// spawn seen from two threads).
func sortLinks(ls []Link) []Link {
	slices.SortFunc(ls, func(a, b Link) int { return compareLinks(&a, &b) })
	return slices.CompactFunc(ls, func(a, b Link) bool { return compareLinks(&a, &b) == 0 })
}

func compareLinks(a, b *Link) int {
	if x := cmp.Compare(a.Kind, b.Kind); x != 0 {
		return x
	}
	if x := cmp.Compare(a.Text, b.Text); x != 0 {
		return x
	}
	return compareRefLists(a.Evidence, b.Evidence)
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
