package collector

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// The capture lead (--capture-lead): the background capture starts, the
// collector waits, then snapshots. The wait ends when the lead elapses, when
// Env.LeadEnd is closed (cordon-collect closes it on SIGUSR1: the responder
// has seen what it wanted captured), or when the collection is cancelled.
// A lead ended early brings the capture's end (--capture-for, counted from
// the capture's start) forward by the time it saved, so the capture runs as
// long past the snapshot's start as it would have after a full lead.

// LeadInfo is what Env.OnLead is told when the lead begins.
type LeadInfo struct {
	// Capturing are the interfaces whose capture runs; Failed those whose
	// capture could not start (the manifest's errors say why).
	Capturing []string
	Failed    []string
	// Lead is the longest the lead lasts (--capture-lead).
	Lead time.Duration
}

// captureLead is the state the capture and Run share about the lead.
type captureLead struct {
	startedOnce sync.Once
	started     chan struct{} // closed when every interface's capture is open or has failed
	cut         chan struct{} // closed when the lead ended early

	mu        sync.Mutex
	capturing []string
	failed    []string
	saved     time.Duration // how much of the lead was cut off
	endedBy   string        // what ended it early ("SIGUSR1")
	after     time.Duration // how long the lead lasted when it was cut
}

func newCaptureLead() *captureLead {
	return &captureLead{started: make(chan struct{}), cut: make(chan struct{})}
}

// markStarted records which interfaces capture and releases the lead's
// start; only the first call counts.
func (l *captureLead) markStarted(capturing, failed []string) {
	l.startedOnce.Do(func() {
		l.mu.Lock()
		l.capturing = append([]string{}, capturing...)
		l.failed = append([]string{}, failed...)
		l.mu.Unlock()
		close(l.started)
	})
}

// cutShort records that the lead ended early after lasting after, saving
// saved, and tells the running captures.
func (l *captureLead) cutShort(by string, after, saved time.Duration) {
	l.mu.Lock()
	l.endedBy, l.after, l.saved = by, after, saved
	l.mu.Unlock()
	close(l.cut)
}

// cutInfo returns what cutShort recorded (ok false when the lead was not
// cut short).
func (l *captureLead) cutInfo() (by string, after, saved time.Duration, ok bool) {
	select {
	case <-l.cut:
	default:
		return "", 0, 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.endedBy, l.after, l.saved, true
}

// waitLead waits out the capture lead and returns the phase note saying
// how it ended.
func waitLead(ctx context.Context, env *Env) string {
	lead := env.Opts.CaptureLead
	l := env.shared.lead
	begun := time.Now()
	timer := time.NewTimer(lead)
	defer timer.Stop()
	// The lead is announced once the capture runs: a script waiting on
	// it may then start what it wants captured.
	select {
	case <-l.started:
		if env.OnLead != nil {
			l.mu.Lock()
			info := LeadInfo{Capturing: append([]string{}, l.capturing...), Failed: append([]string{}, l.failed...), Lead: lead}
			l.mu.Unlock()
			env.OnLead(info)
		}
	case <-timer.C:
		return fmt.Sprintf("capture lead of %v elapsed before the capture had started", lead)
	case <-ctx.Done():
		return "capture lead cut by the interruption"
	}
	by := env.LeadEndName
	if by == "" {
		by = "request"
	}
	select {
	case <-timer.C:
		return fmt.Sprintf("capture lead of %v elapsed", lead)
	case <-env.LeadEnd: // nil when unset: never ready
		after := time.Since(begun)
		saved := max(lead-after, 0)
		l.cutShort(by, after, saved)
		return fmt.Sprintf("capture lead ended on %s after %v (up to %v): the capture's end brought forward by %v",
			by, after.Round(time.Millisecond), lead, saved.Round(time.Millisecond))
	case <-ctx.Done():
		return "capture lead cut by the interruption"
	}
}
