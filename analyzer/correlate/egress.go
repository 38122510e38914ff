package correlate

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Egress is an outbound connection, captured or held at collection, to an
// address no event of the case names before the first anomalous event:
// the egress the incident brought.
type Egress struct {
	Bundle      string    `json:"bundle"`
	Destination string    `json:"destination"`
	PID         int64     `json:"pid,omitempty"`
	Time        time.Time `json:"time"`
	Text        string    `json:"text"`
	Evidence    []Ref     `json:"evidence"`
}

// maxEgress bounds the new egress destinations listed.
const maxEgress = 200

// newEgress lists, per bundle, outbound connections to addresses first
// named at or after the first anomalous step of that bundle's main thread
// (its highest-scored one). A bundle whose events do not reach back before
// that step has no baseline to compare with: nothing is listed for it.
func (b *builder) newEgress() []Egress {
	anchor := map[string]time.Time{}
	for i := range b.res.Threads { // sorted by score: the first of a bundle is its main thread
		t := &b.res.Threads[i]
		if _, done := anchor[t.Bundle]; done {
			continue
		}
		if s := t.FirstAnomalous(); s != nil {
			anchor[t.Bundle] = s.Time
		}
	}
	// The host's own addresses are the local ends of its sockets.
	own := map[string]bool{}
	listening := map[string]bool{} // bundle|port
	bySocket := map[string]*sock{} // 5-tuple, local first
	for i := range b.c.socks {
		s := &b.c.socks[i]
		own[s.bundle+"|"+s.local.ip] = true
		if s.listening {
			listening[fmt.Sprintf("%s|%d", s.bundle, s.local.port)] = true
			continue
		}
		bySocket[tupleKey(s.bundle, s.local, s.remote)] = s
	}
	for i := range b.c.listeners {
		s := &b.c.listeners[i]
		listening[fmt.Sprintf("%s|%d", s.bundle, s.local.port)] = true
	}
	remote := func(bundle string, e endpoint) bool {
		return e.ip != "" && !isLocal(e.ip) && !own[bundle+"|"+e.ip]
	}
	type cand struct {
		bundle string
		dst    endpoint
		pid    int64
		at     time.Time
		via    []string
		refs   []Ref
	}
	cands := map[string]*cand{}
	var order []string
	add := func(bundle string, dst endpoint, pid int64, at time.Time, via string, refs ...Ref) {
		a, ok := anchor[bundle]
		if !ok {
			return
		}
		if e, ok := b.c.earliest[bundle]; !ok || !e.Before(a) {
			return // no event before the incident: no baseline
		}
		if fs, named := b.c.addrFirst[dst.ip]; named && fs.time.Before(a) {
			return
		}
		k := bundle + "|" + dst.String()
		c := cands[k]
		if c == nil {
			if len(cands) >= maxEgress {
				return
			}
			c = &cand{bundle: bundle, dst: dst, at: at}
			cands[k] = c
			order = append(order, k)
		}
		if !at.IsZero() && (c.at.IsZero() || at.Before(c.at)) {
			c.at = at
		}
		if c.pid == 0 {
			c.pid = pid
		}
		if len(c.via) == 0 || c.via[len(c.via)-1] != via {
			c.via = append(c.via, via)
		}
	next:
		for _, r := range refs {
			for _, have := range c.refs {
				if refKey(have) == refKey(r) {
					continue next
				}
			}
			if len(c.refs) < 6 {
				c.refs = append(c.refs, r)
			}
		}
	}
	for i := range b.c.flows {
		f := &b.c.flows[i]
		if !own[f.bundle+"|"+f.src.ip] && !isLocal(f.src.ip) || !remote(f.bundle, f.dst) {
			continue // not from this host, or not to another one
		}
		var pid int64
		refs := []Ref{f.ref}
		if s := bySocket[tupleKey(f.bundle, f.src, f.dst)]; s != nil {
			pid = s.pid
			refs = append(refs, s.ref)
		}
		add(f.bundle, f.dst, pid, f.first, "in the capture", refs...)
	}
	for i := range b.c.socks {
		s := &b.c.socks[i]
		if s.listening || !remote(s.bundle, s.remote) || listening[fmt.Sprintf("%s|%d", s.bundle, s.local.port)] {
			continue // a listener, local, or an accepted (inbound) connection
		}
		add(s.bundle, s.remote, s.pid, mustTime(s.ref.Time), "a socket at collection", s.ref)
	}
	out := make([]Egress, 0, len(order))
	for _, k := range order {
		c := cands[k]
		who := "the host"
		if c.pid != 0 {
			who = fmt.Sprintf("process %d", c.pid)
			if p := b.c.procs[c.bundle][c.pid]; p != nil {
				who = fmt.Sprintf("process %d %q", c.pid, p.name)
			}
		}
		since := "named by no dated event before the collection"
		if fs, named := b.c.addrFirst[c.dst.ip]; named {
			since = "first named at " + fs.time.UTC().Format(time.RFC3339Nano)
		}
		out = append(out, Egress{Bundle: c.bundle, Destination: c.dst.String(), PID: c.pid, Time: c.at, Evidence: c.refs,
			Text: fmt.Sprintf("%s connected out to %s (%s): %s, after the first anomalous event at %s; the case's events reach back to %s",
				who, c.dst, strings.Join(c.via, ", "), since, anchor[c.bundle].UTC().Format(time.RFC3339Nano),
				b.c.earliest[c.bundle].UTC().Format(time.RFC3339Nano))})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		if out[i].Bundle != out[j].Bundle {
			return out[i].Bundle < out[j].Bundle
		}
		return out[i].Destination < out[j].Destination // unique within a bundle
	})
	return out
}
