package findings

import (
	"sort"
	"strings"

	"github.com/cordon-forensics/cordon/timeline"
)

// commOf returns what the kernel would show as the comm of a process
// running path: the base name without the " (deleted)" suffix proc(5) adds
// to /proc/PID/exe, cut to TASK_COMM_LEN-1 = 15 bytes.
func commOf(path string) string {
	path = strings.TrimSuffix(path, " (deleted)")
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		path = path[i+1:]
	}
	if len(path) > 15 {
		path = path[:15]
	}
	return path
}

// respawned returns the process events that belong to a respawn: distinct
// processes (PID + start) with the same parent PID and executable, each
// started within w.Window of the previous one, at least w.Min of them.
// Events without a start time or parent cannot show a respawn and are left out.
func respawned(evs []timeline.Event, w Respawn) []timeline.Event {
	type key struct {
		ppid int64
		exe  string
	}
	groups := map[key][]timeline.Event{}
	seen := map[string]bool{}
	sortEvents(evs) // the same process in several snapshots: the earliest event stands for it
	for _, ev := range evs {
		p := ev.Process
		if p == nil || p.Parent == nil || p.Parent.PID == 0 || p.Start.IsZero() || p.Executable == "" {
			continue
		}
		id := p.EntityID
		if id == "" {
			id = p.Start.String() + "/" + itoa(p.PID)
		}
		if seen[id] { // the same process seen in several snapshots
			continue
		}
		seen[id] = true
		k := key{p.Parent.PID, strings.TrimSuffix(p.Executable, " (deleted)")}
		groups[k] = append(groups[k], ev)
	}
	var out []timeline.Event
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].ppid != keys[j].ppid {
			return keys[i].ppid < keys[j].ppid
		}
		return keys[i].exe < keys[j].exe
	})
	for _, k := range keys {
		g := groups[k]
		sort.SliceStable(g, func(i, j int) bool { return g[i].Process.Start.Before(g[j].Process.Start) })
		// Longest runs of starts each within the window of the previous.
		run := []timeline.Event{g[0]}
		flush := func() {
			if len(run) >= w.Min {
				out = append(out, run...)
			}
		}
		for _, ev := range g[1:] {
			if ev.Process.Start.Sub(run[len(run)-1].Process.Start) <= w.Window {
				run = append(run, ev)
				continue
			}
			flush()
			run = []timeline.Event{ev}
		}
		flush()
	}
	return out
}
