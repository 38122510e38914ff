package parsers

import (
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/pglog"
	"github.com/cordon-forensics/cordon/timeline"
)

// PostgreSQL server logs (collector source "logs"): Debian's
// /var/log/postgresql/*, and the log_directory of each cluster (from its
// postgresql.conf, or the data directory's log/ and pg_log/), with their
// rotations (.gz read through). The format (stderr, csvlog, jsonlog) is told
// by the name, else by the first bytes; the stderr prefix is recognised
// among the common forms (formats/pglog, stderr.go).
func init() {
	Register(Parser{
		Name:  "postgresql",
		Match: func(e bundle.EntryRecord) bool { return isPostgresLog(e) },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			r, done, err := maybeGunzip(r, o, emit)
			if err != nil {
				return err
			}
			defer done()
			return pglog.Parse(r, o, pglog.Options{LinePrefix: o.Settings[SettingPGLogLinePrefix]}, emit.Event, emit.Warn)
		},
	})
}

// rePGLogName is PostgreSQL's default log_filename, postgresql-%Y-%m-%d_%H%M%S.log
// (and .csv, .json), and Debian's postgresql-VERSION-CLUSTER.log.
var rePGLogName = regexp.MustCompile(`^postgresql-[^/]*\.(log|csv|json)(\.\d+)?(\.gz)?$`)

func isPostgresLog(e bundle.EntryRecord) bool {
	if !strings.HasPrefix(e.Name, bundle.FileEntry("/")) {
		return false
	}
	base := path.Base(e.Name)
	if strings.HasSuffix(base, ".conf") || strings.HasSuffix(base, ".pid") || strings.HasSuffix(base, ".opts") {
		return false
	}
	if strings.HasPrefix(e.Name, bundle.FileEntry("/var/log/postgresql/")) {
		return true
	}
	if e.Source != "logs" {
		return false
	}
	dir := path.Dir(e.Name)
	return rePGLogName.MatchString(base) ||
		(strings.Contains(dir, "postgres") || strings.Contains(dir, "pgsql")) && (strings.HasSuffix(dir, "/log") || strings.HasSuffix(dir, "/pg_log"))
}

// SettingPGLogLinePrefix names the cluster's log_line_prefix
// (timeline.Origin.Settings), for PostgreSQL logs in the stderr format
// whose prefix is not one of the common forms the parser recognises.
const SettingPGLogLinePrefix = "postgresql.log_line_prefix"
