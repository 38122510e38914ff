package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// Containers' own files (collector source "container-fs"): each running
// container (containers/fs.json) and each file of its writable layer
// (containers/<id>/upper.jsonl) with its times, as the file timeline's.
func init() {
	Register(Parser{
		Name:  "container-fs",
		Match: func(e bundle.EntryRecord) bool { return e.Name == filetimeline.ContainersFSEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			cs, err := filetimeline.ReadContainersFS(r)
			if err != nil {
				return err
			}
			EmitResult(filetimeline.ContainerFSEvents(cs, o), emit)
			return nil
		},
	})
	Register(Parser{
		Name: "container-layer",
		Match: func(e bundle.EntryRecord) bool {
			_, ok := filetimeline.ParseContainerLayerEntry(e.Name)
			return ok
		},
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			id, _ := filetimeline.ParseContainerLayerEntry(o.Entry)
			return snapshot.ReadJSONL(r, o, func(rec filetimeline.LayerRecord, line, off int64) {
				for _, ev := range filetimeline.LayerEvents(rec, id, o, line, off) {
					emit.Event(ev)
				}
			}, emit.Warn)
		},
	})
}
