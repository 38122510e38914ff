package pglog

// jsonlog (PostgreSQL 15+, log_destination = 'jsonlog'): one JSON object a
// line, with keys such as timestamp, user, dbname, pid, remote_host,
// remote_port, session_id, line_num, ps, error_severity, state_code,
// message, detail, hint, statement, context, application_name,
// backend_type, query_id (runtime-config-logging, "Using JSON-Format Log
// Output"). Keys absent from a line are absent from the object.

import (
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

type jsonRecord struct {
	Timestamp   string `json:"timestamp"`
	User        string `json:"user"`
	DBName      string `json:"dbname"`
	PID         int64  `json:"pid"`
	RemoteHost  string `json:"remote_host"`
	RemotePort  int    `json:"remote_port"`
	SessionID   string `json:"session_id"`
	Severity    string `json:"error_severity"`
	StateCode   string `json:"state_code"`
	Message     string `json:"message"`
	Detail      string `json:"detail"`
	Hint        string `json:"hint"`
	Statement   string `json:"statement"`
	Context     string `json:"context"`
	Application string `json:"application_name"`
	BackendType string `json:"backend_type"`
}

func (p *parser) json(r io.Reader) error {
	lr := textio.NewReader(r, MaxLine)
	for {
		b, line, off, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, textio.ErrLineTooLong) {
			p.warnf(line, off, "jsonlog line over %d bytes: skipped", MaxLine)
			continue
		}
		if err != nil {
			return err
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var j jsonRecord
		if err := json.Unmarshal(b, &j); err != nil {
			p.warnf(line, off, "jsonlog: not a JSON object: %v", err)
			continue
		}
		s := func(v string, n int) string { return textio.Cut(textio.SafeString(v), n) }
		e := &entry{line: line, offset: off, pid: j.PID, user: s(j.User, 256), db: s(j.DBName, 256),
			host: s(j.RemoteHost, 256), port: j.RemotePort, session: s(j.SessionID, 64), severity: s(j.Severity, 16),
			sqlstate: s(j.StateCode, 16), message: s(j.Message, MaxMessage), detail: s(j.Detail, 4096), hint: s(j.Hint, 1024),
			statement: s(j.Statement, MaxStatement), context: s(j.Context, 4096), app: s(j.Application, 256), backend: s(j.BackendType, 64)}
		t, note, err := p.time(j.Timestamp, line, off)
		if err != nil {
			p.warnf(line, off, "jsonlog line with an unreadable timestamp %q: the log file's mtime", s(j.Timestamp, 64))
			t, note = p.o.ModTime, "jsonlog line without a readable timestamp: the log file's mtime"
		}
		e.time, e.timeNote = t, strings.Replace(note, "PostgreSQL log line", "PostgreSQL jsonlog timestamp", 1)
		p.emit(e)
	}
}
