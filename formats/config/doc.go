// Package config reads the configuration files a responder needs to judge
// a host's exposure and persistence, as pure functions of bytes to typed
// values (which the findings rules call directly) and to "state" timeline
// events (event.kind "state", event.category "configuration") so that
// every setting is also searchable:
//
//   - PostgreSQL: pg_hba.conf (ParsePgHba; "trust" for non-local
//     addresses flagged) and postgresql.conf / postgresql.auto.conf
//     (ParsePostgresqlConf: listen_addresses, port, logging settings).
//   - OpenSSH: sshd_config and its Include files (ParseSshdConfig, FlattenSshd).
//   - Docker: a container's config.v2.json and hostconfig.json
//     (ParseContainerConfig, ParseHostConfig: image, env, port bindings,
//     mounts) and the daemon's daemon.json (ParseDaemonJSON).
//   - cron: the system crontab and cron.d files (with a user field) and
//     users' crontabs (ParseCrontab).
//   - dpkg: /var/lib/dpkg/status (ParseDpkgStatus) and info/*.md5sums
//     (ParseMd5sums).
//
// Every reader bounds its lines (textio.MaxLine) and its record counts, and
// reports each line it cannot read as a Warning with its line and offset.
package config

import (
	"github.com/cordon-forensics/cordon/timeline"
)

// Warning is a line a config reader could not read.
type Warning struct {
	Line    int64
	Offset  int64
	Message string
}

// Warnings turns a reader's warnings into timeline warnings for entry o.
func Warnings(ws []Warning, o timeline.Origin) []timeline.Warning {
	out := make([]timeline.Warning, 0, len(ws))
	for _, w := range ws {
		out = append(out, timeline.Warning{Entry: o.Entry, Line: w.Line, Offset: w.Offset, Message: w.Message})
	}
	return out
}

// MaxRecords bounds the records one file yields (rules, settings, cron
// lines, packages, md5sums lines).
const MaxRecords = 1 << 20
