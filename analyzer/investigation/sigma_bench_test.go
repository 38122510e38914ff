package investigation_test

// What SigmaHQ's 210 Linux rules add to the investigation of the synthetic
// case (1,000,000 events by default, analyzertest.Synthetic), against the
// cost of Cordon's own rules and correlation: the case is analyzed once,
// then read three times: events only (the store's decoding), the
// investigation without Sigma, and with Sigma.
//
//	go test -run '^$' -bench SigmaOverSynthetic -benchtime 1x -timeout 60m ./analyzer/investigation
//	CORDON_BENCH_EVENTS=200000 go test -run '^$' -bench SigmaOverSynthetic -benchtime 1x ./analyzer/investigation

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

func BenchmarkSigmaOverSynthetic(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("CORDON_BENCH_EVENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	own, err := investigation.LoadRules()
	if err != nil {
		b.Fatal(err)
	}
	withSigma := own
	if err := withSigma.AddSigma(testenv.Shared(b, "sigma", "rules-linux")); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	caseDir := filepath.Join(b.TempDir(), "case")
	if _, err := pipeline.AnalyzeBundle(ctx, caseDir, analyzertest.Synthetic(b, b.TempDir(), n), pipeline.Options{}); err != nil {
		b.Fatal(err)
	}
	c, err := casestore.Open(caseDir)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	type pass struct {
		wall, cpu time.Duration
		rss       int64
		findings  int
	}
	sigmaTitles := map[string]int{}
	measure := func(f func() int) pass {
		debug.FreeOSMemory()
		analyzertest.ResetPeakRSS()
		c0, w0 := analyzertest.CPUTime(), time.Now()
		k := f()
		return pass{time.Since(w0), analyzertest.CPUTime() - c0, analyzertest.PeakRSS(), k}
	}
	for i := 0; i < b.N; i++ {
		read := measure(func() int {
			k := 0
			if err := c.Events(ctx, casestore.Query{}, func(timeline.Event) error { k++; return nil }); err != nil {
				b.Fatal(err)
			}
			return 0
		})
		base := measure(func() int {
			inv, err := investigation.InvestigateWith(ctx, c, own)
			if err != nil {
				b.Fatal(err)
			}
			return len(inv.Findings)
		})
		sig := measure(func() int {
			inv, err := investigation.InvestigateWith(ctx, c, withSigma)
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range inv.Findings {
				if f.Origin == "sigma" {
					sigmaTitles[f.Title+" (by "+f.Author+")"]++
				}
			}
			return len(inv.Findings)
		})
		ownCPU, addedCPU := base.cpu-read.cpu, sig.cpu-base.cpu
		b.ReportMetric(ownCPU.Seconds(), "builtin-cpu-s")
		b.ReportMetric(addedCPU.Seconds(), "sigma-added-cpu-s")
		b.ReportMetric((sig.wall - base.wall).Seconds(), "sigma-added-wall-s")
		b.ReportMetric(float64(sig.rss)/(1<<20), "with-sigma-peakRSS-MiB")
		b.Logf("%d events: reading them %v (CPU %v); Cordon's rules and correlation %v (CPU %v beyond reading, %d findings, peak RSS %d MiB); with SigmaHQ's %d rules %v (CPU %v more, %d findings, peak RSS %d MiB)",
			n, read.wall.Round(time.Millisecond), read.cpu.Round(time.Millisecond), base.wall.Round(time.Millisecond), ownCPU.Round(time.Millisecond), base.findings, base.rss>>20,
			len(withSigma.Sigma.Rules), sig.wall.Round(time.Millisecond), addedCPU.Round(time.Millisecond), sig.findings, sig.rss>>20)
		for t, k := range sigmaTitles {
			b.Logf("  sigma: %s: %d findings", t, k)
		}
	}
}
