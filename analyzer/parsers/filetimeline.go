package parsers

import (
	"errors"
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/timeline"
)

// The file timeline (collector source "filetimeline"): each record's
// modified, accessed, changed and born times become events. Only the JSONL
// parts are read; the bodyfile parts hold the same files for mactime.
func init() {
	Register(Parser{
		Name: "filetimeline",
		Match: func(e bundle.EntryRecord) bool {
			return strings.HasPrefix(e.Name, "filetimeline/records-") && strings.HasSuffix(e.Name, ".jsonl")
		},
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			rd := filetimeline.NewReader(r)
			for {
				rec, line, off, err := rd.Next()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					emit.Warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: off, Message: err.Error()})
					if errors.Is(err, filetimeline.ErrLineTooLong) {
						return nil
					}
					continue
				}
				for _, ev := range filetimeline.Events(rec, o, line, off) {
					emit.Event(ev)
				}
			}
		},
	})
}
