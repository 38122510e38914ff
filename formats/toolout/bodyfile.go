package toolout

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bodyfile"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
)

// BodyLine is one line of a TSK 3.x bodyfile read into a file timeline
// record (UAC's bodyfile/bodyfile.txt).
type BodyLine struct {
	Line, Offset int64
	Record       filetimeline.Record
	MD5          string // "" when the line has none ("0")
}

// ReadBodyfile reads a bodyfile (MD5|name|inode|mode|UID|GID|size|atime|
// mtime|ctime|crtime, times in Unix seconds, 0 unknown) line by line,
// calling fn for each; a symbolic link's name is "path -> target". A line
// it cannot read is a warning.
func ReadBodyfile(r io.Reader, fn func(BodyLine), warn func(Warning)) error {
	var ws warnings
	flush := func() {
		for _, w := range ws.list {
			warn(w)
		}
		ws.list = ws.list[:0]
	}
	err := eachLine(r, &ws, func(b []byte, n, off int64) bool {
		if len(b) == 0 {
			return true
		}
		l, err := bodyfile.Parse(string(b))
		if err != nil {
			ws.add(n, off, "%v: %s", err, quote(b))
			flush()
			return true
		}
		typ, mode, ok := ParseModeString(l.Mode)
		if !ok {
			ws.add(n, off, "mode is not an ls mode string: %s", quote(b))
			flush()
			return true
		}
		rec := filetimeline.Record{Path: l.Name, Type: typ, Mode: mode, UID: l.UID, GID: l.GID, Size: l.Size,
			Atime: unixTime(l.Atime), Mtime: unixTime(l.Mtime), Ctime: unixTime(l.Ctime), Btime: unixTime(l.Crtime)}
		if typ == "symlink" {
			if p, target, ok := strings.Cut(l.Name, " -> "); ok {
				rec.Path, rec.Link = p, target
			}
		}
		if ino, err := strconv.ParseUint(l.Inode, 10, 64); err == nil {
			rec.Inode = ino
		}
		md5 := l.MD5
		if md5 == "0" {
			md5 = ""
		}
		fn(BodyLine{Line: n, Offset: off, Record: rec, MD5: md5})
		return true
	})
	flush()
	return err
}

// unixTime reads a bodyfile time: 0 (or less) is unknown.
func unixTime(s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
