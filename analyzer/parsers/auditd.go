package parsers

import (
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/auditd"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// The audit daemon's log (collector source "logs"):
// fs/var/log/audit/audit.log and its rotations audit.log.1, … (.gz when
// logrotate compressed them).
func init() {
	Register(Parser{
		Name: "auditd",
		Match: func(e bundle.EntryRecord) bool {
			return strings.HasPrefix(e.Name, bundle.FileEntry("/var/log/audit/audit.log"))
		},
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			r, done, err := maybeGunzip(r, o, emit)
			if err != nil {
				return err
			}
			defer done()
			return auditd.Parse(r, o, emit.Event, emit.Warn)
		},
	})
}
