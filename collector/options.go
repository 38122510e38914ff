package collector

import (
	"time"

	"github.com/spf13/pflag"
)

// Memory dump policies for --memory.
const (
	MemoryNone    = "none"
	MemorySuspect = "suspect"
	MemoryAll     = "all"
)

// Options are the collector's settings. BindFlags binds them to a flag set;
// the zero value is not useful, start from DefaultOptions.
type Options struct {
	Root string // "/" for a live host, or a mounted image of a dead one

	Only []string // sources to run (empty: all enabled by default)
	Skip []string // sources to leave out

	SourceTimeout time.Duration // budget for a source that sets none
	MaxFileSize   int64         // cap for one copied file (logs, configuration)

	// Volatile state (issue 3).
	Memory             string   // none | suspect | all
	MaxMemory          int64    // total bytes of process memory
	MaxMemoryPerProc   int64    // bytes of memory per process
	MaxExecutables     int64    // total bytes of suspect executables and deleted open files
	SuspectDirs        []string // an executable under these makes a process suspect
	CollectEnviron     bool     // /proc/PID/environ holds secrets: opt-in
	ProbeHiddenPIDs    bool     // probe every PID up to pid_max
	NoPriorityLowering bool     // keep normal CPU and I/O priority
	// TargetPIDs, when set, limits executable copies and memory dumps to
	// these processes (every process is still listed).
	TargetPIDs []int

	// Files (issue 4).
	CollectShadow bool
	// CollectCredentials copies credential files (.git-credentials, .pgpass,
	// private keys, …); without it they are recorded by presence only.
	CollectCredentials bool
	EtcMax             int64 // cap on all bytes of /etc copied by the etc source
	VarLogMax          int64 // cap on all bytes copied by the var-log source
	TimelineRoots      []string
	TimelineMaxFiles   int
	TimelineBudget     time.Duration
	TimelineHashMax    int64 // cap on bytes hashed per file in the timeline
	BinariesMax        int64 // cap on all bytes the binaries source hashes
	ExeHashMax         int64 // cap on all bytes hashed of running executables (process-files)
	SweepBudget        time.Duration
	SweepMaxFiles      int

	// Build artifacts (issue 17): directories of build outputs to hash,
	// whether to copy them, and a cap on the bytes read.
	Artifacts     []string
	ArtifactsCopy bool
	ArtifactsMax  int64

	// Packet capture.
	Capture    []string // interfaces, or "any"
	CaptureFor time.Duration
	CaptureMax int64
	PcapFiles  []string
	// BodyFiles are bodyfiles other tools made (imports.go).
	BodyFiles []string
	PcapMax   int64 // cap on one --pcap file
	// CaptureLead delays every other source after the background ones
	// started: capture first, watch, then snapshot.
	CaptureLead time.Duration
}

// DefaultOptions returns the defaults documented in --help.
func DefaultOptions() Options {
	return Options{
		Root:             "/",
		SourceTimeout:    60 * time.Second,
		MaxFileSize:      256 << 20,
		Memory:           MemorySuspect,
		MaxMemory:        2 << 30,
		MaxMemoryPerProc: 1 << 30,
		MaxExecutables:   1 << 30,
		SuspectDirs:      []string{"/tmp", "/var/tmp", "/dev/shm"},
		ProbeHiddenPIDs:  true,
		TimelineRoots:    []string{"/tmp", "/var/tmp", "/dev/shm", "/etc", "/root", "/home", "/usr/local", "/opt", "/var/spool", "/var/www", "/srv"},
		TimelineMaxFiles: 1_000_000,
		TimelineBudget:   120 * time.Second,
		TimelineHashMax:  64 << 20,
		BinariesMax:      2 << 30,
		ArtifactsMax:     4 << 30,
		EtcMax:           64 << 20,
		VarLogMax:        1 << 30,
		ExeHashMax:       2 << 30,
		SweepBudget:      120 * time.Second,
		SweepMaxFiles:    3_000_000,
		CaptureFor:       10 * time.Second,
		CaptureMax:       64 << 20,
		PcapMax:          4 << 30,
	}
}

// BindFlags binds every option to fs. Sizes take plain byte counts or
// suffixes (K, M, G: powers of 1024).
func (o *Options) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Root, "root", o.Root, "collect from this root: / for the live host, or a mounted disk image (the /proc sources are then skipped)")
	fs.StringSliceVar(&o.Only, "only", o.Only, "run only these sources (comma-separated; see --list-sources)")
	fs.StringSliceVar(&o.Skip, "skip", o.Skip, "leave out these sources")
	fs.DurationVar(&o.SourceTimeout, "source-timeout", o.SourceTimeout, "time budget of a source that has none of its own")
	fs.Var(newSizeValue(&o.MaxFileSize), "max-file-size", "cap on one copied file; larger files are truncated and the truncation recorded")

	fs.StringVar(&o.Memory, "memory", o.Memory, "process memory to dump: none, suspect (deleted, memfd: or temporary-directory executables) or all")
	fs.Var(newSizeValue(&o.MaxMemory), "max-memory", "cap on all process memory dumped")
	fs.Var(newSizeValue(&o.MaxMemoryPerProc), "max-memory-per-process", "cap on the memory dumped per process")
	fs.Var(newSizeValue(&o.MaxExecutables), "max-executables", "cap on all suspect executables and deleted open files copied")
	fs.StringSliceVar(&o.SuspectDirs, "suspect-dir", o.SuspectDirs, "an executable under this directory makes its process suspect (repeatable)")
	fs.BoolVar(&o.CollectEnviron, "environ", o.CollectEnviron, "collect process environments (they hold secrets)")
	fs.BoolVar(&o.ProbeHiddenPIDs, "probe-hidden-pids", o.ProbeHiddenPIDs, "probe every PID up to pid_max for processes hidden from /proc's listing")
	fs.BoolVar(&o.NoPriorityLowering, "no-nice", o.NoPriorityLowering, "keep normal CPU and I/O priority")

	fs.BoolVar(&o.CollectShadow, "shadow", o.CollectShadow, "also collect /etc/shadow and /etc/gshadow")
	fs.BoolVar(&o.CollectCredentials, "credentials", o.CollectCredentials, "also copy credential files (.git-credentials, .pgpass, .netrc, private keys, …): without it their presence and metadata only")
	fs.Var(newSizeValue(&o.VarLogMax), "var-log-max", "cap on all bytes copied from the rest of /var/log by the var-log source")
	fs.Var(newSizeValue(&o.EtcMax), "etc-max", "cap on all bytes copied from /etc and /usr/local/etc by the etc source")
	fs.StringSliceVar(&o.TimelineRoots, "timeline-root", o.TimelineRoots, "directory the file timeline walks (repeatable)")
	fs.IntVar(&o.TimelineMaxFiles, "timeline-max-files", o.TimelineMaxFiles, "cap on files recorded by the file timeline")
	fs.DurationVar(&o.TimelineBudget, "timeline-budget", o.TimelineBudget, "time budget of the file timeline")
	fs.Var(newSizeValue(&o.TimelineHashMax), "timeline-hash-max", "cap on bytes hashed per executable in the file timeline")
	fs.Var(newSizeValue(&o.BinariesMax), "binaries-max", "cap on all bytes hashed by the binaries source (system programs against package lists)")
	fs.DurationVar(&o.SweepBudget, "sweep-budget", o.SweepBudget, "time budget of the sweep (SUID/SGID, capabilities, world-writable, unowned, hidden files)")
	fs.IntVar(&o.SweepMaxFiles, "sweep-max-files", o.SweepMaxFiles, "cap on files the sweep visits")
	fs.Var(newSizeValue(&o.ExeHashMax), "exe-hash-max", "cap on all bytes hashed of the running processes' executables (each file once)")

	fs.StringArrayVar(&o.Artifacts, "artifacts", o.Artifacts, "hash the build outputs under this directory, and copy the in-toto/SLSA provenance files there (repeatable)")
	fs.BoolVar(&o.ArtifactsCopy, "artifacts-copy", o.ArtifactsCopy, "copy the --artifacts files too, each up to --max-file-size")
	fs.Var(newSizeValue(&o.ArtifactsMax), "artifacts-max", "cap on all bytes the artifacts source reads")

	fs.StringSliceVar(&o.Capture, "capture", o.Capture, "capture packets on this interface (repeatable, or any); starts first, runs alongside")
	fs.DurationVar(&o.CaptureFor, "capture-for", o.CaptureFor, "how long to capture, from the capture's start (a --capture-lead ended early by SIGUSR1 brings the end forward by the time saved)")
	fs.Var(newSizeValue(&o.CaptureMax), "capture-max", "cap on captured bytes")
	fs.StringSliceVar(&o.PcapFiles, "pcap", o.PcapFiles, "add an existing capture file, a path on the machine running the collector (repeatable; works with --root)")
	fs.Var(newSizeValue(&o.PcapMax), "pcap-max", "cap on each --pcap file (the live capture's is --capture-max)")
	fs.StringSliceVar(&o.BodyFiles, "bodyfile", o.BodyFiles, "add a bodyfile another tool made of this host (fls -m of its disk image, UAC's bodyfile.txt; repeatable)")
	fs.DurationVar(&o.CaptureLead, "capture-lead", o.CaptureLead, "start the capture, then wait this long before the other sources (to watch traffic before the snapshot); SIGUSR1 ends the wait early")
	fs.IntSliceVar(&o.TargetPIDs, "pid", o.TargetPIDs, "copy the executables and dump the memory of only these processes (repeatable; every process is still listed)")
}
