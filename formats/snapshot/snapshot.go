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
