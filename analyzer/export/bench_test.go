package export_test

// The export's figures, beside the analysis of the same bundle: the
// analyzer's own synthetic bundle (analyzertest.Synthetic, the one behind
// its figures in the README: sshd, process, file, cron and connection
// events over 30 days from 2026-11-02) is analyzed into a case, then the
// case is exported into a VictoriaLogs on loopback, and into an engine that
// stores nothing and answers every document 201 (what the exporter itself
// costs: reading the case, encoding, HTTP).
//
//	go test -run '^$' -bench Export -benchtime 1x ./analyzer/export
//	CORDON_BENCH_EVENTS=1000000 go test -run '^$' -bench Export -benchtime 1x ./analyzer/export

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/export"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// nullEngine answers every bulk request with one 201 item per action.
func nullEngine(w http.ResponseWriter, r *http.Request) {
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 64<<20)
	n := 0
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), []byte(`{"create":`)) {
			n++
		}
	}
	var b strings.Builder
	b.WriteString(`{"took":0,"errors":false,"items":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"create":{"status":201}}`)
	}
	b.WriteString("]}")
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(b.String()))
}

func BenchmarkExport(b *testing.B) {
	n := 200_000
	if s := os.Getenv("CORDON_BENCH_EVENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	bin := testenv.NeedVictoriaLogs(b)
	dir := b.TempDir()
	path := analyzertest.Synthetic(b, dir, n)
	caseDir := filepath.Join(dir, "case")
	t0 := time.Now()
	cb, err := pipeline.AnalyzeBundle(context.Background(), caseDir, path, pipeline.Options{Analyzer: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	analyzeRate := float64(cb.Events) / time.Since(t0).Seconds()
	c := openCase(b, caseDir)
	b.Logf("%d events analyzed in %v (%.0f events/s)", cb.Events, time.Since(t0).Round(time.Millisecond), analyzeRate)

	// The synthetic bundle's custody has no clock: its collection start
	// and end are at time zero, which VictoriaLogs refuses (the export
	// reports them); the null engine takes everything.
	var zero int64
	if err := c.Events(context.Background(), casestore.Query{}, func(ev timeline.Event) error {
		if ev.Timestamp.Year() < 1970 {
			zero++
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	null := httptest.NewServer(http.HandlerFunc(nullEngine))
	defer null.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vl := testenv.StartVictoriaLogs(b, bin)
		for _, target := range []struct {
			name, url string
			refused   int64
		}{
			{"victorialogs", insertURL(vl), zero},
			{"null", null.URL, 0},
		} {
			debug.FreeOSMemory() // what the analysis left is not the export's
			analyzertest.ResetPeakRSS()
			t1 := time.Now()
			fig, err := export.Export(context.Background(), export.Options{URL: target.url, NoTemplate: true}, caseEvents(c), nil)
			took := time.Since(t1)
			if err != nil && (target.refused == 0 || !errors.Is(err, export.ErrShortfall)) {
				b.Fatalf("%s: %v", target.name, err)
			}
			if fig.Events.Created != cb.Events-target.refused || fig.Events.Rejected != target.refused {
				b.Fatalf("%s: %+v, the case holds %d, %d at time zero", target.name, fig.Events, cb.Events, target.refused)
			}
			rate := float64(cb.Events) / took.Seconds()
			rss := float64(analyzertest.PeakRSS()) / (1 << 20)
			b.ReportMetric(rate, target.name+"-events/s")
			b.Logf("export to %s: %d events in %v (%.0f events/s, %.0f bytes/event, %d requests, peak RSS of the test process %.0f MiB)",
				target.name, cb.Events, took.Round(time.Millisecond), rate, float64(fig.Bytes)/float64(cb.Events), fig.Requests, rss)
		}
	}
	b.ReportMetric(analyzeRate, "analyze-events/s")
}
