package config

import (
	"errors"
	"fmt"
	"io"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// eachLine calls fn for each line of r (without "\n" and a trailing "\r"),
// bounded; overlong lines and read errors become warnings. fn returns false
// to stop.
func eachLine(r io.Reader, ws *[]Warning, fn func(line []byte, n, off int64) bool) {
	lr := textio.NewReader(r, textio.MaxLine)
	for {
		b, n, off, err := lr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			*ws = append(*ws, Warning{Line: n, Offset: off, Message: err.Error()})
			if errors.Is(err, textio.ErrLineTooLong) {
				continue
			}
			return
		}
		if k := len(b); k > 0 && b[k-1] == '\r' {
			b = b[:k-1]
		}
		if !fn(b, n, off) {
			return
		}
	}
}

func warnf(ws *[]Warning, n, off int64, format string, args ...any) {
	*ws = append(*ws, Warning{Line: n, Offset: off, Message: fmt.Sprintf(format, args...)})
}

func tooMany(ws *[]Warning, n, off int64, what string) {
	warnf(ws, n, off, "more than %d %s: the rest of the file is not read", MaxRecords, what)
}
