package pipeline

// run.go analyzes many bundles into one case at once: a bounded number of
// workers, each taking the next bundle, with the memory and the cores of
// the run shared out among them rather than multiplied by them: the sort
// memory and the index workers are divided by the number of workers, and
// the parsers running at once across all the bundles are bounded by
// parserSlots. Each bundle is first hashed (a fast pass): one the case
// holds already, or one given twice, is skipped without being verified.
// Each bundle appears in the case when it is done (casestore's lock.go
// says how several writers share a case); interrupted, the run leaves the
// bundles already published and nothing of the others.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/eventstore"
	"github.com/cordon-forensics/cordon/internal/ctxio"
)

// minSortMemory is the least sort memory a worker gets, whatever the share.
const minSortMemory = 16 << 20

// Run says how AnalyzeBundles runs.
type Run struct {
	// Jobs is how many bundles are analyzed at once (0: one per core).
	Jobs int
	// Progress, when set, is told how far each bundle is (i: its place in
	// paths). It is called from the workers, concurrently.
	Progress func(i int, p Progress)
	// Done, when set, is told what became of each bundle as soon as it is
	// known; it is called once per bundle, one call at a time.
	Done func(i int, r Result)
}

// Result is what became of one bundle of AnalyzeBundles.
type Result struct {
	Path   string
	SHA256 string // of the file ("" when it could not be read)
	// Bundle is the bundle's record, when it was analyzed now.
	Bundle *casestore.CaseBundle
	// Skipped says why it was not analyzed although nothing failed: it is
	// in the case already, or it is the same file as an earlier path.
	Skipped string
	Err     error
	Took    time.Duration
}

// AnalyzeBundles analyzes the bundles at paths into the case at caseDir,
// r.Jobs at a time, and returns their results in the order of paths. The
// error is ctx's when the run was interrupted (the bundles published before
// stay in the case); each bundle's own failure is in its Result.
func AnalyzeBundles(ctx context.Context, caseDir string, paths []string, o Options, r Run) ([]Result, error) {
	jobs := r.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	jobs = max(1, min(jobs, len(paths)))
	per := o
	per.Progress = nil
	total := o.SortMemory
	if total <= 0 {
		total = eventstore.DefaultSortMemory
	}
	per.SortMemory = max(minSortMemory, total/jobs)
	workers := o.IndexWorkers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	per.IndexWorkers = max(1, workers/jobs)
	slots := newParserSlots(max(jobs, runtime.GOMAXPROCS(0)))

	results := make([]Result, len(paths))
	for i := range paths {
		results[i].Path = paths[i]
	}
	var (
		mu     sync.Mutex // guards seen and the calls of r.Done
		seen   = map[string]int{}
		next   = make(chan int)
		wg     sync.WaitGroup
		doneFn = func(i int) {
			mu.Lock()
			defer mu.Unlock()
			if r.Done != nil {
				r.Done(i, results[i])
			}
		}
	)
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				po := per
				if r.Progress != nil {
					po.Progress = func(p Progress) { r.Progress(i, p) }
				}
				res := &results[i]
				start := time.Now()
				sum, err := hashFile(ctx, paths[i], po.Progress)
				res.SHA256 = sum
				switch {
				case err != nil:
					res.Err = err
				case casestore.Holds(caseDir, sum):
					res.Skipped = fmt.Sprintf("already in the case (%s)", casestore.BundleDirName(sum))
				default:
					mu.Lock()
					first, dup := seen[sum]
					if !dup {
						seen[sum] = i
					}
					mu.Unlock()
					if dup {
						res.Skipped = fmt.Sprintf("the same file as %s", paths[first])
						break
					}
					res.Bundle, res.Err = analyzeBundle(ctx, caseDir, paths[i], po, sum, slots)
					if errors.Is(res.Err, casestore.ErrAlreadyInCase) {
						res.Skipped, res.Err = res.Err.Error(), nil
					}
				}
				res.Took = time.Since(start)
				if ctx.Err() == nil || res.Bundle != nil {
					doneFn(i) // an interrupted bundle is not reported: it is not there
				}
			}
		}()
	}
feed:
	for i := range paths {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return results, fmt.Errorf("analyzing bundles: %w", err)
	}
	return results, nil
}

// hashFile returns the SHA-256 of the file at path, in hex.
func hashFile(ctx context.Context, path string, progress func(Progress)) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, ctxio.Reader(ctx, progressReader(f, PhaseHash, fi.Size(), progress))); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// parserSlots bounds the parsers running at once across the bundles of a
// run. An entry read by several parsers takes a slot for each (they read
// it together, through pipes), at most all the slots.
type parserSlots struct {
	// mu serializes the taking of slots, so that no one holding some of
	// its slots waits on another doing the same.
	mu     sync.Mutex
	tokens chan struct{}
}

func newParserSlots(n int) *parserSlots {
	return &parserSlots{tokens: make(chan struct{}, max(1, n))}
}

// acquire takes n slots (at most all of them), waiting for them; nil
// slots bound nothing.
func (s *parserSlots) acquire(ctx context.Context, n int) (func(), error) {
	if s == nil {
		return func() {}, nil
	}
	n = max(1, min(n, cap(s.tokens)))
	s.mu.Lock()
	defer s.mu.Unlock()
	release := func(k int) {
		for ; k > 0; k-- {
			<-s.tokens
		}
	}
	for i := 0; i < n; i++ {
		select {
		case s.tokens <- struct{}{}:
		case <-ctx.Done():
			release(i)
			return nil, ctx.Err()
		}
	}
	return func() { release(n) }, nil
}
