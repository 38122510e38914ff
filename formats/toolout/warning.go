package toolout

import (
	"errors"
	"fmt"
	"io"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// MaxRows bounds the rows one parser keeps: a listing with more is cut,
// and a warning says where.
const MaxRows = 1 << 20

// MaxWarnings bounds the warnings one parser keeps; the last one says how
// many more lines were not read.
const MaxWarnings = 10_000

// Warning is a line a parser could not read, or a note about the input.
type Warning struct {
	Line    int64 // 1-based; 0 for the whole input
	Offset  int64 // byte offset of the line
	Message string
}

// Timeline turns warnings into timeline warnings for an entry.
func Timeline(ws []Warning, entry string) []timeline.Warning {
	out := make([]timeline.Warning, 0, len(ws))
	for _, w := range ws {
		out = append(out, timeline.Warning{Entry: entry, Line: w.Line, Offset: w.Offset, Message: w.Message})
	}
	return out
}

// warnings collects warnings up to MaxWarnings.
type warnings struct {
	list    []Warning
	dropped int
}

func (w *warnings) add(line, off int64, format string, args ...any) {
	if len(w.list) >= MaxWarnings {
		w.dropped++
		return
	}
	w.list = append(w.list, Warning{Line: line, Offset: off, Message: fmt.Sprintf(format, args...)})
}

func (w *warnings) done() []Warning {
	if w.dropped > 0 {
		w.list = append(w.list, Warning{Message: fmt.Sprintf("%d more lines could not be read (warnings kept: %d)", w.dropped, MaxWarnings)})
	}
	return w.list
}

// eachLine calls fn with each line (without "\n" and a trailing "\r"), its
// number and offset, until fn returns false. Overlong lines are warnings.
// The returned error is the reader's.
func eachLine(r io.Reader, ws *warnings, fn func(b []byte, line, off int64) bool) error {
	tr := textio.NewReader(r, textio.MaxLine)
	for {
		b, n, off, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, textio.ErrLineTooLong) {
				ws.add(n, off, "%v", err)
				continue
			}
			return fmt.Errorf("line %d: %w", n, err)
		}
		if k := len(b); k > 0 && b[k-1] == '\r' {
			b = b[:k-1]
		}
		if !fn(b, n, off) {
			return nil
		}
	}
}

// quote renders hostile text for a warning: bounded and escaped.
func quote(b []byte) string {
	return fmt.Sprintf("%q", textio.Cut(textio.Safe(b), 120))
}
