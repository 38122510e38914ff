package casestore

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
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/cordon-forensics/cordon/analyzer/eventstore"
	"github.com/cordon-forensics/cordon/analyzer/index"
	"github.com/cordon-forensics/cordon/timeline"
)

// Hit is one search result.
type Hit struct {
	Bundle string // the bundle's directory in the case (CaseBundle.Dir)
	Event  timeline.Event
}

// Search runs q over the bundles' indexes and returns the number of
// matching events and the first limit of them in time order (events at
// the same instant: in bundle order, then in the order the bundle holds
// them).
//
// A case of many hosts and days holds many bundles, and sorting every
// match of every bundle by time costs in proportion to the matches. So a
// time range asks only the bundles whose events span it; the total is
// counted without sorting (Bleve index aliases run the bundles in
// parallel); and the first matches are searched bundle by bundle in the
// order of their first events, a few at a time (each on its own), stopping
// once the bundles left begin after the last of the first limit found.
func (c *Case) Search(ctx context.Context, q Query, limit int) (uint64, []Hit, error) {
	bq, err := index.Compile(q, true)
	if err != nil {
		return 0, nil, err
	}
	limit = max(limit, 0)
	cands := make([]*caseBundle, 0, len(c.bundles)) // ordered by first event (Open)
	for _, b := range c.bundles {
		if (q.From.IsZero() && q.To.IsZero()) ||
			b.meta.Events > 0 && (q.To.IsZero() || !b.meta.First.After(q.To)) && (q.From.IsZero() || !b.meta.Last.Before(q.From)) {
			cands = append(cands, b)
		}
	}
	if len(cands) == 0 {
		return 0, nil, nil
	}
	alias := c.alias
	if len(cands) < len(c.bundles) {
		alias = aliasOf(cands)
	}
	count := bleve.NewSearchRequestOptions(bq, 0, 0, false)
	count.Score = bleve.ScoreNone
	res, err := alias.SearchInContext(ctx, count)
	if err != nil {
		return 0, nil, fmt.Errorf("search: %w", err)
	}
	total := res.Total
	if limit == 0 || total == 0 {
		return total, nil, nil
	}

	type found struct {
		b    *caseBundle
		n    int64
		time string // the indexed @timestamp: fixed width, sorts as times do
	}
	var top []found
	less := func(x, y found) int {
		if c := strings.Compare(x.time, y.time); c != 0 {
			return c
		}
		if x.b.ord != y.b.ord {
			return x.b.ord - y.b.ord
		}
		return int(x.n - y.n)
	}
	batch := max(4, runtime.GOMAXPROCS(0))
	for i := 0; i < len(cands); {
		if len(top) == limit && cands[i].meta.First.After(parseIndexTime(top[limit-1].time)) {
			break // every bundle left begins after the last of the first limit
		}
		j := min(i+batch, len(cands))
		// Each bundle on its own (at once): its first limit by time, ties in
		// the order it holds them; the merge orders ties between bundles.
		results := make([]*bleve.SearchResult, j-i)
		errs := make([]error, j-i)
		var wg sync.WaitGroup
		for k, b := range cands[i:j] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := bleve.NewSearchRequestOptions(bq, limit, 0, false)
				req.SortBy([]string{"@timestamp", "_id"})
				req.Score = bleve.ScoreNone
				results[k], errs[k] = b.index.SearchInContext(ctx, req)
			}()
		}
		wg.Wait()
		for k, res := range results {
			if errs[k] != nil {
				return 0, nil, fmt.Errorf("search: %w", errs[k])
			}
			b := cands[i+k]
			for _, h := range res.Hits {
				n, err := strconv.ParseInt(h.ID, 10, 64)
				if err != nil {
					return 0, nil, fmt.Errorf("bad document id %q: %w", h.ID, err)
				}
				if len(h.Sort) == 0 {
					return 0, nil, fmt.Errorf("search hit %s without its time", h.ID)
				}
				top = append(top, found{b, n, h.Sort[0]})
			}
		}
		slices.SortFunc(top, less)
		top = top[:min(len(top), limit)]
		i = j
	}
	// Read bundle by bundle, frame by frame (each frame decompressed once),
	// then put back in time order.
	order := make([]int, len(top))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int {
		if top[x].b.ord != top[y].b.ord {
			return top[x].b.ord - top[y].b.ord
		}
		return int(top[x].n - top[y].n)
	})
	hits := make([]Hit, len(top))
	var fr eventstore.FrameReader
	for _, i := range order {
		b, n := top[i].b, top[i].n
		line, err := fr.Line(b.store, n)
		if err != nil {
			return 0, nil, fmt.Errorf("bundle %s: %w", b.meta.Dir, err)
		}
		if err := json.Unmarshal(line, &hits[i].Event); err != nil {
			return 0, nil, fmt.Errorf("bundle %s: stored event %d: %w", b.meta.Dir, n, err)
		}
		hits[i].Bundle = b.meta.Dir
	}
	return total, hits, nil
}

// aliasOf searches these bundles' indexes together.
func aliasOf(bs []*caseBundle) bleve.IndexAlias {
	idx := make([]bleve.Index, len(bs))
	for i, b := range bs {
		idx[i] = b.index
	}
	return bleve.NewIndexAlias(idx...)
}

// parseIndexTime reads an indexed @timestamp (index.indexTime); the
// latest time (which stops nothing) when it does not parse.
func parseIndexTime(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05.000000000Z", s)
	if err != nil {
		return time.Time{}.Add(1<<63 - 1)
	}
	return t
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
	fr    eventstore.FrameReader
	lines [][]byte // the frame being scanned
	frame int
	line  int
}

// iter returns the iterator of b's events that q selects.
func (b *caseBundle) iter(ctx context.Context, q Query) (*bundleIter, error) {
	it := &bundleIter{ctx: ctx, b: b, ord: b.ord, from: math.MinInt64, to: math.MaxInt64, frame: 0}
	if !q.From.IsZero() {
		it.from = eventstore.Nanos(q.From)
	}
	if !q.To.IsZero() {
		it.to = eventstore.Nanos(q.To)
	}
	if q.Query == "" && len(q.HostNames()) == 0 {
		it.frame = 0
		if it.from != math.MinInt64 {
			it.frame = b.store.FrameFrom(it.from)
		}
		return it, nil
	}
	bq, err := index.Compile(q, false)
	if err != nil {
		return nil, err
	}
	seqs, err := index.Matching(ctx, b.index, bq)
	if err != nil {
		return nil, err
	}
	if it.from != math.MinInt64 {
		// the events are in time order: skip to the first frame that may hold one late enough
		f := b.store.FrameFrom(it.from)
		seqs = seqs[sort.Search(len(seqs), func(i int) bool { return b.store.FrameOf(seqs[i]) >= f }):]
	}
	it.seqs, it.query = seqs, true
	return it, nil
}

// next moves to the next selected event; false at the end.
func (it *bundleIter) next() (bool, error) {
	s := it.b.store
	frames := s.Frames()
	for {
		var line []byte
		if it.query {
			if it.pos >= len(it.seqs) {
				return false, nil
			}
			n := it.seqs[it.pos]
			it.pos++
			l, err := it.fr.Line(s, n)
			if err != nil {
				return false, fmt.Errorf("event %d matched: %w", n, err)
			}
			line = l
		} else {
			// Load frames until one has a line left (or none is left).
			for it.lines == nil || it.line >= len(it.lines) {
				if it.lines != nil {
					it.frame++ // this frame is done
					it.line = 0
				}
				if it.frame >= len(frames) || frames[it.frame].Start > it.to {
					return false, nil
				}
				lines, err := it.fr.FrameLines(s, it.frame)
				if err != nil {
					return false, err
				}
				it.lines = lines
			}
			line = it.lines[it.line]
			it.line++
		}
		var ev timeline.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return false, fmt.Errorf("bundle %s: stored event: %w", it.b.meta.Dir, err)
		}
		t := eventstore.Nanos(ev.Timestamp)
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
