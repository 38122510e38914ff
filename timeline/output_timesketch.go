package timeline

// Timesketch imports CSV and JSONL timelines whose every row has message,
// datetime (ISO 8601) and timestamp_desc; timestamp (microseconds since the
// epoch) is optional and given too. Other columns become event attributes:
// Cordon gives the common ECS fields with their dots turned into
// underscores (Timesketch's OpenSearch would read dots as objects) and the
// provenance of each event.
// Format: Timesketch docs, "Import from JSON or CSV" (docs/guides/user/import-from-json-csv.md).

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

var timesketchColumns = []string{"message", "datetime", "timestamp_desc", "timestamp", "host_name", "data_type",
	"event_action", "event_category", "event_outcome", "process_pid", "process_executable", "process_command_line",
	"process_parent_pid", "user_name", "source_ip", "source_port", "destination_ip", "destination_port",
	"network_transport", "file_path", "provenance_bundle", "provenance_entry", "provenance_line", "provenance_offset",
	"entry_sha256", "time_derivation", "unverified"}

// TimesketchFields are the attributes Timesketch requires of every event
// (message, datetime, timestamp_desc) or reads when given (timestamp,
// data_type), as Cordon fills them: never empty.
type TimesketchFields struct {
	Message       string `json:"message"`
	Datetime      string `json:"datetime"`       // ISO 8601, microseconds, explicit offset
	TimestampDesc string `json:"timestamp_desc"` // what the time means
	Timestamp     int64  `json:"timestamp"`      // microseconds since the epoch
	DataType      string `json:"data_type"`      // "cordon:" and the dataset
}

// Timesketch returns ev's Timesketch attributes (the CSV, JSONL and bulk
// exports share them).
func Timesketch(ev *Event) TimesketchFields {
	dataType := "cordon:" + ev.Event.Dataset
	if ev.Event.Dataset == "" {
		dataType = "cordon:event"
	}
	return TimesketchFields{Message: message(ev), Datetime: tsDatetime(ev.Timestamp), TimestampDesc: timeMeaning(ev),
		Timestamp: tsMicros(ev.Timestamp), DataType: dataType}
}

// timesketchRow returns the values of timesketchColumns for ev.
func timesketchRow(ev *Event) []string {
	f := flatten(ev)
	ts := Timesketch(ev)
	pv := ev.Cordon.Provenance
	return []string{ts.Message, ts.Datetime, ts.TimestampDesc, strconv.FormatInt(ts.Timestamp, 10),
		hostName(ev), ts.DataType, ev.Event.Action, strings.Join(ev.Event.Category, ";"), ev.Event.Outcome, f.pid, f.exe, f.cmdline,
		f.ppid, f.user, f.sip, f.sport, f.dip, f.dport, f.transport, f.path, pv.Bundle, pv.Entry, num(pv.Line),
		strconv.FormatInt(pv.Offset, 10), pv.SHA256, ev.Cordon.TimeDerivation, strconv.FormatBool(ev.Cordon.Unverified)}
}

// tsDatetime is ISO 8601 with microseconds and an explicit offset, as
// Timesketch's own examples write it (2015-07-24T19:01:01.000000+00:00).
func tsDatetime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000-07:00")
}

func tsMicros(t time.Time) int64 { return t.UnixMicro() }

// TimesketchCSVWriter writes Timesketch's CSV import format.
type TimesketchCSVWriter struct {
	w      *csv.Writer
	header bool
}

// NewTimesketchCSVWriter returns a Timesketch CSV writer to w.
func NewTimesketchCSVWriter(w io.Writer) *TimesketchCSVWriter {
	return &TimesketchCSVWriter{w: csv.NewWriter(w)}
}

// Write writes one row.
func (t *TimesketchCSVWriter) Write(ev *Event) error {
	if !t.header {
		t.header = true
		if err := t.w.Write(timesketchColumns); err != nil {
			return err
		}
	}
	return t.w.Write(timesketchRow(ev))
}

// Close flushes.
func (t *TimesketchCSVWriter) Close() error {
	t.w.Flush()
	return t.w.Error()
}

// TimesketchJSONLWriter writes Timesketch's JSONL import format: one flat
// object per line, empty attributes left out (the three required never are).
type TimesketchJSONLWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewTimesketchJSONLWriter returns a Timesketch JSONL writer to w.
func NewTimesketchJSONLWriter(w io.Writer) *TimesketchJSONLWriter {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &TimesketchJSONLWriter{w: bw, enc: enc}
}

// Write writes one line.
func (t *TimesketchJSONLWriter) Write(ev *Event) error {
	row := timesketchRow(ev)
	obj := make(map[string]any, len(row))
	for i, col := range timesketchColumns {
		switch {
		case col == "timestamp":
			obj[col] = tsMicros(ev.Timestamp)
		case col == "unverified":
			if ev.Cordon.Unverified {
				obj[col] = true
			}
		case row[i] != "":
			obj[col] = row[i]
		}
	}
	return t.enc.Encode(obj)
}

// Close flushes.
func (t *TimesketchJSONLWriter) Close() error { return t.w.Flush() }
