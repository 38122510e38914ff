package analyzer

// The analyzer's figures: parse+index throughput and peak RSS for a
// bundle of synthetic events shaped like real ones (sshd, sudo, cron and
// kernel log lines, process starts with executables and pids, file times
// with paths, connections with addresses and ports), the index's size per
// event, and query latencies (term, phrase, sorted time range).
//
//	go test -run '^$' -bench Analyze -benchtime 1x ./analyzer
//	CORDON_BENCH_EVENTS=200000 go test -run '^$' -bench Analyze -benchtime 1x ./analyzer

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// syntheticBundle writes n test-lines events in entries of 50,000 lines,
// each entry in time order but the entries overlapping (as rotated logs of
// several daemons do), over 30 days.
func syntheticBundle(b *testing.B, dir string, n int) string {
	b.Helper()
	rng := rand.New(rand.NewSource(1))
	ips := make([]string, 5000)
	for i := range ips {
		ips[i] = fmt.Sprintf("%d.%d.%d.%d", 10+rng.Intn(200), rng.Intn(256), rng.Intn(256), 1+rng.Intn(254))
	}
	ips[0] = "203.0.113.7"
	users := make([]string, 200)
	for i := range users {
		users[i] = fmt.Sprintf("user%03d", i)
	}
	users[0] = "deploy"
	exes := []string{"/usr/sbin/sshd", "/usr/bin/sudo", "/usr/sbin/cron", "/usr/lib/postgresql/15/bin/postgres",
		"/usr/bin/bash", "/usr/bin/python3", "/tmp/mysql (deleted)", "/usr/bin/curl", "/usr/sbin/nginx", "/usr/bin/dockerd"}
	dirs := []string{"/etc", "/var/log", "/usr/lib/x86_64-linux-gnu", "/home/deploy", "/tmp", "/var/lib/postgresql/15/main/base/16384"}
	_, priv, err := bundle.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "synthetic.cordon")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w, err := bundle.NewWriter(f, bundle.Options{Key: priv, Ephemeral: true, EvidenceID: "bench", Collector: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	const perEntry = 50_000
	span := 30 * 24 * time.Hour
	var sb strings.Builder
	for e := 0; e*perEntry < n; e++ {
		m := min(perEntry, n-e*perEntry)
		start := t0.Add(time.Duration(rng.Int63n(int64(span / 2))))
		step := span / 2 / time.Duration(m)
		sb.Reset()
		for i := 0; i < m; i++ {
			ts := start.Add(time.Duration(i)*step + time.Duration(rng.Int63n(int64(step)))).Format(time.RFC3339Nano)
			ip, user := ips[rng.Intn(len(ips))], users[rng.Intn(len(users))]
			pid := 1000 + rng.Intn(60000)
			port := 1024 + rng.Intn(64000)
			switch k := rng.Intn(10); {
			case k < 3:
				fmt.Fprintf(&sb, "%s|ssh-login-failed|/usr/sbin/sshd|%d|%s|sshd[%d]: Failed password for invalid user %s from %s port %d ssh2\n", ts, pid, ip, pid, user, ip, port)
			case k < 4:
				fmt.Fprintf(&sb, "%s|ssh-login|/usr/sbin/sshd|%d|%s|sshd[%d]: Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%x\n", ts, pid, ip, pid, user, ip, port, rng.Int63())
			case k < 6:
				exe := exes[rng.Intn(len(exes))]
				fmt.Fprintf(&sb, "%s|process-started|%s|%d||process %d %q started: exe %q, parent %d, command line \"%s -c %d --user %s\"\n", ts, exe, pid, pid, filepath.Base(exe), exe, 1+rng.Intn(pid), exe, rng.Intn(1000), user)
			case k < 8:
				p := fmt.Sprintf("%s/%s-%d.%s", dirs[rng.Intn(len(dirs))], user, rng.Intn(100000), []string{"conf", "log", "so", "sh", "json"}[rng.Intn(5)])
				fmt.Fprintf(&sb, "%s|file-mtime|||||file %s\n", ts, p)
			case k < 9:
				fmt.Fprintf(&sb, "%s|CRON|/usr/sbin/cron|%d||CRON[%d]: (%s) CMD (/usr/local/bin/backup.sh --target %s >/dev/null 2>&1)\n", ts, pid, pid, user, ip)
			default:
				fmt.Fprintf(&sb, "%s|socket-connected|/usr/bin/curl|%d|%s|tcp 10.0.0.5:%d -> %s:3333 ESTABLISHED, held by process %d \"curl\"\n", ts, pid, ip, port, ip, pid)
			}
		}
		name := fmt.Sprintf("%sbench-%04d.log", testPrefix, e)
		if _, err := w.AddBytes(bundle.EntryMeta{Name: name, HostPath: "/var/log/" + name, Source: "logs",
			Original: &bundle.FileInfo{Type: "file", Mtime: t0.Add(span)}}, []byte(sb.String())); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.Close(bundle.Custody{EvidenceID: "bench", Host: bundle.HostFacts{Hostname: "bench01"}}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// resetPeakRSS resets VmHWM (Linux: "5" to /proc/self/clear_refs).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM in bytes.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func percentile(d []time.Duration, p float64) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

func BenchmarkAnalyze(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("CORDON_BENCH_EVENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	path := syntheticBundle(b, dir, n)
	fi, _ := os.Stat(path)
	b.Logf("synthetic bundle: %d events, %d MB", n, fi.Size()>>20)
	ctx := context.Background()
	var caseDir string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		caseDir = filepath.Join(dir, fmt.Sprint("case", i))
		resetPeakRSS()
		start := time.Now()
		cb, err := AnalyzeBundle(ctx, caseDir, path, AnalyzeOptions{})
		took := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if cb.Events != int64(n)+2 { // + the collection's start and end
			b.Fatalf("%d events, want %d", cb.Events, n+2)
		}
		b.ReportMetric(float64(cb.Events)/took.Seconds(), "events/s")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peakRSS-MiB")
		bd := filepath.Join(caseDir, bundlesDir, cb.Dir)
		b.ReportMetric(float64(dirSize(filepath.Join(bd, indexDir)))/float64(cb.Events), "index-B/event")
		b.ReportMetric(float64(dirSize(filepath.Join(bd, eventsFile)))/float64(cb.Events), "store-B/event")
		b.Logf("analyzed %d events in %v", cb.Events, took.Round(time.Millisecond))
	}
	b.StopTimer()

	c, err := OpenCase(caseDir)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	queries := []struct {
		name string
		q    Query
	}{
		{"term", Query{Query: `source.ip:203.0.113.7`}},
		{"phrase", Query{Query: `message:"accepted publickey for deploy"`}},
		{"range", Query{From: t0.Add(240 * time.Hour), To: t0.Add(241 * time.Hour)}},
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
		b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, q.name+"-p50-ms")
		b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, q.name+"-p99-ms")
		b.Logf("%s query %q: %d matches, first 100 sorted by time", q.name, q.q.Query, total)
	}
	// The whole timeline of one matching query, streamed.
	start := time.Now()
	m := 0
	if err := c.Events(ctx, Query{Query: `event.action:ssh-login`}, func(ev timeline.Event) error { m++; return nil }); err != nil {
		b.Fatal(err)
	}
	b.Logf("timeline of event.action:ssh-login: %d events in %v", m, time.Since(start).Round(time.Millisecond))
}
