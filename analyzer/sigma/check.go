package sigma

import (
	"path"
	"sort"
	"strings"
)

// Check is what a rule set holds, for `cordon sigma check`: how many rule
// files were read, how many became rules, how many can match some event
// Cordon has, and why the others cannot.
type Check struct {
	Files         int            `json:"files"`
	Loaded        int            `json:"loaded"`
	NotParsed     []Failure      `json:"not_parsed"`
	Applicable    int            `json:"applicable"`
	NotApplicable []RuleNote     `json:"not_applicable"`
	Partly        []RuleNote     `json:"partly_applicable"` // applicable, but some tests read a field no event has
	Keyword       int            `json:"keyword_rules"`     // rules with a keyword search
	ByLogsource   map[string]int `json:"by_logsource"`      // loaded rules per logsource
	// NeededFields counts, over the rules not applicable, the fields they need.
	NeededFields map[string]int `json:"needed_fields"`
}

// RuleNote is a rule and what is said of it.
type RuleNote struct {
	File  string `json:"file"`
	ID    string `json:"id"`
	Title string `json:"title"`
	Note  string `json:"note"`
}

// Check describes the rule set.
func (set *RuleSet) Check() Check {
	c := Check{Files: set.Files, Loaded: len(set.Rules), NotParsed: set.Failures, ByLogsource: map[string]int{}, NeededFields: map[string]int{}}
	if c.NotParsed == nil {
		c.NotParsed = []Failure{}
	}
	for _, r := range set.Rules {
		c.ByLogsource[r.Logsource]++
		if hasKeywords(r.cond) {
			c.Keyword++
		}
		switch {
		case !r.Applicable:
			c.NotApplicable = append(c.NotApplicable, RuleNote{File: path.Join(r.Dir, r.File), ID: r.ID, Title: r.Title, Note: r.NotApplicable})
			for _, f := range r.Missing {
				c.NeededFields[f]++
			}
		case len(r.Missing) > 0:
			c.Applicable++
			c.Partly = append(c.Partly, RuleNote{File: path.Join(r.Dir, r.File), ID: r.ID, Title: r.Title,
				Note: "never present: " + strings.Join(r.Missing, ", ") + " (the tests on them never hold)"})
		default:
			c.Applicable++
		}
	}
	sort.SliceStable(c.NotApplicable, func(i, j int) bool { return c.NotApplicable[i].Note < c.NotApplicable[j].Note })
	if c.NotApplicable == nil {
		c.NotApplicable = []RuleNote{}
	}
	if c.Partly == nil {
		c.Partly = []RuleNote{}
	}
	return c
}

func hasKeywords(n node) bool {
	switch x := n.(type) {
	case andNode:
		for _, m := range x {
			if hasKeywords(m) {
				return true
			}
		}
	case orNode:
		for _, m := range x {
			if hasKeywords(m) {
				return true
			}
		}
	case notNode:
		return hasKeywords(x.n)
	case *fieldTest:
		return x.keyword
	}
	return false
}

// Notes are the lines a run with this rule set says about it once: what
// did not load and what cannot match (never silently dropped).
func (set *RuleSet) Notes() []string {
	var out []string
	for _, f := range set.Failures {
		out = append(out, "sigma: not parsed: "+f.Dir+"/"+f.File+": "+f.Reason)
	}
	for _, r := range set.Rules {
		if !r.Applicable {
			out = append(out, "sigma: not applicable: "+r.Dir+"/"+r.File+" ("+r.Title+"): "+r.NotApplicable)
		}
	}
	return out
}
