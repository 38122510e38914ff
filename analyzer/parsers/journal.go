package parsers

import (
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/journal"
	"github.com/cordon-forensics/cordon/timeline"
)

// systemd journal files (collector source "logs"):
// fs/var/log/journal/<machine-id>/*.journal and the volatile
// fs/run/log/journal/…; "*.journal~" are files journald found unclean.
func init() {
	Register(Parser{
		Name: "journal",
		Match: func(e bundle.EntryRecord) bool {
			if !strings.HasPrefix(e.Name, bundle.FileEntry("/var/log/journal/")) && !strings.HasPrefix(e.Name, bundle.FileEntry("/run/log/journal/")) {
				return false
			}
			return strings.HasSuffix(e.Name, ".journal") || strings.HasSuffix(e.Name, ".journal~")
		},
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			return journal.Parse(r, o, emit.Event, emit.Warn)
		},
	})
}
