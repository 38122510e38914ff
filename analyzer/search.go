package analyzer

// search.go answers queries over a case: Case.Search through a Bleve index
// alias over every bundle's index (hits sorted by time, the first N), and
// the iterators behind Case.Events, which walk a bundle's event store either
// whole (no query: frames are skipped by time) or at the event numbers the
// bundle's index matched (a query: every match, in time order, streamed).

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/cordon-forensics/cordon/timeline"
)

// bleveQuery turns q into one Bleve query (a conjunction of its parts).
// The time range is left out when withTime is false (Case.Events filters
// times in the time-ordered event store, which costs nothing).
func bleveQuery(q Query, withTime bool) (query.Query, error) {
	var parts []query.Query
	if q.Query != "" {
		p, err := parseQuery(q.Query)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	if q.Host != "" {
		t := bleve.NewTermQuery(q.Host)
		t.SetField("host.name")
		parts = append(parts, t)
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

// Hit is one search result.
type Hit struct {
	Bundle string // the bundle's directory in the case (CaseBundle.Dir)
	Event  timeline.Event
}

// Search runs q over every bundle's index together (a Bleve index alias)
// and returns the number of matching events and the first limit of them in
// time order.
func (c *Case) Search(ctx context.Context, q Query, limit int) (uint64, []Hit, error) {
	bq, err := bleveQuery(q, true)
	if err != nil {
		return 0, nil, err
	}
	if limit < 0 {
		limit = 0
	}
	req := bleve.NewSearchRequestOptions(bq, limit, 0, false)
	req.SortBy([]string{"@timestamp", "_id"})
	req.Score = bleve.ScoreNone
	res, err := c.alias.SearchInContext(ctx, req)
	if err != nil {
		return 0, nil, fmt.Errorf("search: %w", err)
	}
	byName := map[string]*caseBundle{}
	for _, b := range c.bundles {
		byName[b.meta.Dir] = b
	}
	hits := make([]Hit, 0, len(res.Hits))
	var fr frameReader
	for _, h := range res.Hits {
		b := byName[h.Index]
		if b == nil {
			return 0, nil, fmt.Errorf("search hit in unknown index %q", h.Index)
		}
		n, err := strconv.ParseInt(h.ID, 10, 64)
		if err != nil {
			return 0, nil, fmt.Errorf("bad document id %q: %w", h.ID, err)
		}
		ev, err := fr.event(b.store, n)
		if err != nil {
			return 0, nil, fmt.Errorf("bundle %s: %w", b.meta.Dir, err)
		}
		hits = append(hits, Hit{Bundle: b.meta.Dir, Event: ev})
	}
	return res.Total, hits, nil
}

// matching returns the numbers of the events of one index that q matches,
// ascending (that is, in time order). It walks Bleve's searcher itself, so
// that no score, sort or hit list is built: a query matching a million
// events costs a million ids.
func matching(ctx context.Context, idx bleve.Index, q query.Query) ([]int64, error) {
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

// nanos is t in Unix nanoseconds, clamped to int64 (Go leaves UnixNano
// undefined outside 1678-2262; evidence holds such times).
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minNanoTime):
		return math.MinInt64
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// frameReader caches the last frame read from a store.
type frameReader struct {
	store *eventStore
	idx   int
	lines [][]byte
	raw   []byte
}

func (fr *frameReader) load(s *eventStore, i int) error {
	if fr.store == s && fr.idx == i && fr.lines != nil {
		return nil
	}
	lines, raw, err := s.frame(i, fr.raw)
	fr.raw = raw
	if err != nil {
		fr.lines = nil
		return err
	}
	fr.store, fr.idx, fr.lines = s, i, lines
	return nil
}

// event returns event number n of a store.
func (fr *frameReader) event(s *eventStore, n int64) (timeline.Event, error) {
	var ev timeline.Event
	i := s.frameOf(n)
	if n < 0 || i >= len(s.frames) {
		return ev, fmt.Errorf("event %d is not in the store (%d events)", n, s.events)
	}
	if err := fr.load(s, i); err != nil {
		return ev, err
	}
	err := json.Unmarshal(fr.lines[n-s.frames[i].First], &ev)
	return ev, err
}

// bundleIter walks the events of one bundle that a query selects.
type bundleIter struct {
	ctx      context.Context
	b        *caseBundle
	ord      int
	cur      timeline.Event
	from, to int64
	// seqs is the matched event numbers (a query), nil for a scan.
	seqs  []int64
	query bool
	pos   int
	// scan state
	fr    frameReader
	frame int
	line  int
}

// iter returns the iterator of b's events that q selects.
func (b *caseBundle) iter(ctx context.Context, q Query) (*bundleIter, error) {
	it := &bundleIter{ctx: ctx, b: b, ord: b.ord, from: math.MinInt64, to: math.MaxInt64, fr: frameReader{idx: -1}}
	if !q.From.IsZero() {
		it.from = nanos(q.From)
	}
	if !q.To.IsZero() {
		it.to = nanos(q.To)
	}
	if q.empty() {
		it.frame = 0
		if it.from != math.MinInt64 {
			it.frame = b.store.frameFrom(it.from)
		}
		return it, nil
	}
	bq, err := bleveQuery(q, false)
	if err != nil {
		return nil, err
	}
	seqs, err := matching(ctx, b.index, bq)
	if err != nil {
		return nil, err
	}
	if it.from != math.MinInt64 {
		// the events are in time order: skip to the first frame that may hold one late enough
		f := b.store.frameFrom(it.from)
		seqs = seqs[sort.Search(len(seqs), func(i int) bool { return b.store.frameOf(seqs[i]) >= f }):]
	}
	it.seqs, it.query = seqs, true
	return it, nil
}

// next moves to the next selected event; false at the end.
func (it *bundleIter) next() (bool, error) {
	s := it.b.store
	for {
		var line []byte
		if it.query {
			if it.pos >= len(it.seqs) {
				return false, nil
			}
			n := it.seqs[it.pos]
			it.pos++
			i := s.frameOf(n)
			if i >= len(s.frames) {
				return false, fmt.Errorf("event %d matched but is not in the store", n)
			}
			if err := it.fr.load(s, i); err != nil {
				return false, err
			}
			line = it.fr.lines[n-s.frames[i].First]
		} else {
			// Load frames until one has a line left (or none is left).
			for it.fr.lines == nil || it.fr.idx != it.frame || it.line >= len(it.fr.lines) {
				if it.fr.lines != nil && it.fr.idx == it.frame {
					it.frame++ // this frame is done
					it.line = 0
				}
				if it.frame >= len(s.frames) || s.frames[it.frame].Start > it.to {
					return false, nil
				}
				if err := it.fr.load(s, it.frame); err != nil {
					return false, err
				}
			}
			line = it.fr.lines[it.line]
			it.line++
		}
		var ev timeline.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return false, fmt.Errorf("bundle %s: stored event: %w", it.b.meta.Dir, err)
		}
		t := nanos(ev.Timestamp)
		if t < it.from {
			continue
		}
		if t > it.to {
			return false, nil // the rest is later still
		}
		it.cur = ev
		return true, nil
	}
}

// Count returns the number of events q selects in the case.
func (c *Case) Count(ctx context.Context, q Query) (uint64, error) {
	n, _, err := c.Search(ctx, q, 0)
	return n, err
}
