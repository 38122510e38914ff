package bundle

import (
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"
)

// Source names reserved by the bundle itself.
const (
	SourceBundle = "cordon" // entries the writer adds on its own (header, public key)
)

// FileInfo is the metadata of an original file on the host, as stat/statx
// gave it before the file was read. Times are UTC; a zero time means the
// kernel did not give it (birth time on old kernels and file systems).
type FileInfo struct {
	Type  string    `json:"type"` // "file", "dir", "symlink", "fifo", "socket", "char", "block"
	Mode  uint32    `json:"mode"` // permission and special bits, as st_mode & 07777
	UID   uint32    `json:"uid"`
	GID   uint32    `json:"gid"`
	Size  int64     `json:"size"`
	Inode uint64    `json:"inode,omitempty"`
	Dev   uint64    `json:"dev,omitempty"`
	Nlink uint64    `json:"nlink,omitempty"`
	Mtime time.Time `json:"mtime"`
	Atime time.Time `json:"atime"`
	Ctime time.Time `json:"ctime"`
	Btime time.Time `json:"btime,omitzero"`
	// Link is the target of a symbolic link, exactly as readlink gave it.
	Link string `json:"link,omitempty"`
}

// EntryMeta is what the caller knows of an entry before its bytes are
// written: where it comes from and what the original looked like.
type EntryMeta struct {
	// Name is the entry's path in the tar stream; see NameFor and ValidName.
	Name string
	// HostPath is the path the bytes were read from on the host (may hold
	// any byte the host's file system allows).
	HostPath string
	// Source is the collector source that produced the entry ("processes", "logs", …).
	Source string
	// Original is the metadata of the file read, when there was a file.
	Original *FileInfo
	// ReadAt is when the read started (UTC). The writer fills it when zero.
	ReadAt time.Time
	// Truncated says a size cap cut the content short; the writer also sets
	// it when the reader gave more bytes than the declared size.
	Truncated bool
	// Error is the error met while reading, if any (the content may then be
	// partial: see Truncated and Size).
	Error string
	// Note is a free human-readable remark ("padded 4096 unreadable bytes at 0x1000 with zeros").
	Note string
}

// EntryRecord is the signed record of one entry, as it appears in checkpoints
// and in manifest.json.
type EntryRecord struct {
	Index       int       `json:"index"`
	Name        string    `json:"name"`
	HostPath    string    `json:"host_path,omitempty"`
	HostPathHex string    `json:"host_path_hex,omitempty"` // set when HostPath is not valid UTF-8
	Source      string    `json:"source"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Truncated   bool      `json:"truncated"`
	Error       string    `json:"error,omitempty"`
	Note        string    `json:"note,omitempty"`
	ReadAt      time.Time `json:"read_at"`
	Original    *FileInfo `json:"original,omitempty"`
	// Chain is the chain value after this entry (hex): see DESIGN.md.
	Chain string `json:"chain"`
}

// MissingRecord is something a source looked for and could not collect.
// Missing is never empty: such a thing has no entry, it has this record.
type MissingRecord struct {
	HostPath    string    `json:"host_path"`
	HostPathHex string    `json:"host_path_hex,omitempty"`
	Source      string    `json:"source"`
	Error       string    `json:"error"`
	Original    *FileInfo `json:"original,omitempty"`
	At          time.Time `json:"at"`
}

// hostPathFields returns the JSON-safe form of a host path: the string
// itself when it is valid UTF-8, else a lossy string and the exact bytes in hex.
func hostPathFields(p string) (text, hexBytes string) {
	if utf8.ValidString(p) {
		return p, ""
	}
	return strings.ToValidUTF8(p, "\uFFFD"), hex.EncodeToString([]byte(p))
}

// HostPathBytes returns the exact host path of a record.
func (r EntryRecord) HostPathBytes() string {
	if r.HostPathHex != "" {
		if b, err := hex.DecodeString(r.HostPathHex); err == nil {
			return string(b)
		}
	}
	return r.HostPath
}
