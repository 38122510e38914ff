// Package correlate joins what the sources of a case say about the same
// thing and rebuilds the attack from it: a packet flow to the socket that
// held it (by 5-tuple) and so to its process; a PostgreSQL connection (client
// address and port) to that flow and to its backend PID; a backend to the
// processes it spawned; a deleted executable to the indicators in its memory
// and to its outbound connections. From these joins it orders an attack
// chain in time and marks its first anomalous event, which brackets the last
// known-good ("golden") state.
//
// A Correlator reads the events of a case once, in any order, keeping only
// what joins need (processes, sockets, flows, database sessions, logins,
// recovered executables, indicators), each kind bounded; Build then works on
// what was kept and on the findings of the rule engine.
package correlate

import (
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/timeline"
)

// Bounds on what a Correlator keeps of each kind (the rest is counted).
const (
	maxProcesses = 200_000
	maxSockets   = 200_000
	maxFlows     = 500_000
	maxSQL       = 100_000
	maxPerKind   = 100_000
	maxAddresses = 200_000
)

// Ref points at one event that proves a statement: its time, message and
// provenance (the bundle entry, line or offset, and the entry's hash).
type Ref = findings.Evidence

func refOf(ev *timeline.Event) Ref {
	return Ref{Time: ev.Timestamp.UTC().Format("2006-01-02T15:04:05.000000000Z"), Message: ev.Message, Provenance: ev.Cordon.Provenance}
}

// proc is one process of a snapshot.
type proc struct {
	bundle     string
	pid, ppid  int64
	name, exe  string
	cmdline    string
	start      time.Time
	parentName string
	entity     string
	suspect    string
	sha256     string // of the recovered executable, when copied
	ref        Ref
	children   []*proc
	parent     *proc
}

func (p *proc) deleted() bool { return strings.HasSuffix(p.exe, " (deleted)") }

// path is the executable's path without the kernel's " (deleted)".
func (p *proc) path() string { return strings.TrimSuffix(p.exe, " (deleted)") }

// endpoint is one side of a connection.
type endpoint struct {
	ip   string
	port int
}

func (e endpoint) String() string {
	if strings.Contains(e.ip, ":") {
		return "[" + e.ip + "]:" + strconv.Itoa(e.port)
	}
	return e.ip + ":" + strconv.Itoa(e.port)
}

// sock is a socket seen at collection.
type sock struct {
	bundle    string
	local     endpoint
	remote    endpoint
	listening bool
	allIfaces bool
	pid       int64
	transport string
	ref       Ref
}

// flow is a packet flow (pcap), or a stratum message within one.
type flow struct {
	bundle    string
	src, dst  endpoint
	transport string
	protocol  string
	first     time.Time
	last      time.Time
	ref       Ref
}

// pgEvent is a PostgreSQL log event: a connection, an authorization, a
// statement or an error, with the backend PID and the client when known.
type pgEvent struct {
	bundle    string
	action    string
	pid       int64
	client    endpoint
	user, db  string
	sql       string
	dangerous bool
	program   string
	time      time.Time
	ref       Ref
}

// login is an SSH or other authentication event.
type login struct {
	bundle  string
	pid     int64
	source  string
	user    string
	success bool
	time    time.Time
	ref     Ref
}

// indicator is a string found in a binary or a memory image, or a
// stratum login seen in traffic.
type indicator struct {
	bundle string
	pid    int64
	kind   string
	value  string
	ref    Ref
}

// recoveredExe is the hash of an executable the collector copied.
type recoveredExe struct {
	sha256 string
	ref    Ref
}

// compareRefs is the total order of evidence: time, place, message.
func compareRefs(a, b Ref) int { return findings.CompareEvidence(a, b) }

// firstSeen is the earliest event naming an address.
type firstSeen struct {
	time time.Time
	ref  Ref
}

// Correlator keeps what the joins need from a stream of events.
type Correlator struct {
	procs      map[string]map[int64]*proc // bundle → pid → process
	nprocs     int
	socks      []sock
	flows      []flow
	stratum    []flow
	pg         []pgEvent
	logins     []login
	indicators []indicator
	recovered  map[string]map[int64]recoveredExe // bundle → pid → the recovered executable
	listeners  []sock
	addrFirst  map[string]firstSeen
	earliest   map[string]time.Time // bundle → its earliest dated event
	auth       map[string]*ipAuth   // bundle|dataset|ip → what that address did at the door
	acts       map[string][]userAct // bundle|user → what the user did once in
	// Dropped counts events not kept because a bound was reached.
	Dropped int
}

// New returns an empty Correlator.
func New() *Correlator {
	return &Correlator{procs: map[string]map[int64]*proc{}, recovered: map[string]map[int64]recoveredExe{}, addrFirst: map[string]firstSeen{}, earliest: map[string]time.Time{},
		auth: map[string]*ipAuth{}, acts: map[string][]userAct{}}
}

// Add reads one event; events of no use to the joins are ignored.
func (c *Correlator) Add(ev timeline.Event) {
	b := ev.Cordon.Provenance.Bundle
	if t := ev.Timestamp; t.Year() > 1971 {
		if e, ok := c.earliest[b]; !ok || t.Before(e) {
			c.earliest[b] = t
		}
	}
	c.seeAddresses(&ev)
	switch ev.Event.Dataset {
	case "processes":
		if ev.Event.Action == "process-started" && ev.Process != nil {
			c.addProc(b, &ev)
		}
	case "sockets":
		c.addSocket(b, &ev)
	case "pcap":
		c.addFlow(b, &ev)
	case "postgresql":
		c.addPG(b, &ev)
		c.addAuth(b, &ev)
	case "auth", "syslog", "journal":
		c.addLogin(b, &ev)
		c.addAuth(b, &ev)
		c.addAct(b, &ev)
	case "wtmp", "btmp", "utmp":
		c.addAuth(b, &ev)
	case "executables":
		if ev.Process != nil && ev.Process.Hash != nil && ev.Process.Hash.SHA256 != "" {
			m := c.recovered[b]
			if m == nil {
				m = map[int64]recoveredExe{}
				c.recovered[b] = m
			}
			r := recoveredExe{sha256: ev.Process.Hash.SHA256, ref: refOf(&ev)}
			if old, ok := m[ev.Process.PID]; !ok || compareRefs(old.ref, r.ref) < 0 {
				m[ev.Process.PID] = r // of several, the latest event's, in any order of reading
			}
		}
	case "indicators":
		if len(c.indicators) >= maxPerKind {
			c.Dropped++
			return
		}
		in := indicator{bundle: b, kind: ev.Labels["indicator.kind"], value: ev.Labels["indicator.value"], ref: refOf(&ev)}
		if ev.Process != nil {
			in.pid = ev.Process.PID
		}
		c.indicators = append(c.indicators, in)
	}
}

func (c *Correlator) addProc(b string, ev *timeline.Event) {
	if c.nprocs >= maxProcesses {
		c.Dropped++
		return
	}
	p := ev.Process
	m := c.procs[b]
	if m == nil {
		m = map[int64]*proc{}
		c.procs[b] = m
	}
	q := &proc{bundle: b, pid: p.PID, name: p.Name, exe: p.Executable, cmdline: p.CommandLine, start: p.Start,
		entity: p.EntityID, suspect: ev.Labels["suspect"], ref: refOf(ev)}
	if q.start.IsZero() {
		q.start = ev.Timestamp
	}
	if p.Parent != nil {
		q.ppid, q.parentName = p.Parent.PID, p.Parent.Name
	}
	old, dup := m[q.pid]
	if !dup {
		c.nprocs++
	}
	// The same PID in several snapshots (or reused): the latest event
	// stands for it, whatever order the events were read in.
	if !dup || compareRefs(old.ref, q.ref) < 0 {
		m[q.pid] = q
	}
}

func (c *Correlator) addSocket(b string, ev *timeline.Event) {
	if ev.Source == nil || ev.Network == nil || ev.Network.Transport == "unix" {
		return
	}
	s := sock{bundle: b, local: endpoint{ev.Source.IP, ev.Source.Port}, transport: ev.Network.Transport, ref: refOf(ev),
		listening: ev.Event.Action == "socket-listening", allIfaces: ev.Labels["all_interfaces"] == "true"}
	if ev.Destination != nil {
		s.remote = endpoint{ev.Destination.IP, ev.Destination.Port}
	}
	if ev.Process != nil {
		s.pid = ev.Process.PID
	}
	if s.listening {
		if len(c.listeners) < maxPerKind {
			c.listeners = append(c.listeners, s)
		}
		return
	}
	if len(c.socks) >= maxSockets {
		c.Dropped++
		return
	}
	c.socks = append(c.socks, s)
}

func (c *Correlator) addFlow(b string, ev *timeline.Event) {
	if ev.Source == nil || ev.Destination == nil {
		return
	}
	f := flow{bundle: b, src: endpoint{ev.Source.IP, ev.Source.Port}, dst: endpoint{ev.Destination.IP, ev.Destination.Port},
		first: ev.Timestamp, last: ev.Timestamp, ref: refOf(ev)}
	if ev.Network != nil {
		f.transport, f.protocol = ev.Network.Transport, ev.Network.Protocol
	}
	if t, err := time.Parse(time.RFC3339Nano, ev.Labels["flow.last_packet"]); err == nil {
		f.last = t
	}
	switch ev.Event.Action {
	case "flow":
		if len(c.flows) >= maxFlows {
			c.Dropped++
			return
		}
		c.flows = append(c.flows, f)
	case "stratum-login":
		if len(c.stratum) >= maxPerKind {
			c.Dropped++
			return
		}
		f.protocol = ev.Labels["stratum.login"]
		c.stratum = append(c.stratum, f)
	}
}

func (c *Correlator) addPG(b string, ev *timeline.Event) {
	a := ev.Event.Action
	if a != "connection-received" && a != "connection-authorized" && a != "statement" && a != "disconnection" {
		return
	}
	e := pgEvent{bundle: b, action: a, time: ev.Timestamp, ref: refOf(ev)}
	if ev.Process != nil {
		e.pid = ev.Process.PID
	}
	if ev.Source != nil {
		e.client = endpoint{ev.Source.IP, ev.Source.Port}
	}
	if ev.User != nil {
		e.user = ev.User.Name
	}
	e.db = ev.Labels["postgresql.database"]
	if e.db == "" {
		e.db = ev.Labels["database"]
	}
	if a == "statement" {
		e.sql = statementText(ev)
		e.dangerous, e.program = dangerousSQL(ev, e.sql)
		if !e.dangerous {
			return // only the statements the chain may cite are kept
		}
	}
	if len(c.pg) >= maxSQL {
		c.Dropped++
		return
	}
	c.pg = append(c.pg, e)
}

func (c *Correlator) addLogin(b string, ev *timeline.Event) {
	if !containsCat(ev.Event.Category, "authentication") || ev.Source == nil || ev.Source.IP == "" {
		return
	}
	if ev.Event.Outcome != "success" {
		return
	}
	if len(c.logins) >= maxPerKind {
		c.Dropped++
		return
	}
	l := login{bundle: b, source: ev.Source.IP, success: true, time: ev.Timestamp, ref: refOf(ev)}
	if ev.User != nil {
		l.user = ev.User.Name
	}
	if ev.Process != nil {
		l.pid = ev.Process.PID
	}
	c.logins = append(c.logins, l)
}

// seeAddresses remembers the earliest event naming each remote address
// (source or destination), for the first contact of an attacker.
func (c *Correlator) seeAddresses(ev *timeline.Event) {
	if ev.Timestamp.IsZero() || ev.Event.Dataset == "sockets" || ev.Event.Kind == "state" {
		return
	}
	for _, e := range []*timeline.Endpoint{ev.Source, ev.Destination} {
		if e == nil || e.IP == "" || isLocal(e.IP) {
			continue
		}
		fs, ok := c.addrFirst[e.IP]
		if ok && (ev.Timestamp.After(fs.time) || ev.Timestamp.Equal(fs.time) && compareRefs(refOf(ev), fs.ref) >= 0) {
			continue
		}
		if !ok && len(c.addrFirst) >= maxAddresses {
			continue
		}
		c.addrFirst[e.IP] = firstSeen{time: ev.Timestamp, ref: refOf(ev)}
	}
}

func isLocal(ip string) bool {
	return ip == "0.0.0.0" || ip == "::" || strings.HasPrefix(ip, "127.") || ip == "::1" || ip == "[local]"
}

func containsCat(cs []string, want string) bool {
	for _, c := range cs {
		if c == want {
			return true
		}
	}
	return false
}

// statementText is the SQL of a statement event, wherever its parser put it.
func statementText(ev *timeline.Event) string {
	for _, k := range []string{"postgresql.statement", "statement", "sql", "db.statement"} {
		if s := ev.Labels[k]; s != "" {
			return s
		}
	}
	if ev.Event.Original != "" {
		return ev.Event.Original
	}
	return ev.Message
}
