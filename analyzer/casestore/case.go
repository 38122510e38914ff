// Package casestore is the case directory: the analyzed bundles of an
// investigation, each with its metadata, its time-sorted event store and its
// Bleve index, read together by search, timeline, findings and reports.
// builder.go adds a bundle to a case; case.go and search.go read it.
package casestore

// case.go is the stable API over an analyzed case: the directory that
// `cordon analyze BUNDLE... --case DIR` fills and that search, timeline,
// findings and report read.
//
// Usage, for code that consumes events (findings, correlation, reports):
//
//	c, err := casestore.Open(dir)
//	if err != nil { … }
//	defer c.Close()
//	for _, b := range c.Bundles() { … b.EvidenceID, b.Verification, b.Custody, b.Entries … }
//	err = c.Events(ctx, casestore.Query{}, func(ev timeline.Event) error {
//		… // every event of every bundle, in time order
//		return nil
//	})
//	err = c.Events(ctx, casestore.Query{Query: `+event.action:process-started`, Host: "web01",
//		From: t0, To: t1}, fn) // a Bleve query string, a host, a time range
//
// Layout of a case directory (analyzer/pipeline fills it through builder.go):
//
//	DIR/.lock                       flock(2) held for moments by a writer reserving or
//	                                publishing a bundle (lock.go)
//	DIR/bundles/<dir>.lock          flock(2) of the one writer building that bundle
//	DIR/bundles/<dir>.tmp-RANDOM/   a bundle being built (never read)
//	DIR/bundles/<dir>/bundle.json   CaseBundle: verification, trust, custody, entries
//	DIR/bundles/<dir>/events.jsonl.zst  every event of the bundle as ECS JSON, one a
//	                                line, sorted by time; independent zstd frames
//	                                (`zstd -dc` reads it whole)
//	DIR/bundles/<dir>/frames.json   where each frame starts, its first event number
//	                                and time span (random access by event number)
//	DIR/bundles/<dir>/index.bleve/  the Bleve index; a document's id is the event's
//	                                number in events.jsonl.zst
//	DIR/bundles/<dir>/warnings.jsonl  the parsers' warnings (bad records, with offsets)
//	DIR/investigation.json          the investigation of the whole case, and
//	DIR/investigations/hosts-….json those of host sets (analyzer/investigation)
//
// <dir> is "b-" and the first 16 hex digits of the bundle file's SHA-256: the
// evidence id inside a bundle is attacker-controlled and never becomes a path.
// A bundle directory appears whole (it is built under a temporary name and
// renamed), so a reader never sees half an analysis.

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/cordon-forensics/cordon/analyzer/eventstore"
	"github.com/cordon-forensics/cordon/analyzer/index"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// CaseFormatVersion is the version of the case directory layout; OpenCase
// refuses a bundle directory written with another.
const CaseFormatVersion = 1

// CaseBundle is one analyzed bundle of a case: what verification said of
// it and what its signed manifest holds. It is bundle.json in the bundle's
// directory.
type CaseBundle struct {
	FormatVersion int           `json:"format_version"`
	Dir           string        `json:"dir"`         // directory name under DIR/bundles
	EvidenceID    string        `json:"evidence_id"` // from the signed header (attacker-written: escape before printing)
	Path          string        `json:"path"`        // the bundle file as the analyst named it
	SHA256        string        `json:"sha256"`      // of the bundle file: compare with the custody form
	Verification  bundle.Status `json:"verification"`
	// Unverified is true when the bundle was analyzed with --force although
	// it did not verify intact: every one of its events carries cordon.unverified.
	Unverified bool             `json:"unverified"`
	Trust      bundle.Trust     `json:"trust"`
	KeyID      string           `json:"key_id,omitempty"`
	Problems   []bundle.Problem `json:"problems,omitempty"`
	// Custody is the manifest's custody (zero when the manifest was not
	// verified: a forced, incomplete bundle).
	Custody bundle.Custody `json:"custody"`
	// Entries are the signed entry records (those covered by a verified
	// checkpoint or the manifest); Missing what the collector could not collect.
	Entries []bundle.EntryRecord   `json:"entries"`
	Missing []bundle.MissingRecord `json:"missing,omitempty"`
	// Unsigned are entries read from a forced bundle that no verified
	// signature covers (their events are unverified like all the others).
	Unsigned []string `json:"unsigned,omitempty"`

	// Settings are what the parsers were told: by the analyst, or read
	// from the bundle's own configuration files.
	Settings []SettingSource `json:"settings,omitempty"`

	Events      int64     `json:"events"`
	Warnings    int64     `json:"warnings"`
	ParseErrors []string  `json:"parse_errors,omitempty"` // entries a parser could not read at all
	Analyzed    time.Time `json:"analyzed"`
	Analyzer    string    `json:"analyzer"` // "cordon <version>"
	First       time.Time `json:"first,omitzero"`
	Last        time.Time `json:"last,omitzero"`
}

// SettingSource says where a setting handed to the parsers came from.
type SettingSource struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// From is SettingFromAnalyst (a flag) or the bundle entries it was read from.
	From string `json:"from"`
}

// SettingFromAnalyst is SettingSource.From for a setting the analyst gave.
const SettingFromAnalyst = "analyst"

// Host returns the host name from the bundle's custody.
func (b CaseBundle) Host() string { return b.Custody.Host.Hostname }

// Query selects events: a Bleve query string (e.g.
// `+process.executable:"/tmp/mysql" +event.action:process-started`), a
// host, a time range. The zero Query selects every event.
type Query = index.Selection

// Case is an opened case directory. Its methods are safe for one goroutine
// at a time.
type Case struct {
	dir     string
	bundles []*caseBundle
	alias   bleve.IndexAlias
}

type caseBundle struct {
	meta   CaseBundle
	dir    string
	store  *eventstore.Store
	index  bleve.Index
	ord    int
	closed bool
}

// ErrNoCase is returned by Open for a directory no analysis wrote.
var ErrNoCase = errors.New("not a case directory (run cordon analyze BUNDLE --case DIR first)")

// Open opens a case directory read-only. A case with no bundle yet is
// ErrNoCase.
func Open(dir string) (*Case, error) {
	ents, err := os.ReadDir(filepath.Join(dir, bundlesDir))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", dir, ErrNoCase)
		}
		return nil, fmt.Errorf("opening case: %w", err)
	}
	c := &Case{dir: dir}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "b-") || strings.Contains(e.Name(), ".") {
			continue // temporary build directories end in .tmp-…
		}
		b, err := openCaseBundle(filepath.Join(dir, bundlesDir, e.Name()))
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("bundle %s: %w", e.Name(), err)
		}
		c.bundles = append(c.bundles, b)
	}
	if len(c.bundles) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoCase)
	}
	// A stable order: by first event, then directory name.
	sort.Slice(c.bundles, func(i, j int) bool {
		a, b := c.bundles[i].meta, c.bundles[j].meta
		if !a.First.Equal(b.First) {
			return a.First.Before(b.First)
		}
		return a.Dir < b.Dir
	})
	idx := make([]bleve.Index, 0, len(c.bundles))
	for i, b := range c.bundles {
		b.ord = i
		idx = append(idx, b.index)
	}
	c.alias = bleve.NewIndexAlias(idx...)
	return c, nil
}

func openCaseBundle(dir string) (*caseBundle, error) {
	data, err := os.ReadFile(filepath.Join(dir, bundleMetaFile))
	if err != nil {
		return nil, err
	}
	var meta CaseBundle
	if err := json.Unmarshal(data, &meta); err != nil {
		return nil, fmt.Errorf("%s: %w", bundleMetaFile, err)
	}
	if meta.FormatVersion != CaseFormatVersion {
		return nil, fmt.Errorf("case layout version %d: this cordon reads version %d (analyze the bundle again)", meta.FormatVersion, CaseFormatVersion)
	}
	st, err := eventstore.Open(dir)
	if err != nil {
		return nil, err
	}
	idx, err := index.Open(filepath.Join(dir, index.Dir), meta.Dir)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &caseBundle{meta: meta, dir: dir, store: st, index: idx}, nil
}

// Dir returns the case directory.
func (c *Case) Dir() string { return c.dir }

// Bundles returns the case's bundles, ordered by their first event.
func (c *Case) Bundles() []CaseBundle {
	out := make([]CaseBundle, len(c.bundles))
	for i, b := range c.bundles {
		out[i] = b.meta
	}
	return out
}

// Close releases the indexes and event stores.
func (c *Case) Close() error {
	var first error
	for _, b := range c.bundles {
		if b.closed {
			continue
		}
		b.closed = true
		if err := b.index.Close(); err != nil && first == nil {
			first = err
		}
		if err := b.store.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Events calls fn with every event q selects, in time order across all the
// case's bundles (events at the same instant: in bundle order, then in the
// order the bundle holds them). An error from fn stops the walk and is
// returned. The events are read from the case's event stores: fn may keep them.
func (c *Case) Events(ctx context.Context, q Query, fn func(timeline.Event) error) error {
	its := make([]*bundleIter, 0, len(c.bundles))
	for _, b := range c.bundles {
		it, err := b.iter(ctx, q)
		if err != nil {
			return fmt.Errorf("bundle %s: %w", b.meta.Dir, err)
		}
		if it != nil {
			its = append(its, it)
		}
	}
	h := iterHeap{}
	for _, it := range its {
		ok, err := it.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, it)
		}
	}
	heap.Init(&h)
	n := 0
	for h.Len() > 0 {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		it := h[0]
		if err := fn(it.cur); err != nil {
			return err
		}
		ok, err := it.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// Warnings calls fn with every parser warning kept for the case's bundles,
// bundle by bundle (in Bundles order), in the order they were given.
func (c *Case) Warnings(fn func(b CaseBundle, parser string, w timeline.Warning) error) error {
	for _, b := range c.bundles {
		if err := readWarnings(b.dir, func(parser string, w timeline.Warning) error { return fn(b.meta, parser, w) }); err != nil {
			return err
		}
	}
	return nil
}

// iterHeap merges bundles by event time, then bundle order.
type iterHeap []*bundleIter

func (h iterHeap) Len() int { return len(h) }
func (h iterHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if !a.cur.Timestamp.Equal(b.cur.Timestamp) {
		return a.cur.Timestamp.Before(b.cur.Timestamp)
	}
	return a.ord < b.ord
}
func (h iterHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *iterHeap) Push(x any)   { *h = append(*h, x.(*bundleIter)) }
func (h *iterHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
