package toolout

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// ProcStat holds the fields of /proc/PID/stat (proc(5)) an import needs.
type ProcStat struct {
	PID   int
	Comm  string // between the first "(" and the last ")": it may hold anything
	State string
	PPID  int
	// StartTicks is field 22, starttime: clock ticks after boot.
	StartTicks uint64
	Threads    int
	UTime      uint64 // field 14, ticks
	STime      uint64 // field 15, ticks
	RSSPages   int64  // field 24
}

// ParseProcStat reads one /proc/PID/stat line (a saved copy: cat
// /proc/PID/stat). The command name is read between the first "(" and the
// last ")", since it may itself hold parentheses and spaces.
func ParseProcStat(b []byte) (ProcStat, error) {
	var s ProcStat
	b = bytes.TrimRight(b, "\n")
	if len(b) > 4096 {
		return s, errors.New("stat line longer than 4096 bytes")
	}
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 1 || closing < open {
		return s, errors.New("no (comm)")
	}
	pid, ok := atoiOK(string(bytes.TrimSpace(b[:open])))
	if !ok || pid > 1<<31-1 {
		return s, errors.New("pid is not a number")
	}
	s.PID = int(pid)
	s.Comm = textio.Safe(b[open+1 : closing])
	f := strings.Fields(string(b[closing+1:]))
	// f[0] is field 3 (state)
	if len(f) < 22 {
		return s, errors.New("fewer than 24 fields")
	}
	s.State = f[0]
	num := func(i int) (int64, bool) { return atoiOK(f[i-3]) }
	var ppid, st, th, ut, stt, rss int64
	if ppid, ok = num(4); !ok || ppid > 1<<31-1 {
		return s, errors.New("ppid is not a number")
	}
	if st, ok = num(22); !ok {
		return s, errors.New("starttime is not a number")
	}
	th, _ = num(20)
	ut, _ = num(14)
	stt, _ = num(15)
	rss, _ = num(24)
	s.PPID, s.StartTicks, s.Threads = int(ppid), uint64(st), int(min(th, 1<<31-1))
	s.UTime, s.STime, s.RSSPages = uint64(ut), uint64(stt), rss
	return s, nil
}

// ProcStatus holds the fields of /proc/PID/status (proc(5)) an import needs.
type ProcStatus struct {
	Line, Offset int64 // where its Name: line is
	Name         string
	State        string
	PID, PPID    int
	TGID         int
	UIDs, GIDs   []uint32 // real, effective, saved, filesystem
	Threads      int
	// NSpid is the PID in each nested PID namespace, outermost first.
	NSpid []int
}

// ParseProcStatus reads one /proc/PID/status file, or many concatenated
// (Cat-Scale's process-details: cat /proc/[0-9]*/status): each "Name:" line
// starts a process. A process without a Pid: line is a warning.
func ParseProcStatus(r io.Reader) ([]ProcStatus, []Warning, error) {
	var out []ProcStatus
	var ws warnings
	var cur *ProcStatus
	flush := func() {
		if cur == nil {
			return
		}
		if cur.PID <= 0 {
			ws.add(cur.Line, cur.Offset, "status of %q has no Pid: line", cur.Name)
		} else if len(out) < MaxRows {
			out = append(out, *cur)
		}
		cur = nil
	}
	err := eachLine(r, &ws, func(b []byte, n, off int64) bool {
		k, v, ok := bytes.Cut(b, []byte(":"))
		if !ok {
			if len(bytes.TrimSpace(b)) > 0 {
				ws.add(n, off, "not a status line: %s", quote(b))
			}
			return true
		}
		key := string(k)
		val := strings.TrimSpace(textio.Safe(v))
		if key == "Name" {
			flush()
			cur = &ProcStatus{Line: n, Offset: off, Name: val, PPID: -1}
			return true
		}
		if cur == nil {
			ws.add(n, off, "status line before any Name: line: %s", quote(b))
			return true
		}
		num := func() int {
			x, ok := atoiOK(val)
			if !ok || x > 1<<31-1 {
				return -1
			}
			return int(x)
		}
		switch key {
		case "State":
			cur.State = val
		case "Pid":
			cur.PID = num()
		case "PPid":
			cur.PPID = num()
		case "Tgid":
			cur.TGID = num()
		case "Threads":
			cur.Threads = num()
		case "Uid", "Gid":
			var ids []uint32
			for _, s := range strings.Fields(val) {
				if x, ok := atoiOK(s); ok && x <= 1<<32-1 {
					ids = append(ids, uint32(x))
				}
			}
			if key == "Uid" {
				cur.UIDs = ids
			} else {
				cur.GIDs = ids
			}
		case "NSpid":
			for _, s := range strings.Fields(val) {
				if x, ok := atoiOK(s); ok && x <= 1<<31-1 {
					cur.NSpid = append(cur.NSpid, int(x))
				}
			}
		}
		return true
	})
	flush()
	return out, ws.done(), err
}
