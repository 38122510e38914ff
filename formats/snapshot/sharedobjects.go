package snapshot

import "time"

// SharedObjectsEntry holds one SharedObject per line: the shared objects
// mapped by processes that are deleted, outside the package-owned library
// directories, or preloaded (collector/VOLATILE.md).
const SharedObjectsEntry = "proc/sharedobjects.jsonl"

// Reasons a mapped shared object is recorded.
const (
	ReasonDeleted       = "deleted"
	ReasonOutsidePkgDir = "outside package directories"
	ReasonLdSoPreload   = "/etc/ld.so.preload"
	ReasonLDPreload     = "LD_PRELOAD"
)

// SharedObject is one file a process maps with execute permission, other
// than its own executable, that is suspect for one of Reasons.
type SharedObject struct {
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"`
	Comm       string `json:"comm"`
	Exe        string `json:"exe"`
	// Path is the path exactly as /proc/PID/maps gives it, " (deleted)" included.
	Path    string   `json:"path"`
	Deleted bool     `json:"deleted,omitempty"`
	Reasons []string `json:"reasons"`
	// LDPreload is the process's LD_PRELOAD, the only variable read from
	// its environment (the rest holds secrets and is not read).
	LDPreload string `json:"ld_preload,omitempty"`
	// Dev ("major:minor", hex, as in maps) and Inode identify the file.
	Dev   string `json:"dev"`
	Inode uint64 `json:"inode"`
	// Mappings are the maps lines of the file: "start-end perms offset".
	Mappings []string `json:"mappings"`
	// Via is how the bytes were read: "map_files" (/proc/PID/map_files,
	// which yields a deleted file) or "root" (/proc/PID/root/PATH, checked
	// to be the same inode); "" when not copied.
	Via    string `json:"via,omitempty"`
	Entry  string `json:"entry,omitempty"`
	SameAs string `json:"same_as,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size"`
	Copied int64  `json:"copied"`
	ELF    *ELF   `json:"elf,omitempty"`
	// NotCopied says why the bytes were left (a process not suspect, a
	// spent budget); Error what failed.
	NotCopied  string    `json:"not_copied,omitempty"`
	Error      string    `json:"error,omitempty"`
	ObservedAt time.Time `json:"observed_at"`
}
