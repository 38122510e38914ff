package sigma

// The cost of SigmaHQ's 210 Linux rules over a case, against the cost of
// Cordon's own rules over the same events:
//
//	go test -run '^$' -bench SigmaHQ -benchtime 1x ./analyzer/sigma
//	CORDON_BENCH_EVENTS=200000 go test -run '^$' -bench SigmaHQ -benchtime 1x ./analyzer/sigma
//
// The events are those of the analyzer's synthetic case (analyzer/bench_test.go:
// the same mix, addresses, users, programs and paths over 30 days), but
// made as the real parsers make them, with the fields Sigma rules read:
// sshd lines of auth.log, process starts of the snapshot with their
// command lines, file times of the file timeline, cron lines of syslog,
// sockets of the snapshot. They are made in batches, so that the figure
// is the rules' time and memory, not the events'.

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/rules"
	"github.com/cordon-forensics/cordon/timeline"
)

// synthetic makes the n events of the synthetic case, in batches.
type synthetic struct {
	rng   *rand.Rand
	ips   []string
	users []string
	left  int
	i     int
}

var (
	benchExes = []string{"/usr/sbin/sshd", "/usr/bin/sudo", "/usr/sbin/cron", "/usr/lib/postgresql/15/bin/postgres",
		"/usr/bin/bash", "/usr/bin/python3", "/tmp/mysql (deleted)", "/usr/bin/curl", "/usr/sbin/nginx", "/usr/bin/dockerd"}
	benchDirs = []string{"/etc", "/var/log", "/usr/lib/x86_64-linux-gnu", "/home/deploy", "/tmp", "/var/lib/postgresql/15/main/base/16384"}
	benchT0   = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
)

func newSynthetic(n int) *synthetic {
	s := &synthetic{rng: rand.New(rand.NewSource(1)), left: n}
	s.ips = make([]string, 5000)
	for i := range s.ips {
		s.ips[i] = fmt.Sprintf("%d.%d.%d.%d", 10+s.rng.Intn(200), s.rng.Intn(256), s.rng.Intn(256), 1+s.rng.Intn(254))
	}
	s.ips[0] = "203.0.113.7"
	s.users = make([]string, 200)
	for i := range s.users {
		s.users[i] = fmt.Sprintf("user%03d", i)
	}
	s.users[0] = "deploy"
	return s
}

// next fills buf with the next events; false when there are none left.
func (s *synthetic) next(buf []timeline.Event) ([]timeline.Event, bool) {
	buf = buf[:0]
	for len(buf) < cap(buf) && s.left > 0 {
		s.left--
		s.i++
		rng := s.rng
		ts := benchT0.Add(time.Duration(rng.Int63n(int64(30 * 24 * time.Hour))))
		ip, user := s.ips[rng.Intn(len(s.ips))], s.users[rng.Intn(len(s.users))]
		pid := int64(1000 + rng.Intn(60000))
		port := 1024 + rng.Intn(64000)
		pv := timeline.Provenance{Bundle: "bench", Entry: "bench-" + strconv.Itoa(s.i/50000), Line: int64(s.i%50000 + 1)}
		ev := timeline.Event{Timestamp: ts, Host: &timeline.Host{Name: "bench01"}, Cordon: timeline.Cordon{Provenance: pv}}
		switch k := rng.Intn(10); {
		case k < 4:
			msg := fmt.Sprintf("Failed password for invalid user %s from %s port %d ssh2", user, ip, port)
			if k == 3 {
				msg = fmt.Sprintf("Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%x", user, ip, port, rng.Int63())
			}
			ev.Message = "sshd: " + msg
			ev.Event = timeline.EventFields{Dataset: "auth", Action: "log-line", Original: fmt.Sprintf("Nov  2 10:00:00 bench01 sshd[%d]: %s", pid, msg)}
			ev.Process = &timeline.Process{Name: "sshd", PID: pid}
			ev.Source = &timeline.Endpoint{IP: ip, Port: port}
		case k < 6:
			exe := benchExes[rng.Intn(len(benchExes))]
			cmd := fmt.Sprintf("%s -c %d --user %s", strings.TrimSuffix(exe, " (deleted)"), rng.Intn(1000), user)
			ppid := int64(1 + rng.Intn(int(pid)))
			ev.Message = fmt.Sprintf("process %d %q started: exe %q, parent %d, command line %q", pid, filepath.Base(exe), exe, ppid, cmd)
			ev.Event = timeline.EventFields{Dataset: "processes", Action: "process-started"}
			ev.Process = &timeline.Process{PID: pid, Name: filepath.Base(exe), Executable: exe, CommandLine: cmd, Args: strings.Fields(cmd),
				WorkingDir: "/", Parent: &timeline.ParentProcess{PID: ppid, Executable: "/usr/bin/bash", CommandLine: "bash"}}
			ev.User = &timeline.User{Name: user}
		case k < 8:
			p := fmt.Sprintf("%s/%s-%d.%s", benchDirs[rng.Intn(len(benchDirs))], user, rng.Intn(100000), []string{"conf", "log", "so", "sh", "json"}[rng.Intn(5)])
			ev.Message = "file modified " + p
			ev.Event = timeline.EventFields{Dataset: "filetimeline", Action: "file-mtime"}
			ev.File = &timeline.File{Path: p}
		case k < 9:
			msg := fmt.Sprintf("(%s) CMD (/usr/local/bin/backup.sh --target %s >/dev/null 2>&1)", user, ip)
			ev.Message = "CRON: " + msg
			ev.Event = timeline.EventFields{Dataset: "syslog", Action: "log-line", Original: fmt.Sprintf("Nov  2 10:00:00 bench01 CRON[%d]: %s", pid, msg)}
			ev.Process = &timeline.Process{Name: "CRON", PID: pid}
		default:
			ev.Message = fmt.Sprintf("tcp 10.0.0.5:%d -> %s:3333 ESTABLISHED, held by process %d \"curl\"", port, ip, pid)
			ev.Event = timeline.EventFields{Dataset: "sockets", Action: "socket-connected"}
			ev.Process = &timeline.Process{PID: pid, Name: "curl"}
			ev.Source = &timeline.Endpoint{IP: "10.0.0.5", Port: port}
			ev.Destination = &timeline.Endpoint{IP: ip, Port: 3333}
		}
		buf = append(buf, ev)
	}
	return buf, len(buf) > 0
}

// each hands the n synthetic events to f, made in batches of buf's
// capacity, and returns the time spent in f.
func each(n int, buf []timeline.Event, f func(*timeline.Event)) time.Duration {
	var in time.Duration
	syn := newSynthetic(n)
	for {
		evs, ok := syn.next(buf)
		if !ok {
			return in
		}
		t := time.Now()
		for j := range evs {
			f(&evs[j])
		}
		in += time.Since(t)
	}
}

func BenchmarkSigmaHQ(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("CORDON_BENCH_EVENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	builtin, err := findings.LoadRules(rules.FS)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	set, err := Load(sigmaHQ(b))
	if err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	buf := make([]timeline.Event, 0, 10_000)
	for i := 0; i < b.N; i++ {
		// making the events alone, to take its CPU time off the others'
		c0 := analyzertest.CPUTime()
		each(n, buf, func(*timeline.Event) {})
		gen := analyzertest.CPUTime() - c0

		// Cordon's own rules
		c0 = analyzertest.CPUTime()
		eng := findings.NewEngine(builtin)
		own := each(n, buf, func(ev *timeline.Event) { eng.Add(*ev) })
		t := time.Now()
		ownFindings := len(eng.Findings())
		own += time.Since(t)
		ownCPU := analyzertest.CPUTime() - c0 - gen

		// SigmaHQ's rules
		analyzertest.ResetPeakRSS()
		base := analyzertest.PeakRSS()
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap0 := ms.HeapAlloc
		c0 = analyzertest.CPUTime()
		e := NewEngine(set)
		sig := each(n, buf, e.Add)
		t = time.Now()
		fs := e.Findings()
		sig += time.Since(t)
		sigCPU := analyzertest.CPUTime() - c0 - gen
		rss := analyzertest.PeakRSS()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap := int64(ms.HeapAlloc) - int64(heap0) // what the engine and its findings hold at the end
		runtime.KeepAlive(e)
		b.ReportMetric(float64(heap)/(1<<20), "sigma-heap-MiB")

		b.ReportMetric(own.Seconds(), "builtin-s")
		b.ReportMetric(sig.Seconds(), "sigma-s")
		b.ReportMetric(ownCPU.Seconds(), "builtin-cpu-s")
		b.ReportMetric(sigCPU.Seconds(), "sigma-cpu-s")
		b.ReportMetric(sig.Seconds()/own.Seconds(), "sigma/builtin")
		b.ReportMetric(float64(n)/sig.Seconds(), "sigma-events/s")
		b.ReportMetric(float64(rss)/(1<<20), "peakRSS-MiB")
		b.Logf("%d events: Cordon's %d rules %v (CPU %v; %d findings); SigmaHQ's %d rules (%d applicable, loaded in %v) %v (CPU %v; %d findings, %d events judged); peak RSS %d MiB (%d MiB before the Sigma pass); the Sigma engine holds %d KiB at the end",
			n, len(builtin), own.Round(time.Millisecond), ownCPU.Round(time.Millisecond), ownFindings, len(set.Rules), set.Applicable(), load.Round(time.Millisecond),
			sig.Round(time.Millisecond), sigCPU.Round(time.Millisecond), len(fs), e.Events, rss>>20, base>>20, heap>>10)
		per := map[string]int{}
		var titles []string
		for _, f := range fs {
			k := f.Severity + " " + f.Title + " (" + f.Author + ")"
			if per[k] == 0 {
				titles = append(titles, k)
			}
			per[k]++
		}
		for _, k := range titles {
			b.Logf("  %s: %d findings", k, per[k])
		}
	}
}

// BenchmarkSigmaEngine is the Sigma pass alone, for profiles.
func BenchmarkSigmaEngine(b *testing.B) {
	set, err := Load(sigmaHQ(b))
	if err != nil {
		b.Fatal(err)
	}
	evs, _ := newSynthetic(100_000).next(make([]timeline.Event, 0, 100_000))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := NewEngine(set)
		for j := range evs {
			e.Add(&evs[j])
		}
		e.Findings()
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}
