// Package syslog reads syslog files as written on disk into timeline
// events: the traditional format ("Nov  2 10:24:55 host prog[pid]: msg",
// RFC 3164 without its PRI), rsyslog's high-precision RFC 3339 timestamps
// ("2026-11-02T10:24:55.123456+01:00 host prog[pid]: msg") and RFC 5424
// ("<34>1 2026-11-02T10:24:55.003Z host app procid msgid [sd] msg"), the
// format decided line by line. The lines of authentication logs get their
// meaning (auth.go): SSH logins accepted and failed, invalid users,
// disconnections, PAM sessions, sudo, su, account and password changes,
// cron commands.
//
// A traditional line has no year. It is inferred from the file's mtime
// (Origin.ModTime), which is at or after the file's last line: each line
// takes the mtime's year, or the year before when that would put it more
// than a day after the mtime. This holds across a December to January
// boundary and for each rotated file (auth.log.1, auth.log.2.gz), whose
// mtime is its own; it fails for a file spanning more than a year, or
// whose mtime was changed (an attacker's touch): the derivation of every
// such event says which year was assumed and why.
package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// MaxLine bounds one line.
const MaxLine = 64 << 10

// Options tune Parse.
type Options struct {
	// Dataset overrides the event.dataset ("auth" for auth.log and secure,
	// else "syslog").
	Dataset string
}

var (
	reBSD     = regexp.MustCompile(`^(?:<(\d{1,3})>)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ 0-3]?\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? (?:(\S+) )?(.*)$`)
	reRFC3339 = regexp.MustCompile(`^(?:<(\d{1,3})>)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})) (\S+) (.*)$`)
	reRFC5424 = regexp.MustCompile(`^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) ?(.*)$`)
	reTag     = regexp.MustCompile(`^([^\s:\[\]]{1,128})(?:\[(\d{1,10})\])?: ?(.*)$`)
)

var months = map[string]time.Month{"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}

var facilities = []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
var severities = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// line is one parsed syslog line.
type line struct {
	time       time.Time
	note       string
	pri        int // -1 when absent
	host       string
	prog       string
	pid        int64
	msgid      string
	structured string
	message    string
}

// Parse reads a syslog file.
func Parse(r io.Reader, o timeline.Origin, opts Options, event func(timeline.Event), warn func(timeline.Warning)) error {
	dataset := opts.Dataset
	if dataset == "" {
		dataset = DatasetOf(o.Entry)
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	lr := textio.NewReader(r, MaxLine)
	for {
		b, n, off, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, textio.ErrLineTooLong) {
			warn(timeline.Warning{Entry: o.Entry, Line: n, Offset: off, Message: fmt.Sprintf("line over %d bytes: skipped", MaxLine)})
			continue
		}
		if err != nil {
			return err
		}
		if nul := bytes.Count(b, []byte{0}); nul > 0 && len(bytes.Trim(b, "\x00\r")) == 0 {
			warn(timeline.Warning{Entry: o.Entry, Line: n, Offset: off, Message: fmt.Sprintf("%d NUL bytes in place of lines: a crash, or a region of the log overwritten", nul)})
			continue
		}
		text := strings.TrimRight(textio.Safe(b), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		l, ok := parseLine(text, o.ModTime, loc)
		if !ok {
			warn(timeline.Warning{Entry: o.Entry, Line: n, Offset: off, Message: "not a syslog line: " + textio.Cut(text, 200)})
			continue
		}
		event(build(l, o, dataset, n, off, text))
	}
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

func parseLine(text string, mtime time.Time, loc *time.Location) (line, bool) {
	l := line{pri: -1}
	rest := ""
	switch {
	case strings.HasPrefix(text, "<") && reRFC5424.MatchString(text) && !reBSD.MatchString(text):
		m := reRFC5424.FindStringSubmatch(text)
		l.pri, _ = strconv.Atoi(m[1])
		if m[3] != "-" {
			t, err := parseRFC3339(m[3])
			if err != nil {
				return l, false
			}
			l.time, l.note = t, "RFC 5424 timestamp"
		} else {
			l.time, l.note = mtime, "RFC 5424 line without a timestamp: the file's mtime"
		}
		l.host, l.prog = nilValue(m[4]), nilValue(m[5])
		if pid, err := strconv.ParseInt(m[6], 10, 64); err == nil {
			l.pid = pid
		}
		l.msgid = nilValue(m[7])
		l.structured, l.message = splitStructured(m[8])
		l.message = strings.TrimPrefix(l.message, "\ufeff")
		return l, true
	case reRFC3339.MatchString(text):
		m := reRFC3339.FindStringSubmatch(text)
		if m[1] != "" {
			l.pri, _ = strconv.Atoi(m[1])
		}
		t, err := parseRFC3339(m[2])
		if err != nil {
			return l, false
		}
		l.time, l.note = t, "RFC 3339 timestamp (rsyslog high precision)"
		l.host, rest = m[3], m[4]
	case reBSD.MatchString(text):
		m := reBSD.FindStringSubmatch(text)
		if m[1] != "" {
			l.pri, _ = strconv.Atoi(m[1])
		}
		day, _ := strconv.Atoi(strings.TrimSpace(m[3]))
		hh, _ := strconv.Atoi(m[4])
		mm, _ := strconv.Atoi(m[5])
		ss, _ := strconv.Atoi(m[6])
		ns := 0
		if m[7] != "" {
			frac := (m[7] + "000000000")[:9]
			ns, _ = strconv.Atoi(frac)
		}
		if day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 {
			return l, false
		}
		l.time, l.note = inferYear(months[m[2]], day, hh, mm, ss, ns, mtime, loc)
		l.host, rest = m[8], m[9]
		// "host" is absent in some forwarded lines: "Nov  2 10:24:55 sshd[1]: msg".
		if strings.HasSuffix(l.host, ":") {
			rest, l.host = l.host+" "+rest, ""
		}
	default:
		return l, false
	}
	if m := reTag.FindStringSubmatch(rest); m != nil {
		l.prog, l.message = m[1], m[3]
		if m[2] != "" {
			l.pid, _ = strconv.ParseInt(m[2], 10, 64)
		}
	} else {
		l.message = rest
	}
	return l, true
}

func nilValue(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// splitStructured separates RFC 5424 STRUCTURED-DATA ("-" or "[…]…") from the message.
func splitStructured(s string) (sd, msg string) {
	if strings.HasPrefix(s, "- ") || s == "-" {
		return "", strings.TrimPrefix(strings.TrimPrefix(s, "-"), " ")
	}
	if !strings.HasPrefix(s, "[") {
		return "", s
	}
	depth, esc := 0, false
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			inQuote = !inQuote
		case c == '[' && !inQuote:
			depth++
		case c == ']' && !inQuote:
			depth--
			if depth == 0 && (i+1 == len(s) || s[i+1] != '[') {
				return s[:i+1], strings.TrimPrefix(s[i+1:], " ")
			}
		}
	}
	return s, ""
}

func parseRFC3339(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	// "+0100" without the colon
	return time.Parse("2006-01-02T15:04:05.999999999Z0700", s)
}

// inferYear gives a traditional line its year from the file's mtime (see
// the package comment), in the host's time zone.
func inferYear(mon time.Month, day, hh, mm, ss, ns int, mtime time.Time, loc *time.Location) (time.Time, string) {
	if mtime.IsZero() {
		y := time.Now().Year()
		return time.Date(y, mon, day, hh, mm, ss, ns, loc), fmt.Sprintf("syslog line without a year, the file's mtime unknown: year %d (the analysis's) assumed; local time in %s", y, loc)
	}
	y := mtime.In(loc).Year()
	t := time.Date(y, mon, day, hh, mm, ss, ns, loc)
	if t.After(mtime.Add(24 * time.Hour)) {
		y--
		t = time.Date(y, mon, day, hh, mm, ss, ns, loc)
	}
	return t, fmt.Sprintf("syslog line without a year: year %d inferred from the file's mtime %s; local time in %s", y, mtime.UTC().Format(time.RFC3339), loc)
}

// build makes the event of a line.
func build(l line, o timeline.Origin, dataset string, n, off int64, raw string) timeline.Event {
	ev := timeline.Event{
		Timestamp: l.time.UTC(),
		Message:   textio.Cut(l.message, 4096),
		Event:     timeline.EventFields{Kind: "event", Dataset: dataset, Action: "log-line", Original: textio.Cut(raw, textio.MaxOriginal)},
		Labels:    map[string]string{},
		Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningLogged, TimeDerivation: l.note,
			Provenance: o.Provenance(n, off)},
	}
	host := l.host
	if host == "" {
		host = o.Host
	}
	if host != "" {
		ev.Host = &timeline.Host{Name: textio.Cut(host, 256)}
	}
	if o.Host != "" && l.host != "" && !strings.EqualFold(l.host, o.Host) && !strings.HasPrefix(strings.ToLower(l.host), strings.ToLower(o.Host)+".") {
		ev.Labels["syslog.collected_from"] = o.Host // a forwarded line, or a changed hostname
	}
	if l.prog != "" || l.pid != 0 {
		ev.Process = &timeline.Process{Name: textio.Cut(l.prog, 128), PID: l.pid}
	}
	if l.pri >= 0 && l.pri < 192 {
		if f := l.pri / 8; f < len(facilities) {
			ev.Labels["log.syslog.facility"] = facilities[f]
		}
		ev.Labels["log.syslog.severity"] = severities[l.pri%8]
	}
	if l.msgid != "" {
		ev.Labels["syslog.msgid"] = textio.Cut(l.msgid, 64)
	}
	if l.structured != "" {
		ev.Labels["syslog.structured_data"] = textio.Cut(l.structured, 4096)
	}
	if l.prog != "" {
		ev.Message = textio.Cut(l.prog+": "+l.message, 4096)
	}
	interpret(&ev, l.prog, l.message)
	return ev
}
