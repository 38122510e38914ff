package toolout

import (
	"bytes"
	"fmt"
	"io"
)

// MaxHeadInput bounds what ParseHeadSections reads.
const MaxHeadInput = 64 << 20

// HeadSection is one file's part of head(1) output over many files.
type HeadSection struct {
	Line, Offset int64 // of its "==> NAME <==" line
	Name         string
	Content      []byte // raw: NUL-separated for /proc/PID/cmdline and environ
}

// ParseHeadSections splits the output of head over several files ("==>
// NAME <==" before each file, an empty line between files), as Cat-Scale
// saves /proc/*/cmdline and /proc/*/environ. The content is kept raw; the
// one newline head writes before the next heading is removed.
//
// The content is the host's: a process can put "\n==> /proc/1/cmdline
// <==\n" in its own arguments and forge a section for another file. A name
// that heads two sections is therefore a warning, and both are dropped.
func ParseHeadSections(r io.Reader) ([]HeadSection, []Warning, error) {
	var ws warnings
	b, err := io.ReadAll(io.LimitReader(r, MaxHeadInput+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading: %w", err)
	}
	if len(b) > MaxHeadInput {
		b = b[:MaxHeadInput]
		ws.add(0, MaxHeadInput, "more than %d bytes: the rest is not read", MaxHeadInput)
	}
	var out []HeadSection
	var line int64 = 1
	pos := 0
	cur := -1
	for pos < len(b) {
		end := bytes.IndexByte(b[pos:], '\n')
		var l []byte
		next := len(b)
		if end >= 0 {
			l, next = b[pos:pos+end], pos+end+1
		} else {
			l = b[pos:]
		}
		if bytes.HasPrefix(l, []byte("==> ")) && bytes.HasSuffix(l, []byte(" <==")) && len(l) >= 8 {
			if cur >= 0 {
				out[cur].Content = bytes.TrimSuffix(out[cur].Content, []byte("\n"))
			}
			if len(out) >= MaxRows {
				ws.add(line, int64(pos), "more than %d sections: the rest is not read", MaxRows)
				break
			}
			out = append(out, HeadSection{Line: line, Offset: int64(pos), Name: string(l[4 : len(l)-4])})
			cur = len(out) - 1
		} else if cur < 0 {
			if len(bytes.TrimSpace(l)) > 0 {
				ws.add(line, int64(pos), "text before the first ==> heading: %s", quote(l))
			}
		} else {
			out[cur].Content = append(out[cur].Content, b[pos:next]...)
		}
		pos = next
		line++
	}
	// a name heading two sections: forged (or two head runs): keep neither
	seen := map[string]int{}
	for _, s := range out {
		seen[s.Name]++
	}
	kept := out[:0]
	for _, s := range out {
		if seen[s.Name] > 1 {
			ws.add(s.Line, s.Offset, "%q heads %d sections (a process can forge one in its own arguments): none kept", s.Name, seen[s.Name])
			continue
		}
		kept = append(kept, s)
	}
	return kept, ws.done(), nil
}
