package export

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/timeline"
)

// Events calls fn with every event to export, in the same order at every
// call (resuming skips the leading events a previous run sent), and stops
// with fn's error.
type Events func(ctx context.Context, fn func(timeline.Event) error) error

// Engines Export knows. Elasticsearch covers OpenSearch.
const (
	EngineElasticsearch = "elasticsearch"
	EngineVictoriaLogs  = "victorialogs"
)

// Defaults.
const (
	DefaultEventsIndex   = "cordon-events"
	DefaultFindingsIndex = "cordon-findings"
	DefaultBatchDocs     = 1000
	DefaultBatchBytes    = 5 << 20
	DefaultWorkers       = 2
	DefaultMaxRejected   = 1000
)

// Options tell Export where and how to send.
type Options struct {
	// URL is the bulk API's base: documents go to URL/_bulk, templates to
	// URL/_index_template/NAME. For VictoriaLogs:
	// http://HOST:9428/insert/elasticsearch.
	URL           string
	EventsIndex   string // "": DefaultEventsIndex
	FindingsIndex string // "": DefaultFindingsIndex
	// Engine is EngineElasticsearch or EngineVictoriaLogs; "" guesses from
	// the URL (a path ending in /insert/elasticsearch is VictoriaLogs).
	Engine string
	// Client sends the requests ("": NewHTTPClient("", 2 minutes)).
	Client      *http.Client
	Credentials Credentials
	BatchDocs   int // documents per request at most; 0: DefaultBatchDocs
	BatchBytes  int // bytes per request at most (a larger document goes alone); 0: DefaultBatchBytes
	Workers     int // requests in flight; 0: DefaultWorkers
	// NoTemplate leaves the mapping to the engine. Templates are put only
	// into Elasticsearch and OpenSearch (VictoriaLogs has no mapping).
	NoTemplate  bool
	Retry       Retry
	MaxRejected int64 // rejected documents past which the export stops; 0: DefaultMaxRejected
	// StatePath is the state file ("" keeps none); Resume continues the
	// export it records. Source names what is exported (the case's
	// bundles): a state recorded for another source, URL or index is refused.
	StatePath string
	Resume    bool
	Source    string
	// NoReadBack skips asking VictoriaLogs, after the export, how many
	// documents it holds (it acknowledges documents before dropping those
	// outside its retention, so its replies alone do not tell).
	NoReadBack  bool
	EventsTotal int64          // for progress only
	Progress    func(Progress) // called after each acknowledged batch, from one goroutine
}

// Progress is how far an export is.
type Progress struct {
	Phase       string // "events" or "findings"
	Done, Total int64
}

// Figures are what an export did, including the runs it continued.
type Figures struct {
	Engine     string
	Template   bool // index templates were put
	Events     Counts
	Findings   Counts
	Skipped    int64 // events not sent again because a previous run had (Resume)
	Requests   int64 // this run's HTTP requests, retries included
	Retries    int64
	Bytes      int64 // this run's request bytes
	Took       time.Duration
	Rejections []Rejection // the first rejected documents, with reasons
	ReadBack   *ReadBack   // what VictoriaLogs said it holds
}

// ErrShortfall is wrapped by Export's error when documents sent are not in
// the engine (rejected, unacknowledged, or missing when read back).
var ErrShortfall = errShortfall

// ErrInterrupted is wrapped by Export's error when it stopped before every
// document had an answer; the state file (if any) says where to resume.
var ErrInterrupted = errors.New("export interrupted")

// Export sends every event, then every finding, to the engine, and
// accounts for each document. It returns the figures whatever happened.
func Export(ctx context.Context, opts Options, events Events, fs []findings.Finding) (*Figures, error) {
	start := time.Now()
	o, bulkURL, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	fig := &Figures{Engine: o.Engine}
	defer func() { fig.Took = time.Since(start) }()

	st := &State{Source: o.Source, URL: o.URL, EventsIndex: o.EventsIndex, FindingsIndex: o.FindingsIndex}
	if o.StatePath != "" && o.Resume {
		prev, err := readState(o.StatePath)
		if err != nil {
			return fig, err
		}
		if prev != nil {
			if prev.Source != o.Source || prev.URL != o.URL || prev.EventsIndex != o.EventsIndex || prev.FindingsIndex != o.FindingsIndex {
				return fig, fmt.Errorf("the export state %s is of another export (%s to %s, indices %s and %s): leave out --resume to start again",
					o.StatePath, prev.Source, prev.URL, prev.EventsIndex, prev.FindingsIndex)
			}
			st = prev
		}
	}
	fig.Events, fig.Findings, fig.Skipped = st.Events, st.Findings, st.EventsDone
	fig.Rejections = append(fig.Rejections, st.Rejections...)

	header := http.Header{}
	if a := o.Credentials.header(); a != "" {
		header.Set("Authorization", a)
	}
	if o.Engine == EngineVictoriaLogs {
		// VictoriaLogs' ingestion parameters (other engines ignore them):
		// the event's time, its message, and the fields of a log stream.
		header.Set("VL-Time-Field", "@timestamp")
		header.Set("VL-Msg-Field", "message")
		header.Set("VL-Stream-Fields", "host.name,event.dataset")
	}
	if o.Engine == EngineElasticsearch && !o.NoTemplate {
		for _, t := range []struct {
			index   string
			mapping map[string]any
		}{{o.EventsIndex, eventsMapping()}, {o.FindingsIndex, findingsMapping()}} {
			body, err := templateBody(t.index, t.mapping)
			if err != nil {
				return fig, err
			}
			if err := putTemplate(ctx, o.Client, joinURL(o.URL, "_index_template/"+url.PathEscape(t.index)), header, body); err != nil {
				return fig, err
			}
		}
		fig.Template = true
	}

	s := &sender{client: o.Client, url: bulkURL, header: header, retry: o.Retry}
	if o.Engine == EngineVictoriaLogs {
		s.partial = victoriaLogsStoredBefore
	}
	expected := map[string]int64{} // evidence id → events, for the read-back
	runErr := o.run(ctx, s, st, fig, events, fs, expected)
	if o.StatePath != "" {
		if err := st.write(o.StatePath); err != nil && runErr == nil {
			runErr = err
		}
	}
	if runErr != nil {
		return fig, runErr
	}
	if n := fig.Events.Shortfall() + fig.Findings.Shortfall(); n > 0 {
		return fig, shortfallError(fig)
	}
	if o.Engine == EngineVictoriaLogs && !o.NoReadBack {
		rb, err := readBack(ctx, o.Client, o.URL, header, expected, int64(len(fs)))
		fig.ReadBack = rb
		if err != nil {
			return fig, err
		}
		if rb.Missing() > 0 {
			return fig, fmt.Errorf("%w: VictoriaLogs acknowledged every document but holds %d fewer: %s "+
				"(it drops documents older than its -retentionPeriod, or newer than now plus -futureRetention, after acknowledging them)",
				errShortfall, rb.Missing(), rb.Summary())
		}
	}
	return fig, nil
}

func shortfallError(fig *Figures) error {
	var b strings.Builder
	for _, c := range []struct {
		what string
		c    Counts
	}{{"events", fig.Events}, {"findings", fig.Findings}} {
		if c.c.Shortfall() == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d of %d %s are not in the engine (%d rejected, %d unacknowledged)",
			c.c.Shortfall(), c.c.Sent, c.what, c.c.Rejected, c.c.Unacknowledged)
	}
	for i, r := range fig.Rejections {
		if i == 3 {
			fmt.Fprintf(&b, "; … (%d more listed)", len(fig.Rejections)-3)
			break
		}
		fmt.Fprintf(&b, "; %s %s (%s): status %d: %s", r.Index, r.ID, r.Where, r.Status, r.Reason)
	}
	return fmt.Errorf("%w: %s", errShortfall, b.String())
}

// withDefaults validates the options, fills defaults, and returns the
// bulk endpoint.
func (o Options) withDefaults() (Options, string, error) {
	u, err := CheckURL(o.URL)
	if err != nil {
		return o, "", err
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	o.URL = u.String()
	if o.EventsIndex == "" {
		o.EventsIndex = DefaultEventsIndex
	}
	if o.FindingsIndex == "" {
		o.FindingsIndex = DefaultFindingsIndex
	}
	for _, ix := range []string{o.EventsIndex, o.FindingsIndex} {
		if err := checkIndexName(ix); err != nil {
			return o, "", err
		}
	}
	if o.EventsIndex == o.FindingsIndex {
		return o, "", errors.New("events and findings need two indices")
	}
	switch o.Engine {
	case "":
		o.Engine = EngineElasticsearch
		if strings.HasSuffix(u.Path, "/insert/elasticsearch") {
			o.Engine = EngineVictoriaLogs
		}
	case EngineElasticsearch, EngineVictoriaLogs:
	default:
		return o, "", fmt.Errorf("unknown engine %q (want %s or %s)", o.Engine, EngineElasticsearch, EngineVictoriaLogs)
	}
	if o.Client == nil {
		if o.Client, err = NewHTTPClient("", 2*time.Minute); err != nil {
			return o, "", err
		}
	}
	if o.BatchDocs <= 0 {
		o.BatchDocs = DefaultBatchDocs
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxRejected <= 0 {
		o.MaxRejected = DefaultMaxRejected
	}
	o.Retry = o.Retry.withDefaults()
	return o, joinURL(o.URL, "_bulk"), nil
}

// checkIndexName applies Elasticsearch's rules for index names (lower
// case, no \ / * ? " < > | space , #, not starting with - _ +, not . or ..).
func checkIndexName(s string) error {
	switch {
	case s == "" || s == "." || s == ".." || len(s) > 255:
		return fmt.Errorf("index name %q: invalid", s)
	case strings.ContainsAny(s, "\\/*?\"<>| ,#:") || strings.ToLower(s) != s:
		return fmt.Errorf("index name %q: lower case, without \\ / * ? \" < > | space , # :", s)
	case strings.IndexAny(s[:1], "-_+") == 0:
		return fmt.Errorf("index name %q: must not start with - _ +", s)
	}
	return nil
}

// joinURL appends a path to base, keeping base's query.
func joinURL(base, path string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base + "/" + path
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/" + path
	u.RawPath = ""
	return u.String()
}

// run drives the pipeline: this goroutine encodes documents into batches,
// Workers goroutines send them, one goroutine commits their results in
// order into st and fig.
func (o Options) run(ctx context.Context, s *sender, st *State, fig *Figures, events Events, fs []findings.Finding,
	expected map[string]int64) error {
	// What earlier runs sent, read before the committer starts changing st.
	skipEvents, skipFindings := st.EventsDone, st.FindingsDone
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan *batch, o.Workers)
	results := make(chan batchResult, o.Workers)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				results <- s.send(ctx, b)
			}
		}()
	}
	var commitErr error
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		commitErr = o.commit(results, st, fig, cancel)
	}()

	produceErr := o.produce(ctx, skipEvents, skipFindings, events, fs, jobs, expected)
	close(jobs)
	wg.Wait()
	close(results)
	<-committed
	switch {
	case commitErr != nil:
		return fmt.Errorf("%w after %d events and %d findings: %w", ErrInterrupted, st.EventsDone, st.FindingsDone, commitErr)
	case produceErr != nil:
		if c := context.Cause(ctx); c != nil && !errors.Is(produceErr, c) {
			produceErr = fmt.Errorf("%w (%w)", produceErr, c)
		}
		return fmt.Errorf("%w after %d events and %d findings: %w", ErrInterrupted, st.EventsDone, st.FindingsDone, produceErr)
	}
	st.Complete = true
	return nil
}

// produce encodes the documents not yet sent into batches.
func (o Options) produce(ctx context.Context, skipEvents, skipFindings int64, events Events, fs []findings.Finding, jobs chan<- *batch,
	expected map[string]int64) error {
	var seq int64
	var cur *batch
	flush := func() error {
		if cur == nil || len(cur.docs) == 0 {
			return nil
		}
		select {
		case jobs <- cur:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		cur = nil
		return nil
	}
	add := func(kind docKind, index, id, where string, enc func([]byte) ([]byte, error)) error {
		if cur != nil && cur.kind != kind {
			if err := flush(); err != nil {
				return err
			}
		}
		if cur == nil {
			cur = &batch{seq: seq, kind: kind, index: index, body: make([]byte, 0, o.BatchBytes/4)}
			seq++
		}
		n := len(cur.body)
		body, err := enc(cur.body)
		if err != nil {
			return err
		}
		if len(body)-n > o.BatchBytes && len(cur.docs) > 0 {
			// Too large to join the others: send them, then this one alone.
			doc := append([]byte(nil), body[n:]...)
			cur.body = body[:n]
			if err := flush(); err != nil {
				return err
			}
			cur = &batch{seq: seq, kind: kind, index: index, body: doc}
			seq++
			n, body = 0, doc
		}
		cur.body = body
		cur.docs = append(cur.docs, docRef{start: n, end: len(body), id: id, where: where})
		if len(cur.docs) >= o.BatchDocs || len(cur.body) >= o.BatchBytes {
			return flush()
		}
		return nil
	}

	ids := newIDHasher()
	var i int64
	err := events(ctx, func(ev timeline.Event) error {
		id := ids.id(&ev)
		expected[ev.Cordon.Provenance.Bundle]++
		i++
		if i <= skipEvents {
			return nil
		}
		return add(kindEvents, o.EventsIndex, id, where(ev.Cordon.Provenance), func(b []byte) ([]byte, error) {
			return appendEventDoc(b, o.EventsIndex, id, &ev)
		})
	})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	for j := range fs {
		if int64(j) < skipFindings {
			continue
		}
		f := &fs[j]
		id := findingID(f)
		if err := add(kindFindings, o.FindingsIndex, id, "finding "+f.RuleID, func(b []byte) ([]byte, error) {
			return appendFindingDoc(b, o.FindingsIndex, id, f)
		}); err != nil {
			return err
		}
	}
	return flush()
}

// commit takes batch results as they come and applies them to st and fig
// in batch order, writing the state file at most once a second. The first
// batch that failed, or too many rejections, cancel the export.
func (o Options) commit(results <-chan batchResult, st *State, fig *Figures, cancel context.CancelCauseFunc) error {
	held := map[int64]batchResult{}
	var next int64
	var failed error
	lastWrite := time.Now()
	for r := range results {
		fig.Requests += r.requests
		fig.Retries += r.retries
		fig.Bytes += r.bytes
		if failed != nil {
			continue
		}
		held[r.seq] = r
		for {
			r, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			next++
			if r.err != nil {
				failed = r.err
				cancel(r.err)
				break
			}
			phase, total := "events", o.EventsTotal
			if r.kind == kindEvents {
				st.Events.add(r.counts)
				st.EventsDone += r.counts.Sent
				fig.Events.add(r.counts)
			} else {
				st.Findings.add(r.counts)
				st.FindingsDone += r.counts.Sent
				fig.Findings.add(r.counts)
				phase, total = "findings", -1
			}
			for _, rj := range r.rejections {
				if len(st.Rejections) < maxRejections {
					st.Rejections = append(st.Rejections, rj)
					fig.Rejections = append(fig.Rejections, rj)
				}
			}
			if o.Progress != nil {
				done := st.EventsDone
				if r.kind == kindFindings {
					done = st.FindingsDone
				}
				o.Progress(Progress{Phase: phase, Done: done, Total: total})
			}
			if rej := st.Events.Rejected + st.Findings.Rejected; rej > o.MaxRejected {
				failed = fmt.Errorf("%w: %d documents rejected, more than the %d allowed", errShortfall, rej, o.MaxRejected)
				cancel(failed)
				break
			}
			if o.StatePath != "" && time.Since(lastWrite) >= time.Second {
				if err := st.write(o.StatePath); err != nil {
					failed = err
					cancel(err)
					break
				}
				lastWrite = time.Now()
			}
		}
	}
	return failed
}
