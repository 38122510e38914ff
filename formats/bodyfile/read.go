package bodyfile

// read.go reads the lines of bodyfiles other tools wrote
// (formats/bodytimeline makes them file timeline events):
// The Sleuth Kit's fls -m, UAC's bodyfile/bodyfile.txt (stat or find
// -printf), and Cordon's own. They share the eleven fields of Line but
// differ in details this reader accepts:
//
//   - names: fls escapes a '|' as "\|", a backslash as "\\" and a control
//     byte as "\xNN" (TSK 4.x tsk_fs_name_print_mac); older fls wrote a
//     '|' raw, so a line of more than eleven fields has its name rebuilt
//     from the fields between the first and the last nine; Cordon's own
//     escapes (Escape) are read too. A symbolic link is "name -> target".
//   - mode_as_string "r/rrw-------" (fls: the type from the name, then the
//     mode), "-rw-------" (ls -l, UAC) or a number.
//   - inode "30-144-2" (fls on NTFS: MFT entry, attribute type and id),
//     kept as text; UID and GID may be empty (fls on FAT).
//   - times in Unix seconds, with a fraction ("1596091265.352146149",
//     find -printf %T@, newer fls), 0 or empty when unknown.
//
// Lines starting with '#' are comments. A line that is none of these is a
// warning with its place.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Entry is one bodyfile line as another tool wrote it. Its strings are
// as the line holds them (any bytes): make them safe before showing them.
type Entry struct {
	MD5    string
	Name   string // unescaped
	Target string // of a symbolic link ("name -> target")
	Inode  string
	Mode   string
	UID    string // "" when the tool wrote none
	GID    string
	Size   int64
	// Times, zero when unknown.
	Atime, Mtime, Ctime, Crtime time.Time
}

// splitFields splits a line at the '|' that are not escaped ("\|").
func splitFields(line string) []string {
	var out []string
	start := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++ // what follows is escaped
		case '|':
			out = append(out, line[start:i])
			start = i + 1
		}
	}
	return append(out, line[start:])
}

// unescapeTSK undoes fls's escapes ("\|", "\\", "\xNN") and Cordon's own
// (Unescape's "%7C", "%25", "\uNNNN"); other text is kept as it is.
func unescapeTSK(s string) string {
	if !strings.ContainsAny(s, `\%`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (s[i+1] == '|' || s[i+1] == '\\') {
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if c == '\\' || c == '%' {
			// Cordon's escapes: \xNN, \uNNNN, %7C, %25
			if j := escapeLen(s[i:]); j > 0 {
				b.WriteString(Unescape(s[i : i+j]))
				i += j - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// escapeLen is the length of one of Cordon's escapes at the start of s, or 0.
func escapeLen(s string) int {
	hex := func(t string) bool {
		for _, c := range t {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	switch {
	case strings.HasPrefix(s, `\x`) && len(s) >= 4 && hex(s[2:4]):
		return 4
	case strings.HasPrefix(s, `\u`) && len(s) >= 6 && hex(s[2:6]):
		return 6
	case strings.HasPrefix(s, "%7C"), strings.HasPrefix(s, "%7c"), strings.HasPrefix(s, "%25"):
		return 3
	}
	return 0
}

// unixTime reads seconds since the epoch, with a fraction or not; 0 and
// "" are unknown.
func unixTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return time.Time{}, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec < 0 || sec > 253402300799 {
		return time.Time{}, fmt.Errorf("time %q", cut(s, 32))
	}
	ns := 0
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		n, err := strconv.Atoi((frac + "000000000")[:9])
		if err != nil || strings.ContainsAny(frac, "+-") {
			return time.Time{}, fmt.Errorf("time %q", cut(s, 32))
		}
		ns = n
	}
	if sec == 0 && ns == 0 {
		return time.Time{}, nil
	}
	return time.Unix(sec, int64(ns)).UTC(), nil
}

// ParseEntry reads one line (without its newline) as the tools above
// write it.
func ParseEntry(line string) (Entry, error) {
	f := splitFields(line)
	if len(f) < 11 {
		return Entry{}, fmt.Errorf("bodyfile: %d fields, want 11", len(f))
	}
	if len(f) > 11 {
		// a '|' written raw in the name: the name is what lies between
		f = append([]string{f[0], strings.Join(f[1:len(f)-9], "|")}, f[len(f)-9:]...)
	}
	e := Entry{MD5: f[0], Inode: f[2], Mode: f[3]}
	name := unescapeTSK(f[1])
	if strings.HasPrefix(e.Mode, "l") || strings.HasPrefix(e.Mode, "l/") {
		if n, target, ok := strings.Cut(name, " -> "); ok {
			name, e.Target = n, target
		}
	}
	e.Name = name
	for i, dst := range []*string{&e.UID, &e.GID} {
		v := strings.TrimSpace(f[4+i])
		if v != "" {
			if _, err := strconv.ParseUint(v, 10, 32); err != nil {
				return Entry{}, fmt.Errorf("bodyfile: UID or GID %q", cut(v, 32))
			}
		}
		*dst = v
	}
	if v := strings.TrimSpace(f[6]); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return Entry{}, fmt.Errorf("bodyfile: size %q", cut(v, 32))
		}
		e.Size = n
	}
	for i, dst := range []*time.Time{&e.Atime, &e.Mtime, &e.Ctime, &e.Crtime} {
		t, err := unixTime(f[7+i])
		if err != nil {
			return Entry{}, fmt.Errorf("bodyfile: %w", err)
		}
		*dst = t
	}
	return e, nil
}

// cut bounds a value quoted in an error.
func cut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
