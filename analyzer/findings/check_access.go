package findings

// Checks over logins: brute force, a login from an address never seen
// before, wtmp that holds only boots, and logins the auth log records but
// wtmp does not.

import (
	"fmt"
	"sort"
	"strconv"
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

// bruteForce: at least min failed login attempts from one source address
// within window; with require_success, only when that address then logged
// in. The events given are logins (event.outcome success or failure).
//
// Attempts are counted, not lines. One password guessed over SSH is
// written several times: pam_unix's "authentication failure" line, then,
// after PAM's fail delay (two seconds on Debian), sshd's "Failed password"
// line, both by the same sshd process; and the same again in the journal
// when both rsyslog and journald keep it, and once more in btmp. So:
//   - within one log (dataset), a pam_unix authentication failure and the
//     first failure line of the same process and address that follows it
//     within join (default 5s) are one attempt; a pam_unix line left
//     alone is an attempt of its own (a connection dropped during the
//     delay);
//   - a line sshd's rsyslog reduced ("message repeated N times: [ … ]", or
//     sysklogd's "last message repeated N times") is N attempts
//     (labels.syslog.repeated);
//   - "Failed none" (the client asking which methods exist) is no attempt,
//     and summaries ("PAM N more authentication failures", "maximum
//     authentication attempts exceeded") are not given to the check;
//   - one process's attempts seen in several logs (auth.log, the journal,
//     btmp) are counted once: from the log that holds the most of them.
//
// The finding says so.
type bruteForce struct {
	min     int
	window  time.Duration
	join    time.Duration
	success bool
	by      map[string]*bfKey
	names   interner // the attempts' datasets and user names
}

type bfKey struct {
	attempts  []bfAttempt // bounded
	first     sample
	last      *timeline.Event
	successes []timeline.Event
}

// bfAttempt is one failure line or record, compactly (32 bytes: a brute
// force of millions of lines is held whole until the end).
type bfAttempt struct {
	t       int64 // Unix nanoseconds
	pid     int64
	n       int32  // how many attempts the line stands for
	seq     int32  // order of arrival, to keep ties stable
	user    uint32 // interned (0: none)
	dataset uint16 // interned (the parsers' few datasets)
	pam     bool   // a pam_unix authentication failure: joins the failure line after it
}

func (a bfAttempt) time() time.Time { return time.Unix(0, a.t).UTC() }

// interner numbers strings so that many records share one copy; 0 is "".
type interner struct {
	ids   map[string]uint32
	names []string
}

func (in *interner) id(s string) uint32 {
	if s == "" {
		return 0
	}
	if id, ok := in.ids[s]; ok {
		return id
	}
	if in.ids == nil {
		in.ids, in.names = map[string]uint32{}, []string{""}
	}
	id := uint32(len(in.names))
	in.names = append(in.names, s)
	in.ids[s] = id
	return id
}

func (in *interner) name(id uint32) string {
	if int(id) >= len(in.names) {
		return ""
	}
	return in.names[id]
}

const maxAttempts = 100_000

func newBruteForce(p params) (Checker, error) {
	min, err := p.int("min", 10)
	if err != nil {
		return nil, err
	}
	w, err := p.duration("window", time.Hour)
	if err != nil {
		return nil, err
	}
	j, err := p.duration("join", 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &bruteForce{min: max(min, 2), window: w, join: j, success: p.bool("require_success"), by: map[string]*bfKey{}}, nil
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
		k = &bfKey{first: sample{n: 2}}
		b.by[ip] = k
	}
	switch ev.Event.Outcome {
	case "failure":
		if ev.Labels["ssh.method"] == "none" {
			return // "Failed none": which methods may I use? no guess
		}
		a := bfAttempt{t: ev.Timestamp.UnixNano(), dataset: uint16(min(b.names.id(ev.Event.Dataset), 1<<16-1)), n: 1, user: b.names.id(keyOf(ev, "user.name")), seq: int32(len(k.attempts))}
		if ev.Process != nil {
			a.pid = ev.Process.PID
		}
		if r, err := strconv.Atoi(ev.Labels["syslog.repeated"]); err == nil && r > 1 && r < 1<<20 {
			a.n = int32(r)
		}
		a.pam = ev.Event.Action == "authentication-failed" && ev.Labels["pam.module"] != ""
		if len(k.attempts) < maxAttempts {
			k.attempts = append(k.attempts, a)
		}
		k.first.add(ev)
		if k.last == nil || earlier(k.last, ev) {
			c := keep(ev)
			k.last = &c
		}
	case "success":
		if len(k.successes) < 20 {
			k.successes = append(k.successes, keep(ev))
		}
	}
}

// count turns one address's failure lines into attempts (see bruteForce).
func (b *bruteForce) count(all []bfAttempt) []bfAttempt {
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].t != all[j].t {
			return all[i].t < all[j].t
		}
		return all[i].seq < all[j].seq
	})
	// within each log: a pam line joins the next failure of its process
	type procKey struct {
		dataset uint16
		pid     int64
	}
	per := map[procKey][]bfAttempt{}
	var keys []procKey
	for _, a := range all {
		k := procKey{a.dataset, a.pid}
		if _, ok := per[k]; !ok {
			keys = append(keys, k)
		}
		per[k] = append(per[k], a)
	}
	counted := map[procKey][]bfAttempt{}
	totals := map[procKey]int64{}
	for _, k := range keys {
		items := per[k]
		used := make([]bool, len(items))
		var out []bfAttempt
		for i, a := range items {
			if used[i] {
				continue
			}
			if a.pam && k.pid != 0 {
				// the failure line of this attempt, written after PAM's delay
				for j := i + 1; j < len(items) && time.Duration(items[j].t-a.t) <= b.join; j++ {
					if !used[j] && !items[j].pam {
						used[j] = true
						a = items[j] // the attempt is the failure line (its user and count)
						break
					}
				}
			}
			used[i] = true
			out = append(out, a)
			totals[k] += int64(a.n)
		}
		counted[k] = out
	}
	// across logs: each process's attempts from the log holding the most
	best := map[int64]procKey{}
	for _, k := range keys {
		cur, ok := best[k.pid]
		if !ok || totals[k] > totals[cur] || totals[k] == totals[cur] && b.names.name(uint32(k.dataset)) < b.names.name(uint32(cur.dataset)) {
			best[k.pid] = k
		}
	}
	var out []bfAttempt
	for _, k := range keys {
		if best[k.pid] == k {
			out = append(out, counted[k]...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].t < out[j].t })
	return out
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
		atts := b.count(k.attempts)
		total, lines := 0, len(k.attempts)
		for _, a := range atts {
			total += int(a.n)
		}
		if total < b.min {
			continue
		}
		// the first window holding min attempts (a repeated line counts n times at its time)
		start, found := time.Time{}, false
		j, inWin := 0, 0
		for i := range atts {
			inWin += int(atts[i].n)
			for time.Duration(atts[i].t-atts[j].t) > b.window {
				inWin -= int(atts[j].n)
				j++
			}
			if inWin >= b.min {
				start, found = atts[j].time(), true
				break
			}
		}
		if !found {
			continue
		}
		users := map[string]int{}
		for _, a := range atts {
			if u := b.names.name(a.user); u != "" && (users[u] > 0 || len(users) < 10) {
				users[u] += int(a.n)
			}
		}
		var us []string
		for u, n := range users {
			us = append(us, fmt.Sprintf("%s (%d)", u, n))
		}
		sort.Strings(us)
		sum := fmt.Sprintf("%s: %d failed login attempts from %s to %s (accounts: %s); counted from %d failure lines and records: %s",
			ip, total, ts(atts[0].time()), ts(atts[len(atts)-1].time()), strings.Join(us, ", "), lines, b.howCounted())
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
			sum += fmt.Sprintf("; then a successful login of %q at %s", keyOf(in, "user.name"), ts(in.Timestamp))
			evs = append(evs, *in)
		}
		if b.success != (in != nil) {
			continue
		}
		out = append(out, Instance{Summary: sum, Evidence: evs})
	}
	return out
}

// howCounted says how lines became attempts, for the finding.
func (b *bruteForce) howCounted() string {
	return fmt.Sprintf("a pam_unix authentication failure and the failure line of the same process within %s after it are one attempt, "+
		"\"message repeated N times\" is N, \"Failed none\" is none, and one process's attempts seen in several logs (auth log, journal, btmp) are counted from the log holding most", b.join)
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
			c := keep(ev)
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
			d.auth = append(d.auth, keep(ev))
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
