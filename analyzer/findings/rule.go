// Package findings is Cordon's rule engine: it reads rules written as data
// (YAML, see analyzer/rules) and matches them against timeline events,
// producing findings that each point at the events, and so at the bundle
// entries, that prove them.
package findings

import (
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cordon-forensics/cordon/timeline"
)

// Rule is one detection rule as an analyst writes it in YAML.
type Rule struct {
	ID       string      `yaml:"id"`
	Title    string      `yaml:"title"`
	Severity string      `yaml:"severity"` // info, low, medium, high, critical
	Attack   Attack      `yaml:"attack"`
	Why      string      `yaml:"why"`
	Match    []Condition `yaml:"match"` // all must hold
	// Respawn, when set, makes the rule fire only when processes matching it
	// were started again under the same parent with the same executable
	// within Respawn.Window of each other (several snapshots or siblings).
	Respawn *Respawn `yaml:"respawn,omitempty"`
	// Check, when set, hands the matching events to a check written in Go
	// (check.go), which judges them together.
	Check *CheckSpec `yaml:"check,omitempty"`
}

// Respawn configures the respawn aggregation.
type Respawn struct {
	Window time.Duration `yaml:"window"`
	Min    int           `yaml:"min"` // distinct processes needed (default 2)
}

// Attack is a MITRE ATT&CK technique.
type Attack struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// Condition tests one field. Exactly one of Equals, Regex, Any is set.
type Condition struct {
	Field  string   `yaml:"field"`
	Equals string   `yaml:"equals,omitempty"`
	Regex  string   `yaml:"regex,omitempty"`
	Any    []string `yaml:"any,omitempty"` // field equals one of these
	// NotRegex: the field is set and does not match.
	NotRegex string `yaml:"not_regex,omitempty"`
	// DiffersFromBaseOf names a field holding a path: the condition holds when
	// this field is set and differs from that path's base name (with a kernel
	// " (deleted)" suffix removed, and cut to the kernel's 15-byte comm).
	DiffersFromBaseOf string `yaml:"differs_from_base_of,omitempty"`
	re, notRe         *regexp.Regexp
}

var severities = map[string]int{"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

func (c *Condition) match(v *view) bool {
	vals := v.values(c.Field)
	if c.DiffersFromBaseOf != "" {
		p := v.values(c.DiffersFromBaseOf)
		if len(vals) == 0 || len(p) == 0 {
			return false
		}
		return vals[0] != commOf(p[0])
	}
	if c.notRe != nil {
		// set, and no value matches
		if len(vals) == 0 {
			return false
		}
		for _, s := range vals {
			if c.notRe.MatchString(s) {
				return false
			}
		}
		return true
	}
	if c.re != nil && len(vals) == 0 {
		return c.re.MatchString("")
	}
	for _, s := range vals {
		switch {
		case c.re != nil:
			if c.re.MatchString(s) {
				return true
			}
		case len(c.Any) > 0:
			for _, a := range c.Any {
				if s == a {
					return true
				}
			}
		default:
			if s == c.Equals && s != "" {
				return true
			}
		}
	}
	return false
}

// Evidence points at one event that proves a finding.
type Evidence struct {
	Time       string              `json:"time"`
	Message    string              `json:"message"`
	Provenance timeline.Provenance `json:"provenance"`
}

// Finding is a rule that matched, with every event it matched.
type Finding struct {
	RuleID   string     `json:"rule_id"`
	Title    string     `json:"title"`
	Severity string     `json:"severity"`
	Attack   Attack     `json:"attack"`
	Why      string     `json:"why"`
	Evidence []Evidence `json:"evidence"`
	// Instances are a check's findings, one line each (a rule over single
	// events has none: its evidence says it all).
	Instances []string `json:"instances,omitempty"`
}

// ParseRules reads a YAML file holding a list of rules, validating each.
func ParseRules(name string, data []byte) ([]Rule, error) {
	var rules []Rule
	if err := yaml.Unmarshal(data, &rules); err != nil {
		return nil, fmt.Errorf("rules %s: %w", name, err)
	}
	for i := range rules {
		r := &rules[i]
		if r.ID == "" || r.Title == "" || r.Why == "" || r.Attack.ID == "" || len(r.Match) == 0 {
			return nil, fmt.Errorf("rules %s: rule %d (%q): id, title, why, attack.id and match are required", name, i, r.ID)
		}
		if r.Respawn != nil {
			if r.Respawn.Window <= 0 {
				return nil, fmt.Errorf("rules %s: rule %s: respawn.window must be positive", name, r.ID)
			}
			if r.Respawn.Min < 2 {
				r.Respawn.Min = 2
			}
		}
		if r.Check != nil {
			if _, err := newChecker(r.Check); err != nil {
				return nil, fmt.Errorf("rules %s: rule %s: %w", name, r.ID, err)
			}
		}
		if _, ok := severities[r.Severity]; !ok {
			return nil, fmt.Errorf("rules %s: rule %s: unknown severity %q", name, r.ID, r.Severity)
		}
		for j := range r.Match {
			c := &r.Match[j]
			if c.Regex != "" {
				re, err := regexp.Compile(c.Regex)
				if err != nil {
					return nil, fmt.Errorf("rules %s: rule %s: %w", name, r.ID, err)
				}
				c.re = re
			}
			if c.NotRegex != "" {
				re, err := regexp.Compile(c.NotRegex)
				if err != nil {
					return nil, fmt.Errorf("rules %s: rule %s: %w", name, r.ID, err)
				}
				c.notRe = re
			}
			if c.Field == "" || (c.re == nil && c.notRe == nil && c.Equals == "" && len(c.Any) == 0 && c.DiffersFromBaseOf == "") {
				return nil, fmt.Errorf("rules %s: rule %s: condition %d needs field and equals/regex/any", name, r.ID, j)
			}
		}
	}
	return rules, nil
}

// LoadRules reads every *.yaml file of fsys (e.g. analyzer/rules.FS).
func LoadRules(fsys fs.FS) ([]Rule, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var all []Rule
	seen := map[string]bool{}
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		rs, err := ParseRules(n, data)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if seen[r.ID] {
				return nil, fmt.Errorf("rules %s: duplicate rule id %s", n, r.ID)
			}
			seen[r.ID] = true
		}
		all = append(all, rs...)
	}
	return all, nil
}

// Engine matches rules against a stream of events.
type Engine struct {
	rules []Rule
	found map[string]*Finding
	// pending holds matching events of aggregating rules until Findings.
	pending map[string][]timeline.Event
	// MaxEvidence bounds the evidence kept per finding (the count is exact in Matched).
	MaxEvidence int
	Matched     map[string]int
	checks      map[string]Checker
	seers       []seer
	top         map[string]*int // per rule: keepSmallest's cached largest evidence
}

// NewEngine returns an engine for rules.
func NewEngine(rules []Rule) *Engine {
	e := &Engine{rules: rules, found: map[string]*Finding{}, pending: map[string][]timeline.Event{}, MaxEvidence: 50, Matched: map[string]int{},
		checks: map[string]Checker{}, top: map[string]*int{}}
	for i := range rules {
		if c := rules[i].Check; c != nil {
			ch, err := newChecker(c)
			if err != nil {
				continue // ParseRules has refused such a rule already
			}
			e.checks[rules[i].ID] = ch
			if s, ok := ch.(seer); ok {
				e.seers = append(e.seers, s)
			}
		}
	}
	return e
}

// Add matches one event against every rule.
func (e *Engine) Add(ev timeline.Event) {
	v := &view{ev: &ev}
	for _, s := range e.seers {
		s.See(&ev)
	}
	if ev.Labels["cordon.collector"] == "self" {
		return // the collector's own process is no evidence (parsers.SelfLabel)
	}
	for i := range e.rules {
		r := &e.rules[i]
		ok := true
		for j := range r.Match {
			if !r.Match[j].match(v) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		switch {
		case r.Respawn != nil:
			e.pending[r.ID] = append(e.pending[r.ID], ev)
		case r.Check != nil:
			e.checks[r.ID].Add(&ev)
		default:
			e.record(r, ev)
		}
	}
}

func (e *Engine) record(r *Rule, ev timeline.Event) {
	f := e.found[r.ID]
	if f == nil {
		f = &Finding{RuleID: r.ID, Title: r.Title, Severity: r.Severity, Attack: r.Attack, Why: r.Why}
		e.found[r.ID] = f
	}
	if e.top[r.ID] == nil {
		top := -1
		e.top[r.ID] = &top
	}
	e.Matched[r.ID]++
	// The earliest MaxEvidence events by the total order, whatever order
	// they came in.
	f.Evidence = keepSmallest(f.Evidence, e.top[r.ID], e.MaxEvidence, evidenceOf(&ev), CompareEvidence)
}

// Findings returns the findings, most severe first, then by rule id.
func (e *Engine) Findings() []Finding {
	for i := range e.rules {
		r := &e.rules[i]
		if r.Respawn == nil || len(e.pending[r.ID]) == 0 {
			continue
		}
		for _, ev := range respawned(e.pending[r.ID], *r.Respawn) {
			e.record(r, ev)
		}
		delete(e.pending, r.ID)
	}
	for i := range e.rules {
		r := &e.rules[i]
		ch := e.checks[r.ID]
		if ch == nil {
			continue
		}
		for _, in := range ch.Results() {
			for _, ev := range in.Evidence {
				e.record(r, ev)
			}
			if f := e.found[r.ID]; f != nil && len(f.Instances) < e.MaxEvidence {
				f.Instances = append(f.Instances, in.Summary)
			} else if f == nil {
				e.found[r.ID] = &Finding{RuleID: r.ID, Title: r.Title, Severity: r.Severity, Attack: r.Attack, Why: r.Why, Instances: []string{in.Summary}}
			}
		}
		delete(e.checks, r.ID)
	}
	out := make([]Finding, 0, len(e.found))
	for _, f := range e.found {
		f.Evidence = SortEvidence(f.Evidence)
		out = append(out, *f)
	}
	SortFindings(out)
	return out
}

// SortFindings orders findings most severe first, then by rule id (unique
// in a rule set), then by title: a total order for any list of findings.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		si, sj := severities[fs[i].Severity], severities[fs[j].Severity]
		if si != sj {
			return si > sj
		}
		if fs[i].RuleID != fs[j].RuleID {
			return fs[i].RuleID < fs[j].RuleID
		}
		return fs[i].Title < fs[j].Title
	})
}

// String is a one-line summary, for logs.
func (f Finding) String() string {
	return fmt.Sprintf("%s [%s] %s (%s %s): %d evidence", f.RuleID, strings.ToUpper(f.Severity), f.Title, f.Attack.ID, f.Attack.Name, len(f.Evidence))
}
