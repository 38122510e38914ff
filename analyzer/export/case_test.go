package export_test

// case_test.go builds the cases the engine tests export: the reenacted
// incident's bundle (samples/incident.cordon) analyzed into a case, and a
// fleet case holding it with two more hosts whose auth logs are parsed by
// Cordon's real syslog parser. It also counts what Cordon itself says is
// in a case, per host and per dataset, to compare with what an engine
// holds.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/export"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/analyzer/rules"
	"github.com/cordon-forensics/cordon/internal/bundletest"
	"github.com/cordon-forensics/cordon/timeline"
)

var sampleBundle = filepath.Join("..", "..", "samples", "incident.cordon")

// analyzeInto analyzes bundles into the case dir and returns it.
func analyzeInto(t testing.TB, dir string, bundles ...string) string {
	t.Helper()
	for _, b := range bundles {
		if _, err := pipeline.AnalyzeBundle(context.Background(), dir, b, pipeline.Options{Analyzer: "cordon test"}); err != nil {
			t.Fatalf("analyzing %s: %v", b, err)
		}
	}
	return dir
}

// authLogBundle writes a bundle of host holding /var/log/auth.log with n
// sshd lines from November 2026 (failures, then an accepted login now and
// then), and returns its path.
func authLogBundle(t testing.TB, dir, host string, n int) string {
	t.Helper()
	return authLogBundleAt(t, dir, host, n, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), 3*time.Second)
}

// authLogBundleAt is authLogBundle with its n lines step apart from start.
func authLogBundleAt(t testing.TB, dir, host string, n int, start time.Time, step time.Duration) string {
	t.Helper()
	var sb strings.Builder
	for i := range n {
		ts := start.Add(time.Duration(i) * step).Format(time.Stamp)
		pid := 2000 + i%500
		ip := fmt.Sprintf("198.51.100.%d", 1+i%50)
		if i%97 == 96 {
			fmt.Fprintf(&sb, "%s %s sshd[%d]: Accepted publickey for deploy from %s port %d ssh2: ED25519 SHA256:abc%d\n", ts, host, pid, ip, 40000+i%20000, i)
		} else {
			fmt.Fprintf(&sb, "%s %s sshd[%d]: Failed password for invalid user admin%d from %s port %d ssh2\n", ts, host, pid, i%7, ip, 40000+i%20000)
		}
	}
	end := start.Add(time.Duration(n) * step)
	return bundletest.Write(t, dir, host+".cordon", bundletest.Options{Host: host, TimeZone: "UTC", Start: end.Add(time.Hour)},
		bundletest.File("/var/log/auth.log", []byte(sb.String()), end))
}

// The cases are analyzed once per test binary and only read after: tests
// open them, never write them.
var (
	casesDir  string
	casesMu   sync.Mutex
	casesMade = map[string]string{}
)

func TestMain(m *testing.M) {
	var err error
	if casesDir, err = os.MkdirTemp("", "cordon-export-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(casesDir)
	os.Exit(code)
}

// sharedCase returns the case named name, built by build the first time.
func sharedCase(t testing.TB, name string, build func(dir string) string) string {
	t.Helper()
	casesMu.Lock()
	defer casesMu.Unlock()
	if dir, ok := casesMade[name]; ok {
		return dir
	}
	dir := build(filepath.Join(casesDir, name))
	casesMade[name] = dir
	return dir
}

// incidentCase is the reenacted incident's bundle alone.
func incidentCase(t testing.TB) string {
	return sharedCase(t, "incident", func(dir string) string { return analyzeInto(t, dir, sampleBundle) })
}

// fleetCase is the incident's bundle and two more hosts: 3 bundles.
func fleetCase(t testing.TB) string {
	return sharedCase(t, "fleet", func(dir string) string {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return analyzeInto(t, filepath.Join(dir, "case"), sampleBundle,
			authLogBundle(t, dir, "build-02", 12000), authLogBundle(t, dir, "build-03", 3000))
	})
}

// openCase opens a case, closed at cleanup.
func openCase(t testing.TB, dir string) *casestore.Case {
	t.Helper()
	c, err := casestore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// caseEvents is the export's event source for a case: every event, in
// the case's own order.
func caseEvents(c *casestore.Case) export.Events {
	return func(ctx context.Context, fn func(timeline.Event) error) error {
		return c.Events(ctx, casestore.Query{}, fn)
	}
}

// tally is what Cordon says a case holds.
type tally struct {
	events    int64
	byHost    map[string]int64
	byDataset map[string]int64
	findings  []findings.Finding
}

var tallies = map[string]tally{} // case directory → its tally, under casesMu

// countCase counts a case's events per host and per dataset, and runs the
// built-in rules and the correlation over it, once per case.
func countCase(t testing.TB, c *casestore.Case) tally {
	t.Helper()
	casesMu.Lock()
	defer casesMu.Unlock()
	if tl, ok := tallies[c.Dir()]; ok {
		return tl
	}
	tl := countCaseNow(t, c)
	tallies[c.Dir()] = tl
	return tl
}

func countCaseNow(t testing.TB, c *casestore.Case) tally {
	t.Helper()
	tl := tally{byHost: map[string]int64{}, byDataset: map[string]int64{}}
	err := c.Events(context.Background(), casestore.Query{}, func(ev timeline.Event) error {
		tl.events++
		host := ""
		if ev.Host != nil {
			host = ev.Host.Name
		}
		tl.byHost[host]++
		tl.byDataset[ev.Event.Dataset]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := findings.LoadRules(rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := investigation.Investigate(context.Background(), c, rs)
	if err != nil {
		t.Fatal(err)
	}
	tl.findings = inv.Findings
	return tl
}

// caseSource names a case's bundles for the export state.
func caseSource(c *casestore.Case) string {
	var s []string
	for _, b := range c.Bundles() {
		s = append(s, b.SHA256)
	}
	return strings.Join(s, ",")
}
