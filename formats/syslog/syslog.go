// Package syslog reads syslog files as written on disk into timeline
// events: the traditional format ("Nov  2 10:24:55 host prog[pid]: msg",
// RFC 3164 without its PRI), rsyslog's high-precision RFC 3339 timestamps
// ("2026-11-02T10:24:55.123456+01:00 host prog[pid]: msg") and RFC 5424
// ("<34>1 2026-11-02T10:24:55.003Z host app procid msgid [sd] msg"), the
// format decided line by line. The header (time, host, program, PID) is
// split first, tolerant of spacing (header.go); the message is matched
// second, and authentication lines get their meaning (auth.go): SSH logins
// accepted and failed, invalid users, connections and disconnections, PAM
// authentication failures and sessions, sudo, su, account and password
// changes, cron commands, logind sessions.
//
// A line that begins with a blank and is no syslog line continues the line
// before it (a message with a newline in it); "message repeated N times:
// [ msg ]" (rsyslog) has the meaning of msg, N times; "last message
// repeated N times" (sysklogd) has the meaning of the line before it, N
// times. Both say how many in the label syslog.repeated.
//
// A traditional line has no year: the file is read twice, and the years
// are inferred for the whole file before any event is made (years.go):
// from a year the file itself states, else from its mtime, counting back
// from the last line, a year for each step back across New Year. Local
// times are read in the host's time zone (Origin.Location, with its DST
// rules); when it is unknown they are read as UTC, and a warning and each
// event's time derivation say so.
package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// MaxLine bounds one line.
const MaxLine = 64 << 10

// maxMessage bounds a message with its continuation lines.
const maxMessage = 64 << 10

// Options tune Parse.
type Options struct {
	// Dataset overrides the event.dataset ("auth" for auth.log and secure,
	// else "syslog").
	Dataset string
}

var facilities = []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
var severities = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// Parse reads a syslog file. The file is read twice (see the package
// comment): r is read from its current offset to the end and rewound when
// it is an io.ReadSeeker, else spooled (textio.Rewind).
func Parse(r io.Reader, o timeline.Origin, opts Options, event func(timeline.Event), warn func(timeline.Warning)) error {
	rr, err := textio.Rewind(r)
	if err != nil {
		return err
	}
	defer rr.Close()
	p := newParser(o, opts, event, warn)
	if err := p.plan(rr); err != nil {
		return err
	}
	if err := rr.Again(); err != nil {
		return err
	}
	return p.read(rr)
}

// DatasetOf names the dataset of a log file: "auth" for auth.log and
// secure (and their rotations), "syslog" for the rest.
func DatasetOf(entry string) string {
	base := path.Base(entry)
	if strings.HasPrefix(base, "auth.log") || strings.HasPrefix(base, "secure") {
		return "auth"
	}
	return "syslog"
}

type parser struct {
	o       timeline.Origin
	dataset string
	loc     *time.Location
	zoneSet bool // the host's time zone is known
	event   func(timeline.Event)
	warn    func(timeline.Warning)
	years   *yearPlan

	pending *timeline.Event // the last event, open to continuation lines
	cont    int             // continuation lines joined to it
	prev    *prevLine       // the last line read, for "last message repeated"
}

// prevLine is what "last message repeated N times" repeats.
type prevLine struct {
	line               int64
	prog, pam, message string
	pid                int64
}

func newParser(o timeline.Origin, opts Options, event func(timeline.Event), warn func(timeline.Warning)) *parser {
	p := &parser{o: o, dataset: opts.Dataset, loc: o.Location, zoneSet: o.Location != nil, event: event, warn: warn}
	if p.dataset == "" {
		p.dataset = DatasetOf(o.Entry)
	}
	if p.loc == nil {
		p.loc = time.UTC
	}
	return p
}

func (p *parser) warnf(line, off int64, format string, a ...any) {
	p.warn(timeline.Warning{Entry: p.o.Entry, Line: line, Offset: off, Message: fmt.Sprintf(format, a...)})
}

// lines calls fn with each line that is not blank, as text, after the
// reader's own warnings (an overlong line, NUL bytes in place of lines).
func (p *parser) lines(r io.Reader, warnings bool, fn func(text string, n, off int64)) error {
	lr := textio.NewReader(r, MaxLine)
	for {
		b, n, off, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, textio.ErrLineTooLong) {
			if warnings {
				p.warnf(n, off, "line over %d bytes: skipped", MaxLine)
			}
			continue
		}
		if err != nil {
			return err
		}
		if nul := bytes.Count(b, []byte{0}); nul > 0 && len(bytes.Trim(b, "\x00\r")) == 0 {
			if warnings {
				p.warnf(n, off, "%d NUL bytes in place of lines: a crash, or a region of the log overwritten", nul)
			}
			continue
		}
		text := strings.TrimRight(textio.Safe(b), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		fn(text, n, off)
	}
}

// plan is the first pass: the years.
func (p *parser) plan(r io.Reader) error {
	yp := newYearPlan(p.o, p.loc)
	err := p.lines(r, false, func(text string, n, _ int64) {
		if h, ok := parseHeader(text); ok {
			yp.add(&h, n)
		}
	})
	if err != nil {
		return err
	}
	p.years = yp
	yp.resolve()
	return nil
}

// read is the second pass: the events.
func (p *parser) read(r io.Reader) error {
	if p.years.unanchored != "" {
		p.warnf(0, 0, "%s", p.years.unanchored)
	}
	for _, w := range p.years.warnings {
		p.warnf(w.line, 0, "%s", w.text)
	}
	zoneWarned := false
	err := p.lines(r, true, func(text string, n, off int64) {
		h, ok := parseHeader(text)
		if !ok {
			if (text[0] == ' ' || text[0] == '\t') && p.pending != nil {
				p.continuation(text)
				return
			}
			p.flush()
			p.warnf(n, off, "not a syslog line: %s", textio.Cut(text, 200))
			return
		}
		p.flush()
		if !h.hasFull && !h.noTime && !p.zoneSet && !zoneWarned {
			zoneWarned = true
			p.warnf(n, off, "the host's time zone is unknown (no /etc/timezone or /etc/localtime in the evidence): the local times of this file are read as UTC")
		}
		ev := p.build(&h, n, off, text)
		p.pending = &ev
	})
	p.flush()
	return err
}

// continuation joins an indented line to the message before it.
func (p *parser) continuation(text string) {
	ev := p.pending
	if p.cont >= 1000 || len(ev.Message) >= maxMessage {
		return
	}
	p.cont++
	ev.Message = textio.Cut(ev.Message+"\n"+strings.TrimLeft(text, " \t"), maxMessage)
	ev.Event.Original = textio.Cut(ev.Event.Original+"\n"+text, textio.MaxOriginal)
	ev.Labels["syslog.continuation_lines"] = strconv.Itoa(p.cont)
}

func (p *parser) flush() {
	if p.pending != nil {
		p.event(*p.pending)
		p.pending, p.cont = nil, 0
	}
}

// build makes the event of a line.
func (p *parser) build(h *header, n, off int64, raw string) timeline.Event {
	o := p.o
	t, note := p.timeOf(h, n)
	ev := timeline.Event{
		Timestamp: t.UTC(),
		Message:   textio.Cut(h.message, 4096),
		Event:     timeline.EventFields{Kind: "event", Dataset: p.dataset, Action: "log-line", Original: textio.Cut(raw, textio.MaxOriginal)},
		Labels:    map[string]string{},
		Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningLogged, TimeDerivation: note,
			Provenance: o.Provenance(n, off)},
	}
	host := h.host
	if host == "" {
		host = o.Host
	}
	if host != "" {
		ev.Host = &timeline.Host{Name: textio.Cut(host, 256)}
	}
	if o.Host != "" && h.host != "" && !strings.EqualFold(h.host, o.Host) && !strings.HasPrefix(strings.ToLower(h.host), strings.ToLower(o.Host)+".") {
		ev.Labels["syslog.collected_from"] = o.Host // a forwarded line, or a changed hostname
	}
	if h.prog != "" || h.pid != 0 {
		ev.Process = &timeline.Process{Name: textio.Cut(h.prog, 128), PID: h.pid}
	}
	if h.pri >= 0 && h.pri < 192 {
		ev.Labels["log.syslog.facility"] = facilities[h.pri/8]
		ev.Labels["log.syslog.severity"] = severities[h.pri%8]
	}
	if h.severity != "" {
		ev.Labels["log.syslog.severity"] = strings.ToLower(h.severity)
	}
	if h.pamModule != "" {
		ev.Labels["pam.module"] = textio.Cut(h.pamModule, 64)
	}
	if h.msgid != "" {
		ev.Labels["syslog.msgid"] = textio.Cut(h.msgid, 64)
	}
	if h.structured != "" {
		ev.Labels["syslog.structured_data"] = textio.Cut(h.structured, 4096)
	}
	if h.prog != "" {
		ev.Message = textio.Cut(h.prog+": "+h.message, 4096)
	}
	prog, pam, pid, msg := h.prog, h.pamModule, h.pid, h.message
	switch count, inner, kind := repeated(msg); kind {
	case repeatInline:
		// rsyslog's reduction: the message, N times
		ev.Labels["syslog.repeated"] = strconv.Itoa(count)
		msg = inner
	case repeatLast:
		// sysklogd's: the line before, N more times
		ev.Labels["syslog.repeated"] = strconv.Itoa(count)
		if p.prev != nil {
			ev.Labels["syslog.repeats_line"] = strconv.FormatInt(p.prev.line, 10)
			prog, pam, pid, msg = p.prev.prog, p.prev.pam, p.prev.pid, p.prev.message
			if ev.Process == nil && (prog != "" || pid != 0) {
				ev.Process = &timeline.Process{Name: textio.Cut(prog, 128), PID: pid}
			}
		} else {
			msg = ""
		}
	}
	if kindOf(h.message) != repeatLast {
		p.prev = &prevLine{line: n, prog: prog, pam: pam, pid: pid, message: msg}
	}
	if msg != "" {
		interpret(&ev, prog, pam, msg)
	}
	return ev
}

// timeOf gives a line its time and how it was derived.
func (p *parser) timeOf(h *header, n int64) (time.Time, string) {
	if h.hasFull {
		return h.full, h.fullNote
	}
	if h.noTime {
		if t, what := p.years.reference(); !t.IsZero() {
			return t, "RFC 5424 line without a timestamp: " + what
		}
		return time.Time{}, "RFC 5424 line without a timestamp, and no file time known"
	}
	zone := p.zoneNote()
	if h.year != 0 {
		return time.Date(h.year, h.mon, h.day, h.hh, h.mm, h.ss, h.ns, p.loc), "syslog timestamp with its year; " + zone
	}
	y, note := p.years.year(n)
	if h.mon == time.February && h.day == 29 && !isLeap(y) {
		// the plan moved the year of every Feb 29 line it saw: this is a
		// line it did not (beyond its bound): keep the day, say so
		y = previousLeap(y)
		note += fmt.Sprintf("; Feb 29 in a year that has none: %d, the leap year before, assumed", y)
	}
	return time.Date(y, h.mon, h.day, h.hh, h.mm, h.ss, h.ns, p.loc), note + "; " + zone
}

// zoneNote says how a local time was read.
func (p *parser) zoneNote() string {
	if !p.zoneSet {
		return "local time read as UTC: the host's time zone is unknown"
	}
	return "local time in " + p.loc.String() + " (its rules on that date)"
}

type repeatKind int

const (
	repeatNone repeatKind = iota
	repeatInline
	repeatLast
)

func kindOf(msg string) repeatKind { _, _, k := repeated(msg); return k }

// repeated reads rsyslog's "message repeated N times: [ MSG]" and
// sysklogd's "last message repeated N times" (also "--- last message
// repeated N times ---").
func repeated(msg string) (count int, inner string, kind repeatKind) {
	if rest, ok := strings.CutPrefix(msg, "message repeated "); ok {
		n, rest, ok := strings.Cut(rest, " times: [")
		c, err := strconv.Atoi(n)
		if !ok || err != nil || c < 1 {
			return 0, "", repeatNone
		}
		return c, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "]")), repeatInline
	}
	m := strings.Trim(msg, "- ")
	if rest, ok := strings.CutPrefix(m, "last message repeated "); ok {
		n, _, _ := strings.Cut(rest, " ")
		c, err := strconv.Atoi(n)
		if err != nil || c < 1 {
			return 0, "", repeatNone
		}
		return c, "", repeatLast
	}
	return 0, "", repeatNone
}
