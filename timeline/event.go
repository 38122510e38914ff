// Package timeline owns Cordon's event model: one Event per thing that
// happened at a point in time, whatever artifact it was read from, with its
// fields named as in the Elastic Common Schema (ECS) and its provenance
// (bundle, entry, line or byte offset) so that every statement built on it
// can be traced back to signed evidence. It also sorts events and writes
// them out (table, jsonl, csv, Timesketch, l2tcsv, bodyfile).
package timeline

import (
	"fmt"
	"strconv"
	"time"
)

// Meaning says what an event's time means (Timesketch's timestamp_desc).
type Meaning string

// Time meanings used across parsers. Parsers may use others; these keep the
// common ones spelled alike.
const (
	MeaningStart       Meaning = "process start"
	MeaningEnd         Meaning = "process end"
	MeaningLogin       Meaning = "login"
	MeaningLogout      Meaning = "logout"
	MeaningLogged      Meaning = "log entry written"
	MeaningModified    Meaning = "file modified"
	MeaningAccessed    Meaning = "file accessed"
	MeaningChanged     Meaning = "inode changed"
	MeaningBorn        Meaning = "file created"
	MeaningConnOpened  Meaning = "connection opened"
	MeaningConnClosed  Meaning = "connection closed"
	MeaningFirstPacket Meaning = "first packet"
	MeaningLastPacket  Meaning = "last packet"
	MeaningObserved    Meaning = "observed at collection"
	MeaningBoot        Meaning = "boot"
	MeaningCommand     Meaning = "command run"
)

// Event is one timeline event. The JSON form is ECS-shaped (nested objects,
// "@timestamp"), with Cordon's own facts under "cordon".
type Event struct {
	Timestamp   time.Time         `json:"@timestamp"` // UTC, nanoseconds kept
	Message     string            `json:"message"`
	Event       EventFields       `json:"event"`
	Host        *Host             `json:"host,omitempty"`
	Process     *Process          `json:"process,omitempty"`
	User        *User             `json:"user,omitempty"`
	Source      *Endpoint         `json:"source,omitempty"`
	Destination *Endpoint         `json:"destination,omitempty"`
	Network     *Network          `json:"network,omitempty"`
	File        *File             `json:"file,omitempty"`
	DNS         *DNS              `json:"dns,omitempty"`
	URL         *URL              `json:"url,omitempty"`
	HTTP        *HTTP             `json:"http,omitempty"`
	TLS         *TLS              `json:"tls,omitempty"`
	Container   *Container        `json:"container,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"` // parser-specific extras, flat
	Cordon      Cordon            `json:"cordon"`
}

// EventFields is ECS "event.*".
type EventFields struct {
	Kind     string   `json:"kind,omitempty"`     // "event", "state", "alert"
	Category []string `json:"category,omitempty"` // "authentication", "process", "network", "file", "database", "session", "host", "configuration"
	Type     []string `json:"type,omitempty"`     // "start", "end", "connection", "creation", "info", …
	Action   string   `json:"action,omitempty"`   // parser-defined verb: "ssh-login", "connection-received", "process-started", …
	Outcome  string   `json:"outcome,omitempty"`  // "success", "failure", "unknown"
	Dataset  string   `json:"dataset,omitempty"`  // the parser: "auth", "syslog", "postgresql", "wtmp", "pcap", …
	Original string   `json:"original,omitempty"` // the raw line or record, bounded
}

// Host is ECS "host.*".
type Host struct {
	Name string `json:"name,omitempty"`
}

// Process is ECS "process.*".
type Process struct {
	PID         int64          `json:"pid,omitempty"`
	Name        string         `json:"name,omitempty"`
	Executable  string         `json:"executable,omitempty"`
	CommandLine string         `json:"command_line,omitempty"`
	Args        []string       `json:"args,omitempty"`
	Start       time.Time      `json:"start,omitzero"`
	WorkingDir  string         `json:"working_directory,omitempty"`
	Hash        *Hash          `json:"hash,omitempty"`
	Parent      *ParentProcess `json:"parent,omitempty"`
	User        *User          `json:"user,omitempty"`
	EntityID    string         `json:"entity_id,omitempty"` // pid+start: unique across reuse
}

// ParentProcess is ECS "process.parent.*" (one level; ancestry is in Labels or by lookup).
type ParentProcess struct {
	PID         int64     `json:"pid,omitempty"`
	Name        string    `json:"name,omitempty"`
	Executable  string    `json:"executable,omitempty"`
	CommandLine string    `json:"command_line,omitempty"`
	Start       time.Time `json:"start,omitzero"`
	EntityID    string    `json:"entity_id,omitempty"`
}

// Hash is ECS "*.hash.*".
type Hash struct {
	SHA256 string `json:"sha256,omitempty"`
	MD5    string `json:"md5,omitempty"`
}

// User is ECS "user.*".
type User struct {
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"`
}

// Endpoint is ECS "source.*" / "destination.*".
type Endpoint struct {
	IP      string `json:"ip,omitempty"`
	Port    int    `json:"port,omitempty"`
	Address string `json:"address,omitempty"` // as written in the log, when not an IP
	Bytes   int64  `json:"bytes,omitempty"`
	Packets int64  `json:"packets,omitempty"`
}

// Network is ECS "network.*".
type Network struct {
	Transport   string `json:"transport,omitempty"` // "tcp", "udp", "unix", "raw"
	Protocol    string `json:"protocol,omitempty"`  // "dns", "http", "tls", "stratum", "postgresql", …
	Direction   string `json:"direction,omitempty"` // "inbound", "outbound", "internal", "listening"
	Bytes       int64  `json:"bytes,omitempty"`
	Packets     int64  `json:"packets,omitempty"`
	CommunityID string `json:"community_id,omitempty"`
}

// File is ECS "file.*".
type File struct {
	Path   string    `json:"path,omitempty"`
	Name   string    `json:"name,omitempty"`
	Type   string    `json:"type,omitempty"` // "file", "dir", "symlink", …
	Size   int64     `json:"size,omitempty"`
	Inode  uint64    `json:"inode,omitempty"`
	Mode   string    `json:"mode,omitempty"` // octal, as ECS
	UID    string    `json:"uid,omitempty"`
	GID    string    `json:"gid,omitempty"`
	Owner  string    `json:"owner,omitempty"`
	Mtime  time.Time `json:"mtime,omitzero"`
	Atime  time.Time `json:"accessed,omitzero"`
	Ctime  time.Time `json:"ctime,omitzero"`
	Btime  time.Time `json:"created,omitzero"`
	Hash   *Hash     `json:"hash,omitempty"`
	Target string    `json:"target_path,omitempty"`
}

// DNS is ECS "dns.*" (flattened to what Cordon reads from packets).
type DNS struct {
	Type         string   `json:"type,omitempty"` // "query", "answer"
	QuestionName string   `json:"question_name,omitempty"`
	QuestionType string   `json:"question_type,omitempty"`
	Answers      []string `json:"answers,omitempty"`
}

// URL is ECS "url.*".
type URL struct {
	Original string `json:"original,omitempty"`
	Domain   string `json:"domain,omitempty"`
}

// HTTP is ECS "http.*" (request line only).
type HTTP struct {
	Method string `json:"request_method,omitempty"`
}

// TLS is ECS "tls.*" (the client's server name indication).
type TLS struct {
	ServerName string `json:"server_name,omitempty"`
}

// Container is ECS "container.*".
type Container struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Image string `json:"image,omitempty"`
}

// Cordon holds what ECS has no field for: how the time was derived, what it
// means, where the event came from, and whether that source verified.
type Cordon struct {
	TimeMeaning    Meaning    `json:"time_meaning"`
	TimeDerivation string     `json:"time_derivation,omitempty"` // e.g. "syslog line without a year: year inferred from the file's mtime"
	Provenance     Provenance `json:"provenance"`
	Unverified     bool       `json:"unverified,omitempty"` // the bundle failed verification and --force was used
	// Imported is set for every event of a bundle cordon import made from
	// another collector's archive: the evidence was not collected by Cordon.
	Imported bool `json:"imported,omitempty"`
}

// Provenance points at the signed bytes an event was read from.
type Provenance struct {
	Bundle string `json:"bundle,omitempty"` // evidence id of the bundle
	Entry  string `json:"entry,omitempty"`  // entry name in the bundle
	Line   int64  `json:"line,omitempty"`   // 1-based line, for text
	Offset int64  `json:"offset"`           // byte offset of the record in the entry
	SHA256 string `json:"entry_sha256,omitempty"`
}

// Where is the place in the bundle a record was read from, as every output
// cites it: "entry:line" for text, "entry@offset" for binary records.
func (p Provenance) Where() string {
	if p.Line > 0 {
		return p.Entry + ":" + strconv.FormatInt(p.Line, 10)
	}
	return p.Entry + "@" + strconv.FormatInt(p.Offset, 10)
}

// Origin tells a parser where the bytes it parses come from. Parsers copy
// it into every event's provenance and use its times for inference.
type Origin struct {
	Bundle   string    // evidence id
	Entry    string    // entry name in the bundle
	SHA256   string    // entry hash
	HostPath string    // path on the host
	Host     string    // host name
	ModTime  time.Time // of the original file: for year inference
	Birth    time.Time // of the original file, when the file system gave it (zero: unknown)
	ReadAt   time.Time // when the collector read the entry
	// BootTime is the host's boot instant the collector recorded in the
	// custody (zero: unknown), for records timed since boot (/dev/kmsg).
	BootTime time.Time
	// CollectorPID is the collector's own process on the host (0: unknown).
	CollectorPID int64
	// Users are the host's account names by UID, from the bundle's signed
	// /etc/passwd (nil when it was not collected).
	Users    map[uint32]string
	Location *time.Location // the host's time zone, for local timestamps (nil: UTC)
	// Settings are what the analyst told the parsers about the sources,
	// by name (e.g. "postgresql.log_line_prefix"); nil when nothing.
	Settings map[string]string
}

// Provenance returns the provenance of a record at line (1-based, 0 if not
// line-oriented) and byte offset in the origin's entry.
func (o Origin) Provenance(line, offset int64) Provenance {
	return Provenance{Bundle: o.Bundle, Entry: o.Entry, Line: line, Offset: offset, SHA256: o.SHA256}
}

// Warning is a record a parser could not read. Parsers never skip silently:
// a bad record is a warning with its place.
type Warning struct {
	Entry   string `json:"entry"`
	Line    int64  `json:"line,omitempty"`
	Offset  int64  `json:"offset"`
	Message string `json:"message"`
}

// Result is what a parser returns.
type Result struct {
	Events   []Event
	Warnings []Warning
}

// Warn appends a warning.
func (r *Result) Warn(o Origin, line, offset int64, format string, args ...any) {
	r.Warnings = append(r.Warnings, Warning{Entry: o.Entry, Line: line, Offset: offset, Message: fmt.Sprintf(format, args...)})
}
