package collector

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// TestCaptureLead runs a background source standing in for the capture and
// a snapshot source behind a lead: the lead ends when it elapses or when
// LeadEnd is closed, OnLead is told once the capture has started, and the
// volatile phase's note says how the lead ended.
func TestCaptureLead(t *testing.T) {
	for _, c := range []struct {
		name string
		lead time.Duration
		// endOnAnnounce closes LeadEnd from OnLead (a script that signals
		// once the capture runs); endBefore closes it before Run.
		endOnAnnounce, endBefore bool
		// neverStarts: the background source never says it captures.
		neverStarts bool
		wantNote    string
		wantOnLead  bool
	}{
		{name: "ended on the signal", lead: time.Hour, endOnAnnounce: true,
			wantNote: "capture lead ended on TEST after", wantOnLead: true},
		{name: "signal before the lead", lead: time.Hour, endBefore: true,
			wantNote: "capture lead ended on TEST after", wantOnLead: true},
		{name: "lead elapses", lead: 20 * time.Millisecond,
			wantNote: "capture lead of 20ms elapsed", wantOnLead: true},
		{name: "capture never starts", lead: 20 * time.Millisecond, neverStarts: true,
			wantNote: "capture lead of 20ms elapsed before the capture had started"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := NewEnv(testOptions(), &memSink{})
			env.Opts.CaptureLead = c.lead
			leadEnd := make(chan struct{})
			env.LeadEnd, env.LeadEndName = leadEnd, "TEST"
			if c.endBefore {
				close(leadEnd)
			}
			var announced []LeadInfo
			env.OnLead = func(l LeadInfo) {
				announced = append(announced, l)
				if c.endOnAnnounce {
					close(leadEnd)
				}
			}
			snapshotRan := make(chan struct{})
			background := Source{Name: "fake-capture", Background: true, Collect: func(ctx context.Context, env *Env) error {
				if !c.neverStarts {
					env.shared.lead.markStarted([]string{"lo"}, []string{"nosuch0"})
				}
				select {
				case <-snapshotRan:
				case <-ctx.Done():
				}
				_, err := env.AddBytes(bundle.EntryMeta{Name: "fake-capture"}, []byte("x"))
				return err
			}}
			snapshot := Source{Name: "fake-snapshot", Order: 10, Collect: func(ctx context.Context, env *Env) error {
				close(snapshotRan)
				_, err := env.AddBytes(bundle.EntryMeta{Name: "fake-snapshot"}, []byte("x"))
				return err
			}}
			ran := make(chan Outcome, 1)
			go func() { ran <- Run(context.Background(), env, []Source{background, snapshot}) }()
			var o Outcome
			select {
			case o = <-ran:
			case <-time.After(2 * time.Minute):
				t.Fatalf("Run still waiting on a lead of %v", c.lead)
			}
			if len(o.Phases) != 1 || !strings.Contains(o.Phases[0].Note, c.wantNote) {
				t.Errorf("phases %+v: want one whose note holds %q", o.Phases, c.wantNote)
			}
			for _, s := range o.Sources {
				if s.Status != bundle.SourceOK {
					t.Errorf("source %s: %s (%s)", s.Name, s.Status, s.Detail)
				}
			}
			if !c.wantOnLead {
				if len(announced) != 0 {
					t.Errorf("OnLead told %+v, want nothing", announced)
				}
				return
			}
			if len(announced) != 1 || !slices.Equal(announced[0].Capturing, []string{"lo"}) ||
				!slices.Equal(announced[0].Failed, []string{"nosuch0"}) || announced[0].Lead != c.lead {
				t.Errorf("OnLead told %+v, want once: capturing lo, failed nosuch0, lead %v", announced, c.lead)
			}
		})
	}
}
