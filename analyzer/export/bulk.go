package export

// bulk.go sends one batch of documents and accounts for each of them:
// created, already present, rejected or unacknowledged. Whole requests
// answered 429 or 5xx (or lost on the network) are sent again, and so are
// the documents of a reply that rejected them with 429 or 5xx; a request
// refused as a whole with 400 or 413 is split until the documents at fault
// are alone (VictoriaLogs says which one it stopped at, having stored
// those before it: the rest is sent again); every other refusal is final.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxReplyBytes bounds a bulk reply (a few hundred bytes per document at
// most for the batches Cordon sends).
const maxReplyBytes = 64 << 20

// maxRejections is how many rejected documents are kept with their reasons.
const maxRejections = 20

// Retry says how often and how patiently a refused request is sent again.
type Retry struct {
	Attempts int           // tries in all, the first included; 0: 8
	Initial  time.Duration // first wait; doubled after each try; 0: 500 ms
	Max      time.Duration // longest wait (also caps Retry-After); 0: 30 s
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 8
	}
	if r.Initial <= 0 {
		r.Initial = 500 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 30 * time.Second
	}
	return r
}

// wait returns the pause before try number next (2, 3, …): exponential with
// a quarter of jitter, or what the engine asked for in Retry-After.
func (r Retry) wait(next int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, r.Max)
	}
	d := r.Initial << min(next-2, 20)
	if d <= 0 || d > r.Max {
		d = r.Max
	}
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

// Counts accounts for the documents of one index.
type Counts struct {
	Sent           int64 `json:"sent"`           // documents sent (each once, however often retried)
	Created        int64 `json:"created"`        // the engine said it stored them (2xx)
	Conflicts      int64 `json:"conflicts"`      // already in the index (409: a re-export, or a retry of a request it had stored)
	Rejected       int64 `json:"rejected"`       // refused, with a reason
	Unacknowledged int64 `json:"unacknowledged"` // the reply had no item for them
}

func (c *Counts) add(o Counts) {
	c.Sent += o.Sent
	c.Created += o.Created
	c.Conflicts += o.Conflicts
	c.Rejected += o.Rejected
	c.Unacknowledged += o.Unacknowledged
}

// Shortfall is how many documents sent are not in the index.
func (c Counts) Shortfall() int64 { return c.Sent - c.Created - c.Conflicts }

// Rejection is a document the engine did not store, and why.
type Rejection struct {
	Index  string `json:"index"`
	ID     string `json:"id"`
	Where  string `json:"where"`  // the evidence it was made from (attacker-written: escape before printing)
	Status int    `json:"status"` // the item's status; 0 when the reply had no item for it
	Reason string `json:"reason"` // the engine's words, bounded (may quote the evidence: escape before printing)
}

// docKind tells events from findings.
type docKind int

const (
	kindEvents docKind = iota
	kindFindings
)

// batch is one bulk request's worth of documents.
type batch struct {
	seq   int64
	kind  docKind
	index string
	body  []byte
	docs  []docRef
}

// docRef locates one document (action and source lines) in a batch body.
type docRef struct {
	start, end int
	id, where  string
}

// batchResult is what became of a batch. Err is set when the batch could
// not be sent or its reply not read: its documents' fate is unknown.
type batchResult struct {
	seq        int64
	kind       docKind
	counts     Counts
	rejections []Rejection
	requests   int64
	retries    int64
	bytes      int64
	err        error
}

// sender posts batches to URL/_bulk.
type sender struct {
	client *http.Client
	url    string
	header http.Header
	retry  Retry
	// partial, when set, reads from a refusal how many leading documents
	// the engine stored before the one it refused.
	partial func(status int, data []byte) (int, bool)
}

func (s *sender) storedBefore(status int, data []byte) (int, bool) {
	if s.partial == nil {
		return 0, false
	}
	return s.partial(status, data)
}

// victoriaLogsStoredBefore reads VictoriaLogs' refusal of a bulk request:
// it stores documents as it reads them and stops at the first it cannot
// take, answering 400 "cannot decode log message #N in /_bulk request: …"
// (app/vlinsert/elasticsearch, v1.52.2): the N before it are stored. Sent
// again, they would be stored twice (it ignores _id).
func victoriaLogsStoredBefore(status int, data []byte) (int, bool) {
	const prefix = "cannot decode log message #"
	if status != http.StatusBadRequest {
		return 0, false
	}
	s := string(data)
	i := strings.Index(s, prefix)
	if i < 0 {
		return 0, false
	}
	s = s[i+len(prefix):]
	end := strings.IndexByte(s, ' ')
	if end <= 0 || !strings.HasPrefix(s[end:], " in /_bulk request") {
		return 0, false
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// send sends b until every document has an answer, the tries are spent, or
// the engine refuses the request as a whole.
func (s *sender) send(ctx context.Context, b *batch) batchResult {
	res := batchResult{seq: b.seq, kind: b.kind}
	res.counts.Sent = int64(len(b.docs))
	res.err = s.sendDocs(ctx, b, b.docs, b.body, &res)
	return res
}

// bodyOf is the request body of some documents of b.
func bodyOf(b *batch, docs []docRef) []byte {
	var n int
	for _, d := range docs {
		n += d.end - d.start
	}
	body := make([]byte, 0, n)
	for _, d := range docs {
		body = append(body, b.body[d.start:d.end]...)
	}
	return body
}

// sendDocs sends documents of b (body is theirs) and accounts for them in
// res. A request refused as a whole with 400 or 413 is split in halves,
// sent again, until the documents the engine cannot take are alone and
// rejected with its reason: an engine that refuses a whole request for one
// document it cannot parse (VictoriaLogs does, for a time it cannot
// store) must not lose the others.
func (s *sender) sendDocs(ctx context.Context, b *batch, pending []docRef, body []byte, res *batchResult) error {
	for try := 1; ; try++ {
		if try > 1 {
			res.retries++
		}
		res.requests++
		res.bytes += int64(len(body))
		status, data, retryAfter, err := s.post(ctx, body)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		retryable := err != nil || status == http.StatusTooManyRequests || status >= 500
		if retryable {
			if try >= s.retry.Attempts {
				if err == nil {
					err = fmt.Errorf("status %d: %s", status, excerpt(data))
				}
				return fmt.Errorf("the engine did not take a batch of %d documents after %d tries: %w", len(pending), try, err)
			}
			if werr := sleep(ctx, s.retry.wait(try+1, retryAfter)); werr != nil {
				return werr
			}
			continue
		}
		if n, ok := s.storedBefore(status, data); ok && n < len(pending) {
			// The engine stored the first n and stopped at the next.
			res.counts.Created += int64(n)
			res.counts.Rejected++
			d := pending[n]
			res.reject(b.index, d, status, fmt.Sprintf("%s (the document is %d bytes)", bound(string(data)), d.end-d.start))
			if pending = pending[n+1:]; len(pending) == 0 {
				return nil
			}
			body, try = bodyOf(b, pending), 0
			continue
		}
		if status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge {
			if len(pending) == 1 {
				res.counts.Rejected++
				res.reject(b.index, pending[0], status, "the engine refused the request holding only this document: "+bound(string(data)))
				return nil
			}
			half := len(pending) / 2
			for _, part := range [][]docRef{pending[:half], pending[half:]} {
				if err := s.sendDocs(ctx, b, part, bodyOf(b, part), res); err != nil {
					return err
				}
			}
			return nil
		}
		if status < 200 || status > 299 {
			return fmt.Errorf("the engine refused the bulk request with status %d: %s", status, excerpt(data))
		}
		reply, err := parseBulkReply(data)
		if err != nil {
			return fmt.Errorf("status %d: %w (reply begins %s)", status, err, excerpt(data))
		}
		failed := false
		for _, it := range reply.Items {
			failed = failed || it.Status >= 300
		}
		if reply.Errors != failed {
			return fmt.Errorf("the engine's reply contradicts itself: \"errors\" is %v but %d items failed", reply.Errors, countFailed(reply.Items))
		}
		if len(reply.Items) > len(pending) {
			return fmt.Errorf("the reply holds %d items for %d documents", len(reply.Items), len(pending))
		}
		var again []docRef
		for i, d := range pending {
			if i >= len(reply.Items) {
				res.counts.Unacknowledged++
				res.reject(b.index, d, 0, fmt.Sprintf("the reply (status %d) holds %d items for %d documents: this one has none", status, len(reply.Items), len(pending)))
				continue
			}
			it := reply.Items[i]
			switch {
			case it.Status >= 200 && it.Status <= 299:
				res.counts.Created++
			case it.Status == http.StatusConflict:
				res.counts.Conflicts++
			case (it.Status == http.StatusTooManyRequests || it.Status >= 500) && try < s.retry.Attempts:
				again = append(again, d)
			default:
				res.counts.Rejected++
				reason := it.Reason
				if it.Status == http.StatusTooManyRequests || it.Status >= 500 {
					reason = fmt.Sprintf("still refused after %d tries: %s", try, reason)
				}
				res.reject(b.index, d, it.Status, reason)
			}
		}
		if len(again) == 0 {
			return nil
		}
		pending, body = again, bodyOf(b, again)
		if werr := sleep(ctx, s.retry.wait(try+1, retryAfter)); werr != nil {
			return werr
		}
	}
}

func (r *batchResult) reject(index string, d docRef, status int, reason string) {
	if len(r.rejections) < maxRejections {
		r.rejections = append(r.rejections, Rejection{Index: index, ID: d.id, Where: d.where, Status: status, Reason: reason})
	}
}

func countFailed(items []bulkItem) int {
	n := 0
	for _, it := range items {
		if it.Status >= 300 {
			n++
		}
	}
	return n
}

// post sends one request and reads the reply (bounded).
func (s *sender) post(ctx context.Context, body []byte) (status int, data []byte, retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, err
	}
	for k, v := range s.header {
		req.Header[k] = v
	}
	// VictoriaLogs reads its parameters with FormValue: a form content type
	// would make it consume the body as a form and store nothing.
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	if err != nil {
		return resp.StatusCode, nil, 0, fmt.Errorf("reading the reply: %w", err)
	}
	if len(data) > maxReplyBytes {
		return resp.StatusCode, nil, 0, fmt.Errorf("reply larger than %d bytes", maxReplyBytes)
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && secs > 0 {
		retryAfter = time.Duration(secs) * time.Second
	}
	return resp.StatusCode, data, retryAfter, nil
}

// excerpt quotes the start of a reply for an error message.
func excerpt(data []byte) string {
	const n = 300
	s := string(data)
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strconv.Quote(s)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errShortfall is wrapped by the error Export returns when documents are
// missing from the engine.
var errShortfall = errors.New("documents missing from the engine")
