package filetimeline

import (
	"fmt"
	"path"
	"strconv"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// Events turns one record into its timeline events: one per known time
// (modified, accessed, inode changed, born), each pointing at the record's
// line and offset in the entry.
func Events(r Record, o timeline.Origin, line, offset int64) []timeline.Event {
	file := &timeline.File{
		Path: r.Path, Name: path.Base(r.Path), Type: r.Type, Size: r.Size, Inode: r.Inode,
		Mode: fmt.Sprintf("%04o", r.Mode), UID: strconv.FormatUint(uint64(r.UID), 10), GID: strconv.FormatUint(uint64(r.GID), 10),
		Mtime: r.Mtime, Atime: r.Atime, Ctime: r.Ctime, Btime: r.Btime, Target: r.Link,
	}
	if r.SHA256 != "" {
		file.Hash = &timeline.Hash{SHA256: r.SHA256}
	}
	times := []struct {
		t       time.Time
		meaning timeline.Meaning
		typ     string
		field   string
	}{
		{r.Mtime, timeline.MeaningModified, "change", "mtime"},
		{r.Atime, timeline.MeaningAccessed, "access", "atime"},
		{r.Ctime, timeline.MeaningChanged, "change", "ctime"},
		{r.Btime, timeline.MeaningBorn, "creation", "btime (statx)"},
	}
	var out []timeline.Event
	for _, t := range times {
		if t.t.IsZero() {
			continue
		}
		// A birth time of exactly the epoch is what file systems that do not
		// keep one report (older bundles recorded it as given): unknown.
		if t.field == "btime (statx)" && t.t.Equal(time.Unix(0, 0)) {
			continue
		}
		out = append(out, timeline.Event{
			Timestamp: t.t.UTC(),
			Message:   fmt.Sprintf("%s %s", t.meaning, r.Path),
			Event: timeline.EventFields{Kind: "event", Category: []string{"file"}, Type: []string{t.typ},
				Action: "file-" + t.field, Dataset: "filetimeline"},
			File: file,
			Cordon: timeline.Cordon{TimeMeaning: t.meaning, TimeDerivation: t.field + " from statx at collection",
				Provenance: o.Provenance(line, offset)},
		})
	}
	return out
}
