package auditd

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Record is one audit.log line: "type=SYSCALL msg=audit(1700000000.123:456): key=value …".
type Record struct {
	Type   string
	Time   time.Time // from audit(<sec>.<ms>:<serial>)
	Serial uint64
	Node   string // "node=" prefix (log_format with name_format set)
	Fields []Field
	Line   int64
	Offset int64
	Raw    string // the line, made safe and bounded
}

// Field is one key=value of a record. Value is decoded: quotes removed and,
// for the fields the kernel hex-encodes when they hold unsafe bytes
// (audit_log_untrustedstring: comm, exe, proctitle, EXECVE aN, …), hex
// decoded. Hex says the value was hex in the log.
type Field struct {
	Key, Value string
	Hex        bool
	Translated bool // from the ENRICHED part after 0x1d (uid names, syscall names)
}

// Get returns the first value of key ("" if absent).
func (r *Record) Get(key string) string {
	v, _ := r.Lookup(key)
	return v
}

// Lookup returns the first value of key and whether it is there.
func (r *Record) Lookup(key string) (string, bool) {
	for _, f := range r.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// MaxFields bounds the fields of one record (EXECVE of a long command line
// may hold thousands of aN).
const MaxFields = 4096

var errNotAudit = errors.New("not an audit record: no type= and msg=audit(…) header")

// hexFields are the fields the kernel and user-space audit log through
// audit_log_n_untrustedstring / audit_encode_value: hex when the value holds
// a space, a quote, a control byte or a byte over 0x7e, quoted otherwise.
// Fields that are plain numbers or raw text elsewhere (id=, old=, a0= of a
// SYSCALL record, hostname=) are deliberately absent: "1001" is valid hex.
var hexFields = map[string]bool{
	"comm": true, "exe": true, "proctitle": true, "cwd": true, "name": true,
	"path": true, "cmd": true, "acct": true, "data": true, "key": true,
	"watch": true, "root_dir": true,
}

func isHexField(recType, key string) bool {
	if hexFields[key] {
		return true
	}
	// EXECVE only: a0, a1, … and the pieces a1[0], a1[1] of a long argument
	// (a SYSCALL record's a0…a3 are the raw syscall arguments, in hex).
	if recType == "EXECVE" && len(key) > 1 && key[0] == 'a' && key[1] >= '0' && key[1] <= '9' && !strings.HasSuffix(key, "_len") {
		return true
	}
	return false
}

// ParseRecord parses one audit.log line.
func ParseRecord(line []byte) (Record, error) {
	var rec Record
	s := string(line)
	s = strings.TrimRight(s, "\r")
	// ENRICHED log_format: the translated fields follow a 0x1d separator
	var enriched string
	if i := strings.IndexByte(s, 0x1d); i >= 0 {
		s, enriched = s[:i], s[i+1:]
	}
	if strings.HasPrefix(s, "node=") {
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			return rec, errNotAudit
		}
		rec.Node = s[len("node="):end]
		s = s[end+1:]
	}
	if !strings.HasPrefix(s, "type=") {
		return rec, errNotAudit
	}
	sp := strings.IndexByte(s, ' ')
	if sp < 0 {
		return rec, errNotAudit
	}
	rec.Type = s[len("type="):sp]
	if !validType(rec.Type) {
		return rec, fmt.Errorf("audit record type %q is not a type name", cut(rec.Type))
	}
	s = s[sp+1:]
	if !strings.HasPrefix(s, "msg=audit(") {
		return rec, errNotAudit
	}
	s = s[len("msg=audit("):]
	end := strings.Index(s, "):")
	if end < 0 {
		return rec, fmt.Errorf("audit header without \"):\"")
	}
	stamp := s[:end]
	s = strings.TrimLeft(s[end+2:], " ")
	ts, serial, ok := strings.Cut(stamp, ":")
	if !ok {
		return rec, fmt.Errorf("audit header %q without a serial", cut(stamp))
	}
	var err error
	if rec.Serial, err = strconv.ParseUint(serial, 10, 64); err != nil {
		return rec, fmt.Errorf("audit serial %q: %w", cut(serial), err)
	}
	secs, frac, _ := strings.Cut(ts, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec < 0 || sec > 1<<40 {
		return rec, fmt.Errorf("audit time %q is not epoch seconds", cut(ts))
	}
	var nsec int64
	if frac != "" {
		if len(frac) > 9 {
			return rec, fmt.Errorf("audit time %q has too many decimals", cut(ts))
		}
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return rec, fmt.Errorf("audit time %q: bad fraction", cut(ts))
		}
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
		nsec = f
	}
	rec.Time = time.Unix(sec, nsec).UTC()
	rec.Fields = parseFields(rec.Type, s, rec.Fields, false)
	if enriched != "" {
		rec.Fields = parseFields(rec.Type, enriched, rec.Fields, true)
	}
	return rec, nil
}

func cut(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// parseFields splits "k=v k2="quoted v" msg='inner k=v'" into fields.
// A USER_* record's msg='…' holds more key=value pairs: they are added as
// fields of their own (and msg itself is kept).
func parseFields(recType, s string, out []Field, translated bool) []Field {
	for len(s) > 0 && len(out) < MaxFields {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		sp := strings.IndexByte(s, ' ')
		if eq < 0 || (sp >= 0 && sp < eq) {
			// a bare word (old kernels: "audit_enabled=1 old=0 auid=… res=1" is fine, but some records hold free text)
			if sp < 0 {
				out = append(out, Field{Key: s, Translated: translated})
				break
			}
			out = append(out, Field{Key: s[:sp], Translated: translated})
			s = s[sp:]
			continue
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		quoted := false
		switch {
		case strings.HasPrefix(s, `"`):
			if e := strings.IndexByte(s[1:], '"'); e >= 0 {
				val, s = s[1:1+e], s[2+e:]
			} else {
				val, s = s[1:], ""
			}
			quoted = true
		case strings.HasPrefix(s, "'"):
			e := strings.IndexByte(s[1:], '\'')
			var inner string
			if e >= 0 {
				inner, s = s[1:1+e], s[2+e:]
			} else {
				inner, s = s[1:], ""
			}
			out = append(out, Field{Key: key, Value: inner, Translated: translated})
			if key == "msg" {
				out = parseFields(recType, inner, out, translated)
			}
			continue
		default:
			if e := strings.IndexByte(s, ' '); e >= 0 {
				val, s = s[:e], s[e:]
			} else {
				val, s = s, ""
			}
		}
		f := Field{Key: key, Value: val, Translated: translated}
		if !quoted && isHexField(recType, key) && val != "(null)" && val != "?" {
			if b, ok := decodeHex(val); ok {
				f.Value, f.Hex = string(b), true
			}
		}
		out = append(out, f)
	}
	return out
}

func decodeHex(s string) ([]byte, bool) {
	if len(s) == 0 || len(s)%2 != 0 {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f') {
			return nil, false
		}
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// proctitleArgs splits a decoded PROCTITLE (NUL-separated argv) into args.
func proctitleArgs(s string) []string {
	b := bytes.TrimRight([]byte(s), "\x00")
	var out []string
	for _, a := range bytes.Split(b, []byte{0}) {
		out = append(out, string(a))
	}
	return out
}

// validType accepts the record type names auditd prints: upper-case
// letters, digits and "_", or UNKNOWN[1234] for a number it cannot name.
func validType(t string) bool {
	if t == "" || len(t) > 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}
