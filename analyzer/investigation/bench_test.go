package investigation_test

// Figures for `cordon analyze` followed by `cordon report`, on the sample
// bundle of samples/ and on a synthetic case (1,000,000 events by default):
// the time and peak RSS of analyze (verify, parse, sort, store, index), of
// the investigation it then runs and keeps in the case (every event
// through the rules and the correlation), and of `report --case` reading
// the kept investigation and writing the HTML.
//
//	go test -run '^$' -bench 'AnalyzeAndReport' -benchtime 1x ./analyzer/investigation
//	CORDON_BENCH_EVENTS=200000 go test -run '^$' -bench 'AnalyzeAndReport/synthetic' -benchtime 1x ./analyzer/investigation

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
)

func BenchmarkAnalyzeAndReport(b *testing.B) {
	rs, err := investigation.LoadRules()
	if err != nil {
		b.Fatal(err)
	}
	cordon := buildCordon(b)
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

			// What findings and report cost before the investigation was
			// kept, and what cordon analyze now pays once: every event
			// through the rules and the correlation.
			debug.FreeOSMemory()
			analyzertest.ResetPeakRSS()
			start = time.Now()
			c, err := casestore.Open(caseDir)
			if err != nil {
				b.Fatal(err)
			}
			inv, err := investigation.Investigate(ctx, c, rs.Rules)
			if err != nil {
				b.Fatal(err)
			}
			invTook, invRSS := time.Since(start), analyzertest.PeakRSS()
			if err := investigation.Save(c, rs, inv); err != nil {
				b.Fatal(err)
			}
			c.Close()

			// findings --case and report --case now: the real binary, its own process.
			findingsTook, findingsRSS := timeCommand(b, cordon, "findings", "--case", caseDir, "--format", "json")
			reportTook, reportRSS := timeCommand(b, cordon, "report", "--case", caseDir, "-o", filepath.Join(b.TempDir(), "r.html"))

			b.ReportMetric(float64(cb.Events), "events")
			b.ReportMetric(analyzeTook.Seconds(), "analyze-s")
			b.ReportMetric(float64(analyzeRSS)/(1<<20), "analyze-peakRSS-MiB")
			b.ReportMetric(invTook.Seconds(), "investigate-s")
			b.ReportMetric(float64(invRSS)/(1<<20), "investigate-peakRSS-MiB")
			b.ReportMetric(findingsTook.Seconds(), "findings-case-s")
			b.ReportMetric(float64(findingsRSS)/(1<<20), "findings-case-peakRSS-MiB")
			b.ReportMetric(reportTook.Seconds(), "report-case-s")
			b.ReportMetric(float64(reportRSS)/(1<<20), "report-case-peakRSS-MiB")
			b.Logf("%d events: analyze %v, investigation %v (%d findings, %d threads), then findings --case %v, report --case %v",
				cb.Events, analyzeTook.Round(time.Millisecond), invTook.Round(time.Millisecond), len(inv.Findings), len(inv.Chain.Threads),
				findingsTook.Round(time.Millisecond), reportTook.Round(time.Millisecond))
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

// buildCordon builds the cordon binary for the benchmark.
func buildCordon(b *testing.B) string {
	out := filepath.Join(b.TempDir(), "cordon")
	if msg, err := exec.Command("go", "build", "-o", out, "github.com/cordon-forensics/cordon/cmd/cordon").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, msg)
	}
	return out
}

// timeCommand runs a command under GNU time and returns its wall time and
// peak RSS. (The rusage of a direct child is no good here: Go starts it
// with vfork, and Linux keeps the parent's high-water mark across exec.)
func timeCommand(b *testing.B, name string, args ...string) (time.Duration, int64) {
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		b.Skip("GNU time (Debian package time) measures the peak RSS")
	}
	stats := filepath.Join(b.TempDir(), "time")
	cmd := exec.Command(gnuTime, append([]string{"-f", "%M", "-o", stats, name}, args...)...)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	took := time.Since(start)
	out, err := os.ReadFile(stats)
	if err != nil {
		b.Fatal(err)
	}
	kb, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		b.Fatalf("GNU time said %q", out)
	}
	return took, kb << 10
}
