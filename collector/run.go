package collector

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// overrunGrace is how long a source that overran its budget gets to notice
// its cancelled context before it is abandoned and recorded as "timeout".
const overrunGrace = 3 * time.Second

// interruptGrace is the same when the whole collection is interrupted (a
// signal): the collector must stop within a second.
const interruptGrace = 500 * time.Millisecond

// PersistentOrder is the first Order of the persistent phase: sources
// before it (processes, sockets, executables, memory, host state) read
// what vanishes and run at normal priority; those from it on (logs,
// configuration, packages, file timeline) read what stays and run niced.
const PersistentOrder = 40

// Phase names.
const (
	PhaseVolatile   = "volatile"
	PhasePersistent = "persistent"
)

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

// Outcome is what Run did: one status per source, in the order given, and
// the phases with the priority each ran at.
type Outcome struct {
	Sources []bundle.SourceStatus
	Phases  []bundle.Phase
	// Interrupted is set when ctx was cancelled before every source ran.
	Interrupted bool
}

// Failed counts the sources that failed or timed out.
func (o Outcome) Failed() int {
	n := 0
	for _, s := range o.Sources {
		if s.Status == bundle.SourceError || s.Status == bundle.SourceTimeout {
			n++
		}
	}
	return n
}

// Run runs the sources: background ones first (they run alongside), then
// the others one after the other in order of volatility, each within its
// budget. The volatile phase runs at normal priority; before the first
// persistent source the collector lowers its priority (unless
// Options.NoPriorityLowering). When ctx is cancelled, the source under way
// gets interruptGrace to return and the rest are marked interrupted.
func Run(ctx context.Context, env *Env, sources []Source) Outcome {
	out := Outcome{Sources: make([]bundle.SourceStatus, len(sources))}
	var phase *bundle.Phase
	procs := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(procs)
	startPhase := func(name string) {
		if phase != nil {
			phase.Finished = env.Now().UTC()
		}
		out.Phases = append(out.Phases, bundle.Phase{Name: name, Started: env.Now().UTC(), Sources: []string{}})
		phase = &out.Phases[len(out.Phases)-1]
		phaseMemoryLimit(name)
		switch name {
		case PhaseVolatile:
			// More threads than CPUs: the volatile reads are parallel, and
			// under the fair scheduler a CPU-saturated host gives a process
			// a share in proportion to its runnable threads, not its number.
			runtime.GOMAXPROCS(max(procs, volatileThreads()))
			if err := NormalPriority(); err != nil {
				env.For("").Errorf("", "setting normal priority: %v", err)
				phase.Note = joinNote(phase.Note, err.Error())
			}
		case PhasePersistent:
			runtime.GOMAXPROCS(procs)
			if env.Opts.NoPriorityLowering {
				phase.Note = "priority not lowered (--no-nice)"
			} else if err := LowerPriority(); err != nil {
				env.For("").Errorf("", "lowering priority: %v", err)
				phase.Note = joinNote(phase.Note, err.Error())
			}
		}
		phasePriority(env, phase)
		phase.Threads = runtime.GOMAXPROCS(0)
	}
	// Phases are one-way: once lowered, the priority is never raised again.
	phaseOf := func(s Source) string {
		if s.Background || s.Order < PersistentOrder {
			return PhaseVolatile
		}
		return PhasePersistent
	}
	var bg sync.WaitGroup
	for i, s := range sources {
		if s.Background {
			if phase == nil {
				startPhase(PhaseVolatile)
			}
			phase.Sources = append(phase.Sources, s.Name)
			bg.Add(1)
			go func() {
				defer bg.Done()
				out.Sources[i] = runOne(ctx, env, s)
				out.Sources[i].Phase = PhaseVolatile
				env.progress(out.Sources[i])
			}()
		}
	}
	if env.Opts.CaptureLead > 0 && slices.ContainsFunc(sources, func(s Source) bool { return s.Background }) {
		note := waitLead(ctx, env)
		phase.Note = joinNote(phase.Note, note)
	}
	for i, s := range sources {
		if s.Background {
			continue
		}
		name := phaseOf(s)
		if phase == nil || phase.Name != name && name == PhasePersistent {
			startPhase(name)
		}
		phase.Sources = append(phase.Sources, s.Name)
		if ctx.Err() != nil {
			now := env.Now().UTC()
			out.Sources[i] = bundle.SourceStatus{Name: s.Name, Status: bundle.SourceInterrupted, Started: now, Finished: now,
				Detail: fmt.Sprintf("not started: the collection was interrupted (%v)", context.Cause(ctx))}
		} else {
			out.Sources[i] = runOne(ctx, env, s)
		}
		out.Sources[i].Phase = phase.Name
		env.progress(out.Sources[i])
	}
	bg.Wait()
	if phase != nil {
		phase.Finished = env.Now().UTC()
	}
	out.Interrupted = ctx.Err() != nil
	return out
}

// volatileThreads is how many threads the volatile phase runs Go code on.
func volatileThreads() int { return min(32, 4*runtime.NumCPU()) }

func (e *Env) progress(st bundle.SourceStatus) {
	if e.Progress != nil {
		e.Progress(st)
	}
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
	timedOut, interrupted := false, false
	select {
	case err = <-done:
	case <-sctx.Done():
		grace := overrunGrace
		if ctx.Err() != nil {
			grace = interruptGrace
		}
		select {
		case err = <-done:
		case <-time.After(grace):
			if ctx.Err() != nil {
				interrupted = true
				err = fmt.Errorf("interrupted (%v): abandoned unfinished", context.Cause(ctx))
			} else {
				timedOut = true
				err = fmt.Errorf("did not finish within its budget of %v: abandoned", budget)
			}
		}
	}
	switch {
	case interrupted:
	case ctx.Err() != nil:
		interrupted = true
		if err == nil || errors.Is(err, context.Canceled) {
			err = fmt.Errorf("interrupted (%v): what it had not reached is not collected", context.Cause(ctx))
		}
	case err == nil && errors.Is(sctx.Err(), context.DeadlineExceeded):
		timedOut = true
		err = fmt.Errorf("stopped at its budget of %v: what it had not reached is not collected", budget)
	}
	st.Finished = env.Now().UTC()
	env.stats.mu.Lock()
	st.Entries, st.Bytes, st.Errors, st.Detail = env.stats.entries, env.stats.bytes, env.stats.errors, env.stats.detail
	missing, cut := env.stats.missing, env.stats.cut
	env.stats.mu.Unlock()
	switch {
	case interrupted:
		st.Status = bundle.SourceInterrupted
	case timedOut:
		st.Status = bundle.SourceTimeout
	case err != nil:
		st.Status = bundle.SourceError
	case st.Errors > 0 || cut || missing > 0 && st.Entries > 0:
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
