package timeline

// output.go is the common front of the timeline writers: one Writer per
// output format, each in output_<format>.go.

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Writer writes events, one at a time, in one output format.
type Writer interface {
	// Write writes one event. Writers that take only some events (the
	// bodyfile takes file events) skip the others without error.
	Write(ev *Event) error
	// Close flushes what is buffered; it does not close the underlying writer.
	Close() error
}

// Formats lists the output formats NewWriter knows, the default first.
var Formats = []string{"table", "jsonl", "csv", "timesketch", "timesketch-jsonl", "l2tcsv", "bodyfile"}

// NewWriter returns the writer of format to w.
func NewWriter(format string, w io.Writer) (Writer, error) {
	switch format {
	case "table":
		return NewTableWriter(w), nil
	case "jsonl":
		return NewJSONLWriter(w), nil
	case "csv":
		return NewCSVWriter(w), nil
	case "timesketch":
		return NewTimesketchCSVWriter(w), nil
	case "timesketch-jsonl":
		return NewTimesketchJSONLWriter(w), nil
	case "l2tcsv":
		return NewL2TCSVWriter(w), nil
	case "bodyfile":
		return NewBodyfileWriter(w), nil
	}
	return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// timeMeaning returns what an event's time means, never empty (Timesketch
// and Plaso want a timestamp description on every row).
func timeMeaning(ev *Event) string {
	if ev.Cordon.TimeMeaning != "" {
		return string(ev.Cordon.TimeMeaning)
	}
	return "event time"
}

// message returns an event's message, never empty.
func message(ev *Event) string {
	if ev.Message != "" {
		return ev.Message
	}
	if ev.Event.Action != "" {
		return ev.Event.Action
	}
	return "(no message)"
}

func hostName(ev *Event) string {
	if ev.Host != nil {
		return ev.Host.Name
	}
	return ""
}

// utcNano formats a time as RFC 3339 in UTC with nine fraction digits
// (fixed width, so that columns align and strings sort as times do).
func utcNano(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}
