package parsers

import (
	"io"
	"path"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/syslog"
	"github.com/cordon-forensics/cordon/timeline"
)

// Syslog files (collector source "logs"): /var/log/auth.log, secure,
// syslog, messages and kern.log with their rotations (.1, -YYYYMMDD, .gz).
func init() {
	Register(Parser{
		Name:  "syslog",
		Match: func(e bundle.EntryRecord) bool { return isSyslogEntry(e.Name) },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			r, done, err := maybeGunzip(r, o, emit)
			if err != nil {
				return err
			}
			defer done()
			return syslog.Parse(r, o, syslog.Options{}, emit.Event, emit.Warn)
		},
	})
}

func isSyslogEntry(name string) bool {
	dir, base := path.Split(name)
	if dir != bundle.FileEntry("/var/log/") {
		return false
	}
	for _, p := range []string{"auth.log", "secure", "syslog", "messages", "kern.log"} {
		rest, ok := strings.CutPrefix(base, p)
		if ok && (rest == "" || rest[0] == '.' && !strings.Contains(rest, "conf") || len(rest) > 1 && rest[0] == '-' && rest[1] >= '0' && rest[1] <= '9') {
			return true
		}
	}
	return false
}
