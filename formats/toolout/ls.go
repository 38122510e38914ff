package toolout

import (
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// LsEntry is one file line of "ls -l" output (GNU, default time style).
type LsEntry struct {
	Line, Offset int64
	// Dir is the directory heading the line belongs to ("/proc/58/fd" from
	// a "/proc/58/fd:" line), "" when ls listed files given by path.
	Dir   string
	Mode  string // "lrwx------"
	Owner string
	Group string
	// Name is the name as listed: a path when ls was given paths
	// ("/proc/58/exe"), else a name in Dir ("3").
	Name string
	// Target is a symbolic link's target (after " -> "), exactly as listed:
	// "/tmp/mysql (deleted)", "socket:[161995]", "pipe:[161465]".
	Target string
}

// Path is the entry's full path: Name, or Dir/Name for a listed directory.
func (e LsEntry) Path() string {
	if e.Dir == "" || strings.HasPrefix(e.Name, "/") {
		return e.Name
	}
	return strings.TrimSuffix(e.Dir, "/") + "/" + e.Name
}

// IsLink reports whether the line is a symbolic link.
func (e LsEntry) IsLink() bool { return strings.HasPrefix(e.Mode, "l") }

var months = map[string]bool{"Jan": true, "Feb": true, "Mar": true, "Apr": true, "May": true, "Jun": true,
	"Jul": true, "Aug": true, "Sep": true, "Oct": true, "Nov": true, "Dec": true}

// ParseLs reads "ls -l", "ls -la" and "ls -lh" output: files given by path
// (ls -l /proc/[0-9]*/exe) and directories listed under a "DIR:" heading
// with a "total N" line (ls -la /proc/58/fd). The date is the default
// "Mon DD HH:MM" or "Mon DD  YYYY" form; the name is everything after it,
// spaces included; a link's target follows the first " -> ".
func ParseLs(r io.Reader) ([]LsEntry, []Warning, error) {
	var out []LsEntry
	var ws warnings
	dir := ""
	err := eachLine(r, &ws, func(b []byte, n, off int64) bool {
		line := textio.Safe(b)
		switch {
		case strings.TrimSpace(line) == "":
			return true
		case strings.HasPrefix(line, "total "):
			return true
		case strings.HasSuffix(line, ":") && !strings.Contains(line, " -> ") && !looksLikeMode(line):
			dir = strings.TrimSuffix(line, ":")
			return true
		}
		if len(out) >= MaxRows {
			ws.add(n, off, "more than %d files: the rest is not read", MaxRows)
			return false
		}
		e, ok := lsLine(line)
		if !ok {
			ws.add(n, off, "not an ls -l line: %s", quote(b))
			return true
		}
		e.Line, e.Offset, e.Dir = n, off, dir
		out = append(out, e)
		return true
	})
	return out, ws.done(), err
}

func looksLikeMode(s string) bool {
	if len(s) < 10 {
		return false
	}
	if !strings.ContainsRune("-dlcbps", rune(s[0])) {
		return false
	}
	for _, c := range s[1:10] {
		if !strings.ContainsRune("rwxsStT-", c) {
			return false
		}
	}
	return true
}

func lsLine(line string) (LsEntry, bool) {
	fs := splitFields(line)
	if len(fs) < 8 || !looksLikeMode(fs[0].s) {
		return LsEntry{}, false
	}
	e := LsEntry{Mode: fs[0].s}
	// mode links owner group size|major, minor  Mon DD time|year  name
	mi := -1
	for i := 4; i+2 < len(fs) && i <= 6; i++ {
		if months[fs[i].s] && isDay(fs[i+1].s) && isTimeOrYear(fs[i+2].s) {
			mi = i
			break
		}
	}
	if mi < 0 {
		return LsEntry{}, false
	}
	e.Owner, e.Group = fs[2].s, fs[3].s
	nameStart := fs[mi+2].end + 1
	if nameStart >= len(line) {
		return LsEntry{}, false
	}
	name := line[nameStart:]
	if e.IsLink() {
		if a, b, ok := strings.Cut(name, " -> "); ok {
			name, e.Target = a, b
		}
	}
	e.Name = name
	return e, e.Name != ""
}

func isDay(s string) bool {
	n, ok := atoiOK(s)
	return ok && n >= 1 && n <= 31 && len(s) <= 2
}

func isTimeOrYear(s string) bool {
	if len(s) == 5 && s[2] == ':' {
		_, ok1 := atoiOK(s[:2])
		_, ok2 := atoiOK(s[3:])
		return ok1 && ok2
	}
	_, ok := atoiOK(s)
	return ok && len(s) == 4
}
