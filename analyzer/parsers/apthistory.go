package parsers

import (
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/apthistory"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// APT's history log (collector source "logs"): fs/var/log/apt/history.log
// and its rotations (history.log.1.gz, …).
func init() {
	Register(Parser{
		Name: "apt-history",
		Match: func(e bundle.EntryRecord) bool {
			return strings.HasPrefix(e.Name, bundle.FileEntry("/var/log/apt/history.log"))
		},
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			r, done, err := maybeGunzip(r, o, emit)
			if err != nil {
				return err
			}
			defer done()
			return apthistory.Parse(r, o, emit.Event, emit.Warn)
		},
	})
}
