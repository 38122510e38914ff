// Package textio holds what the text-log parsers of formats/ share: a line
// reader that bounds every line and resynchronises after an overlong one
// (hostile logs may hold a gigabyte without a newline), a way to keep bytes
// that are not valid UTF-8 without losing them, and the host path of an
// entry. It owns no format.
package textio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cordon-forensics/cordon/internal/validutf8"
	"github.com/cordon-forensics/cordon/timeline"
)

// MaxLine is the default bound on one line.
const MaxLine = 1 << 20

// ErrLineTooLong is returned (wrapped, with the line's place) for a line
// over the reader's bound. The reader has then skipped to the next newline:
// the following call goes on with the next line.
var ErrLineTooLong = errors.New("line too long")

// Reader reads lines, each at most max bytes, and says where each began.
type Reader struct {
	br   *bufio.Reader
	max  int
	line int64 // lines returned or skipped so far
	off  int64 // offset of the next line
	buf  []byte
}

// NewReader returns a line reader bounded to max bytes a line (MaxLine if max <= 0).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = MaxLine
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Next returns the next line without its "\n" (a trailing "\r" is kept:
// formats decide), its 1-based number and the byte offset where it begins.
// At the end it returns io.EOF. A line over the bound gives an error
// wrapping ErrLineTooLong, after which reading goes on at the next line.
// Other errors (the underlying reader's) are returned as they are.
// The returned slice is valid until the next call.
func (r *Reader) Next() (b []byte, line, offset int64, err error) {
	r.buf = r.buf[:0]
	start := r.off
	tooLong := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.off += int64(len(chunk))
		if !tooLong {
			if len(r.buf)+len(chunk) > r.max+1 { // +1: the newline itself
				tooLong = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			return nil, r.line + 1, start, err
		}
		if r.off == start { // nothing read: the end
			return nil, r.line + 1, start, io.EOF
		}
		r.line++
		if tooLong {
			return nil, r.line, start, fmt.Errorf("%w: %d bytes, more than %d: skipped to the next line", ErrLineTooLong, r.off-start, r.max)
		}
		b = r.buf
		if n := len(b); n > 0 && b[n-1] == '\n' {
			b = b[:n-1]
		}
		return b, r.line, start, nil
	}
}

// Safe returns b as valid UTF-8 without losing anything: each byte that is
// not part of a valid UTF-8 sequence is written as \xNN (internal/validutf8).
func Safe(b []byte) string { return validutf8.Bytes(b) }

// SafeString is Safe for a string.
func SafeString(s string) string { return validutf8.String(s) }

// Cut bounds s to at most n bytes without splitting a UTF-8 sequence,
// marking a cut with "…".
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// MaxOriginal bounds Event.Original.
const MaxOriginal = 4096

// HostPath returns the host path an entry was read from: the origin's
// HostPath when the analyzer gave it, else the entry name of a copied file
// ("fs/<host path>", see bundle.NameFor) with its percent escapes undone.
// It returns "" for an entry that is not a copied file.
func HostPath(o timeline.Origin) string {
	if o.HostPath != "" {
		return o.HostPath
	}
	name, ok := strings.CutPrefix(o.Entry, "fs/")
	if !ok {
		return ""
	}
	return "/" + Unescape(name)
}

// Unescape undoes bundle.EscapeComponent's %XX escapes (a malformed escape
// is kept as it is).
func Unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				sb.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}
