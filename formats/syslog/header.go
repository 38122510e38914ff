package syslog

// header.go splits a syslog line into its header (time, host, program,
// PID) and its message, by hand and tolerant of spacing: sshd's
// "sshd[3]:  Accepted" (two spaces), a day padded with a space or not,
// several spaces between fields, a line with no host ("kernel: …"), with
// no program ("host Job `cron.daily' terminated"), or with neither
// ("Feb 29 01:15:43: --- text ---"). The message is matched afterwards
// (auth.go); nothing here depends on what a program writes.
//
// Forms (the first that fits):
//
//	<PRI>VERSION TIMESTAMP HOST APP PROCID MSGID SD MSG     RFC 5424
//	[<PRI>]YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm) HOST TAG MSG  rsyslog RFC 3339 (high precision)
//	[<PRI>]Mmm [D]D [YYYY ]hh:mm:ss[.frac] [HOST ]TAG MSG    RFC 3164 as written on disk
//
// where TAG is "prog[pid]:", "prog:" or "prog(pam_unix)[pid]:" (old
// Red Hat PAM lines), and may be missing.

import (
	"strconv"
	"strings"
	"time"
)

// header is what the line says before its message.
type header struct {
	pri int // -1 when absent

	// The time: a full one (full set) or a traditional one without a year.
	full                time.Time
	hasFull             bool
	mon                 time.Month
	day, hh, mm, ss, ns int
	year                int // a year written in a traditional timestamp ("Mar 11 2017 …"), else 0
	fullNote            string
	noTime              bool // RFC 5424's nil timestamp "-"

	host, prog, pamModule string
	pid                   int64
	msgid, structured     string
	severity              string // a severity word in place of the host (ChromeOS: "… INFO prog[pid]: …")
	message               string
}

var monthByName = map[string]time.Month{"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}

// parseHeader reads a line's header. ok is false when the line is not a
// syslog line in any of the forms.
func parseHeader(s string) (h header, ok bool) {
	h.pri = -1
	rest := s
	if strings.HasPrefix(rest, "<") {
		end := strings.IndexByte(rest, '>')
		if end < 2 || end > 4 {
			return h, false
		}
		p, err := strconv.Atoi(rest[1:end])
		if err != nil || p > 191 {
			return h, false
		}
		h.pri, rest = p, rest[end+1:]
		// RFC 5424: a version number and a space
		if v := digits(rest, 2); v > 0 && len(rest) > v && rest[v] == ' ' {
			return parse5424(h, rest[v+1:])
		}
	}
	switch {
	case len(rest) >= 19 && digits(rest, 4) == 4 && rest[4] == '-':
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			return h, false
		}
		t, err := parseRFC3339(rest[:sp])
		if err != nil {
			return h, false
		}
		h.full, h.hasFull, h.fullNote = t, true, "RFC 3339 timestamp (rsyslog high precision)"
		rest = rest[sp:]
	default:
		var ok bool
		if rest, ok = h.bsdTime(rest); !ok {
			return h, false
		}
		if strings.HasPrefix(rest, ":") {
			// "Feb 29 01:15:43: --- text ---": no host, no program
			h.message = trimMessage(rest[1:])
			return h, true
		}
	}
	if len(rest) == 0 || rest[0] != ' ' {
		return h, false
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return h, true
	}
	// HOST, unless the first word is already the tag ("kernel: …", "sshd[1]: …")
	word := rest
	if sp := strings.IndexByte(rest, ' '); sp >= 0 {
		word = rest[:sp]
	}
	if !isTagWord(word) {
		if isSeverityWord(word) && h.hasFull {
			h.severity = word
		} else {
			h.host = word
		}
		rest = strings.TrimLeft(rest[len(word):], " ")
	}
	h.prog, h.pamModule, h.pid, h.message = splitTag(rest)
	return h, true
}

// bsdTime reads "Mmm [D]D [YYYY ]hh:mm:ss[.frac]" at the start of s and
// returns what follows.
func (h *header) bsdTime(s string) (string, bool) {
	if len(s) < 14 {
		return s, false
	}
	mon, ok := monthByName[s[:3]]
	if !ok {
		return s, false
	}
	rest := strings.TrimLeft(s[3:], " ")
	if len(rest) == len(s)-3 { // no space after the month
		return s, false
	}
	n := digits(rest, 2)
	if n == 0 {
		return s, false
	}
	day, _ := strconv.Atoi(rest[:n])
	rest = rest[n:]
	if len(rest) == 0 || rest[0] != ' ' {
		return s, false
	}
	rest = strings.TrimLeft(rest, " ")
	if n := digits(rest, 4); n == 4 && len(rest) > 4 && rest[4] == ' ' {
		h.year, _ = strconv.Atoi(rest[:4])
		rest = strings.TrimLeft(rest[4:], " ")
	}
	if len(rest) < 8 || rest[2] != ':' || rest[5] != ':' || digits(rest, 2) != 2 || digits(rest[3:], 2) != 2 || digits(rest[6:], 2) != 2 {
		return s, false
	}
	hh, _ := strconv.Atoi(rest[:2])
	mm, _ := strconv.Atoi(rest[3:5])
	ss, _ := strconv.Atoi(rest[6:8])
	rest = rest[8:]
	ns := 0
	if len(rest) > 1 && rest[0] == '.' {
		n := digits(rest[1:], 9)
		if n == 0 {
			return s, false
		}
		ns, _ = strconv.Atoi((rest[1:1+n] + "000000000")[:9])
		rest = rest[1+n:]
	}
	if day < 1 || day > maxDay(mon) || hh > 23 || mm > 59 || ss > 60 {
		return s, false
	}
	h.mon, h.day, h.hh, h.mm, h.ss, h.ns = mon, day, hh, mm, ss, ns
	return rest, true
}

// maxDay is the last day a month can have (February: 29).
func maxDay(m time.Month) int {
	switch m {
	case time.February:
		return 29
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// parse5424 reads what follows "<PRI>VERSION ": TIMESTAMP HOSTNAME
// APP-NAME PROCID MSGID STRUCTURED-DATA [MSG] (RFC 5424 §6), "-" for a
// nil value.
func parse5424(h header, rest string) (header, bool) {
	var f [5]string
	for i := range f {
		rest = strings.TrimLeft(rest, " ")
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			if i < 4 {
				return h, false
			}
			f[i], rest = rest, ""
			break
		}
		f[i], rest = rest[:sp], rest[sp+1:]
	}
	if f[0] == "-" {
		h.noTime = true
	} else {
		t, err := parseRFC3339(f[0])
		if err != nil {
			return h, false
		}
		h.full, h.hasFull, h.fullNote = t, true, "RFC 5424 timestamp"
	}
	h.host, h.prog, h.msgid = nilValue(f[1]), nilValue(f[2]), nilValue(f[4])
	if pid, err := strconv.ParseInt(f[3], 10, 64); err == nil && pid > 0 {
		h.pid = pid
	}
	h.structured, h.message = splitStructured(strings.TrimLeft(rest, " "))
	h.message = trimMessage(strings.TrimPrefix(h.message, "\ufeff"))
	return h, true
}

// isTagWord reports whether the first word after the time is a program
// tag rather than a host name: "kernel:", "sshd[12]:", "sshd(pam_unix)[12]:".
// A host that is an IPv6 address ending in ':' is not a tag.
func isTagWord(w string) bool {
	if !strings.HasSuffix(w, ":") || len(w) < 2 {
		return false
	}
	name := w[:len(w)-1]
	if strings.HasSuffix(name, "]") {
		return strings.IndexByte(name, '[') > 0
	}
	return !strings.Contains(name, ":")
}

func isSeverityWord(w string) bool {
	switch w {
	case "EMERG", "ALERT", "CRIT", "ERR", "ERROR", "WARNING", "WARN", "NOTICE", "INFO", "DEBUG":
		return true
	}
	return false
}

// maxTag bounds a program name: syslog(3) truncates tags far shorter.
const maxTag = 128

// splitTag reads "prog[pid]: msg", "prog: msg", "prog(pam_unix)[pid]: msg"
// or "prog[pid] msg"; anything else has no tag and is all message.
func splitTag(s string) (prog, pam string, pid int64, msg string) {
	end := -1
	for i := 0; i < len(s) && i <= maxTag; i++ {
		c := s[i]
		if c == ':' || c == '[' {
			end = i
			break
		}
		if c == ' ' || c == '\t' {
			return "", "", 0, trimMessage(s)
		}
	}
	if end <= 0 {
		return "", "", 0, trimMessage(s)
	}
	name, rest := s[:end], s[end:]
	if rest[0] == '[' {
		n := digits(rest[1:], 10)
		if n == 0 || len(rest) < n+2 || rest[n+1] != ']' {
			return "", "", 0, trimMessage(s)
		}
		pid, _ = strconv.ParseInt(rest[1:1+n], 10, 64)
		rest = rest[n+2:]
		switch {
		case strings.HasPrefix(rest, ":"):
			rest = rest[1:]
		case strings.HasPrefix(rest, " "):
		case rest == "":
		default:
			return "", "", 0, trimMessage(s)
		}
	} else {
		rest = rest[1:] // the ':'
	}
	// "sshd(pam_unix)": the PAM module of old Linux-PAM's own tag
	if i := strings.IndexByte(name, '('); i > 0 && strings.HasSuffix(name, ")") {
		name, pam = name[:i], name[i+1:len(name)-1]
	}
	return name, pam, pid, trimMessage(rest)
}

// trimMessage drops the blanks around a message (sshd writes two spaces
// after its tag on some systems; "\r" ends lines copied from elsewhere).
func trimMessage(s string) string {
	return strings.Trim(s, " \t\r")
}

// digits counts the ASCII digits at the start of s, at most max.
func digits(s string, max int) int {
	n := 0
	for n < len(s) && n < max && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n < len(s) && n == max && s[n] >= '0' && s[n] <= '9' {
		return 0 // more digits than allowed
	}
	return n
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
