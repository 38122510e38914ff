package export

// The error paths, against a small engine written here: it keeps documents
// by _id as Elasticsearch does with "create" actions (a second create of an
// id is a 409), and misbehaves on demand the ways real engines and proxies
// do: 429 and 503 on whole requests, 429 on single items, documents
// rejected with a reason, a 200 reply with no items, a reply that
// contradicts itself, a page that is not a bulk reply. The real engine is
// in victorialogs_test.go.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

type fakeEngine struct {
	mu        sync.Mutex
	docs      map[string]string // _id → source line
	requests  int
	bulks     int
	seen      map[string]int // _id → times sent
	auth      []string
	ctypes    []string
	templates map[string]string

	// Misbehaviour.
	failFirst  []int  // statuses of the first bulk requests
	retryAfter string // Retry-After header of those
	itemBusy   int    // every itemBusy-th document is answered 429 the first time it comes
	rejectIf   string // a document whose source holds this is rejected (400)
	emptyItems bool   // 200 {"errors":false,"items":[]} whatever was sent
	contradict bool   // "errors":true with every item created
	notBulk    bool   // 200 with an HTML page
	always     int    // every bulk request answered with this status
	refuseIf   string // a request holding this is refused whole (400), as VictoriaLogs does
	maxBody    int    // a larger request is refused whole (413)
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{docs: map[string]string{}, seen: map[string]int{}, templates: map[string]string{}}
}

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if name, ok := strings.CutPrefix(r.URL.Path, "/_index_template/"); ok && r.Method == http.MethodPut {
		f.templates[name] = string(body)
		fmt.Fprint(w, `{"acknowledged":true}`)
		return
	}
	if r.URL.Path != "/_bulk" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	f.ctypes = append(f.ctypes, r.Header.Get("Content-Type"))
	f.bulks++
	switch {
	case f.bulks <= len(f.failFirst):
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		http.Error(w, `{"error":"busy"}`, f.failFirst[f.bulks-1])
		return
	case f.always != 0:
		http.Error(w, `{"error":"always"}`, f.always)
		return
	case f.notBulk:
		fmt.Fprint(w, "<html><body>proxy login</body></html>")
		return
	case f.emptyItems:
		fmt.Fprint(w, `{"took":1,"errors":false,"items":[]}`)
		return
	case f.refuseIf != "" && bytes.Contains(body, []byte(f.refuseIf)):
		http.Error(w, "cannot decode log message #0 in /_bulk request: cannot parse timestamp", http.StatusBadRequest)
		return
	case f.maxBody > 0 && len(body) > f.maxBody:
		http.Error(w, "request entity too large", http.StatusRequestEntityTooLarge)
		return
	}
	type item map[string]map[string]any
	var items []item
	errs := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil || len(action) != 1 {
			http.Error(w, "bad action line", http.StatusBadRequest)
			return
		}
		if !sc.Scan() {
			http.Error(w, "action without a document", http.StatusBadRequest)
			return
		}
		src := sc.Text()
		a, ok := action["create"]
		if !ok || !json.Valid([]byte(src)) {
			http.Error(w, "not a create with a JSON document", http.StatusBadRequest)
			return
		}
		f.seen[a.ID]++
		res := map[string]any{"_index": a.Index, "_id": a.ID}
		switch _, exists := f.docs[a.ID]; {
		case f.itemBusy > 0 && f.seen[a.ID] == 1 && len(f.seen)%f.itemBusy == 0:
			res["status"] = 429
			res["error"] = map[string]any{"type": "es_rejected_execution_exception", "reason": "rejected execution of coordinating operation"}
		case f.rejectIf != "" && strings.Contains(src, f.rejectIf):
			res["status"] = 400
			res["error"] = map[string]any{"type": "document_parsing_exception", "reason": "[1:20] failed to parse field [source.ip] of type [ip]",
				"caused_by": map[string]any{"type": "illegal_argument_exception", "reason": "'" + f.rejectIf + "' is not an IP string literal."}}
		case exists:
			res["status"] = 409
			res["error"] = map[string]any{"type": "version_conflict_engine_exception", "reason": "[" + a.ID + "]: version conflict, document already exists"}
		default:
			f.docs[a.ID] = src
			res["status"] = 201
			res["result"] = "created"
		}
		if res["status"] != 201 {
			errs = true
		}
		items = append(items, item{"create": res})
	}
	if f.contradict {
		errs = true
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"took": 1, "errors": errs, "items": items})
}

// synthEvents is a source of n events over several bundles and hosts,
// some of them sharing their provenance (four file times of one record).
func synthEvents(n int) Events {
	return func(ctx context.Context, fn func(timeline.Event) error) error {
		t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		for i := range n {
			host := fmt.Sprintf("host-%d", i%3)
			ev := timeline.Event{
				Timestamp: t0.Add(time.Duration(i/4) * time.Millisecond),
				Message:   fmt.Sprintf("event %d from 203.0.113.%d", i, i%250),
				Event:     timeline.EventFields{Dataset: "filetimeline", Action: "file-times"},
				Host:      &timeline.Host{Name: host},
				Source:    &timeline.Endpoint{IP: fmt.Sprintf("203.0.113.%d", i%250), Port: 22},
				Cordon: timeline.Cordon{TimeMeaning: []timeline.Meaning{timeline.MeaningModified, timeline.MeaningAccessed,
					timeline.MeaningChanged, timeline.MeaningBorn}[i%4],
					Provenance: timeline.Provenance{Bundle: "ev-" + host, Entry: "cordon/filetimeline.jsonl", Line: int64(i/4 + 1), Offset: int64(i / 4 * 100)}},
			}
			if err := fn(ev); err != nil {
				return err
			}
		}
		return nil
	}
}

func fastRetry() Retry {
	return Retry{Attempts: 4, Initial: time.Millisecond, Max: 5 * time.Millisecond}
}

func serve(t *testing.T, f *fakeEngine) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRetriesBusyEngine(t *testing.T) {
	f := newFakeEngine()
	f.failFirst = []int{429, 503, 502}
	f.retryAfter = "0"
	f.itemBusy = 7
	// The tries are counted per batch: the first batch takes four.
	retry := fastRetry()
	retry.Attempts = 5
	fig, err := Export(context.Background(), Options{URL: serve(t, f), BatchDocs: 50, Workers: 1, Retry: retry}, synthEvents(500), nil)
	if err != nil {
		t.Fatal(err)
	}
	if fig.Events.Sent != 500 || fig.Events.Created != 500 || len(f.docs) != 500 {
		t.Errorf("figures %+v, engine holds %d", fig.Events, len(f.docs))
	}
	// 3 whole requests refused, and the busy items of each of the 10 batches sent again.
	if fig.Retries != 3+10 {
		t.Errorf("%d retries, want 13", fig.Retries)
	}
	for _, ct := range f.ctypes {
		if ct != "application/x-ndjson" {
			t.Fatalf("Content-Type %q", ct)
		}
	}
}

func TestRejectedDocumentsAreAShortfall(t *testing.T) {
	f := newFakeEngine()
	f.rejectIf = "203.0.113.13\""
	fig, err := Export(context.Background(), Options{URL: serve(t, f), BatchDocs: 100, Retry: fastRetry()}, synthEvents(1000), nil)
	if !errors.Is(err, ErrShortfall) {
		t.Fatalf("error %v", err)
	}
	if fig.Events.Rejected != 4 || fig.Events.Created != 996 || fig.Events.Shortfall() != 4 || len(fig.Rejections) != 4 {
		t.Errorf("figures %+v, %d rejections", fig.Events, len(fig.Rejections))
	}
	r := fig.Rejections[0]
	if r.Status != 400 || !strings.Contains(r.Reason, "document_parsing_exception") || !strings.Contains(r.Reason, "not an IP string literal") ||
		r.Where != "ev-host-1 cordon/filetimeline.jsonl:4" || r.Index != DefaultEventsIndex {
		t.Errorf("first rejection %+v", r)
	}
	if !strings.Contains(err.Error(), "4 of 1000 events are not in the engine (4 rejected, 0 unacknowledged)") ||
		!strings.Contains(err.Error(), r.ID) {
		t.Errorf("error %q", err)
	}
}

func TestTooManyRejectionsStop(t *testing.T) {
	f := newFakeEngine()
	f.rejectIf = "event"
	fig, err := Export(context.Background(), Options{URL: serve(t, f), BatchDocs: 100, Workers: 1, MaxRejected: 150, Retry: fastRetry()}, synthEvents(1000), nil)
	if !errors.Is(err, ErrShortfall) || !errors.Is(err, ErrInterrupted) {
		t.Fatalf("error %v", err)
	}
	if fig.Events.Sent != 200 || fig.Events.Rejected != 200 || len(fig.Rejections) != maxRejections {
		t.Errorf("figures %+v, %d rejections kept", fig.Events, len(fig.Rejections))
	}
}

func TestEmptyReplyIsAShortfall(t *testing.T) {
	f := newFakeEngine()
	f.emptyItems = true
	fig, err := Export(context.Background(), Options{URL: serve(t, f), Retry: fastRetry()}, synthEvents(10), nil)
	if !errors.Is(err, ErrShortfall) || fig.Events.Unacknowledged != 10 || fig.Events.Created != 0 {
		t.Fatalf("error %v, figures %+v", err, fig.Events)
	}
	if r := fig.Rejections[0]; r.Status != 0 || !strings.Contains(r.Reason, "holds 0 items for 10 documents") {
		t.Errorf("rejection %+v", r)
	}
}

func TestBadRepliesStopTheExport(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*fakeEngine)
		want  string
	}{
		{"contradiction", func(f *fakeEngine) { f.contradict = true }, `"errors" is true but 0 items failed`},
		{"not a bulk reply", func(f *fakeEngine) { f.notBulk = true }, "not a bulk API reply"},
		{"always 503", func(f *fakeEngine) { f.always = 503 }, "after 4 tries: status 503"},
		{"unauthorized", func(f *fakeEngine) { f.always = 401 }, "refused the bulk request with status 401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEngine()
			tc.setup(f)
			fig, err := Export(context.Background(), Options{URL: serve(t, f), Retry: fastRetry()}, synthEvents(10), nil)
			if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if fig.Events.Sent != 0 {
				t.Errorf("a batch whose fate is unknown was counted: %+v", fig.Events)
			}
		})
	}
}

// TestReexportMakesConflicts: the ids are deterministic, so the same
// events sent again are all 409s, which are not a shortfall.
func TestReexportMakesConflicts(t *testing.T) {
	f := newFakeEngine()
	url := serve(t, f)
	if _, err := Export(context.Background(), Options{URL: url, Retry: fastRetry()}, synthEvents(300), nil); err != nil {
		t.Fatal(err)
	}
	fig, err := Export(context.Background(), Options{URL: url, Retry: fastRetry()}, synthEvents(300), nil)
	if err != nil {
		t.Fatal(err)
	}
	if fig.Events.Conflicts != 300 || fig.Events.Created != 0 || len(f.docs) != 300 {
		t.Errorf("second export %+v, engine holds %d", fig.Events, len(f.docs))
	}
}

// TestCancelThenResume stops an export from its progress callback, as a
// signal would, then resumes it: every document ends up stored once, and
// the resumed run starts where the state file says.
func TestCancelThenResume(t *testing.T) {
	f := newFakeEngine()
	state := t.TempDir() + "/state.json"
	ctx, cancel := context.WithCancel(context.Background())
	opts := Options{URL: serve(t, f), BatchDocs: 100, Workers: 3, StatePath: state, Source: "synthetic", Retry: fastRetry(),
		Progress: func(p Progress) {
			if p.Done >= 300 {
				cancel()
			}
		}}
	fig, err := Export(ctx, opts, synthEvents(2000), nil)
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled export: %v", err)
	}
	st, err := readState(state)
	if err != nil || st == nil || st.Complete || st.EventsDone < 300 || st.EventsDone%100 != 0 || st.EventsDone != fig.Events.Sent {
		t.Fatalf("state %+v (%v), figures %+v", st, err, fig.Events)
	}
	opts.Resume, opts.Progress = true, nil
	fig, err = Export(context.Background(), opts, synthEvents(2000), nil)
	if err != nil {
		t.Fatal(err)
	}
	if fig.Skipped != st.EventsDone || fig.Events.Sent != 2000 || fig.Events.Created+fig.Events.Conflicts != 2000 || len(f.docs) != 2000 {
		t.Errorf("resumed after %d: %+v, engine holds %d", fig.Skipped, fig.Events, len(f.docs))
	}
	for id, n := range f.seen {
		if n > 2 {
			t.Errorf("document %s sent %d times", id, n)
		}
	}
}

// TestWholeRequestRefusalsAreSplit: an engine that refuses a whole request
// for one document (400), or for its size (413), loses none of the others.
func TestWholeRequestRefusalsAreSplit(t *testing.T) {
	f := newFakeEngine()
	f.refuseIf = "event 77 from"
	fig, err := Export(context.Background(), Options{URL: serve(t, f), BatchDocs: 200, Retry: fastRetry()}, synthEvents(1000), nil)
	if !errors.Is(err, ErrShortfall) || fig.Events.Rejected != 1 || fig.Events.Created != 999 || len(f.docs) != 999 {
		t.Fatalf("error %v, figures %+v, engine holds %d", err, fig.Events, len(f.docs))
	}
	if r := fig.Rejections[0]; r.Status != 400 || !strings.Contains(r.Reason, "cannot parse timestamp") || r.Where != "ev-host-2 cordon/filetimeline.jsonl:20" {
		t.Errorf("rejection %+v", r)
	}
	// log2(200) splits or so, not one request per document.
	if fig.Requests > 5+2*8 {
		t.Errorf("%d requests", fig.Requests)
	}

	f = newFakeEngine()
	f.maxBody = 3000
	fig, err = Export(context.Background(), Options{URL: serve(t, f), BatchDocs: 100, Retry: fastRetry()}, synthEvents(300), nil)
	if err != nil || fig.Events.Created != 300 || len(f.docs) != 300 {
		t.Fatalf("413: error %v, figures %+v, engine holds %d", err, fig.Events, len(f.docs))
	}
	f = newFakeEngine()
	f.maxBody = 100 // smaller than any document
	fig, err = Export(context.Background(), Options{URL: serve(t, f), BatchDocs: 4, Retry: fastRetry()}, synthEvents(4), nil)
	if !errors.Is(err, ErrShortfall) || fig.Events.Rejected != 4 || fig.Rejections[0].Status != 413 {
		t.Fatalf("413 for single documents: error %v, figures %+v", err, fig.Events)
	}
}
