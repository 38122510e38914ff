package snapshot

import "time"

// PostgresClustersEntry holds one PostgresCluster per running postmaster
// the collector's "postgres" source found in /proc (collector/FILES.md).
const PostgresClustersEntry = "postgres/clusters.json"

// PostgresSource is the collector source that copies the files of running
// PostgreSQL clusters. Its entries are named fs/<host path> like every
// copied file; those whose Role is "log", "open-log", "stdout" or
// "stderr" are server logs (stderr, csvlog or jsonlog), the others
// configuration.
const PostgresSource = "postgres"

// PostgresLogNote starts the note of every entry of the "postgres" source
// that holds a server log (the note then names its role and postmaster).
const PostgresLogNote = "postgresql server log"

// PostgresCluster is one running PostgreSQL server (a postmaster: a
// process whose executable is a postgres binary and whose parent's is not).
type PostgresCluster struct {
	PID        int      `json:"pid"`
	StartTicks uint64   `json:"start_ticks"`
	Exe        string   `json:"exe"`
	Cmdline    []string `json:"cmdline"`
	// ContainerID is the container the postmaster runs in (from its
	// cgroup), and ReadThrough the prefix its files were read through
	// ("/proc/PID/root" when its mount namespace or root differs from the
	// collector's; "" when the host's paths were its own).
	ContainerID string `json:"container_id,omitempty"`
	ReadThrough string `json:"read_through,omitempty"`
	// DataDirectory is in the cluster's own view; DataDirectoryFrom says
	// how it was found: "cwd" (the postmaster changes to its data
	// directory), "data_directory", "-D" or "PGDATA".
	DataDirectory     string `json:"data_directory"`
	DataDirectoryFrom string `json:"data_directory_from"`
	// DataDirectoryCandidates holds every source's answer, when they differ.
	DataDirectoryCandidates map[string]string `json:"data_directory_candidates,omitempty"`
	ConfigFile              string            `json:"config_file"`
	HbaFile                 string            `json:"hba_file"`
	IdentFile               string            `json:"ident_file"`
	// LogDirectory is log_directory resolved against the data directory.
	LogDirectory string `json:"log_directory"`
	// Settings are the values in force of the settings Cordon reads, with
	// where each came from ("command line", a file path, "default").
	Settings map[string]PostgresSetting `json:"settings"`
	Files    []PostgresFile             `json:"files"`
	Errors   []string                   `json:"errors,omitempty"`
	// ObservedAt is when the cluster's files were read (the collector's UTC clock).
	ObservedAt time.Time `json:"observed_at"`
}

// PostgresSetting is one setting in force and where it was set.
type PostgresSetting struct {
	Value string `json:"value"`
	From  string `json:"from"`
}

// PostgresFile is one file of a cluster Cordon copied or looked for.
type PostgresFile struct {
	// Role: "postgresql.conf", "include", "postgresql.auto.conf",
	// "pg_hba.conf", "pg_ident.conf", "postmaster.opts", "postmaster.pid",
	// "log" (in log_directory), "open-log" (a *.log, *.csv or *.json the
	// postmaster or a child holds open), "stdout" or "stderr" (the
	// postmaster's fd 1 and 2: pg_ctl -l FILE, or a file they were
	// redirected to).
	Role string `json:"role"`
	// Path is the path in the cluster's view; HostPath what was opened.
	Path     string `json:"path"`
	HostPath string `json:"host_path,omitempty"`
	// Entry is the bundle entry with the bytes ("" when none).
	Entry string `json:"entry,omitempty"`
	// HeldBy is "PID/fd" for a file found open.
	HeldBy []string `json:"held_by,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// IsLogRole reports whether a PostgresFile role is a server log.
func IsLogRole(role string) bool {
	switch role {
	case "log", "open-log", "stdout", "stderr":
		return true
	}
	return false
}
