package snapshot

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/timeline"
)

// MaxListEntry bounds the JSON lists read whole (credential files,
// PostgreSQL clusters, containers).
const MaxListEntry = 16 << 20

// ReadCredentialFiles reads accounts/credential_files.json.
func ReadCredentialFiles(r io.Reader) ([]CredentialFile, error) {
	var out []CredentialFile
	err := readSmallJSON(r, MaxListEntry, "credential files", &out)
	return out, err
}

// CredentialFileEvents turns accounts/credential_files.json into one event
// per file at its modification time (its change time when it has none),
// with its mode, owner and whether users other than its owner and group
// may read it.
func CredentialFileEvents(cs []CredentialFile, o timeline.Origin) timeline.Result {
	var res timeline.Result
	for i, c := range cs {
		at, meaning, deriv := c.Mtime, timeline.MeaningModified, "mtime from stat at collection"
		if at.IsZero() {
			at, meaning, deriv = c.Ctime, timeline.MeaningChanged, "ctime from stat at collection (no mtime)"
		}
		if at.IsZero() {
			res.Warn(o, 0, 0, "credential file %d (%q) has no time: no event", i+1, c.Path)
			continue
		}
		mode := c.Mode & 0o7777
		ev := timeline.Event{
			Timestamp: at.UTC(),
			Message:   fmt.Sprintf("credential file %q (%s) present: mode %04o, uid %d, gid %d, %d bytes", c.Path, c.Kind, mode, c.UID, c.GID, c.Size),
			Event: timeline.EventFields{Kind: "state", Category: []string{"file", "iam"}, Type: []string{"info"},
				Action: "credential-file-present", Dataset: "credential_files"},
			File: &timeline.File{Path: c.Path, Name: baseName(c.Path), Type: c.Type, Size: c.Size, Mode: fmt.Sprintf("%04o", mode),
				UID: strconv.FormatUint(uint64(c.UID), 10), GID: strconv.FormatUint(uint64(c.GID), 10), Mtime: c.Mtime, Ctime: c.Ctime},
			Labels: map[string]string{"credential.kind": c.Kind},
			Cordon: timeline.Cordon{TimeMeaning: meaning, TimeDerivation: deriv, Provenance: o.Provenance(0, 0)},
		}
		if n, ok := o.Users[c.UID]; ok {
			ev.File.Owner = n
			ev.User = &timeline.User{Name: n, ID: ev.File.UID}
		}
		if c.Type == "file" || c.Type == "" {
			ev.Labels["readable_by_others"] = strconv.FormatBool(mode&0o004 != 0)
			ev.Labels["readable_by_group"] = strconv.FormatBool(mode&0o040 != 0)
		}
		if c.Entry != "" {
			ev.Labels["entry"] = c.Entry
		}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		res.Events = append(res.Events, ev)
	}
	return res
}

// ReadPostgresClusters reads postgres/clusters.json.
func ReadPostgresClusters(r io.Reader) ([]PostgresCluster, error) {
	var out []PostgresCluster
	err := readSmallJSON(r, MaxListEntry, "PostgreSQL clusters", &out)
	return out, err
}

// PostgresClusterEvents turns postgres/clusters.json into one event per
// running cluster, observed when its files were read: its postmaster, data
// directory, configuration files, logs and the settings in force.
func PostgresClusterEvents(cs []PostgresCluster, o timeline.Origin) timeline.Result {
	var res timeline.Result
	for i, c := range cs {
		at := c.ObservedAt
		if at.IsZero() {
			at = o.ReadAt
		}
		if at.IsZero() {
			res.Warn(o, 0, 0, "PostgreSQL cluster %d (PID %d) has no observation time: no event", i+1, c.PID)
			continue
		}
		ev := observed(o, 0, 0, "postgres_clusters", "postgres-cluster-running", "", "database", "process")
		ev.Timestamp = at.UTC()
		ev.Cordon.TimeDerivation = "the collector's clock when the cluster's files were read"
		ev.Process = &timeline.Process{PID: int64(c.PID), Executable: c.Exe, Args: c.Cmdline,
			CommandLine: strings.Join(c.Cmdline, " "), EntityID: EntityID(c.PID, c.StartTicks), WorkingDir: c.DataDirectory}
		if c.ContainerID != "" {
			ev.Container = &timeline.Container{ID: c.ContainerID}
		}
		for k, v := range map[string]string{"pg.data_directory": c.DataDirectory, "pg.data_directory_from": c.DataDirectoryFrom,
			"pg.config_file": c.ConfigFile, "pg.hba_file": c.HbaFile, "pg.ident_file": c.IdentFile,
			"pg.log_directory": c.LogDirectory, "pg.read_through": c.ReadThrough} {
			if v != "" {
				ev.Labels[k] = v
			}
		}
		for k, s := range c.Settings {
			ev.Labels["pg.setting."+k] = s.Value
			ev.Labels["pg.setting_from."+k] = s.From
		}
		if len(c.DataDirectoryCandidates) > 1 {
			var ks []string
			for k, v := range c.DataDirectoryCandidates {
				ks = append(ks, k+"="+v)
			}
			sort.Strings(ks)
			ev.Labels["pg.data_directory_candidates"] = strings.Join(ks, " ")
		}
		logs, confs, errs := 0, 0, len(c.Errors)
		for _, f := range c.Files {
			if IsLogRole(f.Role) {
				logs++
			} else {
				confs++
			}
			if f.Error != "" {
				errs++
			}
		}
		ev.Labels["pg.files.logs"] = strconv.Itoa(logs)
		ev.Labels["pg.files.config"] = strconv.Itoa(confs)
		if len(c.Errors) > 0 {
			ev.Labels["error"] = strings.Join(c.Errors, "; ")
		}
		where := "on the host"
		if c.ContainerID != "" {
			where = "in container " + c.ContainerID
		}
		ev.Message = fmt.Sprintf("PostgreSQL postmaster %d (%q) running %s: data directory %q (from %s), config %q, %d log files, %d configuration files, %d errors",
			c.PID, c.Exe, where, c.DataDirectory, c.DataDirectoryFrom, c.ConfigFile, logs, confs, errs)
		res.Events = append(res.Events, ev)
	}
	return res
}
