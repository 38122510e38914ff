package toolout

import (
	"io"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// StatLine is one line of a file timeline written by GNU stat with
// --printf="%i,%h,%n,%x,%y,%z,%w,%U,%G,%A,%s\n" (Cat-Scale's
// Misc/*-full-timeline.csv): inode, links, name, access, modify, change,
// birth ("-" when unknown), owner and group names, mode string, size.
type StatLine struct {
	Line, Offset int64
	Record       filetimeline.Record
	Owner, Group string // names as stat printed them ("UNKNOWN" for an id without one)
	Links        uint64
}

// statTimeLayout is stat's %x/%y/%z/%w form.
const statTimeLayout = "2006-01-02 15:04:05.999999999 -0700"

// ReadStatTimeline reads such a timeline line by line, calling fn for each
// record; the header line and lines it cannot read are skipped, the latter
// with a warning. Names are not quoted by stat: a name holding commas is
// read as what lies between the third field and the last eight.
func ReadStatTimeline(r io.Reader, fn func(StatLine), warn func(Warning)) error {
	var ws warnings
	n := 0
	flushWarn := func() {
		for _, w := range ws.list {
			warn(w)
		}
		ws.list = ws.list[:0]
	}
	err := eachLine(r, &ws, func(b []byte, line, off int64) bool {
		s := textio.Safe(b)
		if line == 1 && strings.HasPrefix(s, "Inode,") {
			return true
		}
		if strings.TrimSpace(s) == "" {
			return true
		}
		sl, msg := statLine(s)
		if msg != "" {
			ws.add(line, off, "%s: %s", msg, quote(b))
			flushWarn()
			return true
		}
		sl.Line, sl.Offset = line, off
		n++
		fn(sl)
		return true
	})
	flushWarn()
	return err
}

func statLine(s string) (StatLine, string) {
	var sl StatLine
	f := strings.Split(s, ",")
	if len(f) < 11 {
		return sl, "fewer than 11 fields"
	}
	k := len(f)
	tail := f[k-8:]
	name := strings.Join(f[2:k-8], ",")
	ino, ok := atoiOK(f[0])
	if !ok {
		return sl, "inode is not a number"
	}
	links, ok := atoiOK(f[1])
	if !ok {
		return sl, "link count is not a number"
	}
	size, ok := atoiOK(tail[7])
	if !ok {
		return sl, "size is not a number"
	}
	typ, mode, ok := ParseModeString(tail[6])
	if !ok {
		return sl, "mode is not an ls mode string"
	}
	var times [4]time.Time
	for i := 0; i < 4; i++ {
		if tail[i] == "-" || tail[i] == "" {
			continue
		}
		t, err := time.Parse(statTimeLayout, tail[i])
		if err != nil {
			return sl, "a time is not stat's %x form"
		}
		times[i] = t.UTC()
	}
	sl.Record = filetimeline.Record{Path: name, Inode: uint64(ino), Type: typ, Mode: mode, Size: size,
		Atime: times[0], Mtime: times[1], Ctime: times[2], Btime: times[3]}
	sl.Owner, sl.Group, sl.Links = tail[4], tail[5], uint64(links)
	return sl, ""
}

// ParseModeString reads an ls-style mode string ("-rwxr-xr-x",
// "drwxrwxrwt", "lrwxrwxrwx", "-rwsr-xr-x") into Cordon's file type and
// the permission and special bits: the inverse of bodyfile.ModeString.
func ParseModeString(s string) (typ string, mode uint32, ok bool) {
	if len(s) < 10 {
		return "", 0, false
	}
	switch s[0] {
	case '-':
		typ = "file"
	case 'd':
		typ = "dir"
	case 'l':
		typ = "symlink"
	case 'p':
		typ = "fifo"
	case 's':
		typ = "socket"
	case 'c':
		typ = "char"
	case 'b':
		typ = "block"
	default:
		return "", 0, false
	}
	for i := 0; i < 9; i++ {
		c := s[1+i]
		want := "rwx"[i%3]
		switch {
		case c == want:
			mode |= 1 << uint(8-i)
		case c == '-':
		case i%3 == 2 && (c == 's' || c == 't'):
			mode |= 1 << uint(8-i)
			mode |= special(i)
		case i%3 == 2 && (c == 'S' || c == 'T'):
			mode |= special(i)
		default:
			return "", 0, false
		}
	}
	return typ, mode, true
}

func special(i int) uint32 {
	switch i {
	case 2:
		return 0o4000
	case 5:
		return 0o2000
	}
	return 0o1000
}
