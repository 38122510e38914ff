package index

// query.go turns the analyst's query strings into Bleve queries over the
// mapping of mapping.go (time ranges become the coarse time keywords), and
// walks an index for every event a query matches.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Selection is what a search selects: a query string, a host, a time range.
type Selection struct {
	// Query is a Bleve query string; words without a field search the message.
	Query string
	// Host is host.name, exactly; "" for every host.
	Host string
	// Hosts, when set, selects the events of any of these hosts (host.name,
	// exactly), and of Host.
	Hosts []string
	// From and To bound @timestamp, inclusive; a zero time is no bound.
	From, To time.Time
}

// HostNames returns Host and Hosts together, sorted, without repeats; nil
// when the selection is of every host.
func (q Selection) HostNames() []string {
	var out []string
	if q.Host != "" {
		out = append(out, q.Host)
	}
	out = append(out, q.Hosts...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Compile turns q into one Bleve query (a conjunction of its parts). The
// time range is left out when withTime is false (the case filters times in
// its time-ordered event store, which costs nothing).
func Compile(q Selection, withTime bool) (query.Query, error) {
	var parts []query.Query
	if q.Query != "" {
		p, err := parseQuery(q.Query)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	if hosts := q.HostNames(); len(hosts) > 0 {
		var hq []query.Query
		for _, h := range hosts {
			t := bleve.NewTermQuery(h)
			t.SetField("host.name")
			hq = append(hq, t)
		}
		if len(hq) == 1 {
			parts = append(parts, hq[0])
		} else {
			parts = append(parts, bleve.NewDisjunctionQuery(hq...))
		}
	}
	if withTime && (!q.From.IsZero() || !q.To.IsZero()) {
		incl := true
		parts = append(parts, timeRange(q.From, q.To, &incl, &incl))
	}
	switch len(parts) {
	case 0:
		return bleve.NewMatchAllQuery(), nil
	case 1:
		return parts[0], nil
	}
	return bleve.NewConjunctionQuery(parts...), nil
}

// parseQuery parses a Bleve query string, and turns its date ranges on
// @timestamp (which the index holds as a sortable keyword, see mapping.go)
// into term ranges.
func parseQuery(s string) (query.Query, error) {
	q, err := bleve.NewQueryStringQuery(s).Parse()
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", s, err)
	}
	q = rewriteTimeRanges(q)
	if v, ok := q.(query.ValidatableQuery); ok {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("query %q: %w", s, err)
		}
	}
	return q, nil
}

// rewriteTimeRanges replaces, in place, every date range on @timestamp.
func rewriteTimeRanges(q query.Query) query.Query {
	switch x := q.(type) {
	case *query.BooleanQuery:
		for _, c := range []*query.Query{&x.Must, &x.Should, &x.MustNot, &x.Filter} {
			if *c != nil {
				*c = rewriteTimeRanges(*c)
			}
		}
	case *query.ConjunctionQuery:
		for i := range x.Conjuncts {
			x.Conjuncts[i] = rewriteTimeRanges(x.Conjuncts[i])
		}
	case *query.DisjunctionQuery:
		for i := range x.Disjuncts {
			x.Disjuncts[i] = rewriteTimeRanges(x.Disjuncts[i])
		}
	case *query.DateRangeQuery:
		if x.FieldVal == "@timestamp" {
			return timeRange(x.Start.Time, x.End.Time, x.InclusiveStart, x.InclusiveEnd)
		}
	}
	return q
}

// timeRange selects the events from from to to (a zero time: no bound;
// inclusive unless said otherwise) with the coarse time keywords of
// mapping.go: whole days, then whole hours and minutes at the edges, then
// exact times within the two edge minutes.
func timeRange(from, to time.Time, inclFrom, inclTo *bool) query.Query {
	a, b := rangeStart, rangeEnd // half-open [a, b)
	if !from.IsZero() {
		a = clampTime(from)
		if inclFrom != nil && !*inclFrom {
			a = a.Add(time.Nanosecond)
		}
	}
	if !to.IsZero() {
		b = clampTime(to)
		if inclTo == nil || *inclTo {
			b = b.Add(time.Nanosecond)
		}
	}
	if !a.Before(b) {
		return bleve.NewMatchNoneQuery()
	}
	if a.Equal(rangeStart) && b.Equal(rangeEnd) {
		return bleve.NewMatchAllQuery()
	}
	parts := coverTime(a, b, 0, nil)
	if len(parts) == 1 {
		return parts[0]
	}
	return bleve.NewDisjunctionQuery(parts...)
}

// The bounds of an open time range (clampTime keeps indexed times within).
var (
	rangeStart = minIndexTime
	rangeEnd   = maxIndexTime.Add(time.Nanosecond)
)

// coverTime appends the queries covering [a, b) from timeLevels[level] on.
func coverTime(a, b time.Time, level int, out []query.Query) []query.Query {
	incl, excl := true, false
	bound := func(t time.Time, term func(time.Time) string) string {
		if t.Equal(rangeStart) || t.Equal(rangeEnd) {
			return "" // open: clamped times are kept too
		}
		return term(t)
	}
	if level == len(timeLevels) {
		r := bleve.NewTermRangeInclusiveQuery(bound(a, indexTime), bound(b, indexTime), &incl, &excl)
		r.SetField("@timestamp")
		return append(out, r)
	}
	l := timeLevels[level]
	whole0 := a.Truncate(l.unit)
	if whole0.Before(a) {
		whole0 = whole0.Add(l.unit)
	}
	whole1 := b.Truncate(l.unit)
	if !whole0.Before(whole1) {
		return coverTime(a, b, level+1, out) // no whole unit inside
	}
	if a.Before(whole0) {
		out = coverTime(a, whole0, level+1, out)
	}
	if whole0.Before(rangeStart.Add(l.unit)) {
		whole0 = rangeStart
	}
	if whole1.After(rangeEnd.Add(-l.unit)) {
		whole1 = rangeEnd
	}
	r := bleve.NewTermRangeInclusiveQuery(bound(whole0, l.term), bound(whole1, l.term), &incl, &excl)
	r.SetField(l.field)
	out = append(out, r)
	if whole1.Before(b) {
		out = coverTime(whole1, b, level+1, out)
	}
	return out
}

// ValidateQuery reports whether a query string parses.
func ValidateQuery(s string) error {
	if s == "" {
		return nil
	}
	_, err := parseQuery(s)
	return err
}

// Matching returns the numbers of the events of one index that q matches,
// ascending (that is, in time order). It walks Bleve's searcher itself, so
// that no score, sort or hit list is built: a query matching a million
// events costs a million ids.
func Matching(ctx context.Context, idx bleve.Index, q query.Query) ([]int64, error) {
	adv, err := idx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	s, err := q.Searcher(ctx, r, idx.Mapping(), search.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0), IndexReader: r}
	var out []int64
	for i := 0; ; i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		dm, err := s.Next(sctx)
		if err != nil {
			return nil, err
		}
		if dm == nil {
			break
		}
		id, err := r.ExternalID(dm.IndexInternalID)
		if err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad document id %q: %w", id, err)
		}
		out = append(out, n)
		sctx.DocumentMatchPool.Put(dm)
	}
	slices.Sort(out)
	return out, nil
}
