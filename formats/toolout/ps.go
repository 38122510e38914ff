package toolout

import (
	"io"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// PSRow is one process line of ps output. Fields the output did not have
// are zero; Has says which columns it had.
type PSRow struct {
	Line, Offset int64
	PID          int
	PPID         int
	// User is the USER or UID column as printed: a name (procps cuts long
	// ones and ends them with "+"), or a number.
	User string
	// Started is the absolute start (the STARTED column of -o lstart), read
	// in the host's time zone; zero without that column.
	Started time.Time
	// StartField is the STIME or START column as printed: "14:43" (today),
	// "Nov30" (this year) or "2025" (an earlier year).
	StartField string
	// Elapsed is the ELAPSED column (-o etime).
	Elapsed time.Duration
	TTY     string
	Stat    string
	CGroup  string
	// Command is the last column (CMD, COMMAND, ARGS): the whole command
	// line as ps printed it (argv joined with spaces), or only the name for
	// a plain "ps". The forest art of "ps f" is left in place.
	Command string
}

// PSTable is a parsed ps output.
type PSTable struct {
	// Columns are the header's column names, as printed.
	Columns []string
	Rows    []PSRow
}

// Has reports whether the output had the column (by its ps header name).
func (t PSTable) Has(col string) bool {
	for _, c := range t.Columns {
		if c == col {
			return true
		}
	}
	return false
}

// ParsePS reads the output of ps with any of the usual option sets (ps,
// -ef, -efl, aux, auxf, -axo pid,user,lstart,args, -eo …, S, w): the
// first line is the header, whose column names say what each row holds.
// Every column takes one space-separated token, except STARTED (five:
// "Tue Dec  1 14:43:49 2026") and the last one, which takes the rest of
// the line. loc is the host's time zone for STARTED (nil: UTC).
func ParsePS(r io.Reader, loc *time.Location) (PSTable, []Warning, error) {
	if loc == nil {
		loc = time.UTC
	}
	var t PSTable
	var ws warnings
	err := eachLine(r, &ws, func(b []byte, n, off int64) bool {
		line := textio.Safe(b)
		if strings.TrimSpace(line) == "" {
			return true
		}
		if t.Columns == nil {
			for _, f := range splitFields(line) {
				t.Columns = append(t.Columns, f.s)
			}
			if !t.Has("PID") {
				ws.add(n, off, "not a ps header (no PID column): %s", quote(b))
				t.Columns = nil
				return false
			}
			return true
		}
		if len(t.Rows) >= MaxRows {
			ws.add(n, off, "more than %d processes: the rest is not read", MaxRows)
			return false
		}
		row, msg := psRow(t.Columns, line, loc)
		if msg != "" {
			ws.add(n, off, "%s: %s", msg, quote(b))
			return true
		}
		row.Line, row.Offset = n, off
		t.Rows = append(t.Rows, row)
		return true
	})
	if t.Columns == nil && err == nil && len(ws.list) == 0 {
		ws.add(0, 0, "empty ps output")
	}
	return t, ws.done(), err
}

func psRow(cols []string, line string, loc *time.Location) (PSRow, string) {
	fs := splitFields(line)
	row := PSRow{PPID: -1, PID: -1}
	i := 0
	for ci, c := range cols {
		last := ci == len(cols)-1
		if i >= len(fs) {
			if last && (c == "CMD" || c == "COMMAND" || c == "ARGS") {
				break // an empty command line (a zombie's): allowed
			}
			return row, "fewer fields than the header has columns"
		}
		if last {
			rest := strings.TrimRight(line[fs[i].start:], " ")
			switch c {
			case "CGROUP":
				row.CGroup = rest
			case "PID":
				return row, "the PID column last"
			default:
				row.Command = rest
			}
			i = len(fs)
			break
		}
		v := fs[i].s
		switch c {
		case "PID":
			p, ok := atoiOK(v)
			if !ok || p > 1<<31-1 {
				return row, "PID is not a number"
			}
			row.PID = int(p)
		case "PPID":
			p, ok := atoiOK(v)
			if !ok || p > 1<<31-1 {
				return row, "PPID is not a number"
			}
			row.PPID = int(p)
		case "USER", "UID", "RUSER", "EUSER":
			row.User = v
		case "STIME", "START":
			row.StartField = v
		case "TTY", "TT":
			row.TTY = v
		case "STAT", "S":
			if c == "STAT" || row.Stat == "" {
				row.Stat = v
			}
		case "CGROUP":
			row.CGroup = v
		case "ELAPSED":
			d, ok := parseEtime(v)
			if !ok {
				return row, "ELAPSED is not [[dd-]hh:]mm:ss"
			}
			row.Elapsed = d
		case "STARTED":
			if i+5 > len(fs) {
				return row, "STARTED needs five fields"
			}
			s := strings.Join([]string{fs[i].s, fs[i+1].s, fs[i+2].s, fs[i+3].s, fs[i+4].s}, " ")
			tm, err := time.ParseInLocation("Mon Jan 2 15:04:05 2006", s, loc)
			if err != nil {
				return row, "STARTED is not a date"
			}
			row.Started = tm
			i += 4
		}
		i++
	}
	if row.PID < 0 {
		return row, "no PID"
	}
	return row, ""
}

// parseEtime reads ps's etime: [[dd-]hh:]mm:ss.
func parseEtime(s string) (time.Duration, bool) {
	var days int64
	if d, rest, ok := strings.Cut(s, "-"); ok {
		n, ok := atoiOK(d)
		if !ok || n > 1e6 {
			return 0, false
		}
		days, s = n, rest
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var secs int64
	for _, p := range parts {
		n, ok := atoiOK(p)
		if !ok || n > 99 || len(p) > 2 {
			return 0, false
		}
		secs = secs*60 + n
	}
	return time.Duration(days*86400+secs) * time.Second, true
}

// StartFromSTIME reads procps's STIME/START column against the time the
// listing was made (now, in the host's zone): "HH:MM" is today (or
// yesterday, if later than now), "MonDD" a day of this year (of the last
// year, if later than now), "YYYY" a year. It returns the first instant the
// column allows and how precise it is ("minute", "day", "year"), or ok false.
func StartFromSTIME(field string, now time.Time) (time.Time, string, bool) {
	loc := now.Location()
	y, m, d := now.Date()
	switch {
	case len(field) == 5 && field[2] == ':':
		hh, ok1 := atoiOK(field[:2])
		mm, ok2 := atoiOK(field[3:])
		if !ok1 || !ok2 || hh > 23 || mm > 59 {
			return time.Time{}, "", false
		}
		t := time.Date(y, m, d, int(hh), int(mm), 0, 0, loc)
		if t.After(now) {
			t = t.AddDate(0, 0, -1)
		}
		return t, "minute", true
	case len(field) == 5 || len(field) == 4 && !isDigits(field):
		mon, err := time.Parse("Jan", field[:3])
		if err != nil {
			return time.Time{}, "", false
		}
		day, ok := atoiOK(field[3:])
		if !ok || day < 1 || day > 31 {
			return time.Time{}, "", false
		}
		t := time.Date(y, mon.Month(), int(day), 0, 0, 0, 0, loc)
		if t.After(now) {
			t = t.AddDate(-1, 0, 0)
		}
		return t, "day", true
	case len(field) == 4:
		yy, ok := atoiOK(field)
		if !ok || yy < 1970 || int(yy) > y {
			return time.Time{}, "", false
		}
		return time.Date(int(yy), 1, 1, 0, 0, 0, 0, loc), "year", true
	}
	return time.Time{}, "", false
}

func isDigits(s string) bool {
	_, ok := atoiOK(s)
	return ok
}
