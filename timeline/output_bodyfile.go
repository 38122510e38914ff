package timeline

// The bodyfile is The Sleuth Kit's 3.x "body" format, which mactime reads
// (mactime -b FILE): one line per file,
//
//	MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime
//
// times in Unix seconds, 0 when unknown. Only file events are written, and
// each file once, although the timeline holds one event per file time.
// Names are escaped by formats/bodyfile (mactime decodes %XX: control
// bytes are written as visible \xNN instead).
// Format: https://wiki.sleuthkit.org/index.php?title=Body_file

import (
	"bufio"
	"crypto/sha256"
	"io"
	"strconv"
	"time"

	"github.com/cordon-forensics/cordon/formats/bodyfile"
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
	name := f.Path
	if f.Target != "" {
		name += " -> " + f.Target
	}
	mode, err := strconv.ParseUint(f.Mode, 8, 32)
	if err != nil {
		mode = 0
	}
	l := bodyfile.Line{Name: name, Inode: strconv.FormatUint(f.Inode, 10), Mode: bodyfile.ModeString(f.Type, uint32(mode)),
		UID: bodyID(f.UID), GID: bodyID(f.GID), Size: f.Size,
		Atime: bodyTime(f.Atime), Mtime: bodyTime(f.Mtime), Ctime: bodyTime(f.Ctime), Crtime: bodyTime(f.Btime)}
	if f.Hash != nil && f.Hash.MD5 != "" {
		l.MD5 = f.Hash.MD5
	}
	line := l.String()
	key := sha256.Sum256([]byte(hostName(ev) + "\x00" + line))
	var k [16]byte
	copy(k[:], key[:16])
	if _, dup := b.seen[k]; dup {
		return nil
	}
	b.seen[k] = struct{}{}
	b.w.WriteString(line)
	_, err = b.w.WriteString("\n")
	return err
}

// Close flushes.
func (b *BodyfileWriter) Close() error { return b.w.Flush() }

func bodyTime(t time.Time) int64 {
	if t.IsZero() || t.Unix() < 0 {
		return 0
	}
	return t.Unix()
}

// bodyID is a numeric uid or gid, 0 when unknown or not a number.
func bodyID(s string) uint32 {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}
