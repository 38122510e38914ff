package config

import (
	"io"
	"path"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// CronEntry is one line of a crontab (crontab(5)): a job, or an
// environment setting (NAME = value) that applies to the jobs after it.
type CronEntry struct {
	Line     int64
	Offset   int64
	Schedule string // "*/5 * * * *" or "@reboot"
	User     string // the sixth field of a system crontab; the owner of a user crontab
	Command  string
	EnvName  string // set for an environment line (Schedule and Command empty)
	EnvValue string
	Raw      string
}

var cronSpecials = map[string]bool{"@reboot": true, "@yearly": true, "@annually": true, "@monthly": true,
	"@weekly": true, "@daily": true, "@midnight": true, "@hourly": true}

// CrontabKind says which crontab a host path is: a system one (/etc/crontab,
// /etc/cron.d/*: with a user field) or a user's (/var/spool/cron/crontabs/<u>
// on Debian, /var/spool/cron/<u> on Red Hat), whose owner it returns.
func CrontabKind(hostPath string) (system bool, user string, ok bool) {
	dir, base := path.Split(hostPath)
	switch {
	case hostPath == "/etc/crontab", dir == "/etc/cron.d/":
		return true, "", true
	case dir == "/var/spool/cron/crontabs/", dir == "/var/spool/cron/":
		return false, base, true
	}
	return false, "", false
}

// ParseCrontab reads a crontab. system says it has a user field (the
// sixth); user is the owner of a user crontab ("" for a system one).
func ParseCrontab(r io.Reader, system bool, user string) ([]CronEntry, []Warning) {
	var out []CronEntry
	var ws []Warning
	eachLine(r, &ws, func(b []byte, n, off int64) bool {
		raw := textio.Safe(b)
		s := strings.TrimLeft(raw, " \t")
		if s == "" || s[0] == '#' {
			return true
		}
		if len(out) >= MaxRecords {
			tooMany(&ws, n, off, "crontab lines")
			return false
		}
		e := CronEntry{Line: n, Offset: off, Raw: textio.Cut(raw, textio.MaxOriginal)}
		if name, val, ok := cronEnv(s); ok {
			e.EnvName, e.EnvValue = name, val
			out = append(out, e)
			return true
		}
		f := fieldsN(s, 7)
		nSched := 5
		if cronSpecials[strings.ToLower(f[0])] {
			nSched = 1
		} else if strings.HasPrefix(f[0], "@") {
			warnf(&ws, n, off, "crontab: unknown special %s", quote(f[0]))
			return true
		}
		need := nSched + 1
		if system {
			need++
		}
		if len(f) < need {
			warnf(&ws, n, off, "crontab: a job line needs %d fields, this one has %d", need, len(f))
			return true
		}
		e.Schedule = strings.Join(f[:nSched], " ")
		rest := f[nSched:]
		if system {
			e.User, rest = rest[0], rest[1:]
		} else {
			e.User = user
		}
		// the command is the rest of the line as written
		e.Command = strings.TrimSpace(restAfter(s, len(f)-len(rest)))
		out = append(out, e)
		return true
	})
	return out, ws
}

// cronEnv recognises "NAME = value" (the value may be quoted).
func cronEnv(s string) (string, string, bool) {
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '_') {
		i++
	}
	if i == 0 || s[0] >= '0' && s[0] <= '9' {
		return "", "", false
	}
	rest := strings.TrimLeft(s[i:], " \t")
	if !strings.HasPrefix(rest, "=") {
		return "", "", false
	}
	v := strings.TrimSpace(rest[1:])
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	return s[:i], v, true
}

// fieldsN splits on blanks into at most n fields (the last one holds the rest).
func fieldsN(s string, n int) []string {
	var out []string
	for len(out) < n-1 {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return out
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	if s = strings.TrimLeft(s, " \t"); s != "" {
		out = append(out, s)
	}
	return out
}

// restAfter returns s after its first k blank-separated fields.
func restAfter(s string, k int) string {
	for i := 0; i < k; i++ {
		s = strings.TrimLeft(s, " \t")
		j := strings.IndexAny(s, " \t")
		if j < 0 {
			return ""
		}
		s = s[j:]
	}
	return s
}
