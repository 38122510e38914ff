package parsers

import (
	"io"
	"path"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/utmp"
	"github.com/cordon-forensics/cordon/timeline"
)

// Login records (collector source "logs"): fs/var/log/wtmp and
// fs/var/log/btmp with their rotations (wtmp.1, btmp-20260301, .gz when
// logrotate compresses them), and fs/run/utmp, fs/var/run/utmp. One event a
// record; every btmp record is a failed login. util-linux's wtmpdb
// (/var/log/wtmp.db) is SQLite, not utmp records: left alone.
func init() {
	Register(Parser{
		Name:  "utmp",
		Match: func(e bundle.EntryRecord) bool { return isUtmpEntry(e.Name) },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			r, done, err := maybeGunzip(r, o, emit)
			if err != nil {
				return err
			}
			defer done()
			return utmp.Parse(r, o, emit.Event, emit.Warn)
		},
	})
}

func isUtmpEntry(name string) bool {
	if name == bundle.FileEntry("/run/utmp") || name == bundle.FileEntry("/var/run/utmp") {
		return true
	}
	dir, base := path.Split(name)
	if dir != bundle.FileEntry("/var/log/") || !(strings.HasPrefix(base, "wtmp") || strings.HasPrefix(base, "btmp")) {
		return false
	}
	return !strings.Contains(base, ".db")
}

// lastlog: the collector's compact copy of /var/log/lastlog (one record per
// UID that ever logged in), names from the bundle's /etc/passwd.
func init() {
	Register(Parser{
		Name:  "lastlog",
		Match: func(e bundle.EntryRecord) bool { return e.Name == utmp.LastlogEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			return utmp.ParseLastlog(r, o, emit.Event, emit.Warn)
		},
	})
}
