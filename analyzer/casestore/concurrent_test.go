package casestore_test

// Several writers on one case (run these with -race: scripts/test does).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
)

// hostEntries is a small test-lines log of one host, n lines.
func hostEntries(host string, n int) []testEntry {
	var lines []string
	for i := 0; i < n; i++ {
		lines = append(lines, fmt.Sprintf("%s|ssh-login-failed||%d|203.0.113.%d|sshd: Failed password for root on %s", ts(time.Duration(i)*time.Second), 100+i, 1+i%200, host))
	}
	return []testEntry{{name: testPrefix + "auth", mtime: t0.Add(time.Hour), data: strings.Join(lines, "\n") + "\n"}}
}

// TestAnalyzeBundlesInParallel: bundles of several hosts analyzed two at
// a time into one case, one path given twice (skipped, not analyzed
// twice); while they are added, readers open the case over and over and
// must never see a bundle whose events are not all there. A second run
// with the same bundles and one more skips the first ones by their SHA-256.
func TestAnalyzeBundlesInParallel(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, host := range []string{"agent01", "agent02", "agent03", "agent04"} {
		paths = append(paths, writeTestBundle(t, dir, host+".cordon", host, hostEntries(host, 500+100*i)))
	}
	caseDir := filepath.Join(dir, "case")
	ctx := context.Background()

	// Readers, until the writers are done.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var opened atomic.Int64
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := Open(caseDir)
				if errors.Is(err, ErrNoCase) {
					continue
				}
				if err != nil {
					t.Errorf("opening the case while it is written: %v", err)
					return
				}
				opened.Add(1)
				for _, b := range c.Bundles() {
					n, err := c.Count(ctx, Query{Host: b.Host()})
					if err != nil || int64(n) != b.Events {
						t.Errorf("bundle %s seen with %d of its %d events (%v)", b.Dir, n, b.Events, err)
					}
				}
				c.Close()
			}
		}()
	}

	var mu sync.Mutex
	var order []int
	res, err := pipeline.AnalyzeBundles(ctx, caseDir, append(paths, paths[1]), pipeline.Options{Analyzer: "test"},
		pipeline.Run{Jobs: 2, Done: func(i int, r pipeline.Result) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		}})
	close(stop)
	readers.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != 5 {
		t.Errorf("Done called for %v", order)
	}
	for i, r := range res[:4] {
		if r.Err != nil || r.Skipped != "" || r.Bundle == nil || r.Bundle.Host() != fmt.Sprintf("agent%02d", i+1) || r.Bundle.Events != int64(500+100*i+2) {
			t.Errorf("bundle %d: %+v", i, r)
		}
		if r.Bundle != nil && r.Bundle.SHA256 != r.SHA256 {
			t.Errorf("bundle %d: hashed %s, verified %s", i, r.SHA256, r.Bundle.SHA256)
		}
	}
	// Skipped either as the same file (while the first is being added) or as
	// one the case holds (when the first was done before it was hashed).
	if r := res[4]; r.Bundle != nil || r.Err != nil || (r.Skipped != "the same file as "+paths[1] && !strings.HasPrefix(r.Skipped, "already in the case")) {
		t.Errorf("the same path twice: %+v", r)
	}
	t.Logf("the case was opened %d times while it was written", opened.Load())

	// Nothing but the published bundles is left in bundles/: no build
	// directory, no bundle lock.
	left, _ := filepath.Glob(filepath.Join(caseDir, "bundles", "*"))
	if len(left) != 4 {
		t.Errorf("bundles/ holds %q", left)
	}
	for _, l := range left {
		if strings.Contains(filepath.Base(l), ".") {
			t.Errorf("left behind: %s", l)
		}
	}

	// Again, with one more: the four are recognised and skipped.
	extra := writeTestBundle(t, dir, "agent05.cordon", "agent05", hostEntries("agent05", 50))
	res, err = pipeline.AnalyzeBundles(ctx, caseDir, append(paths, extra), pipeline.Options{}, pipeline.Run{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res[:4] {
		if r.Bundle != nil || r.Err != nil || !strings.HasPrefix(r.Skipped, "already in the case") {
			t.Errorf("second run, bundle %d: %+v", i, r)
		}
	}
	if r := res[4]; r.Bundle == nil || r.Err != nil {
		t.Errorf("second run, the new bundle: %+v", r)
	}
	c, err := Open(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := len(c.Bundles()); n != 5 {
		t.Errorf("%d bundles in the case", n)
	}
}

// TestBuildersOfOneBundle: a second writer of a bundle being built is
// refused at once; once the first gives up, the bundle can be reserved
// again, and what a killed writer left (its build directory) is removed
// by the next reservation.
func TestBuildersOfOneBundle(t *testing.T) {
	caseDir := filepath.Join(t.TempDir(), "case")
	ctx := context.Background()
	sha := strings.Repeat("ab", 32)
	b1, err := Begin(ctx, caseDir, sha, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Begin(ctx, caseDir, sha, BuildOptions{}); !errors.Is(err, ErrBeingAdded) {
		t.Fatalf("a second writer of the same bundle: %v", err)
	}
	other, err := Begin(ctx, caseDir, strings.Repeat("cd", 32), BuildOptions{})
	if err != nil {
		t.Fatalf("another bundle at the same time: %v", err)
	}
	other.Abort()
	// A killed writer's leftovers: a build directory nobody holds.
	stale := filepath.Join(caseDir, "bundles", BundleDirName(sha)+".tmp-deadbeef")
	if err := os.MkdirAll(filepath.Join(stale, "index.bleve"), 0o755); err != nil {
		t.Fatal(err)
	}
	b1.Abort()
	b1.Abort() // twice is harmless
	b2, err := Begin(ctx, caseDir, sha, BuildOptions{})
	if err != nil {
		t.Fatalf("after the first gave up: %v", err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale build directory is still there: %v", err)
	}
	b2.Abort()
	if left, _ := filepath.Glob(filepath.Join(caseDir, "bundles", "*")); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
	// The case lock is free.
	unlock, err := Lock(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

// TestAnalyzeBundlesInterrupted: cancelled midway, a run leaves the
// bundles it published and nothing of the others.
func TestAnalyzeBundlesInterrupted(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := 0; i < 4; i++ {
		host := fmt.Sprintf("host%d", i)
		paths = append(paths, writeTestBundle(t, dir, host+".cordon", host, hostEntries(host, 3000)))
	}
	caseDir := filepath.Join(dir, "case")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := pipeline.AnalyzeBundles(ctx, caseDir, paths, pipeline.Options{}, pipeline.Run{Jobs: 2,
		Progress: func(i int, p pipeline.Progress) {
			if i == 1 && p.Phase == pipeline.PhaseIndex {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	published := 0
	for _, r := range res {
		if r.Bundle != nil {
			published++
		}
	}
	left, _ := filepath.Glob(filepath.Join(caseDir, "bundles", "*"))
	if len(left) != published {
		t.Errorf("%d bundles published, bundles/ holds %q", published, left)
	}
	for _, l := range left {
		if strings.Contains(filepath.Base(l), ".") {
			t.Errorf("left behind: %s", l)
		}
	}
	unlock, err := Lock(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}
