package filetimeline

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bodyfile writing follows TSK 3.x: eleven '|'-separated fields, times in
// Unix seconds (0: unknown). A '|' or a newline inside a name would break
// the format and mactime knows no escape, so Cordon percent-escapes names:
// '%' → "%25", '|' → "%7C", control bytes → "%XX". ParseBodyLine reverses them.

// ModeString renders type and permission bits as ls -l does ("-rwxr-xr-x",
// "drwxrwxrwt", "lrwxrwxrwx"), the mode_as_string field of the bodyfile.
func ModeString(typ string, mode uint32) string {
	var b [10]byte
	switch typ {
	case "dir":
		b[0] = 'd'
	case "symlink":
		b[0] = 'l'
	case "fifo":
		b[0] = 'p'
	case "socket":
		b[0] = 's'
	case "char":
		b[0] = 'c'
	case "block":
		b[0] = 'b'
	default:
		b[0] = '-'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if mode&(1<<uint(8-i)) != 0 {
			b[i+1] = rwx[i]
		} else {
			b[i+1] = '-'
		}
	}
	if mode&0o4000 != 0 {
		b[3] = map[bool]byte{true: 's', false: 'S'}[mode&0o100 != 0]
	}
	if mode&0o2000 != 0 {
		b[6] = map[bool]byte{true: 's', false: 'S'}[mode&0o010 != 0]
	}
	if mode&0o1000 != 0 {
		b[9] = map[bool]byte{true: 't', false: 'T'}[mode&0o001 != 0]
	}
	return string(b[:])
}

// EscapeName makes a path safe for a bodyfile field.
func EscapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' || c == '|' || c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// UnescapeName reverses EscapeName (malformed escapes are kept as they are).
func UnescapeName(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// BodyLine renders a record as one bodyfile line (with its newline). The MD5
// field is 0: Cordon hashes with SHA-256, kept in the JSONL. A symbolic
// link's name is written "path -> target", as fls does.
func BodyLine(r Record) string {
	name := EscapeName(r.Path)
	if r.Type == "symlink" {
		name += " -> " + EscapeName(r.Link)
	}
	return fmt.Sprintf("0|%s|%d|%s|%d|%d|%d|%d|%d|%d|%d\n", name, r.Inode, ModeString(r.Type, r.Mode),
		r.UID, r.GID, r.Size, unixOrZero(r.Atime), unixOrZero(r.Mtime), unixOrZero(r.Ctime), unixOrZero(r.Btime))
}

// BodyRecord is one parsed bodyfile line.
type BodyRecord struct {
	MD5, Name, Mode             string
	Inode                       string // TSK writes "inode-type-id" for NTFS: kept as text
	UID, GID                    uint32
	Size                        int64
	Atime, Mtime, Ctime, Crtime int64
}

// ParseBodyLine parses one TSK 3.x bodyfile line (without newline). Names
// may contain '|' only when escaped; a line with other than 11 fields is an error.
func ParseBodyLine(line string) (BodyRecord, error) {
	f := strings.Split(line, "|")
	if len(f) != 11 {
		return BodyRecord{}, fmt.Errorf("bodyfile: %d fields, want 11", len(f))
	}
	var r BodyRecord
	r.MD5, r.Name, r.Inode, r.Mode = f[0], UnescapeName(f[1]), f[2], f[3]
	nums := []struct {
		s   string
		dst *int64
	}{{f[6], &r.Size}, {f[7], &r.Atime}, {f[8], &r.Mtime}, {f[9], &r.Ctime}, {f[10], &r.Crtime}}
	for _, n := range nums {
		v, err := strconv.ParseInt(n.s, 10, 64)
		if err != nil {
			return BodyRecord{}, fmt.Errorf("bodyfile: %w", err)
		}
		*n.dst = v
	}
	for i, dst := range []*uint32{&r.UID, &r.GID} {
		v, err := strconv.ParseUint(f[4+i], 10, 32)
		if err != nil {
			return BodyRecord{}, fmt.Errorf("bodyfile: %w", err)
		}
		*dst = uint32(v)
	}
	return r, nil
}
