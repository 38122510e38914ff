package snapshot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cordon-forensics/cordon/timeline"
)

// MaxLine bounds one JSON line (a process with a long command line and
// environment is the largest record).
const MaxLine = 16 << 20

// ReadJSONL reads JSON Lines of T from r, calling fn with each record, its
// 1-based line and byte offset. A line that is too long or not a T is a
// warning with its place, never a silent skip. It returns an error only
// when r itself fails.
func ReadJSONL[T any](r io.Reader, o timeline.Origin, fn func(v T, line, offset int64), warn func(timeline.Warning)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var line, off int64
	for {
		buf, n, long, err := readLine(br, MaxLine)
		if n > 0 {
			line++
			start := off
			off += n
			switch {
			case long:
				warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: start, Message: fmt.Sprintf("record longer than %d bytes: not read", MaxLine)})
			case len(bytes.TrimSpace(buf)) == 0:
			default:
				var v T
				if jerr := json.Unmarshal(buf, &v); jerr != nil {
					warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: start, Message: "bad record: " + jerr.Error()})
				} else {
					fn(v, line, start)
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", o.Entry, err)
		}
	}
}

// readLine returns the next line without its newline and the bytes
// consumed; a line over max bytes is consumed and reported long.
func readLine(br *bufio.Reader, max int) ([]byte, int64, bool, error) {
	var out []byte
	var n int64
	long := false
	for {
		chunk, err := br.ReadSlice('\n')
		n += int64(len(chunk))
		if !long {
			if len(out)+len(chunk) > max+1 {
				long, out = true, nil
			} else {
				out = append(out, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(out, []byte("\n")), n, long, err
	}
}

// ReadProcesses reads every record of proc/processes.jsonl.
func ReadProcesses(r io.Reader, o timeline.Origin, warn func(timeline.Warning)) ([]Located[Process], error) {
	var out []Located[Process]
	err := ReadJSONL(r, o, func(p Process, line, off int64) { out = append(out, Located[Process]{p, line, off}) }, warn)
	return out, err
}

// Located is a record with its place in its entry.
type Located[T any] struct {
	V      T
	Line   int64
	Offset int64
}

// ReadSockets reads every record of net/sockets.jsonl.
func ReadSockets(r io.Reader, o timeline.Origin, warn func(timeline.Warning)) ([]Located[Socket], error) {
	var out []Located[Socket]
	err := ReadJSONL(r, o, func(s Socket, line, off int64) { out = append(out, Located[Socket]{s, line, off}) }, warn)
	return out, err
}

// MaxHostFacts bounds host/facts.json.
const MaxHostFacts = 1 << 20

// ReadHostFacts reads host/facts.json.
func ReadHostFacts(r io.Reader) (HostFacts, error) {
	var f HostFacts
	b, err := io.ReadAll(io.LimitReader(r, MaxHostFacts+1))
	if err != nil {
		return f, err
	}
	if len(b) > MaxHostFacts {
		return f, fmt.Errorf("host facts larger than %d bytes", MaxHostFacts)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("host facts: %w", err)
	}
	return f, nil
}

// ReadExecutables reads every record of proc/executables.jsonl.
func ReadExecutables(r io.Reader, o timeline.Origin, warn func(timeline.Warning)) ([]Located[Executable], error) {
	var out []Located[Executable]
	err := ReadJSONL(r, o, func(x Executable, line, off int64) { out = append(out, Located[Executable]{x, line, off}) }, warn)
	return out, err
}

// ReadHiddenPIDs reads proc/hidden_pids.json (bounded like the host facts).
func ReadHiddenPIDs(r io.Reader) (HiddenPIDs, error) {
	var h HiddenPIDs
	b, err := io.ReadAll(io.LimitReader(r, MaxLine+1))
	if err != nil {
		return h, err
	}
	if len(b) > MaxLine {
		return h, fmt.Errorf("hidden PIDs larger than %d bytes", MaxLine)
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("hidden PIDs: %w", err)
	}
	return h, nil
}
