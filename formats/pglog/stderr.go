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
// and "host(port)" (%r).
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

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

var (
	reSeverity = regexp.MustCompile(`(?:^|\s)(LOG|ERROR|WARNING|FATAL|PANIC|NOTICE|INFO|DEBUG[1-5]?|DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION):  `)
	reAutoTime = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?: (?:[A-Za-z][A-Za-z0-9_/+-]{0,31}|[+-]\d{2}(?::?\d{2})?))?|\d{9,11}\.\d{1,6})`)
	reAutoPID  = regexp.MustCompile(`\[(\d{1,10})\]`)
	reAutoAt   = regexp.MustCompile(`(?:^|\s)([^\s@\[\]]*|\[unknown\])@([^\s@]*)(?:\s|$)`)
	reAutoKV   = regexp.MustCompile(`\b(user|db|database|app|application|client|host|remote)=([^,\s]*)`)
	reRemote   = regexp.MustCompile(`^(.*)\((\d{1,5})\)$`)
	reAutoRem  = regexp.MustCompile(`(?:^|\s)([0-9A-Fa-f.:]+|\[local\]|[A-Za-z0-9.-]+)\((\d{1,5})\)(?:\s|$)`)
	reCSVStart = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?( [A-Za-z+\-0-9:]+)?,`)
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
	'b': {"backend", `.*?`},
	'p': {"pid", `\d+`},
	'P': {"", `\d*`},
	't': {"time", `\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?: \S+)?`},
	'm': {"time", `\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+(?: \S+)?`},
	'n': {"time", `\d+\.\d+`},
	'i': {"", `.*?`},
	'e': {"sqlstate", `[0-9A-Z]{5}`},
	'c': {"session", `[0-9a-f]+\.[0-9a-f]+`},
	'l': {"", `\d+`},
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
	b.WriteString(`(?P<severity>LOG|ERROR|WARNING|FATAL|PANIC|NOTICE|INFO|DEBUG[1-5]?|DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION):  (?P<message>.*)$`)
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
		m := pre.re.FindStringSubmatch(line)
		if m == nil {
			return nil, "", "", false
		}
		f = fields{}
		for n, i := range pre.groups {
			f[n] = m[i]
		}
		return f, f["severity"], f["message"], true
	}
	loc := reSeverity.FindStringSubmatchIndex(line)
	if loc == nil {
		return nil, "", "", false
	}
	head := line[:loc[2]]
	return autoFields(head), line[loc[2]:loc[3]], line[loc[1]:], true
}

// autoFields recognises the parts of a prefix it was not told.
func autoFields(head string) fields {
	f := fields{}
	rest := head
	if m := reAutoTime.FindString(head); m != "" {
		f["time"] = m
		rest = head[len(m):]
	}
	if m := reAutoPID.FindStringSubmatch(rest); m != nil {
		f["pid"] = m[1]
	} else if fs := strings.Fields(rest); len(fs) > 0 {
		if _, err := strconv.Atoi(strings.Trim(fs[0], ":")); err == nil {
			f["pid"] = strings.Trim(fs[0], ":")
		}
	}
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
	if f["remote"] == "" {
		if m := reAutoRem.FindStringSubmatch(rest); m != nil {
			f["remote"] = m[1] + "(" + m[2] + ")"
		}
	}
	if f["user"] == "" {
		if m := reAutoAt.FindStringSubmatch(rest); m != nil {
			f["user"], f["db"] = m[1], m[2]
		}
	}
	return f
}

// stderr reads the stderr format.
func (p *parser) stderr(r io.Reader, pre *prefix) error {
	lr := textio.NewReader(r, MaxLine)
	var pending *entry
	flush := func() {
		if pending != nil {
			p.emit(pending)
			pending = nil
		}
	}
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
			flush()
			return err
		}
		text := textio.Safe(b)
		text = strings.TrimSuffix(text, "\r")
		if strings.HasPrefix(text, "\t") && pending != nil {
			if len(pending.message) < MaxMessage {
				pending.message = textio.Cut(pending.message+"\n"+text[1:], MaxMessage)
			}
			continue
		}
		f, sev, msg, ok := split(text, pre)
		if !ok {
			if strings.TrimSpace(text) == "" {
				continue
			}
			flush()
			// output of a program the server ran, or a line of another form
			pending = &entry{severity: "", message: text, line: line, offset: off, time: p.o.ModTime,
				timeNote: "a line without a PostgreSQL prefix (a program's output, or another format): no time of its own; the log file's mtime"}
			if p.o.ModTime.IsZero() {
				pending.timeNote = "a line without a PostgreSQL prefix (a program's output, or another format): no time"
			}
			pending.message = "unprefixed line: " + text
			continue
		}
		pid, _ := strconv.ParseInt(f["pid"], 10, 64)
		switch sev {
		case "DETAIL", "HINT", "STATEMENT", "CONTEXT", "QUERY", "LOCATION":
			if pending != nil && (pending.pid == pid || pid == 0) {
				attach(pending, sev, msg)
				continue
			}
		}
		flush()
		e := &entry{severity: sev, message: msg, pid: pid, line: line, offset: off,
			user: f["user"], db: f["db"], app: f["app"], sqlstate: f["sqlstate"], session: f["session"], backend: f["backend"]}
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
		t, note, err := parseTime(f["time"], p.o.Location)
		if err != nil {
			e.time, e.timeNote = p.o.ModTime, "PostgreSQL log line without a readable timestamp ("+textio.Cut(f["time"], 64)+"): the log file's mtime"
			if f["time"] == "" && pre == nil {
				p.warnf(line, off, "PostgreSQL log line without a timestamp in its prefix: pass the cluster's log_line_prefix")
			}
		} else {
			e.time, e.timeNote = t, note
		}
		pending = e
	}
	flush()
	return nil
}

// attach adds a DETAIL, HINT, STATEMENT, … line to its message.
func attach(e *entry, sev, msg string) {
	add := func(dst *string) {
		if *dst == "" {
			*dst = textio.Cut(msg, MaxMessage)
		} else if len(*dst) < MaxMessage {
			*dst = textio.Cut(*dst+"\n"+msg, MaxMessage)
		}
	}
	switch sev {
	case "DETAIL":
		add(&e.detail)
	case "HINT":
		add(&e.hint)
	case "STATEMENT", "QUERY":
		add(&e.statement)
	default:
		add(&e.context)
	}
}
