package collector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// overrunGrace is how long a source that overran its budget gets to notice
// its cancelled context before it is abandoned and recorded as "timeout".
const overrunGrace = 3 * time.Second

// Selected returns the sources a collection with opts runs, in order, and
// the ones it skips with the reason.
func Selected(opts Options, live bool) (run []Source, skipped []bundle.SourceStatus, err error) {
	for _, name := range append(slices.Clone(opts.Only), opts.Skip...) {
		if _, ok := Lookup(name); !ok {
			return nil, nil, fmt.Errorf("unknown source %q (see --list-sources)", name)
		}
	}
	for _, s := range Registered() {
		switch {
		case len(opts.Only) > 0 && !slices.Contains(opts.Only, s.Name):
			skipped = append(skipped, bundle.SourceStatus{Name: s.Name, Status: bundle.SourceSkipped, Detail: "not in --only"})
		case slices.Contains(opts.Skip, s.Name):
			skipped = append(skipped, bundle.SourceStatus{Name: s.Name, Status: bundle.SourceSkipped, Detail: "in --skip"})
		case s.Live && !live:
			skipped = append(skipped, bundle.SourceStatus{Name: s.Name, Status: bundle.SourceSkipped, Detail: "needs a live kernel; --root " + opts.Root + " is not one"})
		default:
			run = append(run, s)
		}
	}
	return run, skipped, nil
}

// Run runs the sources: background ones first (they run alongside), then
// the others one after the other in order of volatility, each within its
// budget. It returns one status per source, in the order given.
func Run(ctx context.Context, env *Env, sources []Source) []bundle.SourceStatus {
	status := make([]bundle.SourceStatus, len(sources))
	var bg sync.WaitGroup
	for i, s := range sources {
		if s.Background {
			bg.Add(1)
			go func() {
				defer bg.Done()
				status[i] = runOne(ctx, env, s)
			}()
		}
	}
	if env.Opts.CaptureLead > 0 && slices.ContainsFunc(sources, func(s Source) bool { return s.Background }) {
		select {
		case <-time.After(env.Opts.CaptureLead):
		case <-ctx.Done():
		}
	}
	for i, s := range sources {
		if !s.Background {
			status[i] = runOne(ctx, env, s)
		}
	}
	bg.Wait()
	return status
}

func runOne(ctx context.Context, root *Env, s Source) bundle.SourceStatus {
	env := root.For(s.Name)
	budget := s.Budget
	if s.BudgetOf != nil {
		budget = s.BudgetOf(root.Opts)
	}
	if budget <= 0 {
		budget = root.Opts.SourceTimeout
	}
	st := bundle.SourceStatus{Name: s.Name, Started: env.Now().UTC()}
	sctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("source panicked: %v", r)
			}
		}()
		done <- s.Collect(sctx, env)
	}()
	var err error
	timedOut := false
	select {
	case err = <-done:
	case <-sctx.Done():
		select {
		case err = <-done:
		case <-time.After(overrunGrace):
			timedOut = true
			err = fmt.Errorf("did not finish within its budget of %v: abandoned", budget)
		}
	}
	if err == nil && errors.Is(sctx.Err(), context.DeadlineExceeded) {
		timedOut = true
		err = fmt.Errorf("stopped at its budget of %v: what it had not reached is not collected", budget)
	}
	st.Finished = env.Now().UTC()
	env.stats.mu.Lock()
	st.Entries, st.Bytes, st.Errors, st.Detail = env.stats.entries, env.stats.bytes, env.stats.errors, env.stats.detail
	missing := env.stats.missing
	env.stats.mu.Unlock()
	switch {
	case timedOut:
		st.Status = bundle.SourceTimeout
	case err != nil:
		st.Status = bundle.SourceError
	case st.Errors > 0 || missing > 0 && st.Entries > 0:
		st.Status = bundle.SourcePartial
	case st.Entries == 0:
		st.Status = bundle.SourceNoData
	default:
		st.Status = bundle.SourceOK
	}
	if err != nil {
		env.Errorf("", "%v", err)
		st.Errors++
		if st.Detail == "" {
			st.Detail = err.Error()
		} else {
			st.Detail += "; " + err.Error()
		}
	}
	return st
}
