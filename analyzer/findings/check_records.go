package findings

// Checks comparing the login records (lastlog, btmp) with the
// authentication logs: each keeps its own account of the same logins, and
// an intruder who edits one rarely edits all.

import (
	"fmt"
	"sort"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

func init() {
	registerCheck("lastlog-vs-logs", func(p params) (Checker, error) {
		slack, err := p.duration("slack", 2*time.Minute)
		return &lastlogCheck{slack: slack, logins: map[string][]timeline.Event{}}, err
	})
	registerCheck("failures-without-btmp", func(p params) (Checker, error) {
		slack, err := p.duration("slack", 2*time.Minute)
		if err != nil {
			return nil, err
		}
		min, err := p.int("min", 5)
		return &btmpCheck{slack: slack, min: min, btmp: map[string][]time.Time{}}, err
	})
}

func isAuthLog(ev *timeline.Event) bool {
	switch ev.Event.Dataset {
	case "auth", "syslog", "journal":
		return true
	}
	return false
}

// lastlogCheck: lastlog keeps each account's last login. It disagrees with
// the logs when they record a later login of the account, or when the
// login it keeps falls within the logs' span but the logs do not have it.
type lastlogCheck struct {
	slack      time.Duration
	last       []timeline.Event
	logins     map[string][]timeline.Event // user → successful logins in the logs (bounded)
	start, end time.Time                   // span of the authentication logs
}

func (c *lastlogCheck) Add(ev *timeline.Event) {
	switch {
	case ev.Event.Dataset == "lastlog" && ev.Event.Action == "last-login":
		if keyOf(ev, "user.name") != "" && len(c.last) < maxKeys {
			c.last = append(c.last, keep(ev))
		}
	case isAuthLog(ev):
		t := ev.Timestamp
		if c.start.IsZero() || t.Before(c.start) {
			c.start = t
		}
		if t.After(c.end) {
			c.end = t
		}
		if ev.Event.Outcome == "success" && (ev.Event.Action == "ssh-login" || ev.Event.Action == "user-login") {
			u := keyOf(ev, "user.name")
			if u != "" && len(c.logins[u]) < 10_000 {
				c.logins[u] = append(c.logins[u], keep(ev))
			}
		}
	}
}

func (c *lastlogCheck) Results() []Instance {
	var out []Instance
	sortEvents(c.last)
	sort.SliceStable(c.last, func(i, j int) bool { return keyOf(&c.last[i], "user.name") < keyOf(&c.last[j], "user.name") })
	for i := range c.last {
		ll := &c.last[i]
		u := keyOf(ll, "user.name")
		var latest, near *timeline.Event
		sortEvents(c.logins[u])
		for j := range c.logins[u] {
			l := &c.logins[u][j]
			latest = l // sorted: the last is the latest
			if d := l.Timestamp.Sub(ll.Timestamp); d >= -c.slack && d <= c.slack {
				near = l
			}
		}
		switch {
		case latest != nil && latest.Timestamp.Sub(ll.Timestamp) > c.slack:
			out = append(out, Instance{Summary: fmt.Sprintf("lastlog says %q last logged in at %s, but the logs record a later login at %s from %s: lastlog was rewritten",
				u, ts(ll.Timestamp), ts(latest.Timestamp), keyOf(latest, "source.ip")), Evidence: []timeline.Event{*ll, *latest}})
		case near == nil && !c.start.IsZero() && ll.Timestamp.After(c.start) && ll.Timestamp.Before(c.end):
			out = append(out, Instance{Summary: fmt.Sprintf("lastlog says %q logged in at %s from %q; the authentication logs, which run from %s to %s, have no such login: lines were removed",
				u, ts(ll.Timestamp), keyOf(ll, "source.ip")+keyOf(ll, "source.address"), ts(c.start), ts(c.end)), Evidence: []timeline.Event{*ll}})
		}
		if len(out) >= 50 {
			break
		}
	}
	return out
}

// btmpCheck: btmp records every failed login; failed logins the logs
// record within btmp's own span, with no btmp record of the same address
// near them, were removed from btmp. Counted per address, at least min.
type btmpCheck struct {
	slack      time.Duration
	min        int
	btmp       map[string][]time.Time // source ip → failure times
	start, end time.Time              // span of btmp's records
	fails      []timeline.Event
}

func (c *btmpCheck) Add(ev *timeline.Event) {
	ip := keyOf(ev, "source.ip")
	switch {
	case ev.Event.Dataset == "btmp":
		t := ev.Timestamp
		if c.start.IsZero() || t.Before(c.start) {
			c.start = t
		}
		if t.After(c.end) {
			c.end = t
		}
		if ip != "" && len(c.btmp[ip]) < 100_000 {
			c.btmp[ip] = append(c.btmp[ip], t)
		}
	case isAuthLog(ev) && ev.Event.Outcome == "failure" && ip != "":
		if len(c.fails) < 200_000 {
			c.fails = append(c.fails, keep(ev))
		}
	}
}

func (c *btmpCheck) Results() []Instance {
	if c.start.IsZero() {
		return nil // no btmp record at all: nothing to compare with
	}
	type miss struct {
		n   int
		evs []timeline.Event
	}
	by := map[string]*miss{}
	sortEvents(c.fails)
	for i := range c.fails {
		f := &c.fails[i]
		if f.Timestamp.Before(c.start) || f.Timestamp.After(c.end) {
			continue
		}
		ip := keyOf(f, "source.ip")
		found := false
		for _, t := range c.btmp[ip] {
			if d := t.Sub(f.Timestamp); d >= -c.slack && d <= c.slack {
				found = true
				break
			}
		}
		if found {
			continue
		}
		m := by[ip]
		if m == nil {
			m = &miss{}
			by[ip] = m
		}
		m.n++
		if len(m.evs) < 3 {
			m.evs = append(m.evs, *f)
		}
	}
	ips := make([]string, 0, len(by))
	for ip, m := range by {
		if m.n >= c.min {
			ips = append(ips, ip)
		}
	}
	sort.Strings(ips)
	var out []Instance
	for _, ip := range ips {
		m := by[ip]
		out = append(out, Instance{Summary: fmt.Sprintf("%d failed logins from %s in the logs between %s and %s have no btmp record, though btmp records failures then: they were removed from btmp",
			m.n, ip, ts(c.start), ts(c.end)), Evidence: m.evs})
	}
	return out
}
