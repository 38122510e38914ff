package pipeline_test

// The analyzer's figures: parse+index throughput and peak RSS for a
// bundle of synthetic events shaped like real ones (sshd, sudo, cron and
// kernel log lines, process starts with executables and pids, file times
// with paths, connections with addresses and ports), the index's size per
// event, and query latencies (term, phrase, sorted time range).
//
//	go test -run '^$' -bench Analyze -benchtime 1x ./analyzer/pipeline
//	CORDON_BENCH_EVENTS=200000 go test -run '^$' -bench Analyze -benchtime 1x ./analyzer/pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/eventstore"
	"github.com/cordon-forensics/cordon/analyzer/index"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/timeline"
)

func BenchmarkAnalyze(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("CORDON_BENCH_EVENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	path := analyzertest.Synthetic(b, dir, n)
	fi, _ := os.Stat(path)
	b.Logf("synthetic bundle: %d events, %d MB", n, fi.Size()>>20)
	ctx := context.Background()
	var caseDir string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		caseDir = filepath.Join(dir, fmt.Sprint("case", i))
		analyzertest.ResetPeakRSS()
		start := time.Now()
		cb, err := pipeline.AnalyzeBundle(ctx, caseDir, path, pipeline.Options{})
		took := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if cb.Events != int64(n)+2 { // + the collection's start and end
			b.Fatalf("%d events, want %d", cb.Events, n+2)
		}
		b.ReportMetric(float64(cb.Events)/took.Seconds(), "events/s")
		b.ReportMetric(float64(analyzertest.PeakRSS())/(1<<20), "peakRSS-MiB")
		bd := casestore.BundlePath(caseDir, *cb)
		b.ReportMetric(float64(analyzertest.DirSize(filepath.Join(bd, index.Dir)))/float64(cb.Events), "index-B/event")
		b.ReportMetric(float64(analyzertest.DirSize(filepath.Join(bd, eventstore.EventsFile)))/float64(cb.Events), "store-B/event")
		b.Logf("analyzed %d events in %v", cb.Events, took.Round(time.Millisecond))
	}
	b.StopTimer()

	c, err := casestore.Open(caseDir)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	queries := []struct {
		name string
		q    casestore.Query
	}{
		{"term", casestore.Query{Query: `source.ip:203.0.113.7`}},
		{"phrase", casestore.Query{Query: `message:"accepted publickey for deploy"`}},
		{"range", casestore.Query{From: analyzertest.T0.Add(240 * time.Hour), To: analyzertest.T0.Add(241 * time.Hour)}},
	}
	for _, q := range queries {
		var lat []time.Duration
		var total uint64
		for i := 0; i < 100; i++ {
			start := time.Now()
			tot, hits, err := c.Search(ctx, q.q, 100)
			lat = append(lat, time.Since(start))
			if err != nil || len(hits) == 0 {
				b.Fatalf("%s: %v, %d hits", q.name, err, len(hits))
			}
			total = tot
		}
		b.ReportMetric(float64(analyzertest.Percentile(lat, 0.50).Microseconds())/1000, q.name+"-p50-ms")
		b.ReportMetric(float64(analyzertest.Percentile(lat, 0.99).Microseconds())/1000, q.name+"-p99-ms")
		b.Logf("%s query %q: %d matches, first 100 sorted by time", q.name, q.q.Query, total)
	}
	// The whole timeline of one matching query, streamed.
	start := time.Now()
	m := 0
	if err := c.Events(ctx, casestore.Query{Query: `event.action:ssh-login`}, func(ev timeline.Event) error { m++; return nil }); err != nil {
		b.Fatal(err)
	}
	b.Logf("timeline of event.action:ssh-login: %d events in %v", m, time.Since(start).Round(time.Millisecond))
}
