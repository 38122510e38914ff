package filetimeline

import "time"

// Entries of the collector's "sweep" source: one walk of the host's local
// file systems recording only the files an analyst looks for first.
const (
	// SweepEntry holds one SweepRecord per file found, JSON Lines, in walk order.
	SweepEntry = "sweep/files.jsonl"
	// SweepSummaryEntry is a SweepSummary.
	SweepSummaryEntry = "sweep/summary.json"
)

// Sweep reasons.
const (
	ReasonSUID          = "suid"           // set-user-ID
	ReasonSGID          = "sgid"           // set-group-ID
	ReasonCapabilities  = "capabilities"   // a security.capability extended attribute
	ReasonWorldWritable = "world-writable" // a file, or a directory without the sticky bit, in a system directory
	ReasonNoUser        = "no-user"        // owner not in the host's /etc/passwd
	ReasonNoGroup       = "no-group"       // group not in the host's /etc/group
	ReasonHidden        = "hidden"         // a dot name under a temporary or home directory
	ReasonImmutable     = "immutable"      // chattr +i (statx STATX_ATTR_IMMUTABLE): miners protect their persistence so
	ReasonAppendOnly    = "append-only"    // chattr +a
)

// SweepRecord is one file of the sweep: its metadata and why it is there.
type SweepRecord struct {
	Record
	Reasons []string `json:"reasons"`
	// Capabilities is the file capability set as getcap(8) writes it
	// ("cap_net_raw+ep"); CapabilitiesHex the raw attribute.
	Capabilities    string `json:"capabilities,omitempty"`
	CapabilitiesHex string `json:"capabilities_hex,omitempty"`
	// CapabilitiesRootID is the namespace root id of a version 3 attribute.
	CapabilitiesRootID *uint32 `json:"capabilities_rootid,omitempty"`
}

// SweepSummary is sweep/summary.json.
type SweepSummary struct {
	Roots    []string       `json:"roots"`
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished"`
	Visited  int            `json:"visited"`
	Records  int            `json:"records"`
	ByReason map[string]int `json:"by_reason"`
	// FileSystems are the mount points entered; Skipped those not entered
	// (pseudo and network file systems) with their type.
	FileSystems []string          `json:"file_systems"`
	Skipped     map[string]string `json:"skipped_file_systems,omitempty"`
	Complete    bool              `json:"complete"`
	StopReason  string            `json:"stop_reason,omitempty"`
	Errors      int               `json:"errors"`
	// RecordsLeftOut counts files found past the record cap.
	RecordsLeftOut int `json:"records_left_out,omitempty"`
}

// ContainersFSEntry lists, for each running container, where its files
// were read (the collector's "container-fs" source); each container's
// writable layer is in ContainerLayerEntry(id).
const ContainersFSEntry = "containers/fs.json"

// ContainerLayerEntry names the entry listing one container's writable layer.
func ContainerLayerEntry(containerID string) string {
	return "containers/" + containerID + "/upper.jsonl"
}

// ContainerFS is one container of containers/fs.json.
type ContainerFS struct {
	ContainerID string `json:"container_id"`
	// PID is the process read through (the lowest PID of the container's
	// mount namespace), MntNS that namespace.
	PID   int    `json:"pid"`
	MntNS uint64 `json:"mnt_ns"`
	// RootFS is the type of the container's root mount ("overlay", …);
	// UpperDir the overlay's writable layer on the host, when it has one.
	RootFS   string `json:"root_fs"`
	UpperDir string `json:"upper_dir,omitempty"`
	// Layer is the entry listing the writable layer; Records its count.
	Layer   string `json:"layer,omitempty"`
	Records int    `json:"records"`
	// Copied counts the files copied (by the upper directory or through
	// /proc/PID/root); LeftOut those the caps left out.
	Copied  int      `json:"copied"`
	LeftOut int      `json:"left_out,omitempty"`
	Errors  []string `json:"errors,omitempty"`
}

// LayerRecord is one file of a container's writable layer. Path is the
// path inside the container; a whiteout (a file the container deleted
// from its image) is a character device 0:0 in the layer.
type LayerRecord struct {
	Record
	Whiteout bool `json:"whiteout,omitempty"`
	// Entry is the bundle entry with the file's bytes, when copied.
	Entry string `json:"entry,omitempty"`
}
