package timeline

// The bodyfile is The Sleuth Kit's 3.x "body" format, which mactime reads
// (mactime -b FILE): one line per file,
//
//	MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime
//
// times in Unix seconds, 0 when unknown. Only file events are written, and
// each file once, although the timeline holds one event per file time.
// A '|' or a line break in a name would break the line: see bodyEscape.
// Format: https://wiki.sleuthkit.org/index.php?title=Body_file

import (
	"bufio"
	"crypto/sha256"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/internal/safeterm"
)

// BodyfileWriter writes a TSK bodyfile from file events.
type BodyfileWriter struct {
	w    *bufio.Writer
	seen map[[16]byte]struct{}
	// Skipped counts the events that were not file events.
	Skipped int64
}

// NewBodyfileWriter returns a bodyfile writer to w.
func NewBodyfileWriter(w io.Writer) *BodyfileWriter {
	return &BodyfileWriter{w: bufio.NewWriter(w), seen: map[[16]byte]struct{}{}}
}

// Write writes the file of a file event, once per distinct file state.
func (b *BodyfileWriter) Write(ev *Event) error {
	f := ev.File
	if f == nil || f.Path == "" || (f.Mtime.IsZero() && f.Atime.IsZero() && f.Ctime.IsZero() && f.Btime.IsZero()) {
		b.Skipped++
		return nil
	}
	name := bodyEscape(f.Path)
	if f.Target != "" {
		name += " -> " + bodyEscape(f.Target)
	}
	md5 := "0"
	if f.Hash != nil && f.Hash.MD5 != "" {
		md5 = bodyEscape(f.Hash.MD5)
	}
	line := strings.Join([]string{md5, name, strconv.FormatUint(f.Inode, 10), bodyMode(f), bodyID(f.UID), bodyID(f.GID),
		strconv.FormatInt(max(f.Size, 0), 10), bodyTime(f.Atime), bodyTime(f.Mtime), bodyTime(f.Ctime), bodyTime(f.Btime)}, "|")
	key := sha256.Sum256([]byte(hostName(ev) + "\x00" + line))
	var k [16]byte
	copy(k[:], key[:16])
	if _, dup := b.seen[k]; dup {
		return nil
	}
	b.seen[k] = struct{}{}
	b.w.WriteString(line)
	_, err := b.w.WriteString("\n")
	return err
}

// Close flushes.
func (b *BodyfileWriter) Close() error { return b.w.Flush() }

func bodyTime(t time.Time) string {
	if t.IsZero() || t.Unix() < 0 {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// bodyID is a numeric uid or gid, 0 when unknown or not a number.
func bodyID(s string) string {
	if _, err := strconv.ParseUint(s, 10, 32); err != nil {
		return "0"
	}
	return s
}

// bodyMode renders mode_as_string as ls -l does ("-rwxr-xr-x"), from the
// ECS octal mode and the file type.
func bodyMode(f *File) string {
	mode, err := strconv.ParseUint(f.Mode, 8, 32)
	if err != nil {
		mode = 0
	}
	var b [10]byte
	switch f.Type {
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
	special := func(bit uint64, pos int, exec uint64, set, unset byte) {
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

// bodyEscape makes a name safe for a bodyfile line and for mactime's
// output. mactime decodes every %XX in a name (tm_split in mactime), so a
// control byte written as %1B would reach the analyst's terminal raw:
// control bytes, escape sequences, invalid UTF-8 and bidi overrides are
// therefore written as safeterm's visible \xNN / \uNNNN (and a backslash as
// \\), which mactime prints as they are; only '%' and '|', which would break
// the line or the decoding, are percent-escaped (%25, %7C), and mactime
// shows them as themselves.
func bodyEscape(s string) string {
	return bodyReplacer.Replace(safeterm.Escape(s))
}

var bodyReplacer = strings.NewReplacer("%", "%25", "|", "%7C")
