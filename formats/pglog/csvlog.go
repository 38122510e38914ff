package pglog

// csvlog (log_destination = 'csvlog'): one CSV record per message, its
// fields quoted as needed, line breaks inside quoted fields. The columns,
// from PostgreSQL's documentation (runtime-config-logging, "Using CSV-Format
// Log Output"); versions add columns at the end, so records of 23 to 26
// fields are read:
//
//	0 log_time, 1 user_name, 2 database_name, 3 process_id, 4 connection_from
//	(host:port), 5 session_id, 6 session_line_num, 7 command_tag,
//	8 session_start_time, 9 virtual_transaction_id, 10 transaction_id,
//	11 error_severity, 12 sql_state_code, 13 message, 14 detail, 15 hint,
//	16 internal_query, 17 internal_query_pos, 18 context, 19 query,
//	20 query_pos, 21 location, 22 application_name, 23 backend_type (13+),
//	24 leader_pid (14+), 25 query_id (14+)

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// maxRecord bounds one CSV record: encoding/csv holds a record whole, and
// a quote that never closes would otherwise read the rest of the file.
const maxRecord = 16 << 20

// budget is a reader that fails once a record has read more than its bound.
type budget struct {
	r    io.Reader
	left int
}

var errRecordTooLong = errors.New("csv record too long")

func (b *budget) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errRecordTooLong
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	return n, err
}

func (p *parser) csv(r io.Reader) error {
	bud := &budget{r: r, left: maxRecord}
	cr := csv.NewReader(bud)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	var off int64
	for {
		bud.left = maxRecord + bufferSlack
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			if errors.Is(err, errRecordTooLong) {
				p.warnf(int64(line), off, "csvlog record over %d bytes: the rest of the file is not read", maxRecord)
				return nil
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.warnf(int64(pe.Line), off, "csvlog: %v", pe.Err)
				off = cr.InputOffset()
				continue
			}
			return fmt.Errorf("csvlog: %w", err)
		}
		start := off
		off = cr.InputOffset()
		if len(rec) < 23 {
			p.warnf(int64(line), start, "csvlog record with %d fields, want 23 to 26", len(rec))
			continue
		}
		cut := func(i, n int) string { return textio.Cut(textio.SafeString(rec[i]), n) }
		e := &entry{line: int64(line), offset: start,
			user: cut(1, 256), db: cut(2, 256), session: cut(5, 64), severity: cut(11, 16), sqlstate: cut(12, 16),
			message: cut(13, MaxMessage), detail: cut(14, 4096), hint: cut(15, 1024), context: cut(18, 4096),
			statement: cut(19, MaxStatement), app: cut(22, 256)}
		if len(rec) > 23 {
			e.backend = cut(23, 64)
		}
		e.pid, _ = strconv.ParseInt(rec[3], 10, 64)
		if from := rec[4]; from != "" {
			if i := strings.LastIndexByte(from, ':'); i > 0 && !strings.HasSuffix(from, "]") {
				if port, err := strconv.Atoi(from[i+1:]); err == nil {
					e.host, e.port = textio.Cut(textio.SafeString(from[:i]), 256), port
				}
			}
			if e.host == "" {
				e.host = textio.Cut(textio.SafeString(from), 256)
			}
		}
		t, note, err := p.time(rec[0], int64(line), start)
		if err != nil {
			p.warnf(int64(line), start, "csvlog record with an unreadable log_time %q: the log file's mtime", textio.Cut(textio.SafeString(rec[0]), 64))
			t, note = p.o.ModTime, "csvlog record without a readable log_time: the log file's mtime"
		}
		e.time, e.timeNote = t, strings.Replace(note, "PostgreSQL log line", "PostgreSQL csvlog log_time", 1)
		p.emit(e)
	}
}

// bufferSlack allows for what the csv reader's buffer reads ahead of a record.
const bufferSlack = 64 << 10
