package findings

// Checks over logins: brute force, a login from an address never seen
// before, wtmp that holds only boots, and logins the auth log records but
// wtmp does not.

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

const maxKeys = 100_000

func init() {
	registerCheck("brute-force", newBruteForce)
	registerCheck("first-seen-source", newFirstSeen)
	registerCheck("wtmp-boots-only", func(params) (Checker, error) { return &wtmpCheck{boots: sample{n: 3}, logins: sample{n: 3}}, nil })
	registerCheck("login-without-wtmp", func(p params) (Checker, error) {
		slack, err := p.duration("slack", 2*time.Minute)
		return &disagreement{slack: slack, wtmp: map[string][]time.Time{}}, err
	})
}

// bruteForce: at least min failed logins from one source address within
// window; with require_success, only when that address then logged in.
// The events given are logins (event.outcome success or failure).
type bruteForce struct {
	min     int
	window  time.Duration
	success bool
	by      map[string]*bfKey
}

type bfKey struct {
	fails     []time.Time // bounded: enough to find a window
	first     sample
	last      *timeline.Event
	successes []timeline.Event
	users     map[string]int
}

func newBruteForce(p params) (Checker, error) {
	min, err := p.int("min", 10)
	if err != nil {
		return nil, err
	}
	w, err := p.duration("window", time.Hour)
	if err != nil {
		return nil, err
	}
	return &bruteForce{min: max(min, 2), window: w, success: p.bool("require_success"), by: map[string]*bfKey{}}, nil
}

func (b *bruteForce) Add(ev *timeline.Event) {
	ip := keyOf(ev, "source.ip")
	if ip == "" {
		return
	}
	k := b.by[ip]
	if k == nil {
		if len(b.by) >= maxKeys {
			return
		}
		k = &bfKey{first: sample{n: 2}, users: map[string]int{}}
		b.by[ip] = k
	}
	switch ev.Event.Outcome {
	case "failure":
		if len(k.fails) < 100_000 {
			k.fails = append(k.fails, ev.Timestamp)
		}
		k.first.add(ev)
		if k.last == nil || earlier(k.last, ev) {
			c := *ev
			k.last = &c
		}
		if u := keyOf(ev, "user.name"); u != "" && (k.users[u] > 0 || len(k.users) < 10) {
			k.users[u]++
		}
	case "success":
		if len(k.successes) < 20 {
			k.successes = append(k.successes, *ev)
		}
	}
}

func (b *bruteForce) Results() []Instance {
	ips := make([]string, 0, len(b.by))
	for ip := range b.by {
		ips = append(ips, ip)
	}
	sort.Strings(ips)
	var out []Instance
	for _, ip := range ips {
		k := b.by[ip]
		if len(k.fails) < b.min {
			continue
		}
		sort.Slice(k.fails, func(i, j int) bool { return k.fails[i].Before(k.fails[j]) })
		start := time.Time{}
		for i := 0; i+b.min-1 < len(k.fails); i++ {
			if k.fails[i+b.min-1].Sub(k.fails[i]) <= b.window {
				start = k.fails[i]
				break
			}
		}
		if start.IsZero() {
			continue
		}
		var users []string
		for u, n := range k.users {
			users = append(users, fmt.Sprintf("%s (%d)", u, n))
		}
		sort.Strings(users)
		sum := fmt.Sprintf("%s: %d failed logins from %s to %s (accounts: %s)", ip, len(k.fails), ts(k.fails[0]), ts(k.fails[len(k.fails)-1]), strings.Join(users, ", "))
		evs := append([]timeline.Event{}, k.first.sorted()...)
		if k.last != nil {
			evs = append(evs, *k.last)
		}
		var in *timeline.Event
		sortEvents(k.successes)
		for i := range k.successes {
			if !k.successes[i].Timestamp.Before(start) {
				in = &k.successes[i]
				break
			}
		}
		if in != nil {
			sum += fmt.Sprintf(", then a successful login of %q at %s", keyOf(in, "user.name"), ts(in.Timestamp))
			evs = append(evs, *in)
		}
		if b.success != (in != nil) {
			continue
		}
		out = append(out, Instance{Summary: sum, Evidence: evs})
	}
	return out
}

// firstSeen: a successful login from an address that no earlier event of
// the logs names, when the logs reach back at least learn before it (an
// address first seen on the first day of the logs says nothing).
type firstSeen struct {
	learn    time.Duration
	earliest time.Time
	first    map[string]time.Time
	login    map[string]*timeline.Event
}

func newFirstSeen(p params) (Checker, error) {
	learn, err := p.duration("learn", 7*24*time.Hour)
	return &firstSeen{learn: learn, first: map[string]time.Time{}, login: map[string]*timeline.Event{}}, err
}

func (f *firstSeen) Add(ev *timeline.Event) {
	t := ev.Timestamp
	if t.IsZero() {
		return
	}
	if f.earliest.IsZero() || t.Before(f.earliest) {
		f.earliest = t
	}
	ip := keyOf(ev, "source.ip")
	if ip == "" || strings.HasPrefix(ip, "127.") || ip == "::1" {
		return
	}
	if ft, ok := f.first[ip]; !ok || t.Before(ft) {
		if !ok && len(f.first) >= maxKeys {
			return
		}
		f.first[ip] = t
	}
	if ev.Event.Outcome == "success" && (ev.Event.Action == "ssh-login" || ev.Event.Action == "user-login") {
		if l := f.login[ip]; l == nil || earlier(ev, l) {
			c := *ev
			f.login[ip] = &c
		}
	}
}

func (f *firstSeen) Results() []Instance {
	var out []Instance
	ips := make([]string, 0, len(f.login))
	for ip := range f.login {
		ips = append(ips, ip)
	}
	sort.Strings(ips)
	for _, ip := range ips {
		l := f.login[ip]
		if f.first[ip].Sub(f.earliest) < f.learn {
			continue
		}
		out = append(out, Instance{Summary: fmt.Sprintf("%s logged in as %q at %s; no earlier line of the logs (which start at %s) names it",
			ip, keyOf(l, "user.name"), ts(l.Timestamp), ts(f.earliest)), Evidence: []timeline.Event{*l}})
	}
	return out
}

// wtmpCheck: wtmp holds boot records but no login, while the auth log
// records successful logins: wtmp was probably cleaned.
type wtmpCheck struct {
	boots, logins  sample
	nBoot, nLogin  int
	nWtmpUserLogin int
}

func (w *wtmpCheck) Add(ev *timeline.Event) {
	switch {
	case ev.Event.Dataset == "wtmp" && ev.Event.Action == "system-boot":
		w.nBoot++
		w.boots.add(ev)
	case ev.Event.Dataset == "wtmp" && ev.Event.Action == "user-login":
		w.nWtmpUserLogin++
	case ev.Event.Dataset != "wtmp" && ev.Event.Outcome == "success":
		w.nLogin++
		w.logins.add(ev)
	}
}

func (w *wtmpCheck) Results() []Instance {
	if w.nBoot == 0 || w.nWtmpUserLogin > 0 || w.nLogin == 0 {
		return nil
	}
	return []Instance{{Summary: fmt.Sprintf("wtmp holds %d boot records and no login, while the logs record %d successful logins", w.nBoot, w.nLogin),
		Evidence: append(append([]timeline.Event{}, w.boots.sorted()...), w.logins.sorted()...)}}
}

// disagreement: successful SSH logins with no wtmp login of the same
// account within slack, when wtmp records logins at all (else
// wtmp-boots-only speaks).
type disagreement struct {
	slack time.Duration
	wtmp  map[string][]time.Time
	auth  []timeline.Event
}

func (d *disagreement) Add(ev *timeline.Event) {
	u := keyOf(ev, "user.name")
	switch {
	case ev.Event.Dataset == "wtmp" && ev.Event.Action == "user-login":
		if len(d.wtmp[u]) < 10_000 {
			d.wtmp[u] = append(d.wtmp[u], ev.Timestamp)
		}
	case ev.Event.Dataset != "wtmp" && ev.Event.Action == "ssh-login" && ev.Event.Outcome == "success":
		if len(d.auth) < 10_000 {
			d.auth = append(d.auth, *ev)
		}
	}
}

func (d *disagreement) Results() []Instance {
	if len(d.wtmp) == 0 {
		return nil
	}
	var out []Instance
	sortEvents(d.auth)
	for _, a := range d.auth {
		found := false
		for _, t := range d.wtmp[keyOf(&a, "user.name")] {
			if dt := t.Sub(a.Timestamp); dt >= -d.slack && dt <= d.slack {
				found = true
				break
			}
		}
		if !found && len(out) < 50 {
			out = append(out, Instance{Summary: fmt.Sprintf("login of %q from %s at %s is in the auth log but not in wtmp", keyOf(&a, "user.name"), keyOf(&a, "source.ip"), ts(a.Timestamp)),
				Evidence: []timeline.Event{a}})
		}
	}
	return out
}
