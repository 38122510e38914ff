package pipeline_test

// Figures for `cordon analyze` followed by `cordon report`, on the sample
// bundle of samples/ and on a synthetic case (1,000,000 events by default):
// the time and peak RSS of each half (analyze: verify, parse, sort, store,
// index; report: every event through the rules and the correlation, then
// the HTML).
//
//	go test -run '^$' -bench 'AnalyzeAndReport' -benchtime 1x ./analyzer/pipeline
//	CORDON_BENCH_EVENTS=200000 go test -run '^$' -bench 'AnalyzeAndReport/synthetic' -benchtime 1x ./analyzer/pipeline

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/analyzer/report"
	"github.com/cordon-forensics/cordon/analyzer/rules"
)

func BenchmarkAnalyzeAndReport(b *testing.B) {
	rs, err := findings.LoadRules(rules.FS)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, bundlePath string) {
		ctx := context.Background()
		for i := 0; i < b.N; i++ {
			caseDir := filepath.Join(b.TempDir(), "case")
			analyzertest.ResetPeakRSS()
			start := time.Now()
			cb, err := pipeline.AnalyzeBundle(ctx, caseDir, bundlePath, pipeline.Options{})
			if err != nil {
				b.Fatal(err)
			}
			analyzeTook, analyzeRSS := time.Since(start), analyzertest.PeakRSS()

			analyzertest.ResetPeakRSS()
			start = time.Now()
			c, err := casestore.Open(caseDir)
			if err != nil {
				b.Fatal(err)
			}
			inv, err := investigation.Investigate(ctx, c, rs)
			if err != nil {
				b.Fatal(err)
			}
			r := report.Build("bench", "bench", inv.Findings, inv.Chain.Threads, inv.Chain.Links, nil, time.Now())
			if err := report.HTML(io.Discard, r); err != nil {
				b.Fatal(err)
			}
			c.Close()
			reportTook, reportRSS := time.Since(start), analyzertest.PeakRSS()

			b.ReportMetric(float64(cb.Events), "events")
			b.ReportMetric(analyzeTook.Seconds(), "analyze-s")
			b.ReportMetric(float64(analyzeRSS)/(1<<20), "analyze-peakRSS-MiB")
			b.ReportMetric(reportTook.Seconds(), "report-s")
			b.ReportMetric(float64(reportRSS)/(1<<20), "report-peakRSS-MiB")
			b.Logf("%d events: analyze %v, findings+correlation+HTML %v; %d findings, %d threads",
				cb.Events, analyzeTook.Round(time.Millisecond), reportTook.Round(time.Millisecond), len(inv.Findings), len(inv.Chain.Threads))
		}
	}
	b.Run("sample", func(b *testing.B) { run(b, filepath.Join("..", "..", "samples", "incident.cordon")) })
	b.Run("synthetic", func(b *testing.B) {
		n := 1_000_000
		if s := os.Getenv("CORDON_BENCH_EVENTS"); s != "" {
			n, _ = strconv.Atoi(s)
		}
		run(b, analyzertest.Synthetic(b, b.TempDir(), n))
	})
}
