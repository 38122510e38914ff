package sigma

// A rule's detection, compiled once: searches become field tests, the
// condition a tree that stops at the first test deciding it.

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	sigmago "github.com/bradleyjkemp/sigma-go"
)

// node is a compiled condition.
type node interface {
	eval(r *record) bool
	// can says whether the node can be true and can be false when the
	// fields Cordon lacks are always absent.
	can() (canTrue, canFalse bool)
}

type andNode []node
type orNode []node
type notNode struct{ n node }

func (a andNode) eval(r *record) bool {
	for _, n := range a {
		if !n.eval(r) {
			return false
		}
	}
	return true
}

func (a andNode) can() (bool, bool) {
	t, f := true, false
	for _, n := range a {
		ct, cf := n.can()
		t, f = t && ct, f || cf
	}
	return t, f
}

func (o orNode) eval(r *record) bool {
	for _, n := range o {
		if n.eval(r) {
			return true
		}
	}
	return false
}

func (o orNode) can() (bool, bool) {
	t, f := false, true
	for _, n := range o {
		ct, cf := n.can()
		t, f = t || ct, f && cf
	}
	return t, f
}

func (n notNode) eval(r *record) bool { return !n.n.eval(r) }

func (n notNode) can() (bool, bool) {
	t, f := n.n.can()
	return f, t
}

// fieldTest is one "Field|modifiers: values" of a search, or a keyword list.
type fieldTest struct {
	name    string
	id      int // index into the rule set's fields; -1 for keywords
	keyword bool
	all     bool
	exists  int8 // +1 exists: true, -1 exists: false, 0 no exists test
	isRef   bool // fieldref: compare with the field ref
	ref     int
	vals    []valueMatcher
	nullOK  bool // one value is null: an absent field matches
	missing bool // no event of the rule's log source has this field
}

func (t *fieldTest) eval(r *record) bool {
	if t.keyword {
		return r.keywords(t)
	}
	var vals []string
	if !t.missing {
		vals = r.values(t.id)
	}
	switch {
	case t.exists != 0:
		return (len(vals) > 0) == (t.exists > 0)
	case t.isRef:
		return !t.missing && equalAny(vals, r.values(t.ref))
	case len(vals) == 0:
		return t.nullOK && (!t.all || len(t.vals) == 1)
	}
	lows := r.lowers(t.id)
	for i := range t.vals {
		ok := false
		for j, v := range vals {
			if t.vals[i].match(v, lows[j]) {
				ok = true
				break
			}
		}
		if t.all && !ok {
			return false
		}
		if !t.all && ok {
			return true
		}
	}
	return t.all
}

func (t *fieldTest) can() (bool, bool) {
	if !t.missing {
		return true, true
	}
	// the field is always absent
	alwaysTrue := t.exists < 0 || t.exists == 0 && !t.isRef && t.nullOK
	return alwaysTrue, !alwaysTrue
}

func equalAny(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				return true
			}
		}
	}
	return false
}

// compiler turns one parsed rule into nodes, numbering fields in the set.
type compiler struct {
	set     *RuleSet
	need    source
	missing map[string]bool
}

func (c *compiler) fieldID(name string) (int, error) {
	if id, ok := c.set.fieldIDs[name]; ok {
		if c.set.fields[id].in&c.need == 0 {
			c.missing[name] = true
			return id, errMissing
		}
		return id, nil
	}
	def, ok := lookupField(name)
	if !ok {
		c.missing[name] = true
		return -1, errMissing
	}
	id := len(c.set.fields)
	c.set.fields = append(c.set.fields, def)
	c.set.fieldIDs[name] = id
	if def.in&c.need == 0 {
		c.missing[name] = true
		return id, errMissing
	}
	return id, nil
}

var errMissing = fmt.Errorf("field missing")

func (c *compiler) test(field string, mods []string, values []any) (*fieldTest, error) {
	m, err := readModifiers(mods)
	if err != nil {
		return nil, err
	}
	t := &fieldTest{name: field, all: m.all, ref: -1, id: -1}
	if field == "" {
		t.keyword = true
		if m.place == kindEquals && !m.re && !m.cidr && m.compare == 0 {
			m.place = kindContains // keywords are found anywhere in the text
		}
		if m.exists || m.fieldref {
			return nil, fmt.Errorf("exists and fieldref need a field")
		}
	} else {
		id, err := c.fieldID(field)
		if err != nil && err != errMissing {
			return nil, err
		}
		t.id, t.missing = id, err == errMissing
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("field %q: no value", field)
	}
	for _, v := range values {
		s, isNull, err := scalar(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", field, err)
		}
		switch {
		case m.exists:
			switch strings.ToLower(s) {
			case "true":
				t.exists = 1
			case "false":
				t.exists = -1
			default:
				return nil, fmt.Errorf("field %q: exists wants true or false, not %q", field, s)
			}
			continue
		case m.fieldref:
			ref, err := c.fieldID(s)
			if err != nil && err != errMissing {
				return nil, err
			}
			if err == errMissing {
				t.missing = true
			}
			t.isRef, t.ref = true, ref
			continue
		case isNull || s == "" && m.place == kindEquals && !m.re:
			t.nullOK = true
			t.vals = append(t.vals, valueMatcher{kind: kindNull, anchor: -1})
			continue
		}
		vm, err := newValueMatcher(s, m)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", field, err)
		}
		if t.keyword {
			anchorKeyword(&vm, &c.set.keywords)
		}
		t.vals = append(t.vals, vm)
	}
	if (t.exists != 0 || t.isRef) && len(values) != 1 {
		return nil, fmt.Errorf("field %q: exists and fieldref take one value", field)
	}
	return t, nil
}

// search compiles one named search: a list of field maps (any of them),
// each a list of field tests (all of them), or a list of keywords.
func (c *compiler) search(s sigmago.Search) (node, error) {
	var anyOf orNode
	if len(s.Keywords) > 0 {
		vals := make([]any, len(s.Keywords))
		for i, k := range s.Keywords {
			vals[i] = k
		}
		t, err := c.test("", nil, vals)
		if err != nil {
			return nil, err
		}
		anyOf = append(anyOf, t)
	}
	for _, em := range s.EventMatchers {
		var all andNode
		for _, fm := range em {
			t, err := c.test(fm.Field, fm.Modifiers, fm.Values)
			if err != nil {
				return nil, err
			}
			all = append(all, t)
		}
		if len(all) == 0 {
			return nil, fmt.Errorf("an empty field map")
		}
		anyOf = append(anyOf, cheapFirst(all))
	}
	if len(anyOf) == 0 {
		return nil, fmt.Errorf("an empty search")
	}
	if len(anyOf) == 1 {
		return anyOf[0], nil
	}
	return anyOf, nil
}

// cheapFirst orders a conjunction so the tests that most often decide it
// cheaply run first: plain comparisons before regular expressions and
// keywords. The result does not depend on the order.
func cheapFirst(a andNode) node {
	cost := func(n node) int {
		t, ok := n.(*fieldTest)
		if !ok {
			return 2
		}
		switch {
		case t.keyword:
			return 3
		case t.missing:
			return 0
		}
		for _, v := range t.vals {
			if v.kind == kindRegexp || v.kind == kindGlob {
				return 2
			}
		}
		return 1
	}
	sort.SliceStable(a, func(i, j int) bool { return cost(a[i]) < cost(a[j]) })
	if len(a) == 1 {
		return a[0]
	}
	return a
}

// condition compiles a parsed condition over the compiled searches.
func (c *compiler) condition(e sigmago.SearchExpr, searches map[string]node, names []string) (node, error) {
	pick := func(pattern string) ([]node, error) {
		var out []node
		for _, n := range names {
			if pattern == "them" && !strings.HasPrefix(n, "_") || pattern != "them" && globName(pattern, n) {
				out = append(out, searches[n])
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%q names no search", pattern)
		}
		return out, nil
	}
	switch x := e.(type) {
	case sigmago.And:
		var a andNode
		for _, s := range x {
			n, err := c.condition(s, searches, names)
			if err != nil {
				return nil, err
			}
			a = append(a, n)
		}
		return a, nil
	case sigmago.Or:
		var o orNode
		for _, s := range x {
			n, err := c.condition(s, searches, names)
			if err != nil {
				return nil, err
			}
			o = append(o, n)
		}
		return o, nil
	case sigmago.Not:
		n, err := c.condition(x.Expr, searches, names)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case sigmago.SearchIdentifier:
		n, ok := searches[x.Name]
		if !ok {
			return nil, fmt.Errorf("condition names %q, which is not a search of the rule", x.Name)
		}
		return n, nil
	case sigmago.OneOfIdentifier:
		return c.condition(x.Ident, searches, names)
	case sigmago.AllOfIdentifier:
		return c.condition(x.Ident, searches, names)
	case sigmago.OneOfPattern:
		ns, err := pick(x.Pattern)
		return orNode(ns), err
	case sigmago.AllOfPattern:
		ns, err := pick(x.Pattern)
		return andNode(ns), err
	case sigmago.OneOfThem:
		ns, err := pick("them")
		return orNode(ns), err
	case sigmago.AllOfThem:
		ns, err := pick("them")
		return andNode(ns), err
	}
	return nil, fmt.Errorf("condition element %T is not supported", e)
}

// globName matches a search name against a condition's pattern ("selection_*").
func globName(pattern, name string) bool {
	var b strings.Builder
	b.WriteString("^")
	for _, part := range strings.Split(pattern, "*") {
		b.WriteString(regexp.QuoteMeta(part))
		b.WriteString(".*")
	}
	re := strings.TrimSuffix(b.String(), ".*") + "$"
	ok, _ := regexp.MatchString(re, name)
	return ok
}

// compileDetection compiles a rule's searches and conditions (several
// conditions: any of them).
func (c *compiler) compileDetection(d sigmago.Detection) (node, error) {
	if len(d.Conditions) == 0 {
		return nil, fmt.Errorf("no condition")
	}
	if d.Timeframe != 0 {
		return nil, fmt.Errorf("timeframe: aggregations over time are not evaluated (use a Sigma correlation engine)")
	}
	names := make([]string, 0, len(d.Searches))
	for n := range d.Searches {
		names = append(names, n)
	}
	sort.Strings(names)
	searches := make(map[string]node, len(names))
	for _, n := range names {
		s, err := c.search(d.Searches[n])
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", n, err)
		}
		searches[n] = s
	}
	var anyOf orNode
	for _, cond := range d.Conditions {
		if cond.Aggregation != nil {
			return nil, fmt.Errorf("condition with an aggregation (count, near, …): not evaluated (use a Sigma correlation engine)")
		}
		n, err := c.condition(cond.Search, searches, names)
		if err != nil {
			return nil, err
		}
		anyOf = append(anyOf, n)
	}
	if len(anyOf) == 1 {
		return anyOf[0], nil
	}
	return anyOf, nil
}
