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
