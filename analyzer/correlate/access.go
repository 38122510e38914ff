package correlate

// Access threads: an address that failed to log in many times and then
// got in (SSH, PostgreSQL, or the failed logins of btmp), with what the
// account did next: sudo, su, accounts and passwords changed, cron
// commands, and the processes under the login's session. They are built
// whether or not any process looks suspect: a brute-forced account that
// only ran sudo is still the story.

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

const (
	// bruteMin is the failures from one address, before its first
	// success, that make a brute force.
	bruteMin = 5
	// actWindow is how long after the login the account's actions are cited.
	actWindow = 24 * time.Hour
	maxActs   = 200
	maxTried  = 20
)

// ipAuth is what one address did at one door (a dataset: auth, postgresql, btmp, …).
type ipAuth struct {
	bundle, dataset, ip string
	failures            int
	firstFail, lastFail login // set once failures > 0
	tried               []tried
	successes           []login
}

// tried is an account an address tried, and how often (a slice, not a
// map: most addresses try one or two, and there may be 200,000 of them).
type tried struct {
	user string
	n    int
}

// userAct is something an account did, from the logs.
type userAct struct {
	time time.Time
	text string
	ref  Ref
}

// door names a dataset for people.
func door(dataset string) string {
	switch dataset {
	case "auth", "syslog", "journal":
		return "SSH"
	case "postgresql":
		return "PostgreSQL"
	case "btmp", "wtmp", "utmp":
		return "login"
	}
	return dataset
}

func (c *Correlator) addAuth(b string, ev *timeline.Event) {
	if ev.Source == nil || ev.Source.IP == "" || isLocal(ev.Source.IP) {
		return
	}
	a := ev.Event.Action
	failure := ev.Event.Outcome == "failure" && (a == "ssh-login" || a == "login-failed" || a == "authentication-failed")
	success := ev.Event.Outcome == "success" && (a == "ssh-login" || a == "connection-authorized" || a == "user-login")
	if !failure && !success {
		return
	}
	k := b + "|" + ev.Event.Dataset + "|" + ev.Source.IP
	st := c.auth[k]
	if st == nil {
		if len(c.auth) >= maxAddresses {
			c.Dropped++
			return
		}
		st = &ipAuth{bundle: b, dataset: ev.Event.Dataset, ip: ev.Source.IP}
		c.auth[k] = st
	}
	l := login{bundle: b, source: ev.Source.IP, success: success, time: ev.Timestamp}
	if ev.User != nil {
		l.user = ev.User.Name
	}
	if ev.Process != nil {
		l.pid = ev.Process.PID
	}
	if failure {
		// The reference (its message and formatted time) is made only
		// for a login kept: most failures are neither first nor last.
		haveRef := false
		withRef := func() login {
			if !haveRef {
				l.ref, haveRef = refOf(ev), true
			}
			return l
		}
		st.failures++
		if st.failures == 1 {
			st.firstFail = withRef()
			st.lastFail = st.firstFail
		} else {
			if c := l.time.Compare(st.firstFail.time); c < 0 || c == 0 && compareRefs(withRef().ref, st.firstFail.ref) < 0 {
				st.firstFail = withRef()
			}
			if c := l.time.Compare(st.lastFail.time); c > 0 || c == 0 && compareRefs(withRef().ref, st.lastFail.ref) > 0 {
				st.lastFail = withRef()
			}
		}
		st.try(l.user)
		return
	}
	if len(st.successes) < maxTried {
		l.ref = refOf(ev)
		st.successes = append(st.successes, l)
	}
}

// try counts one failed login as user (maxTried accounts at most).
func (st *ipAuth) try(user string) {
	for i := range st.tried {
		if st.tried[i].user == user {
			st.tried[i].n++
			return
		}
	}
	if len(st.tried) < maxTried {
		st.tried = append(st.tried, tried{user: user, n: 1})
	}
}

// addAct keeps what an account did: sudo, su, account and password
// changes, cron commands, sessions.
func (c *Correlator) addAct(b string, ev *timeline.Event) {
	var who, text string
	user := ""
	if ev.User != nil {
		user = ev.User.Name
	}
	switch ev.Event.Action {
	case "sudo-command":
		who = user
		cmd := ""
		if ev.Process != nil {
			cmd = ev.Process.CommandLine
		}
		text = fmt.Sprintf("%q ran as %s through sudo: %s", user, ev.Labels["sudo.target_user"], cut(cmd, 300))
		if ev.Event.Outcome == "failure" {
			text = fmt.Sprintf("%q was refused sudo (%s): %s", user, ev.Labels["sudo.error"], cut(cmd, 300))
		}
	case "su":
		who = user
		text = fmt.Sprintf("%q switched to %s with su (%s)", user, ev.Labels["su.target_user"], ev.Event.Outcome)
	case "user-created", "user-deleted", "user-added-to-group", "password-changed", "group-created":
		who = "" // any account's change matters in the window
		text = fmt.Sprintf("%s: %s", ev.Event.Action, cut(ev.Message, 300))
	case "cron-command":
		who = user
		cmd := ""
		if ev.Process != nil {
			cmd = ev.Process.CommandLine
		}
		text = fmt.Sprintf("cron ran for %q: %s", user, cut(cmd, 300))
	default:
		return
	}
	k := b + "|" + who
	if len(c.acts[k]) >= maxActs*10 {
		c.Dropped++
		return
	}
	c.acts[k] = append(c.acts[k], userAct{time: ev.Timestamp, text: text, ref: refOf(ev)})
}

// compareLogins orders logins by time, then by their evidence: a total order.
func compareLogins(a, b *login) int {
	if c := a.time.Compare(b.time); c != 0 {
		return c
	}
	return compareRefs(a.ref, b.ref)
}

// accessThreads builds a thread for each address that got in after a brute force.
func (b *builder) accessThreads() []Thread {
	keys := make([]string, 0, len(b.c.auth))
	for k := range b.c.auth {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Thread
	for _, k := range keys {
		st := b.c.auth[k]
		if st.failures < bruteMin || len(st.successes) == 0 {
			continue
		}
		sort.Slice(st.successes, func(i, j int) bool { return compareLogins(&st.successes[i], &st.successes[j]) < 0 })
		var in *login
		for i := range st.successes {
			if !st.successes[i].time.Before(st.firstFail.time) {
				in = &st.successes[i]
				break
			}
		}
		if in == nil {
			continue
		}
		out = append(out, b.accessThread(st, in))
		if len(out) >= maxThreads {
			break
		}
	}
	return out
}

func (b *builder) accessThread(st *ipAuth, in *login) Thread {
	t := Thread{Bundle: st.bundle, Attackers: []string{st.ip}}
	var accounts []string
	for _, t := range st.tried {
		accounts = append(accounts, fmt.Sprintf("%s (%d)", t.user, t.n))
	}
	sort.Strings(accounts)
	d := door(st.dataset)
	t.Title = fmt.Sprintf("%s brute force from %s: %d failed logins, then %q got in", d, st.ip, st.failures, in.user)
	steps := []Step{
		{Time: st.firstFail.time, Stage: StageInitialAccess, Text: fmt.Sprintf("first failed %s login from %s (as %q)", d, st.ip, st.firstFail.user), Evidence: []Ref{st.firstFail.ref}},
		{Time: st.lastFail.time, Stage: StageInitialAccess, Text: fmt.Sprintf("%d failed %s logins from %s in all, the last at %s; accounts tried: %s",
			st.failures, d, st.ip, st.lastFail.time.UTC().Format(time.RFC3339), strings.Join(accounts, ", ")), Evidence: []Ref{st.firstFail.ref, st.lastFail.ref}},
		{Time: in.time, Stage: StageInitialAccess, Kind: KindLogin, Text: fmt.Sprintf("%s login of %q from %s succeeded", d, in.user, st.ip), Evidence: []Ref{in.ref}},
	}
	if fs, ok := b.c.addrFirst[st.ip]; ok && fs.time.Before(st.firstFail.time) {
		steps = append(steps, Step{Time: fs.time, Stage: StageInitialAccess, Kind: KindFirstContact, Text: fmt.Sprintf("first event naming %s in the case: %s", st.ip, cut(fs.ref.Message, 300)), Evidence: []Ref{fs.ref}})
	}
	end := in.time.Add(actWindow)
	for _, who := range []string{in.user, ""} {
		for _, a := range b.c.acts[st.bundle+"|"+who] {
			if !a.time.Before(in.time) && a.time.Before(end) && len(steps) < maxSteps {
				steps = append(steps, Step{Time: a.time, Stage: StageExecution, Text: a.text, Evidence: []Ref{a.ref}})
			}
		}
	}
	// The processes under the login's session, when the snapshot holds it.
	if in.pid != 0 {
		if p := b.c.procs[st.bundle][in.pid]; p != nil {
			var under []*proc
			var walk func(p *proc, depth int)
			walk = func(p *proc, depth int) {
				if len(steps) >= maxSteps || depth > 32 {
					return
				}
				for _, c := range p.children {
					under = append(under, c)
					steps = append(steps, Step{Time: c.start, Stage: StageExecution,
						Text:     fmt.Sprintf("process %d %q (%s) runs under the session of %q", c.pid, c.name, c.exe, in.user),
						Evidence: []Ref{c.ref}})
					walk(c, depth+1)
				}
			}
			walk(p, 0)
			t.Tree = b.tree(&group{bundle: st.bundle, spawner: p}, under)
		}
	}
	t.Steps = sortSteps(steps)
	if len(t.Steps) > 0 {
		t.Steps[0].First = true
		t.Golden = fmt.Sprintf("The last known-good state is before %s; the first anomalous event of this chain is: %s. Restore from images or backups made before it, and treat everything after it as untrusted.",
			t.Steps[0].Time.UTC().Format(time.RFC3339Nano), t.Steps[0].Text)
	}
	t.Rules, t.Score = b.score(&t)
	t.Score += 30 + min(st.failures/10, 20)
	return t
}
