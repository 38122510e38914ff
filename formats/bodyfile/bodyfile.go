// Package bodyfile writes and reads The Sleuth Kit's 3.x body format, which
// mactime reads (mactime -b FILE): one line per file,
//
//	MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime
//
// times in Unix seconds, 0 when unknown
// (https://wiki.sleuthkit.org/index.php?title=Body_file).
//
// Names are the attacker's: a '|' or a line break would break the line,
// and mactime decodes every %XX in a name, so a control byte written as
// %1B would reach the analyst's terminal raw. Escape therefore writes
// control bytes, escape sequences, invalid UTF-8 and bidi overrides as
// visible \xNN / \uNNNN (a backslash as \\), which mactime prints as they
// are, and percent-escapes only '%' and '|' (%25, %7C), which mactime shows
// as themselves. Unescape reverses it.
package bodyfile

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line is one bodyfile line.
type Line struct {
	MD5   string // "0" when unknown
	Name  string // the path, unescaped ("path -> target" for a symbolic link)
	Inode string // TSK writes "inode-type-id" for NTFS: kept as text
	Mode  string // mode_as_string, as ModeString writes it
	UID   uint32
	GID   uint32
	Size  int64
	// Times in Unix seconds; 0 when unknown.
	Atime, Mtime, Ctime, Crtime int64
}

// String renders the line, without its newline.
func (l Line) String() string {
	md5 := l.MD5
	if md5 == "" {
		md5 = "0"
	}
	return strings.Join([]string{Escape(md5), Escape(l.Name), Escape(l.Inode), Escape(l.Mode),
		strconv.FormatUint(uint64(l.UID), 10), strconv.FormatUint(uint64(l.GID), 10), strconv.FormatInt(max(l.Size, 0), 10),
		strconv.FormatInt(max(l.Atime, 0), 10), strconv.FormatInt(max(l.Mtime, 0), 10),
		strconv.FormatInt(max(l.Ctime, 0), 10), strconv.FormatInt(max(l.Crtime, 0), 10)}, "|")
}

// Parse reads one line (without its newline). A line with other than 11
// fields, or numbers that are not, is an error.
func Parse(line string) (Line, error) {
	f := strings.Split(line, "|")
	if len(f) != 11 {
		return Line{}, fmt.Errorf("bodyfile: %d fields, want 11", len(f))
	}
	l := Line{MD5: Unescape(f[0]), Name: Unescape(f[1]), Inode: Unescape(f[2]), Mode: Unescape(f[3])}
	for i, dst := range []*uint32{&l.UID, &l.GID} {
		v, err := strconv.ParseUint(f[4+i], 10, 32)
		if err != nil {
			return Line{}, fmt.Errorf("bodyfile: %w", err)
		}
		*dst = uint32(v)
	}
	for i, dst := range []*int64{&l.Size, &l.Atime, &l.Mtime, &l.Ctime, &l.Crtime} {
		v, err := strconv.ParseInt(f[6+i], 10, 64)
		if err != nil {
			return Line{}, fmt.Errorf("bodyfile: %w", err)
		}
		*dst = v
	}
	return l, nil
}

// Escape makes a field safe for a bodyfile line and for mactime's output.
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '%':
			b.WriteString("%25")
		case r == '|':
			b.WriteString("%7C")
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Bidi_Control, r) || r == 0x200b || r == 0xfeff || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Unescape reverses Escape; malformed escapes are kept as they are.
func Unescape(s string) string {
	if !strings.ContainsAny(s, `%\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+3 <= len(s):
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		case c == '\\' && i+1 < len(s) && s[i+1] == '\\':
			b.WriteByte('\\')
			i++
			continue
		case c == '\\' && i+4 <= len(s) && s[i+1] == 'x':
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		case c == '\\' && i+6 <= len(s) && s[i+1] == 'u':
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
				b.WriteRune(rune(v))
				i += 5
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ModeString renders type and permission bits as ls -l does ("-rwxr-xr-x",
// "drwxrwxrwt", "lrwxrwxrwx"): the mode_as_string field. typ is Cordon's
// file type ("file", "dir", "symlink", "fifo", "socket", "char", "block").
func ModeString(typ string, mode uint32) string {
	var b [10]byte
	switch typ {
	case "dir":
		b[0] = 'd'
	case "symlink":
		b[0] = 'l'
	case "fifo":
		b[0] = 'p'
	case "socket":
		b[0] = 's'
	case "char":
		b[0] = 'c'
	case "block":
		b[0] = 'b'
	default:
		b[0] = '-'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		b[i+1] = '-'
		if mode&(1<<uint(8-i)) != 0 {
			b[i+1] = rwx[i]
		}
	}
	special := func(bit uint32, pos int, exec uint32, set, unset byte) {
		if mode&bit != 0 {
			if mode&exec != 0 {
				b[pos] = set
			} else {
				b[pos] = unset
			}
		}
	}
	special(0o4000, 3, 0o100, 's', 'S')
	special(0o2000, 6, 0o010, 's', 'S')
	special(0o1000, 9, 0o001, 't', 'T')
	return string(b[:])
}
