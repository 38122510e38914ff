package toolout

import (
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// LsofRow is one open file of lsof output.
type LsofRow struct {
	Line, Offset int64
	Command      string
	PID          int
	PPID         int // -R; -1 when absent
	User         string
	FD           string // "cwd", "txt", "mem", "3u", …
	Type         string // "REG", "DIR", "IPv4", "IPv6", "unix", "FIFO", …
	Device       string
	SizeOff      string
	Node         string // an inode, or "TCP"/"UDP" for internet sockets
	Name         string // a path, "1.2.3.4:22->5.6.7.8:4000 (ESTABLISHED)", …
}

// ParseLsof reads lsof's default output (any of -n, -P, -l, -R, +c0, -M,
// -V, -w): the header names the columns; columns may be blank (TID, PPID,
// DEVICE, SIZE/OFF), so each value is given to the header column it lies
// under, and NAME is everything from where the header's NAME starts.
// Rows of threads (a TID) repeat their process's files and are skipped.
func ParseLsof(r io.Reader) ([]LsofRow, []Warning, error) {
	var out []LsofRow
	var ws warnings
	var hdr []field
	nameAt := -1
	err := eachLine(r, &ws, func(b []byte, n, off int64) bool {
		line := textio.Safe(b)
		if strings.TrimSpace(line) == "" {
			return true
		}
		if hdr == nil {
			hdr = splitFields(line)
			if len(hdr) < 3 || hdr[0].s != "COMMAND" || hdr[1].s != "PID" || hdr[len(hdr)-1].s != "NAME" {
				ws.add(n, off, "not an lsof header: %s", quote(b))
				return false
			}
			nameAt = hdr[len(hdr)-1].start
			return true
		}
		if len(out) >= MaxRows {
			ws.add(n, off, "more than %d open files: the rest is not read", MaxRows)
			return false
		}
		row, skip, msg := lsofRow(line, hdr, nameAt)
		if skip {
			return true
		}
		if msg != "" {
			ws.add(n, off, "%s: %s", msg, quote(b))
			return true
		}
		row.Line, row.Offset = n, off
		out = append(out, row)
		return true
	})
	return out, ws.done(), err
}

func lsofRow(line string, hdr []field, nameAt int) (LsofRow, bool, string) {
	row := LsofRow{PID: -1, PPID: -1}
	head := line
	if len(line) > nameAt {
		// NAME starts at the header's NAME column, unless a wider value
		// before it pushed it right: then at the first space after nameAt-1
		if line[nameAt-1] == ' ' {
			head, row.Name = line[:nameAt], line[nameAt:]
		} else if i := strings.IndexByte(line[nameAt:], ' '); i >= 0 {
			head, row.Name = line[:nameAt+i], strings.TrimLeft(line[nameAt+i:], " ")
		}
	}
	vals := make([][]string, len(hdr))
	for _, t := range splitFields(head) {
		c := nearestColumn(t, hdr[:len(hdr)-1])
		vals[c] = append(vals[c], t.s)
	}
	get := func(name string) string {
		for i, h := range hdr {
			if h.s == name {
				return strings.Join(vals[i], " ")
			}
		}
		return ""
	}
	if get("TID") != "" {
		return row, true, ""
	}
	row.Command = get("COMMAND")
	pid, ok := atoiOK(get("PID"))
	if !ok || pid > 1<<31-1 {
		return row, false, "PID is not a number"
	}
	row.PID = int(pid)
	if p, ok := atoiOK(get("PPID")); ok && p <= 1<<31-1 {
		row.PPID = int(p)
	}
	row.User, row.FD, row.Type = get("USER"), get("FD"), get("TYPE")
	row.Device, row.SizeOff, row.Node = get("DEVICE"), get("SIZE/OFF"), get("NODE")
	return row, false, ""
}

// nearestColumn is the header column a token lies under: the one it
// overlaps most, else the closest one.
func nearestColumn(t field, hdr []field) int {
	best, bestScore := 0, -1<<30
	for i, h := range hdr {
		ov := min(t.end, h.end) - max(t.start, h.start)
		score := ov
		if ov <= 0 {
			// distance between the spans, negative
			score = ov - 1
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}
