package sigma

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/timeline"
)

// Defaults of the engine's bounds.
const (
	DefaultMaxEvidence        = 50 // events kept per finding (the count is exact)
	DefaultMaxFindingsPerRule = 25 // activities shown apart per rule; the rest are one finding
	// maxKnownProcesses bounds the PID table used to name an audited
	// process's parent.
	maxKnownProcesses = 1 << 20
	// processWindow is how far apart the snapshot's start of a process and
	// the audit log's execve of the same PID may be to be one activity.
	processWindow = 5 * time.Second
)

// procKey names a process on a host.
type procKey struct {
	host string
	pid  int64
}

// nameKey is an address as a host's DNS answers gave it.
type nameKey struct {
	host, ip string
}

// maxKnownNames bounds the addresses remembered from DNS answers, and
// maxNamesPerIP the names kept per address.
const (
	maxKnownNames = 1 << 18
	maxNamesPerIP = 8
)

func appendName(names []string, n string) []string {
	for _, x := range names {
		if x == n {
			return names
		}
	}
	if len(names) >= maxNamesPerIP {
		return names
	}
	return append(names, n)
}

// procEntity names one process (PID and start) on a host.
type procEntity struct {
	host, id string
}

// procInfo is what the engine remembers of a process started or executed.
type procInfo struct {
	exe, cmd string
	at       time.Time
}

// activity is what one finding is about: a process run, a file, a
// connection, or a log line, seen by one or more events.
type activity struct {
	rule     *Rule
	kind     string // "process", "file", "connection", "log", "event", "more"
	desc     string
	first    time.Time
	last     time.Time
	events   int
	evidence []findings.Evidence
	entries  []string // distinct bundle entries of the events, in order seen
}

// Engine judges events against a rule set and groups the matches into
// findings, one per rule and activity.
type Engine struct {
	set *RuleSet
	// MaxEvidence bounds the events listed per finding; MaxFindingsPerRule
	// the activities a rule has findings of apart (the others make one more).
	MaxEvidence, MaxFindingsPerRule int
	// Matched counts the events each rule matched, by rule id.
	Matched map[string]int
	// Events counts the events judged (those of some Sigma log source).
	Events int64

	rec      record
	known    map[procKey]procInfo    // by PID: the last program run
	entities map[procEntity]procInfo // by PID and start (process snapshot)
	names    map[nameKey][]string    // addresses' names from captured DNS answers
	open     map[string]*activity    // by rule id and activity key
	acts     []*activity
	perRule  map[*Rule]int
	more     map[*Rule]*activity
}

// NewEngine returns an engine over the applicable rules of set.
func NewEngine(set *RuleSet) *Engine {
	e := &Engine{set: set, MaxEvidence: DefaultMaxEvidence, MaxFindingsPerRule: DefaultMaxFindingsPerRule,
		Matched: map[string]int{}, known: map[procKey]procInfo{}, entities: map[procEntity]procInfo{}, names: map[nameKey][]string{}, open: map[string]*activity{},
		perRule: map[*Rule]int{}, more: map[*Rule]*activity{}}
	n := len(set.fields)
	e.rec = record{eng: e, vals: make([][]string, n), lows: make([][]string, n), state: make([]uint8, n),
		kwHits: make([]uint64, (len(set.keywords.patterns)+63)/64)}
	return e
}

// Add judges one event. Events are expected in time order (as a case
// reads them): the parent of an audited execve is the last program its
// parent PID was seen to run before it.
func (e *Engine) Add(ev *timeline.Event) {
	if ev.Labels["cordon.collector"] == "self" {
		return // the collector's own process is no evidence (analyzer.SelfLabel)
	}
	src := classify(ev)
	if src == 0 {
		return
	}
	e.Events++
	r := &e.rec
	r.reset(ev, src)
	for gi := range e.set.groups {
		g := &e.set.groups[gi]
		if g.need&src != g.need {
			continue
		}
		for _, rule := range g.rules {
			if rule.cond.eval(r) {
				e.record(rule, ev, src)
			}
		}
	}
	if d := ev.DNS; d != nil && d.Type == "answer" && d.QuestionName != "" && len(e.names) < maxKnownNames {
		for _, a := range d.Answers {
			if ip, err := netip.ParseAddr(a); err == nil {
				k := nameKey{hostOf(ev), ip.Unmap().String()}
				e.names[k] = appendName(e.names[k], strings.TrimSuffix(d.QuestionName, "."))
			}
		}
	}
	if src&srcProcessCreation != 0 && ev.Process != nil && ev.Process.PID != 0 {
		info := procInfo{exe: strings.TrimSuffix(ev.Process.Executable, " (deleted)"), cmd: ev.Process.CommandLine, at: ev.Timestamp}
		k := procKey{hostOf(ev), ev.Process.PID}
		if _, ok := e.known[k]; ok || len(e.known) < maxKnownProcesses {
			e.known[k] = info
		}
		if id := ev.Process.EntityID; id != "" && len(e.entities) < maxKnownProcesses {
			e.entities[procEntity{k.host, id}] = info
		}
	}
}

func hostOf(ev *timeline.Event) string {
	if ev.Host != nil && ev.Host.Name != "" {
		return ev.Host.Name
	}
	return "bundle " + ev.Cordon.Provenance.Bundle
}

// activityOf says what a matching event is about, and the key that groups
// the events about the same thing.
func activityOf(ev *timeline.Event, src source) (kind, key, desc string) {
	host := hostOf(ev)
	p := ev.Process
	switch {
	case src&srcProcessCreation != 0 && p != nil && p.PID != 0:
		what := strings.TrimSuffix(p.Executable, " (deleted)")
		if what == "" {
			what = p.Name
		}
		return "process", fmt.Sprintf("p\x00%s\x00%d", host, p.PID), fmt.Sprintf("process %d (%s) on %s", p.PID, what, host)
	case src&srcFileEvent != 0 && ev.Event.Dataset == "filetimeline" && ev.File != nil:
		return "file", "f\x00" + host + "\x00" + ev.File.Path, fmt.Sprintf("file %s on %s", ev.File.Path, host)
	case src&srcNetworkConnection != 0 && ev.Destination != nil:
		pid := int64(0)
		if p != nil {
			pid = p.PID
		}
		dst := fmt.Sprintf("%s port %d", ev.Destination.IP, ev.Destination.Port)
		if pid != 0 {
			return "connection", fmt.Sprintf("n\x00%s\x00%d\x00%s", host, pid, dst), fmt.Sprintf("process %d to %s on %s", pid, dst, host)
		}
		return "connection", fmt.Sprintf("n\x00%s\x00%s", host, dst), fmt.Sprintf("connection to %s on %s", dst, host)
	case p != nil && p.PID != 0:
		return "log", fmt.Sprintf("l\x00%s\x00%s\x00%s\x00%d", host, ev.Event.Dataset, p.Name, p.PID),
			fmt.Sprintf("%s %s[%d] on %s", ev.Event.Dataset, p.Name, p.PID, host)
	}
	pv := ev.Cordon.Provenance
	where := fmt.Sprintf("%s@%d", pv.Entry, pv.Offset)
	if pv.Line > 0 {
		where = fmt.Sprintf("%s:%d", pv.Entry, pv.Line)
	}
	return "event", "e\x00" + pv.Bundle + "\x00" + where, fmt.Sprintf("%s of %s (%s)", ev.Event.Dataset, host, where)
}

func (e *Engine) record(rule *Rule, ev *timeline.Event, src source) {
	e.Matched[rule.ID]++
	kind, key, desc := activityOf(ev, src)
	key = rule.ID + "\x00" + key
	a := e.open[key]
	if a != nil && kind == "process" && (ev.Timestamp.Before(a.first.Add(-processWindow)) || ev.Timestamp.After(a.last.Add(processWindow))) {
		a = nil // the PID again, another run
	}
	if a == nil {
		if e.perRule[rule] >= e.MaxFindingsPerRule {
			a = e.more[rule]
			if a == nil {
				a = &activity{rule: rule, kind: "more", first: ev.Timestamp}
				e.more[rule] = a
				e.acts = append(e.acts, a)
			}
		} else {
			e.perRule[rule]++
			a = &activity{rule: rule, kind: kind, desc: desc, first: ev.Timestamp}
			e.open[key] = a
			e.acts = append(e.acts, a)
		}
	}
	if ev.Timestamp.Before(a.first) {
		a.first = ev.Timestamp
	}
	if ev.Timestamp.After(a.last) {
		a.last = ev.Timestamp
	}
	a.events++
	entry := ev.Cordon.Provenance.Entry
	found := false
	for _, x := range a.entries {
		if x == entry {
			found = true
			break
		}
	}
	if !found && len(a.entries) < 16 {
		a.entries = append(a.entries, entry)
	}
	if len(a.evidence) < e.MaxEvidence {
		a.evidence = append(a.evidence, findings.Evidence{Time: ev.Timestamp.UTC().Format("2006-01-02T15:04:05.000000000Z"),
			Message: ev.Message, Provenance: ev.Cordon.Provenance})
	}
}

// Severity is Cordon's severity for a Sigma level.
func Severity(level string) string {
	switch level {
	case "low", "medium", "high", "critical":
		return level
	}
	return "info" // informational, or no level
}

// attackOf reads the ATT&CK technique and tactics from a rule's tags
// ("attack.t1059.004", "attack.execution").
func attackOf(tags []string) findings.Attack {
	var a findings.Attack
	var tactics []string
	for _, t := range tags {
		rest, ok := strings.CutPrefix(strings.ToLower(t), "attack.")
		if !ok {
			continue
		}
		if len(rest) > 1 && rest[0] == 't' && rest[1] >= '0' && rest[1] <= '9' {
			if a.ID == "" {
				a.ID = strings.ToUpper(rest)
			}
			continue
		}
		if len(rest) > 1 && (rest[0] == 'g' || rest[0] == 's') && rest[1] >= '0' && rest[1] <= '9' {
			continue // groups and software
		}
		tactics = append(tactics, strings.ReplaceAll(rest, "_", " "))
	}
	a.Name = strings.Join(tactics, ", ")
	return a
}

// Findings returns one finding per rule and activity: most severe first,
// then by rule id, then by time.
func (e *Engine) Findings() []findings.Finding {
	out := make([]findings.Finding, 0, len(e.acts))
	for _, a := range e.acts {
		r := a.rule
		f := findings.Finding{RuleID: r.ID, Title: r.Title, Severity: Severity(r.Level), Attack: attackOf(r.Tags), Why: r.Description,
			Evidence: a.evidence, Origin: "sigma", Author: r.Author, Status: r.Status, Level: r.Level, Tags: r.Tags,
			FalsePositives: r.FalsePositives, References: r.References, RuleFile: r.File}
		if f.Author == "" {
			f.Author = "unknown (the rule names no author)"
		}
		var in string
		if a.kind == "more" {
			in = fmt.Sprintf("%d more events of other activities matched (after the first %d activities, which are findings of their own)", a.events, e.MaxFindingsPerRule)
		} else {
			in = fmt.Sprintf("%s: %d matching event", a.desc, a.events)
			if a.events != 1 {
				in += "s"
			}
			in += " in " + strings.Join(a.entries, ", ")
		}
		if a.events > len(a.evidence) {
			in += fmt.Sprintf(" (the first %d listed)", len(a.evidence))
		}
		f.Instances = []string{in}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		si, sj := rank[out[i].Severity], rank[out[j].Severity]
		if si != sj {
			return si > sj
		}
		if out[i].RuleID != out[j].RuleID {
			return out[i].RuleID < out[j].RuleID
		}
		return firstTime(out[i]) < firstTime(out[j])
	})
	return out
}

var rank = map[string]int{"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}

func firstTime(f findings.Finding) string {
	if len(f.Evidence) == 0 {
		return ""
	}
	return f.Evidence[0].Time
}

// record is one event as the rules read it: field values computed once,
// when a rule first asks, and lower-cased once.
type record struct {
	ev    *timeline.Event
	src   source
	eng   *Engine
	vals  [][]string
	lows  [][]string
	state []uint8 // 0 not read, 1 values read, 2 lower-cased too

	kwDone bool
	kwMsg  []byte // lower-cased message
	kwOrig []byte // lower-cased event.original
	kwHits []uint64
}

func (r *record) reset(ev *timeline.Event, src source) {
	r.ev, r.src, r.kwDone = ev, src, false
	clear(r.state)
}

func (r *record) values(id int) []string {
	if r.state[id] == 0 {
		r.vals[id] = r.eng.set.fields[id].get(r)
		r.state[id] = 1
	}
	return r.vals[id]
}

func (r *record) lowers(id int) []string {
	vals := r.values(id)
	if r.state[id] < 2 {
		low := r.lows[id][:0]
		for _, v := range vals {
			low = append(low, lower(v))
		}
		r.lows[id] = low
		r.state[id] = 2
	}
	return r.lows[id]
}

// known is the process last seen started or executed under pid on the
// event's host, no later than the event (a second of clock slack).
func (r *record) known(pid int64) *procInfo {
	if pid == 0 {
		return nil
	}
	q, ok := r.eng.known[procKey{hostOf(r.ev), pid}]
	if !ok || q.at.After(r.ev.Timestamp.Add(time.Second)) {
		return nil
	}
	return &q
}

// holder is the process of the snapshot holding a socket (same PID and start).
func (r *record) holder() *procInfo {
	p := r.ev.Process
	if p == nil || p.EntityID == "" {
		return nil
	}
	q, ok := r.eng.entities[procEntity{hostOf(r.ev), p.EntityID}]
	if !ok {
		return nil
	}
	return &q
}

// dnsNames are the names DNS answers seen before the event gave its
// destination address.
func (r *record) dnsNames() []string {
	d := r.ev.Destination
	if d == nil || d.IP == "" {
		return nil
	}
	return r.eng.names[nameKey{hostOf(r.ev), d.IP}]
}

// parent is the known process of an audited execve's parent PID.
func (r *record) parent() *procInfo {
	p := r.ev.Process
	if p == nil || p.Parent == nil || r.ev.Event.Dataset != "auditd" {
		return nil
	}
	return r.known(p.Parent.PID)
}

// keywords judges a keyword list against the message and the original.
func (r *record) keywords(t *fieldTest) bool {
	if !r.kwDone {
		r.kwDone = true
		r.kwMsg, r.kwOrig = appendLower(r.kwMsg[:0], r.ev.Message), appendLower(r.kwOrig[:0], r.ev.Event.Original)
		clear(r.kwHits)
		r.eng.set.ac.scan(r.kwMsg, r.kwHits)
		r.eng.set.ac.scan(r.kwOrig, r.kwHits)
	}
	for i := range t.vals {
		ok := r.keyword(&t.vals[i])
		if t.all && !ok {
			return false
		}
		if !t.all && ok {
			return true
		}
	}
	return t.all
}

func (r *record) keyword(m *valueMatcher) bool {
	if len(m.alts) > 0 {
		for i := range m.alts {
			if r.keyword(&m.alts[i]) {
				return true
			}
		}
		return false
	}
	if m.anchor >= 0 && r.kwHits[m.anchor>>6]&(1<<(m.anchor&63)) == 0 {
		return false
	}
	if m.kind == kindContains && !m.cased {
		return true // the anchor was the whole value
	}
	return m.matchText(r.ev.Message, r.kwMsg) || m.matchText(r.ev.Event.Original, r.kwOrig)
}

// appendLower appends s lower-cased to dst (ASCII here, the rest as
// strings.ToLower does it).
func appendLower(dst []byte, s string) []byte {
	start := len(dst)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return append(dst[:start], strings.ToLower(s)...)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
