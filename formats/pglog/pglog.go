// Package pglog reads PostgreSQL server logs into timeline events: the
// stderr format with its log_line_prefix (given, or recognised among the
// common forms), csvlog and jsonlog. Each message becomes one event, with
// its meaning when it has one: a connection received (client address and
// port), authorized or authenticated (role, database, method), a
// disconnection, a statement, an error, an authentication failure. The
// client of a backend is carried from its "connection received" line to
// the later lines of the same PID, so that a statement knows who sent it.
// Statements that make the server run programs or reach host files
// (COPY … TO/FROM PROGRAM, C or untrusted-language functions, large-object
// and server-file functions) are marked.
//
// Every byte is the attacker's: lines and fields are bounded, invalid
// UTF-8 kept visible, and a line that cannot be read is a warning with its
// place, never the end of the file.
package pglog

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// Dataset is the event.dataset of PostgreSQL log events.
const Dataset = "postgresql"

// Bounds.
const (
	MaxLine      = 1 << 20  // one physical line
	MaxMessage   = 1 << 20  // a message with its continuation lines
	MaxStatement = 64 << 10 // SQL kept in an event's labels
	maxSessions  = 100_000  // backends whose client is remembered
)

// Format names.
const (
	FormatStderr = "stderr"
	FormatCSV    = "csvlog"
	FormatJSON   = "jsonlog"
)

// Options tune Parse.
type Options struct {
	// LinePrefix is the cluster's log_line_prefix, for the stderr format.
	// Empty: the common forms are recognised (see stderr.go).
	LinePrefix string
	// Format is FormatStderr, FormatCSV or FormatJSON; empty: by the entry's
	// name (.csv, .json), else by the first bytes.
	Format string
	// LogTimezone is the cluster's log_timezone (a tz database name, from
	// its postgresql.conf), which resolves the zone abbreviations of its
	// timestamps. Empty: Origin.Settings[SettingLogTimezone], if any.
	LogTimezone string
}

// SettingLogTimezone names the cluster's log_timezone in Origin.Settings.
const SettingLogTimezone = "postgresql.log_timezone"

// entry is one log message, whatever format it came in.
type entry struct {
	time      time.Time
	timeNote  string // how the time was read, for TimeDerivation
	pid       int64
	user, db  string
	app       string
	host      string // client address as logged (IP, name or [local])
	port      int
	severity  string
	sqlstate  string
	message   string
	detail    string
	hint      string
	statement string // the STATEMENT of an error
	context   string
	location  string // LOCATION (log_error_verbosity = verbose): the server's source file and line
	session   string
	lineNum   string // %l: the line's number in its session
	backend   string
	attached  int // DETAIL, HINT, … lines folded into this entry
	line      int64
	offset    int64
}

// Parse reads a PostgreSQL log.
func Parse(r io.Reader, o timeline.Origin, opts Options, event func(timeline.Event), warn func(timeline.Warning)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	format := opts.Format
	if format == "" {
		format = detect(o, br)
	}
	p := newParser(o, opts, event, warn)
	switch format {
	case FormatCSV:
		return p.csv(br)
	case FormatJSON:
		return p.json(br)
	case FormatStderr:
		pre, err := compilePrefix(opts.LinePrefix)
		if err != nil {
			return err
		}
		return p.stderr(br, pre)
	}
	return fmt.Errorf("pglog: unknown format %q", format)
}

func newParser(o timeline.Origin, opts Options, event func(timeline.Event), warn func(timeline.Warning)) *parser {
	p := &parser{o: o, event: event, warn: warn, sessions: map[int64]*session{}, zones: zones{host: o.Location}}
	tz := opts.LogTimezone
	if tz == "" {
		tz = o.Settings[SettingLogTimezone]
	}
	if tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			p.zones.logTZ = l
		} else {
			p.warnf(0, 0, "the cluster's log_timezone %q is not a zone known here (%v): its abbreviations are resolved by the host's zone and the table", textio.Cut(textio.SafeString(tz), 64), err)
		}
	}
	return p
}

// detect chooses the format from the entry's name, else from the first line.
func detect(o timeline.Origin, br *bufio.Reader) string {
	name := strings.TrimSuffix(path.Base(o.Entry), ".gz")
	switch {
	case strings.HasSuffix(name, ".csv"):
		return FormatCSV
	case strings.HasSuffix(name, ".json"):
		return FormatJSON
	}
	head, _ := br.Peek(512)
	head = bytes.TrimLeft(head, " \t\r\n")
	switch {
	case bytes.HasPrefix(head, []byte(`{"timestamp"`)) || bytes.HasPrefix(head, []byte(`{"`)):
		return FormatJSON
	case reCSVStart.Match(head):
		return FormatCSV
	}
	return FormatStderr
}

// session is what a backend's earlier lines said of its client.
type session struct {
	host     string
	port     int
	user, db string
}

type parser struct {
	o        timeline.Origin
	event    func(timeline.Event)
	warn     func(timeline.Warning)
	sessions map[int64]*session
	zones    zones
	// zonesWarned: zone abbreviations already warned about (bounded).
	zonesWarned map[string]bool
}

func (p *parser) warnf(line, off int64, format string, a ...any) {
	p.warn(timeline.Warning{Entry: p.o.Entry, Line: line, Offset: off, Message: fmt.Sprintf(format, a...)})
}

// emit turns an entry into its event, after filling what the backend's
// earlier lines said of its client.
func (p *parser) emit(e *entry) {
	if e.pid != 0 {
		s := p.sessions[e.pid]
		if strings.HasPrefix(e.message, "connection received: ") {
			s = &session{}
			if len(p.sessions) >= maxSessions {
				clear(p.sessions) // a flood of connections: forget, never grow without bound
			}
			p.sessions[e.pid] = s
			s.host, s.port = connectionReceived(e.message)
		}
		if s != nil {
			// %h prints the client's address without its port: the port
			// comes from the connection received line all the same
			if e.host == "" || e.host == s.host && e.port == 0 {
				e.host, e.port = s.host, s.port
			}
			if e.user == "" {
				e.user = s.user
			}
			if e.db == "" {
				e.db = s.db
			}
			if u, d := authorized(e.message); u != "" {
				s.user, s.db = u, d
				if e.user == "" {
					e.user, e.db = u, d
				}
			}
		}
	}
	ev := p.build(e)
	if strings.HasPrefix(e.message, "disconnection: ") {
		delete(p.sessions, e.pid)
	}
	p.event(ev)
}

// connectionReceived reads "connection received: host=H port=P".
func connectionReceived(msg string) (string, int) {
	kv := keyValues(strings.TrimPrefix(msg, "connection received: "))
	port, _ := strconv.Atoi(kv["port"])
	return kv["host"], port
}

// authorized reads "connection authorized: user=U database=D …".
func authorized(msg string) (user, db string) {
	if !strings.HasPrefix(msg, "connection authorized: ") {
		return "", ""
	}
	kv := keyValues(strings.TrimPrefix(msg, "connection authorized: "))
	return kv["user"], kv["database"]
}

// keyValues reads space-separated key=value pairs (values may be quoted);
// words without "=" ("0:00:01.000", "SSL enabled") are passed over.
func keyValues(s string) map[string]string {
	if len(s) > 4096 { // the pairs PostgreSQL writes are short: bound the scans
		s = s[:4096]
	}
	out := map[string]string{}
	for words := 0; len(s) > 0 && len(out) < 32 && words < 256; words++ {
		s = strings.TrimLeft(s, " ")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			break
		}
		if sp := strings.IndexByte(s[:eq], ' '); sp >= 0 || eq == 0 {
			if sp < 0 {
				sp = eq + 1
			}
			s = s[sp:]
			continue
		}
		k := s[:eq]
		s = s[eq+1:]
		var v string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				v, s = s[1:], ""
			} else {
				v, s = s[1:1+end], s[2+end:]
			}
		} else if sp := strings.IndexByte(s, ' '); sp >= 0 {
			v, s = s[:sp], s[sp:]
		} else {
			v, s = s, ""
		}
		out[k] = v
	}
	return out
}

// severities that mean the statement or session failed.
func failed(sev string) bool { return sev == "ERROR" || sev == "FATAL" || sev == "PANIC" }

// build makes the event of an entry.
func (p *parser) build(e *entry) timeline.Event {
	o := p.o
	ev := timeline.Event{
		Timestamp: e.time.UTC(),
		Event:     timeline.EventFields{Kind: "event", Dataset: Dataset, Action: "log", Category: []string{"database"}, Type: []string{"info"}},
		Labels:    map[string]string{"postgresql.severity": e.severity},
		Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningLogged, TimeDerivation: e.timeNote,
			Provenance: o.Provenance(e.line, e.offset)},
	}
	if o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	if e.pid != 0 {
		ev.Process = &timeline.Process{PID: e.pid, Name: "postgres"}
	}
	if e.user != "" && e.user != "[unknown]" {
		ev.User = &timeline.User{Name: e.user}
	}
	if e.host != "" {
		ep := &timeline.Endpoint{Port: e.port}
		if isIP(e.host) {
			ep.IP = e.host
		} else {
			ep.Address = e.host
		}
		ev.Source = ep
	}
	set := func(k, v string, max int) {
		if v != "" {
			ev.Labels[k] = textio.Cut(v, max)
		}
	}
	if e.db != "[unknown]" {
		set("postgresql.database", e.db, 256)
	}
	set("postgresql.application", e.app, 256)
	set("postgresql.sqlstate", e.sqlstate, 16)
	set("postgresql.session_id", e.session, 64)
	set("postgresql.session_line", e.lineNum, 16)
	if e.attached > 0 {
		// plaso counts each DETAIL, HINT, … line as an entry of its own
		ev.Labels["postgresql.attached_lines"] = strconv.Itoa(e.attached)
	}
	set("postgresql.backend_type", e.backend, 64)
	set("postgresql.detail", e.detail, 4096)
	set("postgresql.hint", e.hint, 1024)
	set("postgresql.context", e.context, 4096)
	set("postgresql.location", e.location, 1024)

	msg := e.message
	if e.host == "" {
		// without log_connections, the message may be all there is
		switch {
		case strings.HasPrefix(msg, "disconnection: "):
			kv := keyValues(strings.TrimPrefix(msg, "disconnection: session time: "))
			e.host = textio.Cut(kv["host"], 256)
			e.port, _ = strconv.Atoi(kv["port"])
			if ev.User == nil && kv["user"] != "" {
				ev.User = &timeline.User{Name: textio.Cut(kv["user"], 256)}
			}
			if e.db == "" {
				set("postgresql.database", kv["database"], 256)
			}
		case failed(e.severity) && strings.Contains(msg, "pg_hba.conf"):
			e.host = textio.Cut(quotedAfter(msg, "host "), 256)
		}
		if e.host != "" {
			ep := &timeline.Endpoint{Port: e.port}
			if isIP(e.host) {
				ep.IP = e.host
			} else {
				ep.Address = e.host
			}
			ev.Source = ep
		}
	}
	who := ""
	if e.user != "" || e.db != "" {
		who = e.user + "@" + e.db
	}
	if ev.Source != nil {
		who += " from " + joinHostPort(e.host, e.port)
	}
	switch {
	case strings.HasPrefix(msg, "connection received: "):
		ev.Event.Action, ev.Event.Category, ev.Event.Type = "connection-received", []string{"network"}, []string{"connection", "start"}
		ev.Cordon.TimeMeaning = timeline.MeaningConnOpened
	case strings.HasPrefix(msg, "connection authorized: "):
		ev.Event.Action, ev.Event.Category, ev.Event.Type, ev.Event.Outcome = "connection-authorized", []string{"authentication"}, []string{"start"}, "success"
		ev.Cordon.TimeMeaning = timeline.MeaningLogin
		kv := keyValues(strings.TrimPrefix(msg, "connection authorized: "))
		set("postgresql.application", kv["application_name"], 256)
	case strings.HasPrefix(msg, "connection authenticated: "):
		ev.Event.Action, ev.Event.Category, ev.Event.Type, ev.Event.Outcome = "connection-authenticated", []string{"authentication"}, []string{"info"}, "success"
		kv := keyValues(strings.TrimPrefix(msg, "connection authenticated: "))
		set("postgresql.auth_method", kv["method"], 64)
		set("postgresql.identity", kv["identity"], 256)
	case strings.HasPrefix(msg, "disconnection: "):
		ev.Event.Action, ev.Event.Category, ev.Event.Type = "disconnection", []string{"session"}, []string{"end"}
		ev.Cordon.TimeMeaning = timeline.MeaningConnClosed
	case failed(e.severity) && isAuthFailure(msg):
		ev.Event.Action, ev.Event.Category, ev.Event.Type, ev.Event.Outcome = "authentication-failed", []string{"authentication"}, []string{"start"}, "failure"
		if u := quotedAfter(msg, "user "); u != "" && ev.User == nil {
			ev.User = &timeline.User{Name: textio.Cut(u, 256)}
		}
		if _, ok := ev.Labels["postgresql.database"]; !ok {
			set("postgresql.database", quotedAfter(msg, "database "), 256)
		}
	case isStatement(msg):
		sql, _ := statementOf(msg)
		ev.Event.Action, ev.Event.Type = "statement", []string{"info"}
		ev.Cordon.TimeMeaning = timeline.MeaningCommand
		set("postgresql.statement", sql, MaxStatement)
		if len(sql) > MaxStatement {
			ev.Labels["postgresql.statement_truncated"] = strconv.Itoa(len(sql))
		}
		if kind, program := Dangerous(sql); kind != "" {
			ev.Labels["postgresql.dangerous"] = kind
			set("postgresql.program", program, 4096)
		}
	case failed(e.severity):
		ev.Event.Action, ev.Event.Outcome = "error", "failure"
		ev.Event.Type = []string{"error"}
		if e.statement != "" {
			set("postgresql.statement", e.statement, MaxStatement)
			if kind, program := Dangerous(e.statement); kind != "" {
				ev.Labels["postgresql.dangerous"] = kind
				set("postgresql.program", program, 4096)
			}
		}
	}
	prefix := "PostgreSQL"
	if e.pid != 0 {
		prefix += fmt.Sprintf(" backend %d", e.pid)
	}
	if who != "" {
		prefix += " (" + who + ")"
	}
	ev.Message = textio.Cut(fmt.Sprintf("%s %s: %s", prefix, e.severity, msg), 4096)
	ev.Event.Original = textio.Cut(msg, textio.MaxOriginal)
	return ev
}

func isAuthFailure(msg string) bool {
	for _, s := range []string{"password authentication failed", "no pg_hba.conf entry", "authentication failed for user",
		"does not exist", "pg_hba.conf rejects connection", "certificate authentication failed"} {
		if strings.Contains(msg, s) {
			return strings.Contains(msg, "authentication") || strings.Contains(msg, "pg_hba") || strings.HasPrefix(msg, "role ")
		}
	}
	return false
}

// quotedAfter returns the double-quoted value after marker ("user " → U of `user "U"`).
func quotedAfter(msg, marker string) string {
	i := strings.Index(msg, marker+`"`)
	if i < 0 {
		return ""
	}
	rest := msg[i+len(marker)+1:]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}

func isStatement(msg string) bool { _, ok := statementOf(msg); return ok }

// statementOf returns the SQL of a statement line: "statement: SQL",
// "execute NAME: SQL", "duration: N ms  statement: SQL", "duration: N ms
// execute NAME: SQL"; ok is false for other messages.
func statementOf(msg string) (string, bool) {
	if strings.HasPrefix(msg, "duration: ") {
		i := strings.Index(msg, "  ")
		if i < 0 {
			return "", false
		}
		msg = msg[i+2:]
	}
	switch {
	case strings.HasPrefix(msg, "statement: "):
		return msg[len("statement: "):], true
	case strings.HasPrefix(msg, "execute "):
		if i := strings.Index(msg, ": "); i > 0 {
			return msg[i+2:], true
		}
	}
	return "", false
}

func isIP(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || c == ':' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return strings.Count(s, ".") == 3 || strings.Contains(s, ":")
}

func joinHostPort(h string, port int) string {
	if port == 0 {
		return h
	}
	if strings.Contains(h, ":") {
		return "[" + h + "]:" + strconv.Itoa(port)
	}
	return h + ":" + strconv.Itoa(port)
}
