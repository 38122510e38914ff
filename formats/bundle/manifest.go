package bundle

import "time"

// FormatName and FormatVersion identify the bundle format. Readers check the
// version first and refuse a version they do not know.
const (
	FormatName    = "cordon-bundle"
	FormatVersion = 1
)

// Header is the first entry of every bundle (cordon/header.json).
type Header struct {
	Format     string    `json:"format"`  // FormatName
	Version    int       `json:"version"` // FormatVersion
	Created    time.Time `json:"created"` // UTC, the collector's clock
	EvidenceID string    `json:"evidence_id"`
	CaseID     string    `json:"case_id,omitempty"`
	Collector  string    `json:"collector"` // name and version
	// PublicKey is the minisign public key (base64, minisign's second line)
	// whose signatures cover the bundle; KeyID its fingerprint in hex.
	PublicKey string `json:"public_key"`
	KeyID     string `json:"key_id"`
	// Ephemeral is true when the key was made for this collection alone.
	Ephemeral bool `json:"ephemeral_key"`
}

// HostFacts are the facts about the host that custody needs.
type HostFacts struct {
	Hostname      string    `json:"hostname"`
	MachineID     string    `json:"machine_id,omitempty"`
	BootID        string    `json:"boot_id,omitempty"`
	Kernel        string    `json:"kernel,omitempty"`
	BootTime      time.Time `json:"boot_time,omitzero"`
	TimeZone      string    `json:"time_zone,omitempty"`
	ClockStart    time.Time `json:"clock_start"` // host UTC clock when collection started
	ClockEnd      time.Time `json:"clock_end"`   // host UTC clock when collection ended
	ReferenceTime time.Time `json:"reference_time,omitzero"`
	// ClockOffsetSeconds is host clock minus reference time at start, when a
	// reference was given (positive: the host runs ahead).
	ClockOffsetSeconds *float64 `json:"clock_offset_seconds,omitempty"`
	Errors             []string `json:"errors,omitempty"` // facts that could not be read, and why
}

// CollectorFacts describe the program that made the bundle.
type CollectorFacts struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	SHA256      string   `json:"sha256,omitempty"` // of the collector's own executable
	CommandLine []string `json:"command_line"`
	EUID        int      `json:"euid"`
	EGID        int      `json:"egid"`
	GoVersion   string   `json:"go_version,omitempty"`
	// PID is the collector's own process: the analysis leaves it out of
	// the findings (it runs from wherever the responder dropped it).
	PID int `json:"pid,omitempty"`
}

// SourceOutcome is how one collector source ended.
type SourceOutcome string

// Outcomes of a source.
const (
	SourceOK      SourceOutcome = "ok"      // collected what it looked for
	SourceNoData  SourceOutcome = "no-data" // ran, and the host had nothing for it
	SourcePartial SourceOutcome = "partial" // collected some, with errors (see Errors)
	SourceError   SourceOutcome = "error"   // collected nothing, with errors
	SourceSkipped SourceOutcome = "skipped" // not run (options, --root)
	SourceTimeout SourceOutcome = "timeout" // stopped by its time budget
	// SourceInterrupted: stopped by a signal to the collector.
	SourceInterrupted SourceOutcome = "interrupted"
)

// SourceStatus is what one collector source did.
type SourceStatus struct {
	Name     string        `json:"name"`
	Status   SourceOutcome `json:"status"`
	Phase    string        `json:"phase,omitempty"` // the Phase it ran in
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished"`
	Entries  int           `json:"entries"`
	Bytes    int64         `json:"bytes"`
	Errors   int           `json:"errors"`
	Detail   string        `json:"detail,omitempty"`
}

// Phase is one phase of a collection ("volatile", then "persistent") and
// the scheduling priority of the collector's threads during it, as the
// kernel reported it when the phase began.
type Phase struct {
	Name     string    `json:"name"`
	Sources  []string  `json:"sources"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Nice holds the distinct nice values of the collector's threads,
	// Policies their scheduling policies ("SCHED_OTHER"), IOPriorities
	// their I/O priorities ("best-effort/4", "idle", "none (best-effort from nice)").
	Nice         []int    `json:"nice"`
	Policies     []string `json:"policies"`
	IOPriorities []string `json:"io_priorities"`
	// Threads is how many threads the collector ran Go code on at once
	// (GOMAXPROCS) during the phase.
	Threads int    `json:"threads,omitempty"`
	Note    string `json:"note,omitempty"`
}

// ErrorRecord is one error met during collection.
type ErrorRecord struct {
	At       time.Time `json:"at"`
	Source   string    `json:"source"`
	HostPath string    `json:"host_path,omitempty"`
	Error    string    `json:"error"`
}

// Custody holds the custody facts the collector supplies; the writer adds
// the entries, checkpoints and chain head when it writes the manifest.
type Custody struct {
	CaseID     string            `json:"case_id,omitempty"`
	EvidenceID string            `json:"evidence_id"`
	Examiner   string            `json:"examiner,omitempty"`
	Notes      []string          `json:"notes,omitempty"`
	Host       HostFacts         `json:"host"`
	Collector  CollectorFacts    `json:"collector"`
	Options    map[string]string `json:"options,omitempty"` // effective options, for the record
	Sources    []SourceStatus    `json:"sources,omitempty"`
	Phases     []Phase           `json:"phases,omitempty"`
	// Interrupted says why the collection stopped before its end (a
	// signal); sources not finished then are marked "interrupted".
	Interrupted string        `json:"interrupted,omitempty"`
	Errors      []ErrorRecord `json:"errors"`
	// Import is set when the bundle was made by cordon import from another
	// collector's archive: the evidence was not collected by Cordon.
	Import *ImportFacts `json:"import,omitempty"`
}

// ImportFacts describe the archive a bundle was imported from. Custody
// is stated as it is: the bundle's signatures are the analyst's import
// key's, made when the archive was read, not the suspect host's. In such a
// bundle Custody.Collector describes the collector that made the archive
// (as far as the archive says), and these facts the import.
type ImportFacts struct {
	// Importer, CommandLine and At: the program that read the archive
	// ("cordon 0.1.0"), how it was run, and when (the analyst's clock).
	Importer    string    `json:"importer"`
	CommandLine []string  `json:"command_line,omitempty"`
	At          time.Time `json:"at"`
	// Collector and Version name the program that made the archive
	// ("UAC", "3.3.0"; Version "" when the archive does not say).
	Collector string `json:"collector"`
	Version   string `json:"version,omitempty"`
	// Statement is the custody in one sentence: "imported from UAC 3.3.0
	// archive <sha256>, not collected by Cordon, no signature from the
	// suspect host".
	Statement     string `json:"statement"`
	ArchiveName   string `json:"archive_name"`
	ArchiveSize   int64  `json:"archive_size"`
	ArchiveSHA256 string `json:"archive_sha256"`
	ArchiveSHA1   string `json:"archive_sha1"`
	ArchiveMD5    string `json:"archive_md5"`
	// AcquisitionLog is the collector's own record of the archive (UAC's
	// .log beside it), with its SHA-256, when one was read.
	AcquisitionLog       string `json:"acquisition_log,omitempty"`
	AcquisitionLogSHA256 string `json:"acquisition_log_sha256,omitempty"`
	// Complete is false when the archive ended early or was damaged;
	// StoppedAt then says where.
	Complete  bool   `json:"complete"`
	StoppedAt string `json:"stopped_at,omitempty"`
	Members   int    `json:"members"`
	// Checks counts the hash comparisons by result (import/checks-*.jsonl
	// holds each): "match", "mismatch", "missing", …
	Checks map[string]int `json:"checks,omitempty"`
	// NotInArchive says what a Cordon collection holds that this archive
	// does not (a packet capture, process memory, …), and why.
	NotInArchive []string `json:"not_in_archive,omitempty"`
}

// Manifest is manifest.json, the last signed document of a bundle.
type Manifest struct {
	Format      string          `json:"format"`
	Version     int             `json:"version"`
	Header      Header          `json:"header"`
	Custody     Custody         `json:"custody"`
	Started     time.Time       `json:"started"`
	Finished    time.Time       `json:"finished"`
	Entries     []EntryRecord   `json:"entries"`
	Missing     []MissingRecord `json:"missing"`
	Checkpoints int             `json:"checkpoints"`
	ChainHead   string          `json:"chain_head"` // chain value after the last entry
}

// Checkpoint is one cordon/checkpoints/NNNNNN.json document.
type Checkpoint struct {
	Format     string          `json:"format"`
	Version    int             `json:"version"`
	EvidenceID string          `json:"evidence_id"`
	Seq        int             `json:"seq"` // 1, 2, …
	Written    time.Time       `json:"written"`
	Prev       string          `json:"prev"`    // SHA-256 of the previous checkpoint document, "" for the first
	Entries    []EntryRecord   `json:"entries"` // entries since the previous checkpoint, in order
	Missing    []MissingRecord `json:"missing,omitempty"`
	Chain      string          `json:"chain"` // chain value after the last entry listed
}
