package timeline

// The table is for a terminal: one event a line, columns aligned, every
// field escaped (internal/safeterm: control bytes, escape sequences,
// invalid UTF-8 and bidirectional overrides become visible \xNN / \uNNNN),
// so that nothing written by an attacker can act on the analyst's terminal
// or break a line in two.

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/cordon-forensics/cordon/internal/safeterm"
)

// Column widths of the table (in runes); longer values are cut with "…".
const (
	tableHostWidth    = 16
	tableDatasetWidth = 12
	tableActionWidth  = 24
	// tableMessageBytes bounds the escaped message on one line.
	tableMessageBytes = 1024
)

// TableWriter writes the terminal table.
type TableWriter struct {
	w      *bufio.Writer
	header bool
}

// NewTableWriter returns a table writer to w.
func NewTableWriter(w io.Writer) *TableWriter { return &TableWriter{w: bufio.NewWriter(w)} }

// Write writes one line: time, a "!" flag when the event is unverified,
// host, dataset, action, message.
func (t *TableWriter) Write(ev *Event) error {
	if !t.header {
		t.header = true
		t.row("TIME (UTC)", " ", "HOST", "DATASET", "ACTION", "MESSAGE", 30)
	}
	flag := " "
	if ev.Cordon.Unverified {
		flag = "!"
	}
	t.row(utcNano(ev.Timestamp), flag, hostName(ev), ev.Event.Dataset, ev.Event.Action, message(ev), 0)
	return nil
}

func (t *TableWriter) row(ts, flag, host, dataset, action, msg string, tsWidth int) {
	w := t.w
	w.WriteString(pad(ts, tsWidth))
	w.WriteString(" ")
	w.WriteString(flag)
	w.WriteString(" ")
	w.WriteString(pad(cell(host, tableHostWidth), tableHostWidth))
	w.WriteString("  ")
	w.WriteString(pad(cell(dataset, tableDatasetWidth), tableDatasetWidth))
	w.WriteString("  ")
	w.WriteString(pad(cell(action, tableActionWidth), tableActionWidth))
	w.WriteString("  ")
	m := safeterm.Escape(msg)
	if len(m) > tableMessageBytes {
		m = cutBytes(m, tableMessageBytes) + "…"
	}
	w.WriteString(m)
	w.WriteByte('\n')
}

// Close flushes the table.
func (t *TableWriter) Close() error { return t.w.Flush() }

// cell escapes s and cuts it to width runes.
func cell(s string, width int) string {
	s = safeterm.Escape(s)
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}

// pad right-pads s with spaces to width runes.
func pad(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if n >= width {
		return s
	}
	return s + strings.Repeat(" ", width-n)
}

// cutBytes cuts s to at most n bytes on a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
