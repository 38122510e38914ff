package timeline

import (
	"bufio"
	"encoding/json"
	"io"
)

// JSONLWriter writes events as JSON lines with their ECS field names (the
// Event's own JSON form: "@timestamp", "process.pid" as nested objects, …).
type JSONLWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewJSONLWriter returns a JSON lines writer to w.
func NewJSONLWriter(w io.Writer) *JSONLWriter {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &JSONLWriter{w: bw, enc: enc}
}

// Write writes one event on one line (JSON escapes every control byte, so
// a hostile message cannot break the line).
func (j *JSONLWriter) Write(ev *Event) error { return j.enc.Encode(ev) }

// Close flushes.
func (j *JSONLWriter) Close() error { return j.w.Flush() }
