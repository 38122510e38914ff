package pglog

// The stderr format is one message per line: log_line_prefix, then the
// severity and two spaces ("LOG:  ", "ERROR:  ", …), then the message. A
// message of several lines continues on lines that begin with a tab; the
// DETAIL, HINT, STATEMENT, CONTEXT, QUERY and LOCATION of a message follow
// on lines of their own, with the same prefix.
//
// With Options.LinePrefix (the cluster's log_line_prefix, from its
// postgresql.conf), the prefix is compiled into a pattern and read exactly.
// Without it, the prefix is whatever precedes the severity, and its parts
// are recognised in the common forms: a leading timestamp (%m, %t or %n),
// the first "[digits]" as the PID (%p in "%m [%p] "), "user@database"
// (Debian's "%q%u@%d "), key=value pairs (user=, db=, app=, client= /
// host=, as in pgBadger's "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h "),
// and "host(port)" (%r). A given prefix and the severity must lie in a
// line's first 8 KiB (maxPrefix). With log_error_verbosity = verbose the
// message begins with its SQLSTATE ("ERROR:  42P01: …"), which is taken
// off, and a LOCATION line follows.
//
// A line with no severity is kept as an event of its own
// ("unprefixed-line"): programs the server runs (COPY … PROGRAM,
// archive_command) write their stderr into this log, and that output is
// evidence.

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

var (
	reAutoTime     = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?: (?:[A-Za-z][A-Za-z0-9_/+-]{0,31}|[+-]\d{2}(?::?\d{2})?))?|\d{9,11}\.\d{1,6})`)
	reAutoAt       = regexp.MustCompile(`(?:^|\s)([^\s@\[\]]*|\[unknown\])@([^\s@]*)(?:\s|$)`)
	reAutoKV       = regexp.MustCompile(`\b(user|db|database|app|application|client|host|remote)=([^,\s]*)`)
	reRemote       = regexp.MustCompile(`^(.*)\((\d{1,5})\)$`)
	reAutoRem      = regexp.MustCompile(`(?:^|\s)([0-9A-Fa-f.:]+|\[local\]|[A-Za-z0-9.-]+)\((\d{1,5})\)(?:\s|$)`)
	reVerboseState = regexp.MustCompile(`^([0-9A-Z]{5}): `)
	reCSVStart     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?( [A-Za-z+\-0-9:]+)?,`)
)

// Bounds of a given log_line_prefix: the cost of matching a line grows
// with the pattern's size times the part of the line it reads.
const (
	maxEscapes = 64
	maxPrefix  = 8 << 10 // bytes of a line the prefix and severity must lie in
)

// prefix is a compiled log_line_prefix: nil means recognise the common forms.
type prefix struct {
	re     *regexp.Regexp
	groups map[string]int
}

// escapes maps log_line_prefix escapes to the pattern of what they print.
var escapes = map[byte]struct{ group, pattern string }{
	'a': {"app", `.*?`},
	'u': {"user", `.*?`},
	'd': {"db", `.*?`},
	'r': {"remote", `.*?`},
	'h': {"host", `.*?`},
	'L': {"", `.*?`}, // the server's local address (PostgreSQL 16+)
	'b': {"backend", `.*?`},
	'p': {"pid", `\d+`},
	'P': {"", `\d*`},
	't': {"time", `\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?: \S+)?`},
	'm': {"time", `\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+(?: \S+)?`},
	'n': {"time", `\d+\.\d+`},
	'i': {"", `.*?`},
	'e': {"sqlstate", `[0-9A-Z]{5}`},
	'c': {"session", `[0-9a-f]+\.[0-9a-f]+`},
	'l': {"line_num", `\d+`},
	's': {"", `.*?`},
	'v': {"", `\S*`},
	'x': {"", `\d+`},
	'Q': {"", `-?\d+`},
}

// compilePrefix compiles a log_line_prefix; "" gives nil (recognise).
// What follows %q is printed only by session processes: it is optional.
func compilePrefix(lp string) (*prefix, error) {
	if lp == "" {
		return nil, nil
	}
	if len(lp) > 1024 {
		return nil, errors.New("pglog: log_line_prefix over 1024 bytes")
	}
	var b strings.Builder
	b.WriteString("^")
	optional := false
	used := map[string]bool{}
	escapesSeen := 0
	for i := 0; i < len(lp); i++ {
		c := lp[i]
		if c != '%' || i+1 == len(lp) {
			b.WriteString(regexp.QuoteMeta(string(c)))
			continue
		}
		i++
		// a padding width (%-10u, %10p) is allowed by PostgreSQL
		for i < len(lp) && (lp[i] == '-' || lp[i] >= '0' && lp[i] <= '9') {
			i++
		}
		if i == len(lp) {
			break
		}
		if escapesSeen++; escapesSeen > maxEscapes {
			return nil, fmt.Errorf("pglog: log_line_prefix with more than %d escapes", maxEscapes)
		}
		switch e := lp[i]; {
		case e == '%':
			b.WriteString("%")
		case e == 'q':
			b.WriteString("(?:")
			optional = true
		default:
			esc, ok := escapes[e]
			if !ok {
				return nil, fmt.Errorf("pglog: log_line_prefix escape %%%c unknown", e)
			}
			if esc.group != "" && !used[esc.group] {
				used[esc.group] = true
				fmt.Fprintf(&b, `\s*(?P<%s>%s)\s*`, esc.group, esc.pattern)
			} else {
				fmt.Fprintf(&b, `\s*(?:%s)\s*`, esc.pattern)
			}
		}
	}
	if optional {
		b.WriteString(")?")
	}
	b.WriteString(`(?P<severity>LOG|ERROR|WARNING|FATAL|PANIC|NOTICE|INFO|DEBUG[1-5]?|DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION):  `)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("pglog: log_line_prefix %q: %w", lp, err)
	}
	p := &prefix{re: re, groups: map[string]int{}}
	for i, n := range re.SubexpNames() {
		if n != "" {
			p.groups[n] = i
		}
	}
	return p, nil
}

// fields are the parts of a prefix, as text.
type fields map[string]string

// split reads one line: its prefix fields, severity and message; ok is
// false for a line with no severity.
func split(line string, pre *prefix) (f fields, sev, msg string, ok bool) {
	if pre != nil {
		// the prefix is matched in the line's head only: the cost of a
		// line is then bounded whatever its length (a prefix of names of
		// at most 63 bytes, addresses and times is far shorter)
		head := line
		if len(head) > maxPrefix {
			head = head[:maxPrefix]
		}
		m := pre.re.FindStringSubmatchIndex(head)
		if m == nil {
			// Not in the given form (a rotated log from before the prefix
			// changed, or a program's output): recognise, as without one.
			return split(line, nil)
		}
		f = fields{}
		for n, i := range pre.groups {
			if m[2*i] >= 0 {
				f[n] = head[m[2*i]:m[2*i+1]]
			}
		}
		return f, f["severity"], line[m[1]:], true
	}
	start, end, ok := findSeverity(line)
	if !ok {
		return nil, "", "", false
	}
	return autoFields(line[:start]), line[start:end], line[end+3:], true
}

// severities are the words before ":  " that end a prefix.
var severities = map[string]bool{"LOG": true, "ERROR": true, "WARNING": true, "FATAL": true, "PANIC": true, "NOTICE": true,
	"INFO": true, "DEBUG": true, "DEBUG1": true, "DEBUG2": true, "DEBUG3": true, "DEBUG4": true, "DEBUG5": true,
	"DETAIL": true, "HINT": true, "STATEMENT": true, "CONTEXT": true, "QUERY": true, "LOCATION": true}

// findSeverity finds the first severity word followed by ":  ", at the
// start of the line or after white space (what reSeverity in the tests
// matches, without a regular expression: this runs on every line). The word is line[start:end].
func findSeverity(line string) (start, end int, ok bool) {
	from := 0
	for from < len(line) {
		i := strings.Index(line[from:], ":  ")
		if i < 0 {
			return 0, 0, false
		}
		end = from + i
		start = end
		for start > 0 && end-start < 9 && (line[start-1] >= 'A' && line[start-1] <= 'Z' || line[start-1] >= '0' && line[start-1] <= '9') {
			start--
		}
		if start < end && (start == 0 || isSpace(line[start-1])) && severities[line[start:end]] {
			return start, end, true
		}
		from = end + 1
	}
	return 0, 0, false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// autoFields recognises the parts of a prefix it was not told.
func autoFields(head string) fields {
	f := fields{}
	rest := head
	if m := reAutoTime.FindString(head); m != "" {
		f["time"] = m
		rest = head[len(m):]
	}
	// the regular expressions are most of the cost of a line: each runs
	// only when the byte it needs is there
	if pid, num := bracketedNumber(rest); pid != "" {
		f["pid"] = pid
		if num != "" {
			f["line_num"] = num
		}
	} else if fs := strings.Fields(rest); len(fs) > 0 {
		if _, err := strconv.Atoi(strings.Trim(fs[0], ":")); err == nil {
			f["pid"] = strings.Trim(fs[0], ":")
		}
	}
	if strings.Contains(rest, "=") {
		for _, m := range reAutoKV.FindAllStringSubmatch(rest, 8) {
			switch m[1] {
			case "user":
				f["user"] = m[2]
			case "db", "database":
				f["db"] = m[2]
			case "app", "application":
				f["app"] = m[2]
			case "client", "host", "remote":
				f["remote"] = m[2]
			}
		}
	}
	if f["remote"] == "" && strings.Contains(rest, "(") {
		if m := reAutoRem.FindStringSubmatch(rest); m != nil {
			f["remote"] = m[1] + "(" + m[2] + ")"
		}
	}
	if f["user"] == "" && strings.Contains(rest, "@") {
		if m := reAutoAt.FindStringSubmatch(rest); m != nil {
			f["user"], f["db"] = m[1], m[2]
		}
	}
	return f
}

// bracketedNumber returns the digits of the first "[digits]" (1 to 10
// digits) in s, as reAutoPID in the tests would, or of "[digits-digits]",
// the "[%p-%l]" of pgBadger's recommended prefix: the PID and the
// session's line number.
func bracketedNumber(s string) (pid, lineNum string) {
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			return "", ""
		}
		s = s[i+1:]
		n := 0
		for n < len(s) && n <= 10 && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n >= 1 && n <= 10 && n < len(s) && s[n] == ']' {
			return s[:n], ""
		}
		if n >= 1 && n <= 10 && n < len(s) && s[n] == '-' {
			m := 0
			for n+1+m < len(s) && m <= 10 && s[n+1+m] >= '0' && s[n+1+m] <= '9' {
				m++
			}
			if m >= 1 && m <= 10 && n+1+m < len(s) && s[n+1+m] == ']' {
				return s[:n], s[n+1 : n+1+m]
			}
		}
	}
}

// stderr reads the stderr format.
func (p *parser) stderr(r io.Reader, pre *prefix) error {
	lr := textio.NewReader(r, MaxLine)
	l := &Lines{p: p, pre: pre}
	for {
		b, line, off, err := lr.Next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, textio.ErrLineTooLong) {
			p.warnf(line, off, "line over %d bytes: skipped", MaxLine)
			continue
		}
		if err != nil {
			l.Close()
			return err
		}
		text := textio.Safe(b)
		text = strings.TrimSuffix(text, "\r")
		if strings.TrimSpace(text) == "" && !strings.HasPrefix(text, "\t") {
			continue
		}
		if l.Take(text, line, off, p.o.ModTime, "the log file's mtime") || strings.TrimSpace(text) == "" {
			continue
		}
		l.flush()
		// output of a program the server ran, or a line of another form
		e := &entry{severity: "", message: "unprefixed line: " + text, line: line, offset: off, time: p.o.ModTime,
			timeNote: "a line without a PostgreSQL prefix (a program's output, or another format): no time of its own; the log file's mtime"}
		if p.o.ModTime.IsZero() {
			e.timeNote = "a line without a PostgreSQL prefix (a program's output, or another format): no time"
		}
		l.pending = e
	}
	l.Close()
	return nil
}

// Lines reads the stderr format a line at a time, for lines that reach
// Cordon inside another log: the official postgres image logs to its
// standard error, which Docker's json-file driver keeps one JSON record a
// line (formats/dockerlog).
type Lines struct {
	p       *parser
	pre     *prefix
	pending *entry
	// RequireTime takes only prefixed lines whose prefix holds a time (and
	// their DETAIL, HINT, … and continuation lines): inside another
	// program's log, "ERROR:  x" alone is not enough to be PostgreSQL's.
	RequireTime bool
	// the continuation lines and the DETAIL, HINT, … lines of the pending
	// message, gathered without copying (a message of a million short
	// continuation lines must not cost a million copies)
	more parts
}

// NewLines returns a line reader handing each entry's event to event.
func NewLines(o timeline.Origin, opts Options, event func(timeline.Event), warn func(timeline.Warning)) (*Lines, error) {
	p := newParser(o, opts, event, warn)
	pre, err := compilePrefix(opts.LinePrefix)
	if err != nil {
		return nil, err
	}
	return &Lines{p: p, pre: pre}, nil
}

func (l *Lines) flush() {
	if l.pending != nil {
		l.more.into(l.pending)
		l.p.emit(l.pending)
		l.pending = nil
	}
	l.more = parts{}
}

// Close hands over the last entry.
func (l *Lines) Close() { l.flush() }

// Take reads one line (its number and offset are its place in the file
// that holds it; at, said by atNote, is the time of a line whose prefix
// has none). It reports whether the line was PostgreSQL's: a prefixed
// line, or the continuation of the entry before. Another line is left to
// the caller, and ends the entry before.
func (l *Lines) Take(text string, line, off int64, at time.Time, atNote string) bool {
	p := l.p
	if strings.HasPrefix(text, "\t") && l.pending != nil {
		l.more.continued(text[1:], MaxMessage-len(l.pending.message))
		return true
	}
	f, sev, msg, ok := split(text, l.pre)
	if !ok {
		if text != "" && text[0] == ' ' && l.pending != nil {
			// an indented line (tabs expanded to spaces by whatever
			// copied the log): the continuation of the line before
			l.more.continued(strings.TrimLeft(text, " "), MaxMessage-len(l.pending.message))
			return true
		}
		l.flush()
		return false
	}
	pid, _ := strconv.ParseInt(f["pid"], 10, 64)
	switch sev {
	case "DETAIL", "HINT", "STATEMENT", "CONTEXT", "QUERY", "LOCATION":
		if l.pending != nil && (l.pending.pid == pid || pid == 0) {
			l.more.attach(sev, msg)
			return true
		}
	}
	if l.RequireTime && f["time"] == "" {
		l.flush()
		return false
	}
	l.flush()
	e := &entry{severity: sev, message: msg, pid: pid, line: line, offset: off,
		user: f["user"], db: f["db"], app: f["app"], sqlstate: f["sqlstate"], session: f["session"], backend: f["backend"],
		lineNum: f["line_num"]}
	// log_error_verbosity = verbose puts the SQLSTATE before the message
	// ("ERROR:  42P01: relation …", "LOG:  00000: connection received: …")
	if m := reVerboseState.FindStringSubmatch(msg); m != nil {
		e.message = msg[len(m[0]):]
		if e.sqlstate == "" {
			e.sqlstate = m[1]
		}
	}
	if h := f["host"]; h != "" {
		e.host = h
	}
	if rm := f["remote"]; rm != "" {
		if m := reRemote.FindStringSubmatch(rm); m != nil {
			e.host = m[1]
			e.port, _ = strconv.Atoi(m[2])
		} else {
			e.host = rm
		}
	}
	t, note, err := p.time(f["time"], line, off)
	if err != nil {
		e.time, e.timeNote = at, "PostgreSQL log line without a readable timestamp ("+textio.Cut(f["time"], 64)+"): "+atNote
		if at.IsZero() {
			e.timeNote = "PostgreSQL log line without a readable timestamp (" + textio.Cut(f["time"], 64) + "), and no other time known: no time"
		}
		if f["time"] == "" && l.pre == nil {
			p.warnf(line, off, "PostgreSQL log line without a timestamp in its prefix: pass the cluster's log_line_prefix")
		}
	} else {
		e.time, e.timeNote = t, note
	}
	l.pending = e
	return true
}

// growing is a bounded text gathered line by line.
type growing struct {
	sb   strings.Builder
	n    int // lines added
	full bool
}

// add appends a line, cutting at max bytes in all.
func (g *growing) add(line string, max int) {
	if g.full {
		return
	}
	if g.sb.Len()+1+len(line) > max {
		g.full = true
		if room := max - g.sb.Len() - 1; room > 0 {
			line = textio.Cut(line, room)
		} else {
			return
		}
	}
	if g.n > 0 {
		g.sb.WriteByte('\n')
	}
	g.n++
	g.sb.WriteString(line)
}

// parts are what follows a message's first line.
type parts struct {
	message                                    growing // tab continuation lines
	detail, hint, statement, context, location growing
	// last is the part the last line went to: a continuation line
	// continues it (a DETAIL of two lines), nil for the message itself
	last     *growing
	lastMax  int
	attached int // DETAIL, HINT, … lines: log entries of their own in plaso's count
}

// attach adds a DETAIL, HINT, STATEMENT, … line.
func (m *parts) attach(sev, msg string) {
	m.attached++
	switch sev {
	case "DETAIL":
		m.last, m.lastMax = &m.detail, 4096
	case "HINT":
		m.last, m.lastMax = &m.hint, 1024
	case "STATEMENT", "QUERY":
		m.last, m.lastMax = &m.statement, MaxMessage
	case "LOCATION":
		m.last, m.lastMax = &m.location, 1024
	default:
		m.last, m.lastMax = &m.context, 4096
	}
	m.last.add(msg, m.lastMax)
}

// continued adds a continuation line to the part the line before went to.
func (m *parts) continued(line string, messageRoom int) {
	if m.last != nil {
		m.last.add(line, m.lastMax)
		return
	}
	m.message.add(line, messageRoom)
}

// into puts the gathered parts into the entry.
func (m *parts) into(e *entry) {
	if m.message.n > 0 {
		e.message += "\n" + m.message.sb.String()
	}
	if m.message.full {
		e.message += "…"
	}
	set := func(dst *string, g *growing) {
		if g.n > 0 {
			*dst = g.sb.String()
			if g.full {
				*dst += "…"
			}
		}
	}
	set(&e.detail, &m.detail)
	set(&e.hint, &m.hint)
	set(&e.statement, &m.statement)
	set(&e.context, &m.context)
	set(&e.location, &m.location)
	e.attached = m.attached
}
