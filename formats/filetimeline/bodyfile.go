package filetimeline

import (
	"strconv"
	"time"

	"github.com/cordon-forensics/cordon/formats/bodyfile"
)

// The bodyfile parts of the file timeline follow TSK 3.x (formats/bodyfile):
// names escaped so that neither the line nor mactime's output can be
// broken or turned into terminal escapes.

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// BodyLine renders a record as one bodyfile line (with its newline). The MD5
// field is 0 unless the record holds one. A symbolic link's name is written
// "path -> target", as fls does.
func BodyLine(r Record) string {
	name := r.Path
	if r.Type == "symlink" {
		name += " -> " + r.Link
	}
	l := bodyfile.Line{Name: name, Inode: strconv.FormatUint(r.Inode, 10), Mode: bodyfile.ModeString(r.Type, r.Mode),
		UID: r.UID, GID: r.GID, Size: r.Size,
		Atime: unixOrZero(r.Atime), Mtime: unixOrZero(r.Mtime), Ctime: unixOrZero(r.Ctime), Crtime: unixOrZero(r.Btime)}
	return l.String() + "\n"
}
