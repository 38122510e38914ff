package timeline

// l2tcsv is Plaso's legacy log2timeline CSV (psort.py -o l2tcsv): a fixed
// header of 17 columns, date as MM/DD/YYYY, time as HH:MM:SS, a MACB column
// for file times, "-" for an empty field. Plaso does not quote: it replaces
// the delimiter inside a field with a space; Cordon also replaces line
// breaks and other control bytes, which would split a row, and invalid
// UTF-8. Format: plaso/output/l2t_csv.py.

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

const l2tHeader = "date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc,version,filename,inode,notes,format,extra"

// l2tShortLen bounds the "short" column, as Plaso's short messages are.
const l2tShortLen = 80

// L2TCSVWriter writes Plaso's l2tcsv.
type L2TCSVWriter struct {
	w      *bufio.Writer
	header bool
}

// NewL2TCSVWriter returns an l2tcsv writer to w.
func NewL2TCSVWriter(w io.Writer) *L2TCSVWriter { return &L2TCSVWriter{w: bufio.NewWriter(w)} }

// macb returns the MACB column of an event: which file time it is.
func macb(ev *Event) string {
	switch ev.Cordon.TimeMeaning {
	case MeaningModified:
		return "M..."
	case MeaningAccessed:
		return ".A.."
	case MeaningChanged:
		return "..C."
	case MeaningBorn:
		return "...B"
	}
	return "...."
}

// Write writes one row.
func (l *L2TCSVWriter) Write(ev *Event) error {
	if !l.header {
		l.header = true
		l.w.WriteString(l2tHeader + "\n")
	}
	t := ev.Timestamp.UTC()
	source := "LOG"
	if ev.File != nil && macb(ev) != "...." {
		source = "FILE"
	}
	user := ""
	if ev.User != nil {
		user = ev.User.Name
	} else if ev.Process != nil && ev.Process.User != nil {
		user = ev.Process.User.Name
	}
	msg := message(ev)
	short := msg
	if r := []rune(short); len(r) > l2tShortLen {
		short = string(r[:l2tShortLen-3]) + "..."
	}
	inode := ""
	if ev.File != nil && ev.File.Inode != 0 {
		inode = fmt.Sprint(ev.File.Inode)
	}
	notes := ""
	if ev.Cordon.Unverified {
		notes = "UNVERIFIED: the bundle did not verify"
	}
	fields := []string{t.Format("01/02/2006"), t.Format("15:04:05"), "UTC", macb(ev), source,
		"Cordon " + ev.Event.Dataset, timeMeaning(ev), user, hostName(ev), short, msg, "2",
		ev.Cordon.Provenance.Entry, inode, notes, "cordon/" + ev.Event.Dataset, l2tExtra(ev)}
	for i, f := range fields {
		if i > 0 {
			l.w.WriteByte(',')
		}
		l.w.WriteString(l2tField(f))
	}
	_, err := l.w.WriteString("\n")
	return err
}

// l2tExtra is the "extra" column: "key: value" pairs joined by "; ".
func l2tExtra(ev *Event) string {
	var kv []string
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, k+": "+v)
		}
	}
	add("action", ev.Event.Action)
	add("outcome", ev.Event.Outcome)
	if p := ev.Process; p != nil {
		add("pid", num(p.PID))
		add("executable", p.Executable)
		if p.Parent != nil {
			add("ppid", num(p.Parent.PID))
		}
	}
	if s := ev.Source; s != nil {
		add("source", joinHostPort(s.IP, s.Port))
	}
	if d := ev.Destination; d != nil {
		add("destination", joinHostPort(d.IP, d.Port))
	}
	if ev.File != nil {
		add("path", ev.File.Path)
	}
	pv := ev.Cordon.Provenance
	add("bundle", pv.Bundle)
	add("line", num(pv.Line))
	add("offset", fmt.Sprint(pv.Offset))
	add("entry_sha256", pv.SHA256)
	add("time_derivation", ev.Cordon.TimeDerivation)
	keys := make([]string, 0, len(ev.Labels))
	for k := range ev.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, ev.Labels[k])
	}
	return strings.Join(kv, "; ")
}

func joinHostPort(ip string, port int) string {
	if port == 0 {
		return ip
	}
	if strings.Contains(ip, ":") {
		return fmt.Sprintf("[%s]:%d", ip, port)
	}
	return fmt.Sprintf("%s:%d", ip, port)
}

// l2tField makes a value safe for an unquoted l2tcsv field.
func l2tField(s string) string {
	if s == "" {
		return "-"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == ',' || r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// Close flushes.
func (l *L2TCSVWriter) Close() error { return l.w.Flush() }
