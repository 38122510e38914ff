// Package snapshot owns the JSON records the collector's volatile sources
// write (processes, sockets, executables, memory dumps, host facts) and the
// pure readers and converters the analyzer uses to turn them into timeline
// events. The layout of every entry is described in collector/VOLATILE.md.
//
// Records are JSON Lines: one object per line, written in /proc order. A
// value the kernel would not give is recorded in the record's Errors map
// under the field's JSON name, never as an empty value.
package snapshot

import "time"

// Entry names written by the collector (see collector/VOLATILE.md).
const (
	ProcessesEntry   = "proc/processes.jsonl"
	HiddenPIDsEntry  = "proc/hidden_pids.json"
	ExecutablesEntry = "proc/executables.jsonl"
	SocketsEntry     = "net/sockets.jsonl"
	HostFactsEntry   = "host/facts.json"
	InterfacesEntry  = "host/interfaces.json"
	MemoryIndexEntry = "memory/index.jsonl"
	// OpenFilesEntry holds one OpenFile per open descriptor of every
	// process, read in the same pass as the process list.
	OpenFilesEntry = "proc/open_files.jsonl"
	// ProcessSummaryEntry is a ProcessSummary: what the first pass read,
	// how many PIDs vanished or were reused while it read them.
	ProcessSummaryEntry = "proc/summary.json"
)

// Process status values.
const (
	StatusOK       = "ok"       // every field read from one incarnation of the PID
	StatusVanished = "vanished" // listed, then gone before its fields could be read
	StatusReused   = "reused"   // the PID changed hands while it was read (start time differs): fields from the new process only
)

// Process is one line of proc/processes.jsonl.
type Process struct {
	PID    int    `json:"pid"`
	Status string `json:"status"`
	// Hidden is set for a PID found by probing but absent from /proc's listing.
	Hidden bool `json:"hidden,omitempty"`
	PPID   int  `json:"ppid"`
	// KernelThread is set for kernel threads (PF_KTHREAD): they have no
	// executable, command line or memory of their own.
	KernelThread bool `json:"kernel_thread,omitempty"`
	// TGID differs from PID only for a thread reached by probing.
	TGID int    `json:"tgid,omitempty"`
	Comm string `json:"comm"`
	// Cmdline is argv as NUL-separated in /proc/PID/cmdline; CmdlineHex holds
	// the exact bytes when they are not valid UTF-8.
	Cmdline    []string `json:"cmdline"`
	CmdlineHex string   `json:"cmdline_hex,omitempty"`
	// Exe is the /proc/PID/exe link exactly as readlink gave it, including
	// a " (deleted)" suffix or a "/memfd:name (deleted)" form.
	Exe        string `json:"exe"`
	ExeHex     string `json:"exe_hex,omitempty"`
	ExeDeleted bool   `json:"exe_deleted,omitempty"`
	ExeMemfd   bool   `json:"exe_memfd,omitempty"`
	Cwd        string `json:"cwd"`
	Root       string `json:"root"`
	// Start is the absolute start instant (UTC): boot time plus StartTicks
	// divided by the clock tick rate.
	Start      time.Time `json:"start"`
	StartTicks uint64    `json:"start_ticks"`
	// StartDerivation says how Start was derived when it is not boot time
	// plus StartTicks (a record cordon import made from another
	// collector's listings: ps's lstart, to the second, or STIME).
	StartDerivation string `json:"start_derivation,omitempty"`
	State           string `json:"state"`
	Threads         int    `json:"threads"`
	UTimeTicks      uint64 `json:"utime_ticks"`
	STimeTicks      uint64 `json:"stime_ticks"`
	RSSBytes        int64  `json:"rss_bytes"`
	FDCount         int    `json:"fd_count"`
	// UIDs and GIDs are real, effective, saved, filesystem (status Uid:/Gid:).
	UIDs []uint32 `json:"uids"`
	GIDs []uint32 `json:"gids"`
	// UserNames and GroupNames match UIDs and GIDs, from the host's own
	// /etc/passwd and /etc/group ("" where the id has no name there). An
	// imported record may have names without UIDs (ps printed only names).
	UserNames  []string `json:"user_names,omitempty"`
	GroupNames []string `json:"group_names,omitempty"`
	// Namespaces maps a namespace kind (pid, net, mnt, ipc, uts, user,
	// cgroup, time) to its inode.
	Namespaces  map[string]uint64 `json:"namespaces"`
	Cgroup      string            `json:"cgroup"`
	ContainerID string            `json:"container_id,omitempty"`
	Environ     []string          `json:"environ,omitempty"`
	// Suspect lists why the process is suspect ("exe deleted", "exe memfd",
	// "exe under /tmp"); suspect processes get their executable and memory copied.
	Suspect []string `json:"suspect,omitempty"`
	// Errors maps a field's JSON name to why it could not be read.
	Errors map[string]string `json:"errors,omitempty"`
}

// EntityID identifies a process across PID reuse: pid and start ticks.
func EntityID(pid int, startTicks uint64) string {
	return itoa(int64(pid)) + "@" + itoa(int64(startTicks))
}

// HiddenPIDs is proc/hidden_pids.json.
type HiddenPIDs struct {
	PIDMax   int  `json:"pid_max"`
	Listed   int  `json:"listed"`
	Threads  int  `json:"threads"`
	Probed   int  `json:"probed"`
	Complete bool `json:"complete"` // false when the probe was cut by the deadline
	// ObservedAt is when the probe ended (the collector's UTC clock).
	ObservedAt time.Time `json:"observed_at"`
	// Hidden are PIDs that answer at /proc/PID, are thread-group leaders,
	// are absent from the listing and were still absent when listed again.
	Hidden []HiddenPID `json:"hidden"`
	Errors []string    `json:"errors,omitempty"`
}

// HiddenPID is one PID hidden from /proc's listing.
type HiddenPID struct {
	PID  int    `json:"pid"`
	TGID int    `json:"tgid"`
	Comm string `json:"comm,omitempty"`
	Exe  string `json:"exe,omitempty"`
	// Process is the hidden process's whole record, read like any other
	// ("hidden": true); proc/processes.jsonl holds the listed processes only.
	Process *Process `json:"process,omitempty"`
}

// ProcessSummary is proc/summary.json: what the first pass over /proc read.
type ProcessSummary struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Listed is the number of PIDs in the /proc listing; Read the records
	// written (every listed PID has one, vanished ones included).
	Listed int `json:"listed"`
	Read   int `json:"read"`
	// Vanished PIDs were listed, then gone before or while they were read;
	// each is read once and never again. Reused PIDs changed hands while
	// they were read, and were read once more.
	Vanished      int `json:"vanished"`
	Reused        int `json:"reused"`
	KernelThreads int `json:"kernel_threads"`
	Suspect       int `json:"suspect"`
	// FieldErrors counts live processes with a field the kernel would not give.
	FieldErrors     int    `json:"field_errors"`
	FirstFieldError string `json:"first_field_error,omitempty"`
	// FDs is the sum of the processes' descriptor counts; OpenFilesLeftOut
	// the descriptors not in proc/open_files.jsonl (its cap was reached).
	FDs              int `json:"fds"`
	OpenFilesLeftOut int `json:"open_files_left_out,omitempty"`
	// Workers is how many processes were read at once.
	Workers int `json:"workers"`
	// MaskedPIDs are /proc/PID directories something is mounted over (a
	// bind mount of an empty directory hides a process from ps and from
	// any reader of /proc), from the collector's mountinfo.
	MaskedPIDs []MaskedPID `json:"masked_pids,omitempty"`
}

// MaskedPID is a mount over /proc/PID.
type MaskedPID struct {
	PID    int    `json:"pid"`
	FSType string `json:"fs_type"`
	Source string `json:"source"`
	// Root is the mounted directory's path within its file system.
	Root string `json:"root"`
}

// OpenFile is one line of proc/open_files.jsonl: one open descriptor.
type OpenFile struct {
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"`
	FD         int    `json:"fd"`
	// Target is the fd link exactly as readlink gave it ("/var/log/x.log",
	// "/tmp/x (deleted)", "socket:[123]", "pipe:[456]", "anon_inode:[eventfd]");
	// TargetHex holds the exact bytes when they are not valid UTF-8.
	Target    string `json:"target"`
	TargetHex string `json:"target_hex,omitempty"`
	// Error says why the link could not be read (the descriptor was closed
	// between the listing and the read, or access was refused).
	Error string `json:"error,omitempty"`
}

// Executable is one line of proc/executables.jsonl: a copied suspect
// executable or deleted open file.
type Executable struct {
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"`
	// Kind is "exe" (through /proc/PID/exe) or "fd" (through /proc/PID/fd/N).
	Kind string `json:"kind"`
	FD   int    `json:"fd,omitempty"`
	// Link is the link text exactly as the kernel gave it.
	Link string `json:"link"`
	// Entry is the bundle entry holding the bytes ("" when not copied);
	// SameAs names the entry of an identical file (same device and inode)
	// already copied.
	Entry  string `json:"entry,omitempty"`
	SameAs string `json:"same_as,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size"`
	Copied int64  `json:"copied"`
	Dev    uint64 `json:"dev"`
	Inode  uint64 `json:"inode"`
	Nlink  uint64 `json:"nlink"`
	ELF    *ELF   `json:"elf,omitempty"`
	Error  string `json:"error,omitempty"`
	// Vanished says the process was gone when its turn came (it was alive
	// in the first pass): it is not read again.
	Vanished bool `json:"vanished,omitempty"`
	// ObservedAt is when the file was opened (the collector's UTC clock).
	ObservedAt time.Time `json:"observed_at"`
}

// ELF holds header facts of an executable.
type ELF struct {
	Class       string `json:"class"`
	Machine     string `json:"machine"`
	Type        string `json:"type"`
	Interpreter string `json:"interpreter,omitempty"`
	BuildID     string `json:"build_id,omitempty"`
	Error       string `json:"error,omitempty"`
}

// MemoryDump is one line of memory/index.jsonl: one process's dump.
type MemoryDump struct {
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"`
	Comm       string `json:"comm"`
	Exe        string `json:"exe"`
	MapsEntry  string `json:"maps_entry,omitempty"`
	CoreEntry  string `json:"core_entry,omitempty"`
	// Regions are the mappings of /proc/PID/maps, in address order, with
	// where each one's bytes sit in the core file.
	Regions []MemoryRegion `json:"regions"`
	// Dumped is the number of region bytes in the core (holes included).
	Dumped int64  `json:"dumped"`
	Holes  int64  `json:"hole_bytes"`
	Error  string `json:"error,omitempty"`
}

// MemoryRegion is one mapping and its place in the core file.
type MemoryRegion struct {
	Start  uint64 `json:"start"`
	End    uint64 `json:"end"`
	Perms  string `json:"perms"`
	Offset uint64 `json:"offset"` // file offset of the mapping (maps column 3)
	Path   string `json:"path,omitempty"`
	// CoreOffset is where the region's bytes start in the core entry; Dumped
	// is how many bytes were stored there (0: not dumped, see Skipped).
	CoreOffset int64  `json:"core_offset"`
	Dumped     int64  `json:"dumped"`
	Skipped    string `json:"skipped,omitempty"`
	// Holes are page ranges that could not be read and hold zeros in the core.
	Holes []Hole `json:"holes,omitempty"`
}

// Hole is an unreadable address range [Start, End), zero-filled in the dump.
type Hole struct {
	Start uint64 `json:"start"`
	End   uint64 `json:"end"`
	Error string `json:"error"`
}

// Socket is one line of net/sockets.jsonl.
type Socket struct {
	NetNS uint64 `json:"netns"`
	// File is the /proc/PID/net file the row came from (tcp, tcp6, udp, udp6,
	// raw, raw6, unix); Transport is tcp, udp, raw or unix.
	File       string `json:"file"`
	Transport  string `json:"transport"`
	Family     string `json:"family"` // "ipv4", "ipv6", "unix"
	State      string `json:"state"`
	LocalIP    string `json:"local_ip,omitempty"`
	LocalPort  int    `json:"local_port,omitempty"`
	RemoteIP   string `json:"remote_ip,omitempty"`
	RemotePort int    `json:"remote_port,omitempty"`
	Path       string `json:"path,omitempty"` // unix socket path ("@name" for abstract)
	UID        uint32 `json:"uid"`
	Inode      uint64 `json:"inode"`
	// Listening: a TCP socket in LISTEN, or a bound unconnected UDP/raw
	// socket; AllInterfaces: bound to 0.0.0.0 or ::.
	Listening     bool `json:"listening,omitempty"`
	AllInterfaces bool `json:"all_interfaces,omitempty"`
	// Holders are the processes whose fds point at the socket inode.
	Holders []Holder `json:"holders,omitempty"`
	// Line is the 1-based line of the row in the raw copy of the file.
	Line int `json:"line"`
	// ObservedAt is when the table was read (the collector's UTC clock).
	ObservedAt time.Time `json:"observed_at"`
}

// Holder is a process fd holding a socket.
type Holder struct {
	PID        int    `json:"pid"`
	FD         int    `json:"fd"`
	Comm       string `json:"comm,omitempty"`
	StartTicks uint64 `json:"start_ticks"`
}

// HostFacts is host/facts.json.
type HostFacts struct {
	Hostname      string    `json:"hostname"`
	MachineID     string    `json:"machine_id"`
	BootID        string    `json:"boot_id"`
	Kernel        string    `json:"kernel"`
	KernelVersion string    `json:"kernel_version"`
	BootTime      time.Time `json:"boot_time"`
	// BootTimeStat is /proc/stat btime (whole seconds), kept beside the
	// precise BootTime (realtime clock minus boottime clock).
	BootTimeStat  time.Time         `json:"boot_time_stat"`
	UptimeSeconds float64           `json:"uptime_seconds"`
	ClockTicks    int               `json:"clock_ticks"`
	TimeZone      string            `json:"time_zone"`
	ReadAt        time.Time         `json:"read_at"`
	Errors        map[string]string `json:"errors,omitempty"`
}

// Interface is one network interface in host/interfaces.json.
type Interface struct {
	Index     int      `json:"index"`
	Name      string   `json:"name"`
	MAC       string   `json:"mac,omitempty"`
	MTU       int      `json:"mtu"`
	Flags     string   `json:"flags"`
	Addresses []string `json:"addresses"`
	Error     string   `json:"error,omitempty"`
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Entries of the "process-files" source.
const (
	// ExeHashesEntry holds one ExeHash per process with an executable.
	ExeHashesEntry = "proc/exe_hashes.jsonl"
	// MapFilesEntry holds one MappedFile per file-backed mapping of every
	// process (from /proc/PID/maps: the ranges /proc/PID/map_files names).
	MapFilesEntry = "proc/map_files.jsonl"
)

// ExeHash is one line of proc/exe_hashes.jsonl: the SHA-256 of the file a
// process runs, read through /proc/PID/exe (so a deleted or replaced
// binary is the one in memory's backing file, not what the path names now).
type ExeHash struct {
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"`
	Exe        string `json:"exe"`
	Dev        uint64 `json:"dev,omitempty"`
	Inode      uint64 `json:"inode,omitempty"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256,omitempty"`
	// Hashed is how many bytes were hashed (less than Size: a cap cut it,
	// and SHA256 is of the prefix).
	Hashed int64 `json:"hashed"`
	// SameAsPID names an earlier process running the same file (device
	// and inode): the file was hashed once.
	SameAsPID int    `json:"same_as_pid,omitempty"`
	Error     string `json:"error,omitempty"`
	Vanished  bool   `json:"vanished,omitempty"`
}

// MappedFile is one line of proc/map_files.jsonl.
type MappedFile struct {
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"`
	// Range is the mapping's map_files name ("7f3a…-7f3b…"), Target the
	// mapped file's path as maps gives it.
	Range  string `json:"range"`
	Target string `json:"target"`
	// Deleted says the mapped file was deleted: its bytes are copied
	// through the link into Entry (once per device and inode).
	Deleted bool `json:"deleted,omitempty"`
	// Executable says the mapped file is the one the process runs (its
	// /proc/PID/exe names the same path): a deleted one is what the
	// processes' records already report as a deleted executable.
	Executable bool   `json:"executable,omitempty"`
	Entry      string `json:"entry,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Entries of the "kernel" source.
const (
	// KernelStateEntry is a KernelState.
	KernelStateEntry = "kernel/state.json"
	// KmsgEntry holds the kernel ring buffer as /dev/kmsg gives it: one
	// record a line, "PRIORITY,SEQUENCE,MICROSECONDS_SINCE_BOOT,FLAGS;MESSAGE"
	// (Documentation/ABI/testing/dev-kmsg), continuation lines starting
	// with a space.
	KmsgEntry = "kernel/kmsg.txt"
)

// KernelState is kernel/state.json: what the running kernel says of its
// integrity and of the settings an attacker changes.
type KernelState struct {
	ReadAt time.Time `json:"read_at"`
	// Tainted is /proc/sys/kernel/tainted and its set flags ("O", "E", …).
	Tainted      uint64   `json:"tainted"`
	TaintedFlags []string `json:"tainted_flags"`
	CorePattern  string   `json:"core_pattern"`
	// Sysctls maps a dotted name to its value, for the security-relevant
	// settings read (absent ones are in Errors).
	Sysctls    map[string]string `json:"sysctls"`
	Modules    []KernelModule    `json:"modules"`
	BinfmtMisc []BinfmtEntry     `json:"binfmt_misc,omitempty"`
	BPF        BPFState          `json:"bpf"`
	Errors     map[string]string `json:"errors,omitempty"`
}

// KernelModule is one loaded module (/proc/modules, /sys/module/NAME) and
// what its file on disk says of its signature.
type KernelModule struct {
	Name     string   `json:"name"`
	Size     int64    `json:"size"`
	RefCount int      `json:"refcount"`
	UsedBy   []string `json:"used_by,omitempty"`
	State    string   `json:"state"`
	// Taint is the module's taint letters (/sys/module/NAME/taint): "O"
	// out of tree, "E" unsigned, "P" proprietary, "C" staging, …
	Taint      string `json:"taint,omitempty"`
	OutOfTree  bool   `json:"out_of_tree,omitempty"`
	Unsigned   bool   `json:"unsigned,omitempty"`
	Version    string `json:"version,omitempty"`
	SrcVersion string `json:"srcversion,omitempty"`
	// File is the module's file from modules.dep ("" for a module loaded
	// from elsewhere: itself a finding); Signature what its appended
	// signature says.
	File      string           `json:"file,omitempty"`
	Signature *ModuleSignature `json:"signature,omitempty"`
	Error     string           `json:"error,omitempty"`
}

// ModuleSignature is a module's appended signature (the "~Module signature
// appended~" trailer and its PKCS#7 SignedData).
type ModuleSignature struct {
	// Signer is the issuer's common name of the signing key, SignerOrg its
	// organisation, KeyID the certificate serial (hex), HashAlgo the digest.
	Signer    string `json:"signer,omitempty"`
	SignerOrg string `json:"signer_org,omitempty"`
	KeyID     string `json:"key_id,omitempty"`
	HashAlgo  string `json:"hash_algo,omitempty"`
	Error     string `json:"error,omitempty"`
}

// BinfmtEntry is one /proc/sys/fs/binfmt_misc registration (an
// interpreter the kernel runs for matching files: a persistence place).
type BinfmtEntry struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// BPFState lists eBPF objects: the pinned files under /sys/fs/bpf and the
// programs and maps the kernel holds (bpf(2) *_GET_NEXT_ID, read-only).
type BPFState struct {
	Pinned   []BPFPinned  `json:"pinned"`
	Programs []BPFProgram `json:"programs"`
	Maps     []BPFMap     `json:"maps"`
	Errors   []string     `json:"errors,omitempty"`
}

// BPFPinned is one file under the BPF file system.
type BPFPinned struct {
	Path  string    `json:"path"`
	Type  string    `json:"type"` // "file" (a pinned object) or "dir"
	UID   uint32    `json:"uid"`
	Mtime time.Time `json:"mtime"`
}

// BPFProgram is one loaded eBPF program (struct bpf_prog_info).
type BPFProgram struct {
	ID   uint32 `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	Tag  string `json:"tag"`
	// LoadedAt is the load time (boot time plus the kernel's nanoseconds).
	LoadedAt  time.Time `json:"loaded_at"`
	UID       uint32    `json:"uid"`
	MapIDs    int       `json:"map_count"`
	XlatedLen uint32    `json:"xlated_len"`
	JitedLen  uint32    `json:"jited_len"`
	GPL       bool      `json:"gpl_compatible"`
}

// BPFMap is one eBPF map (struct bpf_map_info).
type BPFMap struct {
	ID         uint32 `json:"id"`
	Type       uint32 `json:"type"`
	Name       string `json:"name"`
	KeySize    uint32 `json:"key_size"`
	ValueSize  uint32 `json:"value_size"`
	MaxEntries uint32 `json:"max_entries"`
}

// CredentialFilesEntry lists the credential files found in home
// directories and /etc (the "accounts" and "etc" sources): their presence
// and metadata; their contents only with --credentials.
const CredentialFilesEntry = "accounts/credential_files.json"

// CredentialFile is one credential file found.
type CredentialFile struct {
	Path string `json:"path"`
	// Kind says what it holds: "git-credentials", "pgpass", "mysql",
	// "netrc", "aws", "docker", "ssh-private-key", "host-private-key".
	Kind  string    `json:"kind"`
	Type  string    `json:"type"` // file type from stat
	Mode  uint32    `json:"mode"`
	UID   uint32    `json:"uid"`
	GID   uint32    `json:"gid"`
	Size  int64     `json:"size"`
	Mtime time.Time `json:"mtime"`
	Ctime time.Time `json:"ctime"`
	// Entry is set when --credentials copied the contents.
	Entry string `json:"entry,omitempty"`
}
