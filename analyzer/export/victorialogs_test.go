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
	"strconv"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer"
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
		{"incident", func(t testing.TB) string { return analyzeInto(t, sampleBundle) }, 1},
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
func checkDocument(t testing.TB, base string, c *analyzer.Case) {
	t.Helper()
	var ev *timeline.Event
	err := c.Events(context.Background(), analyzer.Query{}, func(e timeline.Event) error {
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
