package timeline

// The plain CSV is for spreadsheets: RFC 4180 quoting (encoding/csv), one
// row per event, the common ECS fields as columns. A cell whose first
// character a spreadsheet would take for a formula (= + - @, tab, CR) gets
// a leading apostrophe (OWASP "CSV injection"): a log line written by an
// attacker must not run in the analyst's spreadsheet. The JSONL output
// keeps every value unaltered.

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

var csvHeader = []string{"@timestamp", "host.name", "event.dataset", "event.action", "event.category", "event.outcome",
	"cordon.time_meaning", "message", "process.pid", "process.executable", "process.parent.pid", "user.name",
	"source.ip", "source.port", "destination.ip", "destination.port", "network.transport", "file.path",
	"cordon.provenance.bundle", "cordon.provenance.entry", "cordon.provenance.line", "cordon.provenance.offset", "cordon.unverified"}

// CSVWriter writes the plain CSV.
type CSVWriter struct {
	w      *csv.Writer
	header bool
}

// NewCSVWriter returns a CSV writer to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write writes one row.
func (c *CSVWriter) Write(ev *Event) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(csvHeader); err != nil {
			return err
		}
	}
	f := flatten(ev)
	pv := ev.Cordon.Provenance
	row := []string{utcNano(ev.Timestamp), hostName(ev), ev.Event.Dataset, ev.Event.Action, strings.Join(ev.Event.Category, ";"),
		ev.Event.Outcome, timeMeaning(ev), ev.Message, f.pid, f.exe, f.ppid, f.user, f.sip, f.sport, f.dip, f.dport, f.transport, f.path,
		pv.Bundle, pv.Entry, num(pv.Line), strconv.FormatInt(pv.Offset, 10), strconv.FormatBool(ev.Cordon.Unverified)}
	for i := range row {
		row[i] = defuseFormula(row[i])
	}
	return c.w.Write(row)
}

// Close flushes.
func (c *CSVWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

// num formats a number, "" for zero (ECS omits zero pids and ports).
func num(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// defuseFormula prefixes a cell a spreadsheet would evaluate.
func defuseFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// flat is the ECS fields the tabular exports (CSV, Timesketch) give a
// column each, as text ("" when absent).
type flat struct {
	pid, exe, cmdline, ppid, user, sip, sport, dip, dport, transport, path string
}

func flatten(ev *Event) flat {
	var f flat
	if p := ev.Process; p != nil {
		f.pid, f.exe, f.cmdline = num(p.PID), p.Executable, p.CommandLine
		if f.cmdline == "" {
			f.cmdline = strings.Join(p.Args, " ")
		}
		if p.Parent != nil {
			f.ppid = num(p.Parent.PID)
		}
	}
	if ev.User != nil {
		f.user = ev.User.Name
	}
	if s := ev.Source; s != nil {
		f.sip, f.sport = s.IP, num(int64(s.Port))
	}
	if d := ev.Destination; d != nil {
		f.dip, f.dport = d.IP, num(int64(d.Port))
	}
	if ev.Network != nil {
		f.transport = ev.Network.Transport
	}
	if ev.File != nil {
		f.path = ev.File.Path
	}
	return f
}
