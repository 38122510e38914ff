package correlate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/internal/clip"
)

// Attack stages, in the words of MITRE ATT&CK's tactics.
const (
	StageExposure       = "exposure"
	StageInitialAccess  = "initial access"
	StageExecution      = "execution"
	StageDefenseEvasion = "defense evasion"
	StagePersistence    = "persistence"
	StageImpact         = "command and control / impact"
)

// Kinds of the steps other code acts on (the report's first actions).
const (
	// KindRespawn marks a step stating that a program was restarted after
	// an earlier instance ended: PID is the new instance, ParentPID the
	// watchdog that restarted it.
	KindRespawn = "respawn"
	// KindDeletedExecutable marks a step stating that a process's
	// executable was deleted while it ran: PID is the process, SHA256 the
	// copy the collector recovered from memory ("" when none).
	KindDeletedExecutable = "deleted-executable"
	// KindLogin marks the login or authorized connection the intruder
	// came in through.
	KindLogin = "login"
	// KindFirstContact marks the earliest event of the case naming an
	// outside address of the thread.
	KindFirstContact = "first-contact"
)

// respawnWindow is how soon after an instance's end a new one counts as
// its respawn.
const respawnWindow = 30 * time.Second

// Step is one statement of an attack chain, with the events that prove it.
type Step struct {
	Time  time.Time `json:"time"`
	Stage string    `json:"stage"`
	// Kind names what a step states, for the steps other code acts on
	// (KindRespawn, KindDeletedExecutable, KindLogin, KindFirstContact);
	// "" for the rest.
	Kind string `json:"kind,omitempty"`
	// PID and ParentPID name the processes a step of a Kind is about.
	PID       int64 `json:"pid,omitempty"`
	ParentPID int64 `json:"parent_pid,omitempty"`
	// SHA256 is the recovered executable's hash, for KindDeletedExecutable.
	SHA256   string `json:"sha256,omitempty"`
	Text     string `json:"text"`
	Evidence []Ref  `json:"evidence"`
	// First marks the chain's first anomalous event: the state just before
	// it is the last known-good ("golden") one.
	First bool `json:"first_anomalous,omitempty"`
}

// TreeLine is one process of the tree around the suspect processes.
type TreeLine struct {
	Depth   int       `json:"depth"`
	PID     int64     `json:"pid"`
	Name    string    `json:"name"`
	Exe     string    `json:"executable"`
	Start   time.Time `json:"start"`
	Suspect string    `json:"suspect,omitempty"` // why the process is suspect, "" if not
	Ref     Ref       `json:"evidence"`
}

// Thread is one attack reconstructed around a group of suspect processes
// that share the process that spawned them.
type Thread struct {
	Title string `json:"title"`
	// Score orders threads: findings linked, weighted by severity, and
	// whether an outside address was traced.
	Score     int        `json:"score"`
	Bundle    string     `json:"bundle"`
	Attackers []string   `json:"attacker_addresses,omitempty"`
	Steps     []Step     `json:"steps"`
	RootCause []Step     `json:"root_cause,omitempty"`
	Tree      []TreeLine `json:"process_tree"`
	Rules     []string   `json:"rules,omitempty"` // findings whose evidence is in this thread
	// Golden states the last known-good point, from the first anomalous step.
	Golden string `json:"golden,omitempty"`
	// OmittedSteps counts the latest steps beyond maxSteps, left out.
	OmittedSteps int `json:"omitted_steps,omitempty"`
}

// maxSteps bounds the steps of one thread (the earliest are kept).
const maxSteps = 500

// FirstAnomalous returns the step marked first, or nil.
func (t *Thread) FirstAnomalous() *Step {
	for i := range t.Steps {
		if t.Steps[i].First {
			return &t.Steps[i]
		}
	}
	return nil
}

// Link is one join between sources, stated with the events on both sides.
type Link struct {
	Kind     string `json:"kind"` // "flow-socket", "pg-session-flow", "backend-spawn", …
	Text     string `json:"text"`
	Evidence []Ref  `json:"evidence"`
}

// Result is what Build rebuilt.
type Result struct {
	Threads []Thread `json:"threads"`
	Links   []Link   `json:"links"`
	// Dropped counts events not kept because a bound was reached: joins may miss them.
	Dropped int `json:"dropped,omitempty"`
	// OtherGroups counts groups of suspect processes beyond maxThreads, not rebuilt.
	OtherGroups int `json:"other_groups,omitempty"`
	// NewEgress are outbound connections to addresses first named after
	// the first anomalous event.
	NewEgress []Egress `json:"new_egress,omitempty"`
}

// maxThreads bounds the threads rebuilt in full.
const maxThreads = 50

// maxLinks bounds the joins listed.
const maxLinks = 10_000

// preScore weighs a group cheaply, before its thread is rebuilt: its
// suspect processes and the findings on them.
func (b *builder) preScore(g *group) int {
	weight := map[string]int{"critical": 10, "high": 5, "medium": 2, "low": 1}
	n := 0
	for _, p := range g.tops {
		n++
		for _, f := range b.byRef[refKey(p.ref)] {
			n += weight[f.Severity]
		}
	}
	if g.spawner != nil && len(b.x.sessionsByPID[bp{g.bundle, g.spawner.pid}]) > 0 {
		n += 20
	}
	return n
}

// session is one PostgreSQL connection, from its log lines.
type session struct {
	bundle     string
	pid        int64
	client     endpoint
	user, db   string
	received   *pgEvent
	authorized *pgEvent
	statements []*pgEvent
}

type builder struct {
	c        *Correlator
	opts     Options
	fs       []findings.Finding
	byRef    map[string][]*findings.Finding
	sessions []*session
	x        index
	res      Result
}

func refKey(r Ref) string {
	return r.Provenance.Bundle + "\x00" + r.Provenance.Entry + "\x00" + strconv.FormatInt(r.Provenance.Line, 10) + "\x00" + strconv.FormatInt(r.Provenance.Offset, 10)
}

// Options tune Build.
type Options struct {
	// Aggregate names rules that judge groups of events (respawns, counts)
	// rather than one process: their evidence does not make a process
	// suspect by itself.
	Aggregate map[string]bool
}

// Build joins what was kept and rebuilds the attack threads, most
// significant first. fs are the rule engine's findings, used to mark
// suspect processes and to score threads.
func (c *Correlator) Build(fs []findings.Finding, o Options) Result {
	b := &builder{c: c, opts: o, fs: fs, byRef: map[string][]*findings.Finding{}}
	for i := range fs {
		for _, e := range fs[i].Evidence {
			k := refKey(e)
			b.byRef[k] = append(b.byRef[k], &fs[i])
		}
	}
	b.res.Dropped = c.Dropped
	c.sortKept()
	b.linkProcesses()
	b.buildSessions()
	b.buildIndex()
	b.joinFlowsToSockets()
	groups := b.suspectGroups()
	if len(groups) > maxThreads {
		// Only the weightiest groups are rebuilt in full; the rest are counted.
		sort.SliceStable(groups, func(i, j int) bool { return b.preScore(groups[i]) > b.preScore(groups[j]) })
		b.res.OtherGroups = len(groups) - maxThreads
		groups = groups[:maxThreads]
	}
	for _, g := range groups {
		b.res.Threads = append(b.res.Threads, b.thread(g))
	}
	b.res.Threads = append(b.res.Threads, b.accessThreads()...)
	sort.SliceStable(b.res.Threads, func(i, j int) bool { return compareThreads(&b.res.Threads[i], &b.res.Threads[j]) < 0 })
	b.res.Links = sortLinks(b.res.Links)
	b.res.NewEgress = b.newEgress()
	return b.res
}

func (b *builder) linkProcesses() {
	for _, m := range b.c.procs {
		for _, p := range m {
			if q := m[p.ppid]; q != nil && q != p && !q.start.After(p.start) {
				p.parent = q
				q.children = append(q.children, p)
			}
		}
		for _, p := range m {
			sort.Slice(p.children, func(i, j int) bool { return compareProcs(p.children[i], p.children[j]) < 0 })
		}
	}
	for bundle, m := range b.c.recovered {
		for pid, h := range m {
			if p := b.c.procs[bundle][pid]; p != nil {
				p.sha256 = h.sha256
			}
		}
	}
}

func (b *builder) buildSessions() {
	evs := b.c.pg // sorted by sortKept
	cur := map[string]*session{}
	for i := range evs {
		e := &evs[i]
		key := e.bundle + "\x00" + strconv.FormatInt(e.pid, 10)
		s := cur[key]
		if e.action == "connection-received" || s == nil {
			s = &session{bundle: e.bundle, pid: e.pid}
			cur[key] = s
			b.sessions = append(b.sessions, s)
		}
		if e.client.ip != "" && s.client.ip == "" {
			s.client = e.client
		}
		if e.user != "" && s.user == "" {
			s.user = e.user
		}
		if e.db != "" && s.db == "" {
			s.db = e.db
		}
		switch e.action {
		case "connection-received":
			s.received = e
		case "connection-authorized":
			s.authorized = e
		case "statement":
			s.statements = append(s.statements, e)
		case "disconnection":
			delete(cur, key)
		}
	}
}

// joinFlowsToSockets records, for each flow of the capture, the sockets
// seen at collection with the same 5-tuple (either direction).
func (b *builder) joinFlowsToSockets() {
	for i := range b.c.socks {
		s := &b.c.socks[i]
		if s.pid == 0 || len(b.res.Links) >= maxLinks {
			continue
		}
		if f := b.flowOfSocket(s); f != nil {
			b.res.Links = append(b.res.Links, Link{Kind: "flow-socket",
				Text:     fmt.Sprintf("flow %s -> %s is the socket %s -> %s held by process %d at collection", f.src, f.dst, s.local, s.remote, s.pid),
				Evidence: []Ref{f.ref, s.ref}})
		}
	}
}

// isSuspect says why a process is suspect: a high or critical finding on
// its start event, or the collector's own suspicion (deleted, memfd or
// temporary-directory executable).
func (b *builder) isSuspect(p *proc) string {
	var why []string
	for _, f := range b.byRef[refKey(p.ref)] {
		if (f.Severity == "high" || f.Severity == "critical") && !b.opts.Aggregate[f.RuleID] {
			why = append(why, f.RuleID)
		}
	}
	if p.suspect != "" {
		why = append(why, p.suspect)
	}
	return strings.Join(why, ", ")
}

// group is suspect processes sharing the non-suspect process that spawned them.
type group struct {
	bundle  string
	spawner *proc   // nil when the top suspect has no known parent
	tops    []*proc // topmost suspects under the spawner
	topSet  map[*proc]bool
}

func (b *builder) suspectGroups() []*group {
	byKey := map[string]*group{}
	var out []*group
	bundles := make([]string, 0, len(b.c.procs))
	for k := range b.c.procs {
		bundles = append(bundles, k)
	}
	sort.Strings(bundles)
	for _, bundle := range bundles {
		m := b.c.procs[bundle]
		pids := make([]int64, 0, len(m))
		for pid := range m {
			pids = append(pids, pid)
		}
		sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
		for _, pid := range pids {
			p := m[pid]
			if b.isSuspect(p) == "" {
				continue
			}
			top := p
			for top.parent != nil && b.isSuspect(top.parent) != "" {
				top = top.parent
			}
			key := bundle + "\x00"
			if top.parent != nil {
				key += "spawner " + strconv.FormatInt(top.parent.pid, 10)
			} else {
				key += "top " + strconv.FormatInt(top.pid, 10)
			}
			g := byKey[key]
			if g == nil {
				g = &group{bundle: bundle, spawner: top.parent, topSet: map[*proc]bool{}}
				byKey[key] = g
				out = append(out, g)
			}
			if !g.topSet[top] {
				g.topSet[top] = true
				g.tops = append(g.tops, top)
			}
		}
	}
	return out
}

// members returns the suspect processes under the tops and their direct
// children: what a suspect process started belongs to its story, what
// those children started in turn (a shell's own commands) only when suspect.
func (b *builder) members(tops []*proc) []*proc {
	var out []*proc
	seen := map[*proc]bool{}
	var walk func(p *proc)
	walk = func(p *proc) {
		if seen[p] || len(out) > 10_000 {
			return
		}
		seen[p] = true
		out = append(out, p)
		if b.isSuspect(p) == "" {
			return
		}
		for _, c := range p.children {
			walk(c)
		}
	}
	for _, t := range tops {
		walk(t)
	}
	return out
}

// thread rebuilds one attack around a group.
func (b *builder) thread(g *group) Thread {
	t := Thread{Bundle: g.bundle}
	members := b.members(g.tops)
	inThread := map[int64]*proc{}
	for _, p := range members {
		inThread[p.pid] = p
	}
	var steps []Step
	add := func(tm time.Time, stage, text string, ev ...Ref) {
		steps = append(steps, Step{Time: tm, Stage: stage, Text: text, Evidence: ev})
	}
	attackers := map[string]bool{}
	servicePort := 0 // the port of the service the attacker came through

	// How it got in: the spawner's database session or login.
	sp := g.spawner
	var sess *session
	if sp != nil {
		sess = b.sessionOf(sp)
	}
	if sess != nil {
		who := fmt.Sprintf("role %q", sess.user)
		if sess.db != "" {
			who += fmt.Sprintf(" on database %q", sess.db)
		}
		if sess.received != nil {
			add(sess.received.time, StageInitialAccess, fmt.Sprintf("PostgreSQL accepted a connection from %s (backend PID %d)", sess.client, sess.pid), sess.received.ref)
		}
		if sess.authorized != nil {
			steps = append(steps, Step{Time: sess.authorized.time, Stage: StageInitialAccess, Kind: KindLogin,
				Text: fmt.Sprintf("PostgreSQL authorized the connection from %s as %s", sess.client, who), Evidence: []Ref{sess.authorized.ref}})
		}
		if f := b.flowOf(sess); f != nil {
			servicePort = f.dst.port
			add(f.first, StageInitialAccess, fmt.Sprintf("the capture holds this connection: TCP %s -> %s", f.src, f.dst), f.ref)
			b.res.Links = append(b.res.Links, Link{Kind: "pg-session-flow",
				Text:     fmt.Sprintf("PostgreSQL backend %d's client %s is the captured flow %s -> %s", sess.pid, sess.client, f.src, f.dst),
				Evidence: []Ref{f.ref, b.sessionRef(sess)}})
		}
		if sess.client.ip != "" && !isLocal(sess.client.ip) {
			attackers[sess.client.ip] = true
		}
	}
	if sp != nil {
		// The spawner's own connections: a database backend or a service
		// worker serving the attacker holds the attacker's connection.
		var conns []*sock
		for _, s := range b.x.socksByPID[bp{g.bundle, sp.pid}] {
			if s.remote.port != 0 {
				conns = append(conns, s)
			}
		}
		if len(conns) <= 3 {
			for _, s := range conns {
				refs := []Ref{s.ref}
				tm := sp.start
				if f := b.flowOfSocket(s); f != nil {
					refs, tm = append(refs, f.ref), f.first
				}
				add(tm, StageInitialAccess, fmt.Sprintf("%q (PID %d), which started the suspect processes, served the connection %s -> %s", sp.name, sp.pid, s.remote, s.local), refs...)
				if !isLocal(s.remote.ip) {
					attackers[s.remote.ip] = true
					if servicePort == 0 {
						servicePort = s.local.port
					}
				}
			}
		}
		logins := b.x.loginsByPID[bp{g.bundle, sp.pid}]
		if sp.parent != nil {
			logins = append(append([]*login{}, logins...), b.x.loginsByPID[bp{g.bundle, sp.parent.pid}]...)
		}
		for _, l := range logins {
			steps = append(steps, Step{Time: l.time, Stage: StageInitialAccess, Kind: KindLogin, Text: fmt.Sprintf("login of %q from %s", l.user, l.source), Evidence: []Ref{l.ref}})
			if !isLocal(l.source) {
				attackers[l.source] = true
			}
		}
	}
	// The dangerous statements of the attacker's sessions: the one that
	// spawned the processes, and those of the same client address.
	var dropped = map[string]Ref{}
	var related []*session
	if sess != nil {
		related = append(related, sess)
	}
	ips := make([]string, 0, len(attackers))
	for ip := range attackers {
		ips = append(ips, ip)
	}
	sort.Strings(ips)
	for _, ip := range ips {
		for _, s := range b.x.sessionsByIP[g.bundle+"|"+ip] {
			if s != sess {
				related = append(related, s)
			}
		}
	}
	for _, s := range related {
		for _, st := range s.statements {
			add(st.time, StageExecution, fmt.Sprintf("PostgreSQL backend %d (client %s, role %q) ran: %s", s.pid, s.client, s.user, cut(st.sql, 300)), st.ref)
			if st.program != "" {
				written, _ := programPaths(st.program)
				for _, w := range written {
					dropped[w] = st.ref
				}
			}
		}
	}
	if sp != nil {
		for _, top := range g.tops {
			add(top.start, StageExecution, fmt.Sprintf("%s (PID %d) started %q (PID %d, executable %q)", sp.name, sp.pid, top.name, top.pid, top.exe), top.ref)
			if len(b.res.Links) < maxLinks {
				b.res.Links = append(b.res.Links, Link{Kind: "spawn",
					Text:     fmt.Sprintf("process %d %q is a child of %d %q", top.pid, top.name, sp.pid, sp.name),
					Evidence: []Ref{top.ref, sp.ref}})
			}
		}
	}
	// What ran, what it became.
	for _, p := range members {
		isTop := g.topSet[p]
		if !isTop || sp == nil {
			parent := "no known parent"
			if p.parent != nil {
				parent = fmt.Sprintf("parent %d %q", p.parent.pid, p.parent.name)
			}
			add(p.start, StageExecution, fmt.Sprintf("process %d %q started from %q (%s)", p.pid, p.name, p.exe, parent), p.ref)
		}
		if p.deleted() {
			text := fmt.Sprintf("the executable of process %d, %s, was deleted while it ran", p.pid, p.path())
			refs := []Ref{p.ref}
			if p.sha256 != "" {
				text += "; the collector recovered it from memory: SHA-256 " + p.sha256
			}
			if r, ok := dropped[p.path()]; ok {
				text += "; it is the file the attacker's statement wrote"
				refs = append(refs, r)
			}
			steps = append(steps, Step{Time: p.start, Stage: StageDefenseEvasion, Kind: KindDeletedExecutable, PID: p.pid, SHA256: p.sha256, Text: text, Evidence: refs})
		}
		if p.name != "" && p.exe != "" && !strings.HasPrefix(p.exe, "/memfd:") && commOf(p.exe) != p.name {
			add(p.start, StageDefenseEvasion, fmt.Sprintf("process %d calls itself %q but runs %q", p.pid, p.name, p.exe), p.ref)
		}
	}
	// Respawns: a new instance under the same parent soon after another ended.
	for _, s := range b.respawns(members) {
		steps = append(steps, s)
	}
	// Connections of the members, joined to the capture.
	for _, p := range members {
		for _, s := range b.x.socksByPID[bp{g.bundle, p.pid}] {
			if s.remote.port == 0 {
				continue
			}
			refs := []Ref{s.ref}
			text := fmt.Sprintf("process %d %q holds a %s connection %s -> %s", p.pid, p.name, s.transport, s.local, s.remote)
			tm := p.start
			if f := b.flowOfSocket(s); f != nil {
				refs = append(refs, f.ref)
				text += fmt.Sprintf("; captured from %s", f.first.UTC().Format(time.RFC3339Nano))
				tm = f.first
			}
			if f := b.stratumOfSocket(s); f != nil {
				refs = append(refs, f.ref)
				text += fmt.Sprintf("; it speaks stratum (mining) with login %q", f.protocol)
			}
			if !isLocal(s.remote.ip) {
				attackers[s.remote.ip] = true
			}
			add(tm, StageImpact, text, refs...)
		}
		if ins := b.x.indicatorsBy[bp{g.bundle, p.pid}]; len(ins) > 0 {
			tm, text, refs := summarizeIndicators(p.pid, ins)
			add(tm, StageImpact, text, refs...)
		}
	}
	// First contact of each attacker address, anywhere in the case.
	for _, ip := range sortedKeys(attackers) {
		if fs, ok := b.c.addrFirst[ip]; ok {
			steps = append(steps, Step{Time: fs.time, Stage: StageInitialAccess, Kind: KindFirstContact,
				Text: fmt.Sprintf("first event naming %s in the case: %s", ip, cut(fs.ref.Message, 300)), Evidence: []Ref{fs.ref}})
		}
	}
	t.Steps = sortSteps(steps)
	if len(t.Steps) > maxSteps {
		t.OmittedSteps = len(t.Steps) - maxSteps
		t.Steps = t.Steps[:maxSteps]
	}
	for i := range t.Steps {
		if !t.Steps[i].Time.IsZero() && t.Steps[i].Time.Year() > 1971 {
			t.Steps[i].First = true
			t.Golden = fmt.Sprintf("The last known-good state is before %s; the first anomalous event of this chain is: %s. Restore from images or backups made before it, and treat everything after it as untrusted.",
				t.Steps[i].Time.UTC().Format(time.RFC3339Nano), t.Steps[i].Text)
			break
		}
	}
	t.RootCause = b.rootCause(g, servicePort)
	t.Tree = b.tree(g, members)
	t.Attackers = sortedKeys(attackers)
	t.Rules, t.Score = b.score(&t)
	if len(t.Attackers) > 0 {
		t.Score += 20
	}
	t.Title = b.title(g, sess, &t)
	return t
}

func (b *builder) title(g *group, sess *session, t *Thread) string {
	var names []string
	for i, p := range g.tops {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(g.tops)-3))
			break
		}
		names = append(names, fmt.Sprintf("%q (PID %d)", p.name, p.pid))
	}
	switch {
	case sess != nil && sess.client.ip != "":
		return fmt.Sprintf("%s started through PostgreSQL backend %d, from %s", strings.Join(names, ", "), sess.pid, sess.client.ip)
	case g.spawner != nil && len(t.Attackers) > 0:
		return fmt.Sprintf("%s started by %q (PID %d), serving %s", strings.Join(names, ", "), g.spawner.name, g.spawner.pid, strings.Join(t.Attackers, ", "))
	case g.spawner != nil:
		return fmt.Sprintf("%s started by %q (PID %d)", strings.Join(names, ", "), g.spawner.name, g.spawner.pid)
	default:
		return strings.Join(names, ", ") + " with no known parent"
	}
}

// sessionOf finds the PostgreSQL session served by backend p: same PID, the
// connection received closest to the backend's start.
func (b *builder) sessionOf(p *proc) *session {
	var best *session
	var bestD time.Duration
	for _, s := range b.x.sessionsByPID[bp{p.bundle, p.pid}] {
		var t time.Time
		switch {
		case s.received != nil:
			t = s.received.time
		case s.authorized != nil:
			t = s.authorized.time
		case len(s.statements) > 0:
			t = s.statements[0].time
		}
		d := t.Sub(p.start)
		if d < 0 {
			d = -d
		}
		if best == nil || d < bestD {
			best, bestD = s, d
		}
	}
	return best
}

func (b *builder) sessionRef(s *session) Ref {
	switch {
	case s.received != nil:
		return s.received.ref
	case s.authorized != nil:
		return s.authorized.ref
	default:
		return s.statements[0].ref
	}
}

// flowOf finds the captured flow of a session by its client address and port.
func (b *builder) flowOf(s *session) *flow {
	if s.client.port == 0 {
		return nil
	}
	if fs := b.x.flowsBySrc[s.bundle+"|"+s.client.String()]; len(fs) > 0 {
		return fs[0]
	}
	return nil
}

// respawns finds instances restarted by the same parent: a child started
// soon after a captured connection to the same peer ended whose socket no
// live process held any more (the earlier instance's death, seen in the
// capture). Two instances alive together are not a respawn: they are
// stated as such.
func (b *builder) respawns(members []*proc) []Step {
	var out []Step
	for _, p := range members {
		byExe := map[string][]*proc{}
		for _, c := range p.children {
			byExe[c.exe] = append(byExe[c.exe], c)
		}
		for _, exe := range sortedKeys(byExe) {
			cs := byExe[exe]
			for i := 1; i < len(cs); i++ {
				if cs[i].start.Sub(cs[i-1].start) <= respawnWindow {
					out = append(out, Step{Time: cs[i].start, Stage: StageExecution,
						Text:     fmt.Sprintf("%q (PID %d) runs %q twice: PID %d and PID %d, started %s apart, both alive at collection", p.name, p.pid, exe, cs[i-1].pid, cs[i].pid, cs[i].start.Sub(cs[i-1].start).Round(time.Millisecond)),
						Evidence: []Ref{cs[i-1].ref, cs[i].ref}})
				}
			}
		}
		for _, c := range p.children {
			for _, prev := range b.endedBefore(c) {
				out = append(out, Step{Time: c.start, Stage: StagePersistence, Kind: KindRespawn, PID: c.pid, ParentPID: p.pid,
					Text: fmt.Sprintf("%q (PID %d) restarted %q as PID %d %s after an earlier instance's connection %s -> %s ended (no process held it at collection): a watchdog respawn",
						p.name, p.pid, c.exe, c.pid, c.start.Sub(prev.last).Round(time.Millisecond), prev.src, prev.dst),
					Evidence: []Ref{prev.ref, c.ref}})
			}
		}
	}
	return out
}

// endedBefore returns captured flows to the same peers as c's sockets that
// ended up to respawnWindow before c started and that no socket held at
// collection.
func (b *builder) endedBefore(c *proc) []*flow {
	var out []*flow
	for _, s := range b.x.socksByPID[bp{c.bundle, c.pid}] {
		if s.remote.port == 0 {
			continue
		}
		for _, f := range b.x.flowsByDst[c.bundle+"|"+s.remote.String()] {
			if b.x.held[tupleKey(f.bundle, f.src, f.dst)] {
				continue
			}
			if d := c.start.Sub(f.last); d >= -time.Second && d <= respawnWindow {
				out = append(out, f)
			}
		}
	}
	return out
}

// rootCause states what on the host made the thread possible: the exposure
// findings about the service the attacker reached (its port, or its
// configuration files), and that service's listening socket.
func (b *builder) rootCause(g *group, port int) []Step {
	if port == 0 {
		return nil
	}
	var out []Step
	for _, f := range b.fs {
		if !strings.Contains(f.RuleID, "-EXP-") {
			continue
		}
		var ev []Ref
		for _, e := range f.Evidence {
			if e.Provenance.Bundle != g.bundle {
				continue
			}
			entry := e.Provenance.Entry
			hostWide := entry == "manifest.json" || strings.Contains(entry, "ufw") || strings.Contains(entry, "tables")
			if hostWide || strings.Contains(entry, "postgres") || strings.Contains(entry, "pg_hba") ||
				(port != 0 && strings.Contains(e.Message, ":"+strconv.Itoa(port)+" ")) ||
				strings.Contains(strings.ToLower(e.Message), "postgres") {
				ev = append(ev, e)
			}
		}
		if len(ev) == 0 {
			continue
		}
		out = append(out, Step{Time: mustTime(ev[0].Time), Stage: StageExposure,
			Text: fmt.Sprintf("%s: %s (%s)", f.RuleID, f.Title, f.Why), Evidence: ev[:min(len(ev), 5)]})
	}
	for _, l := range b.x.listenersBy[g.bundle+"|"+strconv.Itoa(port)] {
		if l.allIfaces {
			out = append(out, Step{Time: mustTime(l.ref.Time), Stage: StageExposure,
				Text:     fmt.Sprintf("the service the attacker reached listens on all interfaces: %s %s", l.transport, l.local),
				Evidence: []Ref{l.ref}})
		}
	}
	return out
}

// score weighs the findings whose evidence is in the thread.
func (b *builder) score(t *Thread) ([]string, int) {
	weight := map[string]int{"critical": 10, "high": 5, "medium": 2, "low": 1}
	seen := map[string]bool{}
	score := 0
	var ids []string
	for _, s := range t.Steps {
		for _, e := range s.Evidence {
			for _, f := range b.byRef[refKey(e)] {
				if !seen[f.RuleID] {
					seen[f.RuleID] = true
					ids = append(ids, f.RuleID)
					score += weight[f.Severity]
				}
			}
		}
	}
	for _, l := range t.Tree {
		for _, f := range b.byRef[refKey(l.Ref)] {
			if !seen[f.RuleID] {
				seen[f.RuleID] = true
				ids = append(ids, f.RuleID)
				score += weight[f.Severity]
			}
		}
	}
	sort.Strings(ids)
	return ids, score
}

// tree lists the spawner's ancestors, the spawner, and under it the
// suspect processes with what they started; the spawner's other children
// are listed (one line each) unless the spawner is the init process.
func (b *builder) tree(g *group, members []*proc) []TreeLine {
	var out []TreeLine
	in := map[*proc]bool{}
	for _, p := range members {
		in[p] = true
	}
	root := g.spawner
	if root == nil {
		for _, t := range g.tops {
			out = b.subtree(out, t, 0, in)
		}
		return out
	}
	var anc []*proc
	for q := root.parent; q != nil && len(anc) < 32; q = q.parent {
		anc = append(anc, q)
	}
	for i := len(anc) - 1; i >= 0; i-- {
		out = append(out, b.line(anc[i], len(anc)-1-i))
	}
	d := len(anc)
	out = append(out, b.line(root, d))
	others := 0
	for _, c := range root.children {
		switch {
		case in[c]:
			out = b.subtree(out, c, d+1, in)
		case root.pid != 1 && others < 20:
			others++
			out = append(out, b.line(c, d+1))
		}
	}
	return out
}

func (b *builder) subtree(out []TreeLine, p *proc, d int, in map[*proc]bool) []TreeLine {
	if len(out) >= 500 || d > 64 {
		return out
	}
	out = append(out, b.line(p, d))
	for _, c := range p.children {
		if in[c] {
			out = b.subtree(out, c, d+1, in)
		}
	}
	return out
}

func (b *builder) line(p *proc, depth int) TreeLine {
	return TreeLine{Depth: depth, PID: p.pid, Name: p.name, Exe: p.exe, Start: p.start, Suspect: b.isSuspect(p), Ref: p.ref}
}

// commOf is the kernel's comm for an executable path: its base name, cut to 15 bytes.
func commOf(exe string) string {
	exe = strings.TrimSuffix(exe, " (deleted)")
	if i := strings.LastIndexByte(exe, '/'); i >= 0 {
		exe = exe[i+1:]
	}
	if len(exe) > 15 {
		exe = exe[:15]
	}
	return exe
}

func mustTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// cut shortens s to about n bytes on a rune boundary.
func cut(s string, n int) string { return clip.Cut(s, n) }

// summarizeIndicators makes one step of what a process's memory and
// recovered executable hold: each kind with its distinct values (a few),
// the earliest time, and one reference per value shown.
func summarizeIndicators(pid int64, ins []*indicator) (time.Time, string, []Ref) {
	const perKind, maxRefs = 3, 12
	var kinds []string
	values := map[string][]string{}
	more := map[string]int{}
	seen := map[string]bool{}
	var refs []Ref
	var first time.Time
	for _, in := range ins {
		if t := mustTime(in.ref.Time); !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
		k := in.kind + "\x00" + in.value
		if seen[k] {
			continue
		}
		seen[k] = true
		if _, ok := values[in.kind]; !ok {
			kinds = append(kinds, in.kind)
		}
		if len(values[in.kind]) >= perKind {
			more[in.kind]++
			continue
		}
		values[in.kind] = append(values[in.kind], cut(in.value, 120))
		if len(refs) < maxRefs {
			refs = append(refs, in.ref)
		}
	}
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		p := k + " " + strings.Join(values[k], ", ")
		if n := more[k]; n > 0 {
			p += fmt.Sprintf(" and %d more", n)
		}
		parts = append(parts, p)
	}
	return first, fmt.Sprintf("the memory or recovered executable of process %d holds mining indicators: %s", pid, strings.Join(parts, "; ")), refs
}
