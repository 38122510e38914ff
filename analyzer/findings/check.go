package findings

// Checks are the rules that judge many events together (counts, absences,
// comparisons between sources), written in Go and named from YAML:
//
//	- id: CORDON-ACC-001
//	  …
//	  check: {name: brute-force, params: {min: "10", window: 1h, require_success: "true"}}
//	  match:                      # preselects the events the check is given
//	    - {field: event.action, equals: ssh-login}
//
// A check is given the events its rule's match selects (Add), and may see
// every event of the case for context (See, when it implements seer); at
// the end it returns instances, each a one-line summary with the events
// that prove it. A check keeps what it needs, bounded.

import (
	"fmt"
	"sort"
	"strconv"
	"time"
	"unique"

	"github.com/cordon-forensics/cordon/timeline"
)

// CheckSpec names a check and its parameters in a rule.
type CheckSpec struct {
	Name   string            `yaml:"name"`
	Params map[string]string `yaml:"params,omitempty"`
}

// Instance is one thing a check found.
type Instance struct {
	Summary  string
	Evidence []timeline.Event
}

// Checker is a running check.
type Checker interface {
	Add(ev *timeline.Event)
	Results() []Instance
}

// seer is a Checker that also sees every event of the case.
type seer interface {
	See(ev *timeline.Event)
}

// checkers are the checks by name.
var checkers = map[string]func(p params) (Checker, error){}

func registerCheck(name string, f func(p params) (Checker, error)) { checkers[name] = f }

// CheckNames lists the checks a rule may name.
func CheckNames() []string {
	var out []string
	for n := range checkers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func newChecker(s *CheckSpec) (Checker, error) {
	f, ok := checkers[s.Name]
	if !ok {
		return nil, fmt.Errorf("unknown check %q (known: %v)", s.Name, CheckNames())
	}
	return f(params(s.Params))
}

// params reads a check's parameters with defaults.
type params map[string]string

func (p params) int(name string, def int) (int, error) {
	s, ok := p[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("param %s: %q is not a count", name, s)
	}
	return n, nil
}

func (p params) duration(name string, def time.Duration) (time.Duration, error) {
	s, ok := p[name]
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("param %s: %q is not a duration", name, s)
	}
	return d, nil
}

func (p params) bool(name string) bool { return p[name] == "true" }

// keyOf is the value of a field used to group events ("" when absent).
func keyOf(ev *timeline.Event, field string) string {
	v := (&view{ev: ev}).values(field)
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// sample keeps up to n events: the earliest by timeline.Compare, whatever
// order they come in; sorted() lists them in that order.
type sample struct {
	n   int
	evs []timeline.Event
	top int
}

func (s *sample) add(ev *timeline.Event) {
	if len(s.evs) == 0 {
		s.top = -1
	}
	s.evs = keepSmallest(s.evs, &s.top, s.n, keep(ev), func(a, b timeline.Event) int { return timeline.Compare(&a, &b) })
}

func (s *sample) sorted() []timeline.Event {
	sortEvents(s.evs)
	s.top = -1
	return s.evs
}

// keep returns what a check holds on to of an event: what evidence
// (time, message, provenance) and the checks' summaries read, with the
// strings every event of an entry repeats interned. A check may hold a
// sample per address over millions of events: a whole decoded event costs
// about a kilobyte, this a fraction of it. The entry's hash is left out:
// the investigation fills it from the case's signed entry records.
func keep(ev *timeline.Event) timeline.Event {
	k := timeline.Event{Timestamp: ev.Timestamp, Message: ev.Message, User: ev.User, Source: ev.Source, File: ev.File}
	for _, l := range keptLabels {
		if v, ok := ev.Labels[l]; ok {
			if k.Labels == nil {
				k.Labels = map[string]string{}
			}
			k.Labels[l] = v
		}
	}
	k.Event.Action = intern(ev.Event.Action)
	k.Event.Outcome = intern(ev.Event.Outcome)
	k.Event.Dataset = intern(ev.Event.Dataset)
	k.Cordon.TimeMeaning = ev.Cordon.TimeMeaning
	p := ev.Cordon.Provenance
	k.Cordon.Provenance = timeline.Provenance{Bundle: intern(p.Bundle), Entry: intern(p.Entry), Line: p.Line, Offset: p.Offset}
	return k
}

// keptLabels are the labels the checks' summaries read from the events they keep.
var keptLabels = []string{"package.name"}

func intern(s string) string { return unique.Make(s).Value() }

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }
