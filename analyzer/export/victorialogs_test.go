package export_test

// The exporter against a real engine: VictoriaLogs, built from the Go
// module proxy (internal/testenv), on loopback, alone and as a cluster of
// two storage nodes behind a front node. What it holds is read back
// through its LogsQL API and must equal what Cordon counts in the case.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/export"
	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// insertURL is the bulk API's base on a VictoriaLogs.
func insertURL(vl *testenv.VictoriaLogs) string { return vl.URL + "/insert/elasticsearch" }

// logsQL runs a LogsQL query and returns its rows.
func logsQL(t testing.TB, base, query string) []map[string]string {
	t.Helper()
	resp, err := http.Get(base + "/select/logsql/query?query=" + url.QueryEscape(query))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("query %q: status %d: %s", query, resp.StatusCode, body)
	}
	var rows []map[string]string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var row map[string]string
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("query %q: %v in %q", query, err, sc.Text())
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// countsBy runs "QUERY | stats by (field) count() c".
func countsBy(t testing.TB, base, query, field string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, row := range logsQL(t, base, fmt.Sprintf("%s | stats by (%s) count() c", query, field)) {
		n, err := strconv.ParseInt(row["c"], 10, 64)
		if err != nil {
			t.Fatalf("count %q: %v", row["c"], err)
		}
		out[row[field]] += n
	}
	return out
}

// flush makes what a VictoriaLogs ingested searchable now.
func flush(t testing.TB, base string) {
	t.Helper()
	resp, err := http.Get(base + "/internal/force_flush")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("force_flush: status %d", resp.StatusCode)
	}
}

const eventsOnly = `event.dataset:!="` + export.FindingsDataset + `"`

// checkHolds compares what the engine at base holds with what Cordon counts.
func checkHolds(t testing.TB, base string, want tally) {
	t.Helper()
	if got := countsBy(t, base, eventsOnly, "host.name"); !maps.Equal(got, want.byHost) {
		t.Errorf("events per host: engine %v, Cordon %v", got, want.byHost)
	}
	if got := countsBy(t, base, eventsOnly, "event.dataset"); !maps.Equal(got, want.byDataset) {
		t.Errorf("events per dataset: engine %v, Cordon %v", got, want.byDataset)
	}
	got := countsBy(t, base, `event.dataset:="`+export.FindingsDataset+`"`, "rule.id")
	wantRules := map[string]int64{}
	for _, f := range want.findings {
		wantRules[f.RuleID]++
	}
	if !maps.Equal(got, wantRules) {
		t.Errorf("findings per rule: engine %v, Cordon %v", got, wantRules)
	}
}

func checkFigures(t testing.TB, fig *export.Figures, want tally) {
	t.Helper()
	if fig.Events.Sent != want.events || fig.Events.Created != want.events || fig.Events.Shortfall() != 0 {
		t.Errorf("events: %+v, the case holds %d", fig.Events, want.events)
	}
	if n := int64(len(want.findings)); fig.Findings.Sent != n || fig.Findings.Created != n {
		t.Errorf("findings: %+v, the case has %d", fig.Findings, n)
	}
	if fig.ReadBack == nil || fig.ReadBack.Missing() != 0 {
		t.Errorf("read back: %+v", fig.ReadBack)
	}
}

// TestExportToVictoriaLogs exports the incident's case and a case of three
// hosts into a VictoriaLogs each, and reads the counts back.
func TestExportToVictoriaLogs(t *testing.T) {
	bin := testenv.NeedVictoriaLogs(t)
	for _, tc := range []struct {
		name  string
		build func(testing.TB) string
		hosts int
	}{
		{"incident", incidentCase, 1},
		{"fleet", fleetCase, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := openCase(t, tc.build(t))
			want := countCase(t, c)
			if len(want.byHost) != tc.hosts || len(want.findings) == 0 {
				t.Fatalf("the case: %d hosts %v, %d findings", len(want.byHost), want.byHost, len(want.findings))
			}
			vl := testenv.StartVictoriaLogs(t, bin)
			fig, err := export.Export(context.Background(), export.Options{URL: insertURL(vl), Source: caseSource(c),
				BatchDocs: 500, EventsTotal: want.events}, caseEvents(c), want.findings)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d events (%v), %d findings: %+v %+v, %d requests, %d bytes, %v", want.events, want.byHost, len(want.findings),
				fig.Events, fig.Findings, fig.Requests, fig.Bytes, fig.Took)
			checkFigures(t, fig, want)
			if fig.Engine != export.EngineVictoriaLogs || fig.Template {
				t.Errorf("engine %q, template %v", fig.Engine, fig.Template)
			}
			flush(t, vl.URL)
			checkHolds(t, vl.URL, want)
			checkDocument(t, vl.URL, c)
		})
	}
}

// checkDocument reads one stored event back whole: its time to the
// nanosecond, its ECS fields, and Timesketch's attributes.
func checkDocument(t testing.TB, base string, c *casestore.Case) {
	t.Helper()
	var ev *timeline.Event
	err := c.Events(context.Background(), casestore.Query{}, func(e timeline.Event) error {
		if e.Process != nil && e.Process.PID != 0 && e.Timestamp.Nanosecond()%1000 != 0 && e.Host != nil {
			ev = &e
			return errors.New("found")
		}
		return nil
	})
	if ev == nil {
		t.Fatalf("no event with a process and nanoseconds in the case (%v)", err)
	}
	pv := ev.Cordon.Provenance
	q := fmt.Sprintf(`cordon.provenance.bundle:=%s cordon.provenance.entry:=%s cordon.provenance.offset:=%d cordon.time_meaning:=%s`,
		strconv.Quote(pv.Bundle), strconv.Quote(pv.Entry), pv.Offset, strconv.Quote(string(ev.Cordon.TimeMeaning)))
	rows := logsQL(t, base, q)
	ts := timeline.Timesketch(ev)
	want := map[string]string{
		"_time":          ev.Timestamp.UTC().Format(time.RFC3339Nano),
		"_msg":           ev.Message,
		"host.name":      ev.Host.Name,
		"process.pid":    strconv.FormatInt(ev.Process.PID, 10),
		"event.dataset":  ev.Event.Dataset,
		"datetime":       ts.Datetime,
		"timestamp_desc": ts.TimestampDesc,
		"timestamp":      strconv.FormatInt(ts.Timestamp, 10),
		"data_type":      ts.DataType,
	}
	for _, row := range rows {
		ok := true
		for k, v := range want {
			ok = ok && row[k] == v
		}
		if ok {
			return
		}
	}
	t.Errorf("no document of %d for %q holds %v:\n%v", len(rows), q, want, rows)
}

// TestExportToVictoriaLogsCluster exports the fleet case through the front
// node of a cluster of two storage nodes on loopback: the counts read
// through the front node equal Cordon's, and each storage node holds a
// part of them.
func TestExportToVictoriaLogsCluster(t *testing.T) {
	bin := testenv.NeedVictoriaLogs(t)
	c := openCase(t, fleetCase(t))
	want := countCase(t, c)
	s1 := testenv.StartVictoriaLogs(t, bin)
	s2 := testenv.StartVictoriaLogs(t, bin)
	front := testenv.StartVictoriaLogs(t, bin, "-storageNode="+s1.Addr+","+s2.Addr)
	fig, err := export.Export(context.Background(), export.Options{URL: insertURL(front), Source: caseSource(c),
		EventsTotal: want.events}, caseEvents(c), want.findings)
	if err != nil {
		t.Fatal(err)
	}
	checkFigures(t, fig, want)
	flush(t, front.URL)
	checkHolds(t, front.URL, want)
	total := want.events + int64(len(want.findings))
	var sum int64
	for i, s := range []*testenv.VictoriaLogs{s1, s2} {
		n := countsBy(t, s.URL, "*", "_stream_id")
		var held int64
		for _, c := range n {
			held += c
		}
		t.Logf("storage node %d holds %d of %d documents", i+1, held, total)
		if held == 0 || held == total {
			t.Errorf("storage node %d holds %d of %d documents: the cluster did not spread them", i+1, held, total)
		}
		sum += held
	}
	if sum != total {
		t.Errorf("the storage nodes hold %d documents, %d were exported", sum, total)
	}
}

// failAfter is an event source that breaks after n events, as a case
// whose disk fails would: the export stops with what was acknowledged.
func failAfter(src export.Events, n int64) export.Events {
	return func(ctx context.Context, fn func(timeline.Event) error) error {
		var i int64
		return src(ctx, func(ev timeline.Event) error {
			if i++; i > n {
				return errors.New("the case's disk failed")
			}
			return fn(ev)
		})
	}
}

// TestExportResumeVictoriaLogs interrupts an export, continues it with
// Resume from its state file, and finds every event once in the engine.
func TestExportResumeVictoriaLogs(t *testing.T) {
	bin := testenv.NeedVictoriaLogs(t)
	c := openCase(t, fleetCase(t))
	want := countCase(t, c)
	vl := testenv.StartVictoriaLogs(t, bin)
	state := filepath.Join(t.TempDir(), "export-state.json")
	opts := export.Options{URL: insertURL(vl), Source: caseSource(c), StatePath: state, BatchDocs: 1000}

	fig, err := export.Export(context.Background(), opts, failAfter(caseEvents(c), 5000), want.findings)
	if !errors.Is(err, export.ErrInterrupted) || !strings.Contains(err.Error(), "disk failed") {
		t.Fatalf("interrupted export: %v", err)
	}
	if fig.Events.Sent != 5000 || fig.Events.Created != 5000 || fig.Findings.Sent != 0 {
		t.Fatalf("interrupted export: %+v %+v", fig.Events, fig.Findings)
	}

	other := opts
	other.Resume, other.Source = true, "another case"
	if _, err := export.Export(context.Background(), other, caseEvents(c), want.findings); err == nil || !strings.Contains(err.Error(), "another export") {
		t.Errorf("resuming another case's export: %v", err)
	}

	opts.Resume = true
	fig, err = export.Export(context.Background(), opts, caseEvents(c), want.findings)
	if err != nil {
		t.Fatal(err)
	}
	if fig.Skipped != 5000 {
		t.Errorf("resumed after %d events, want 5000", fig.Skipped)
	}
	checkFigures(t, fig, want)
	flush(t, vl.URL)
	checkHolds(t, vl.URL, want)

	// A finished export resumed sends nothing.
	fig, err = export.Export(context.Background(), opts, caseEvents(c), want.findings)
	if err != nil || fig.Requests != 0 || fig.Events.Sent != want.events {
		t.Errorf("resuming a finished export: %v, %d requests, %+v", err, fig.Requests, fig.Events)
	}
	checkHolds(t, vl.URL, want)
}

// TestVictoriaLogsRetentionDropIsCaught exports the incident (November
// 2026) into a VictoriaLogs keeping 7 days: it acknowledges every document
// and drops the old ones, and the read-back makes that an error.
func TestVictoriaLogsRetentionDropIsCaught(t *testing.T) {
	bin := testenv.NeedVictoriaLogs(t)
	c := openCase(t, incidentCase(t))
	want := countCase(t, c)
	var old int64
	limit := time.Now().Add(-8 * 24 * time.Hour)
	for _, b := range c.Bundles() {
		if b.Last.Before(limit) {
			old += b.Events
		}
	}
	if old == 0 {
		t.Fatalf("the sample's events are not older than 8 days: is the clock right? (now %v)", time.Now())
	}
	vl := testenv.StartVictoriaLogs(t, bin, "-retentionPeriod=7d")
	fig, err := export.Export(context.Background(), export.Options{URL: insertURL(vl), Source: caseSource(c)}, caseEvents(c), want.findings)
	if !errors.Is(err, export.ErrShortfall) || !strings.Contains(err.Error(), "retentionPeriod") {
		t.Fatalf("export into a 7-day VictoriaLogs: %v", err)
	}
	if fig.Events.Created != want.events || fig.ReadBack == nil || fig.ReadBack.Missing() < old {
		t.Errorf("acknowledged %+v, read back %+v, %d events older than the retention", fig.Events, fig.ReadBack, old)
	}
	t.Logf("%v", err)
}

// TestVictoriaLogsRefusesOneDocument: VictoriaLogs refuses a whole bulk
// request (400) for one event whose time it cannot store (year 1, as a
// zeroed or stomped timestamp gives); the export isolates that event,
// reports it with VictoriaLogs' reason, and stores all the others.
func TestVictoriaLogsRefusesOneDocument(t *testing.T) {
	bin := testenv.NeedVictoriaLogs(t)
	c := openCase(t, incidentCase(t))
	want := countCase(t, c)
	odd := timeline.Event{Message: "a file time zeroed by an intruder", Host: &timeline.Host{Name: "odd"},
		Event:  timeline.EventFields{Dataset: "filetimeline", Action: "file-modified"},
		Cordon: timeline.Cordon{Provenance: timeline.Provenance{Bundle: "ev-odd", Entry: "filetimeline/records-00001.jsonl", Line: 9}}}
	events := func(ctx context.Context, fn func(timeline.Event) error) error {
		n := 0
		return caseEvents(c)(ctx, func(ev timeline.Event) error {
			if n++; n == 700 {
				if err := fn(odd); err != nil {
					return err
				}
			}
			return fn(ev)
		})
	}
	vl := testenv.StartVictoriaLogs(t, bin)
	fig, err := export.Export(context.Background(), export.Options{URL: insertURL(vl), BatchDocs: 500}, events, want.findings)
	if !errors.Is(err, export.ErrShortfall) || fig.Events.Rejected != 1 || fig.Events.Created != want.events || len(fig.Rejections) != 1 {
		t.Fatalf("error %v, figures %+v", err, fig.Events)
	}
	if r := fig.Rejections[0]; r.Status != 400 || !strings.Contains(r.Reason, "cannot parse timestamp") || r.Where != "ev-odd filetimeline/records-00001.jsonl:9" {
		t.Errorf("rejection %+v", r)
	}
	t.Logf("%v (%d requests)", err, fig.Requests)
	flush(t, vl.URL)
	checkHolds(t, vl.URL, want)
}

// TestVictoriaLogsLongDocument: VictoriaLogs cannot take a document longer
// than its -insert.maxLineSizeBytes (256 KiB by default): v1.52.2 refuses
// the request at that document (400, "missing log message"), having
// stored those before it. The export names it and stores the others once.
func TestVictoriaLogsLongDocument(t *testing.T) {
	bin := testenv.NeedVictoriaLogs(t)
	vl := testenv.StartVictoriaLogs(t, bin)
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	events := func(ctx context.Context, fn func(timeline.Event) error) error {
		for i := range 10 {
			ev := timeline.Event{Timestamp: t0.Add(time.Duration(i) * time.Second), Message: fmt.Sprintf("line %d", i),
				Host: &timeline.Host{Name: "h"}, Event: timeline.EventFields{Dataset: "shellhistory", Action: "command"},
				Cordon: timeline.Cordon{Provenance: timeline.Provenance{Bundle: "ev-h", Entry: "fs/root/.bash_history", Line: int64(i + 1)}}}
			if i == 4 {
				ev.Message = strings.Repeat("x", 300<<10)
			}
			if err := fn(ev); err != nil {
				return err
			}
		}
		return nil
	}
	fig, err := export.Export(context.Background(), export.Options{URL: insertURL(vl)}, events, nil)
	if !errors.Is(err, export.ErrShortfall) || fig.Events.Created != 9 || fig.Events.Rejected != 1 ||
		len(fig.Rejections) != 1 || fig.Rejections[0].Where != "ev-h fs/root/.bash_history:5" {
		t.Fatalf("error %v, figures %+v", err, fig.Events)
	}
	t.Log(err)
	flush(t, vl.URL)
	if got := countsBy(t, vl.URL, "*", "host.name"); got["h"] != 9 || len(got) != 1 {
		t.Errorf("VictoriaLogs holds %v, want 9 events of h", got)
	}
}
