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
	"sort"
	"strconv"

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

// Search runs q over every bundle's index together (a Bleve index alias)
// and returns the number of matching events and the first limit of them in
// time order.
func (c *Case) Search(ctx context.Context, q Query, limit int) (uint64, []Hit, error) {
	bq, err := index.Compile(q, true)
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
	var fr eventstore.FrameReader
	for _, h := range res.Hits {
		b := byName[h.Index]
		if b == nil {
			return 0, nil, fmt.Errorf("search hit in unknown index %q", h.Index)
		}
		n, err := strconv.ParseInt(h.ID, 10, 64)
		if err != nil {
			return 0, nil, fmt.Errorf("bad document id %q: %w", h.ID, err)
		}
		line, err := fr.Line(b.store, n)
		if err != nil {
			return 0, nil, fmt.Errorf("bundle %s: %w", b.meta.Dir, err)
		}
		var ev timeline.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return 0, nil, fmt.Errorf("bundle %s: stored event %d: %w", b.meta.Dir, n, err)
		}
		hits = append(hits, Hit{Bundle: b.meta.Dir, Event: ev})
	}
	return res.Total, hits, nil
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
