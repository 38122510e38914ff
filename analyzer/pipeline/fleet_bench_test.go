package pipeline_test

// The fleet's figures: a case of many synthetic bundles of several hosts
// (analyzertest.SyntheticFleet: real-format auth.log files read by the real
// syslog parser, 10,000 to 100,000 lines each, four collections per host),
// analyzed one per core at once; the whole case's investigation (with the
// fleet findings), and every host's (what cordon hosts computes); then
// search latencies across all the bundles: a rare term, a common term and
// a one-hour range, each sorted by time, first 100 (wall time, and the CPU
// time the process spent, which a busy machine does not inflate).
//
//	go test -run '^$' -bench Fleet -benchtime 1x -timeout 3h ./analyzer/pipeline
//	CORDON_FLEET_BUNDLES=8 go test -run '^$' -bench 'Fleet$' -benchtime 1x ./analyzer/pipeline
//
// CORDON_FLEET_KEEP=DIR keeps the case in DIR/case0, for
// CORDON_FLEET_CASE=DIR/case0 go test -run '^$' -bench FleetSearch (one query at a time, profilable).

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
)

func BenchmarkFleet(b *testing.B) {
	bundles := 100
	if s := os.Getenv("CORDON_FLEET_BUNDLES"); s != "" {
		bundles, _ = strconv.Atoi(s)
	}
	hosts := max(4, bundles/4)
	dir := b.TempDir()
	start := time.Now()
	fl := analyzertest.SyntheticFleet(b, dir, analyzertest.FleetOptions{Bundles: bundles, Hosts: hosts, MinLines: 10_000, MaxLines: 100_000})
	var lines, bytes int64
	for i, p := range fl.Paths {
		lines += int64(fl.Lines[i])
		fi, _ := os.Stat(p)
		bytes += fi.Size()
	}
	b.Logf("%d synthetic bundles of %d hosts: %d auth.log lines, %d MB of bundles, written in %v", bundles, hosts, lines, bytes>>20, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	rs, err := investigation.LoadRules()
	if err != nil {
		b.Fatal(err)
	}
	var caseDir string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		caseDir = filepath.Join(dir, "case"+strconv.Itoa(i))
		if keep := os.Getenv("CORDON_FLEET_KEEP"); keep != "" {
			caseDir = filepath.Join(keep, "case"+strconv.Itoa(i)) // for BenchmarkFleetSearch
		}
		runtime.GC()
		analyzertest.ResetPeakRSS()
		start, cpu := time.Now(), analyzertest.CPUTime()
		res, err := pipeline.AnalyzeBundles(ctx, caseDir, fl.Paths, pipeline.Options{}, pipeline.Run{})
		took, cpu := time.Since(start), analyzertest.CPUTime()-cpu
		if err != nil {
			b.Fatal(err)
		}
		var events int64
		for _, r := range res {
			if r.Err != nil || r.Bundle == nil {
				b.Fatalf("%s: %v %s", r.Path, r.Err, r.Skipped)
			}
			events += r.Bundle.Events
		}
		b.ReportMetric(took.Seconds(), "analyze-s")
		b.ReportMetric(cpu.Seconds(), "analyze-cpu-s")
		b.ReportMetric(float64(events)/took.Seconds(), "events/s")
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
		b.ReportMetric(float64(analyzertest.PeakRSS())/(1<<20), "analyze-peakRSS-MiB")
		b.Logf("analyzed %d bundles (%d events) with %d jobs in %v", len(res), events, runtime.GOMAXPROCS(0), took.Round(time.Millisecond))
	}
	b.StopTimer()

	start = time.Now()
	c, err := casestore.Open(caseDir)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportMetric(float64(time.Since(start).Milliseconds()), "open-ms")

	// The investigation analyze keeps, then every host's (cordon hosts).
	runtime.GC()
	analyzertest.ResetPeakRSS()
	start, cpu := time.Now(), analyzertest.CPUTime()
	inv, err := investigation.Investigate(ctx, c, rs.Rules)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "investigate-s")
	b.ReportMetric((analyzertest.CPUTime() - cpu).Seconds(), "investigate-cpu-s")
	b.ReportMetric(float64(analyzertest.PeakRSS())/(1<<20), "investigate-peakRSS-MiB")
	b.Logf("investigated %d events: %d findings, %d values on several hosts, in %v", inv.Events, len(inv.Findings), len(inv.Fleet), time.Since(start).Round(time.Millisecond))
	if len(inv.Fleet) != 2 {
		b.Errorf("fleet findings: %+v", inv.Fleet)
	}
	sets := make([][]string, 0, hosts)
	seen := map[string]bool{}
	for _, h := range fl.Hosts {
		if !seen[h] {
			seen[h] = true
			sets = append(sets, []string{h})
		}
	}
	runtime.GC()
	analyzertest.ResetPeakRSS()
	start, cpu = time.Now(), analyzertest.CPUTime()
	if _, _, err := investigation.GetEach(ctx, c, rs, sets); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "each-host-s")
	b.ReportMetric((analyzertest.CPUTime() - cpu).Seconds(), "each-host-cpu-s")
	b.ReportMetric(float64(analyzertest.PeakRSS())/(1<<20), "each-host-peakRSS-MiB")

	day0 := analyzertest.T0.Truncate(24 * time.Hour)
	queries := []struct {
		name string
		q    casestore.Query
	}{
		{"rare-term", casestore.Query{Query: `source.ip:` + analyzertest.FleetAttacker}},
		{"term", casestore.Query{Query: `user.name:deploy`}},
		{"range", casestore.Query{From: day0.Add(10 * time.Hour), To: day0.Add(11 * time.Hour)}},
	}
	for _, q := range queries {
		var lat, cpu []time.Duration
		var total uint64
		for i := 0; i < 200; i++ {
			start, c0 := time.Now(), analyzertest.CPUTime()
			tot, hits, err := c.Search(ctx, q.q, 100)
			lat = append(lat, time.Since(start))
			cpu = append(cpu, analyzertest.CPUTime()-c0)
			if err != nil || len(hits) == 0 {
				b.Fatalf("%s: %v, %d hits", q.name, err, len(hits))
			}
			total = tot
		}
		b.ReportMetric(float64(analyzertest.Percentile(lat, 0.50).Microseconds())/1000, q.name+"-p50-ms")
		b.ReportMetric(float64(analyzertest.Percentile(lat, 0.99).Microseconds())/1000, q.name+"-p99-ms")
		b.ReportMetric(float64(analyzertest.Percentile(cpu, 0.50).Microseconds())/1000, q.name+"-cpu-p50-ms")
		b.Logf("%s query %+v: %d matches across %d bundles, first 100 sorted by time", q.name, q.q, total, len(c.Bundles()))
	}
}

// BenchmarkFleetSearch runs the fleet benchmark's queries over an existing
// case (CORDON_FLEET_CASE), one search per iteration.
func BenchmarkFleetSearch(b *testing.B) {
	dir := os.Getenv("CORDON_FLEET_CASE")
	if dir == "" {
		b.Skip("CORDON_FLEET_CASE names no case")
	}
	c, err := casestore.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	day0 := analyzertest.T0.Truncate(24 * time.Hour)
	for _, q := range []struct {
		name string
		q    casestore.Query
	}{
		{"rare-term", casestore.Query{Query: `source.ip:` + analyzertest.FleetAttacker}},
		{"term", casestore.Query{Query: `user.name:deploy`}},
		{"range", casestore.Query{From: day0.Add(10 * time.Hour), To: day0.Add(11 * time.Hour)}},
	} {
		b.Run(q.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := c.Search(context.Background(), q.q, 100); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFleetInvestigate investigates an existing case
// (CORDON_FLEET_CASE) whole, once per iteration (profilable).
func BenchmarkFleetInvestigate(b *testing.B) {
	dir := os.Getenv("CORDON_FLEET_CASE")
	if dir == "" {
		b.Skip("CORDON_FLEET_CASE names no case")
	}
	c, err := casestore.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	rs, err := investigation.LoadRules()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		analyzertest.ResetPeakRSS()
		if _, err := investigation.Investigate(context.Background(), c, rs.Rules); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(analyzertest.PeakRSS())/(1<<20), "peakRSS-MiB")
	}
}
