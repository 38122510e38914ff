package export

// readback.go asks VictoriaLogs, after an export, how many documents it
// holds per bundle. VictoriaLogs answers 201 for every document of a bulk
// request and only then drops those outside its retention window (checked
// with v1.52.2: the reply says created, its vl_rows_dropped_total metric
// counts the drop): its replies alone cannot show the loss.
// API: VictoriaLogs docs, "Querying" (/select/logsql/query returns one
// JSON object per line) and "Forced flush" (/internal/force_flush makes
// what was ingested searchable at once).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ReadBack compares what was exported with what the engine holds.
type ReadBack struct {
	// Expected and Held count events per bundle (evidence id).
	Expected, Held   map[string]int64
	FindingsExpected int64
	FindingsHeld     int64
}

// Missing is how many documents the engine holds fewer than were
// exported (it may hold more: another export of the same bundles, or
// batches sent again on resume).
func (r *ReadBack) Missing() int64 {
	var n int64
	for b, want := range r.Expected {
		if got := r.Held[b]; got < want {
			n += want - got
		}
	}
	if r.FindingsHeld < r.FindingsExpected {
		n += r.FindingsExpected - r.FindingsHeld
	}
	return n
}

// Summary names the bundles (and findings) short of their count, in order.
func (r *ReadBack) Summary() string {
	var parts []string
	keys := make([]string, 0, len(r.Expected))
	for b := range r.Expected {
		keys = append(keys, b)
	}
	sort.Strings(keys)
	for _, b := range keys {
		if got, want := r.Held[b], r.Expected[b]; got < want {
			parts = append(parts, fmt.Sprintf("bundle %q holds %d of %d events", b, got, want))
		}
	}
	if r.FindingsHeld < r.FindingsExpected {
		parts = append(parts, fmt.Sprintf("%d of %d findings", r.FindingsHeld, r.FindingsExpected))
	}
	return strings.Join(parts, ", ")
}

// readBackWait bounds how long the counts may take to become visible when
// the forced flush is not allowed (VictoriaLogs makes new rows searchable
// within about a second on its own).
const readBackWait = 10 * time.Second

// readBack flushes VictoriaLogs and counts what it holds. insertURL is the
// export's URL (…/insert/elasticsearch); the queries go to the same root.
func readBack(ctx context.Context, client *http.Client, insertURL string, header http.Header, expected map[string]int64, findings int64) (*ReadBack, error) {
	u, err := url.Parse(insertURL)
	if err != nil {
		return nil, err
	}
	u.Path = strings.TrimSuffix(u.Path, "/insert/elasticsearch")
	u.RawQuery = ""
	root := u.String()
	// It may need an auth key the exporter does not have: then wait a little
	// for the counts to settle.
	deadline := time.Now().Add(readBackWait)
	if resp, err := get(ctx, client, root+"/internal/force_flush", header); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			deadline = time.Now()
		}
	}
	rb := &ReadBack{Expected: expected, FindingsExpected: findings}
	for {
		held, err := logsQLCounts(ctx, client, root, header,
			`event.dataset:!="`+FindingsDataset+`" | stats by (cordon.provenance.bundle) count() c`, "cordon.provenance.bundle")
		if err != nil {
			return rb, err
		}
		fc, err := logsQLCounts(ctx, client, root, header, `event.dataset:="`+FindingsDataset+`" | stats count() c`, "")
		if err != nil {
			return rb, err
		}
		rb.Held, rb.FindingsHeld = held, fc[""]
		if rb.Missing() == 0 || time.Now().After(deadline) {
			return rb, nil
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return rb, err
		}
	}
}

func get(ctx context.Context, client *http.Client, u string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return client.Do(req)
}

// logsQLCounts runs a LogsQL query ending in "stats [by (field)] count() c"
// and returns c by the field's value ("" without a field).
func logsQLCounts(ctx context.Context, client *http.Client, root string, header http.Header, query, field string) (map[string]int64, error) {
	resp, err := get(ctx, client, root+"/select/logsql/query?query="+url.QueryEscape(query), header)
	if err != nil {
		return nil, fmt.Errorf("reading counts back: %w", err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, 64<<20)
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(body, 4096))
		return nil, fmt.Errorf("reading counts back: status %d: %s", resp.StatusCode, excerpt(data))
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var row map[string]string
		if err := json.Unmarshal(line, &row); err != nil {
			return nil, fmt.Errorf("reading counts back: %w", err)
		}
		n, err := strconv.ParseInt(row["c"], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("reading counts back: count %q: %w", row["c"], err)
		}
		key := ""
		if field != "" {
			key = row[field]
		}
		out[key] += n
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading counts back: %w", err)
	}
	return out, nil
}
