package snapshot

import "time"

// BinariesEntry holds one JSON record per program the collector's
// "binaries" source hashed (system programs, for comparison with the
// package manager's lists).
const BinariesEntry = "integrity/binaries.jsonl"

// BinaryRecord is one hashed program.
type BinaryRecord struct {
	Path      string    `json:"path"`
	Size      int64     `json:"size"`
	Mtime     time.Time `json:"mtime"`
	Ctime     time.Time `json:"ctime"`
	Inode     uint64    `json:"inode"`
	MD5       string    `json:"md5,omitempty"`
	SHA256    string    `json:"sha256,omitempty"`
	Truncated bool      `json:"truncated,omitempty"` // hashed only up to the per-file bound
	Error     string    `json:"error,omitempty"`
}
