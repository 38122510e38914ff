// Package filetimeline holds the file timeline's record (one JSON object
// per line, written by the collector's "filetimeline" source), a bounded
// pure reader of those lines, and a writer and parser of The Sleuth Kit's
// bodyfile format (TSK 3.x: MD5|name|inode|mode_as_string|UID|GID|size|
// atime|mtime|ctime|crtime, https://wiki.sleuthkit.org/index.php?title=Body_file),
// which mactime reads.
package filetimeline

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Record is one file met by the walk. Times are UTC; a zero time means the
// kernel did not give it (Btime on old kernels and file systems).
type Record struct {
	Path  string    `json:"path"`
	Inode uint64    `json:"inode"`
	Type  string    `json:"type"` // "file", "dir", "symlink", "fifo", "socket", "char", "block"
	Mode  uint32    `json:"mode"` // st_mode & 07777
	UID   uint32    `json:"uid"`
	GID   uint32    `json:"gid"`
	Size  int64     `json:"size"`
	Atime time.Time `json:"atime"`
	Mtime time.Time `json:"mtime"`
	Ctime time.Time `json:"ctime"`
	Btime time.Time `json:"btime,omitzero"`
	// Link is a symbolic link's target as readlink gave it (never followed).
	Link string `json:"link,omitempty"`
	// SHA256 of the content, for executables and ELF files under the
	// temporary directories; HashTruncated when the hash cap cut it.
	SHA256        string `json:"sha256,omitempty"`
	HashTruncated bool   `json:"hash_truncated,omitempty"`
	// Error is what stopped a stat, a listing or a hash of this path.
	Error string `json:"error,omitempty"`
}

// MaxLine bounds one JSONL line (a path is at most 4096 bytes on Linux; a
// line far longer is hostile or damaged).
const MaxLine = 64 << 10

// ErrLineTooLong is the warning for a line over MaxLine.
var ErrLineTooLong = errors.New("filetimeline: line too long")

// Reader reads records from JSONL, one line at a time, bounded.
type Reader struct {
	sc     *bufio.Scanner
	line   int64
	offset int64
	next   int64
	ended  bool // the underlying reader failed: the next call is io.EOF
}

// NewReader reads r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	return &Reader{sc: sc}
}

// Next returns the next record with its 1-based line and byte offset. A
// line that is not a record gives a non-nil error wrapping the cause, and
// the reader goes on with the next line; io.EOF ends the stream. A line
// longer than MaxLine ends the stream with ErrLineTooLong; a read error
// ends it with that error. After either, Next returns io.EOF.
func (r *Reader) Next() (rec Record, line, offset int64, err error) {
	for {
		if r.ended {
			return Record{}, r.line, r.next, io.EOF
		}
		if !r.sc.Scan() {
			if err := r.sc.Err(); err != nil {
				r.ended = true
				if errors.Is(err, bufio.ErrTooLong) {
					return Record{}, r.line + 1, r.next, ErrLineTooLong
				}
				return Record{}, r.line + 1, r.next, err
			}
			return Record{}, r.line, r.next, io.EOF
		}
		r.line++
		r.offset = r.next
		b := r.sc.Bytes()
		r.next += int64(len(b)) + 1
		if len(b) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return Record{}, r.line, r.offset, fmt.Errorf("line %d: %w", r.line, err)
		}
		return rec, r.line, r.offset, nil
	}
}
