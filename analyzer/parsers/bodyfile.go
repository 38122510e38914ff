package parsers

import (
	"io"
	"path"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bodytimeline"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// Bodyfiles other tools made (fls -m, UAC's bodyfile/bodyfile.txt): given
// to the collector with --bodyfile (entries imports/bodyfile/…), or found
// among the host's files by those names. Cordon's own bodyfile parts
// (filetimeline/bodyfile-*) hold the same files as its JSONL records and
// are not read twice.
func init() {
	Register(Parser{
		Name:  "bodyfile",
		Match: func(e bundle.EntryRecord) bool { return isBodyfileEntry(e.Name) },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			return bodytimeline.ParseFile(r, o, emit.Event, emit.Warn)
		},
	})
}

func isBodyfileEntry(name string) bool {
	if strings.HasPrefix(name, "imports/bodyfile/") { // collector.ImportsBodyfilePrefix
		return true
	}
	if !strings.HasPrefix(name, bundle.FileEntry("/")) {
		return false
	}
	base := path.Base(name)
	return base == "bodyfile" || base == "bodyfile.txt" || strings.HasSuffix(base, ".body") || strings.HasSuffix(base, ".bodyfile")
}
