// Package bodytimeline turns bodyfiles that other tools wrote (The Sleuth
// Kit's fls -m, UAC's bodyfile/bodyfile.txt, Cordon's own) into file
// timeline events: one event per time a line knows (modified, accessed,
// changed, born), each pointing at its line. A bundle holds one when the
// responder added it, or when an archive of another collector was
// imported; bodyfile.ParseEntry reads the line.
package bodytimeline

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bodyfile"
	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// Dataset is the event.dataset of file times read from a bodyfile.
const Dataset = "bodyfile"

// MaxLine bounds one bodyfile line (a name is at most PATH_MAX, 4096).
const MaxLine = 64 << 10

// fileType names the type a mode_as_string gives ("r/rrw-------",
// "d/drwxr-xr-x", "-rw-r--r--", "lrwxrwxrwx").
func fileType(mode string) string {
	c := byte(0)
	if i := strings.IndexByte(mode, '/'); i >= 0 && i+1 < len(mode) {
		c = mode[i+1]
	} else if mode != "" {
		c = mode[0]
	}
	switch c {
	case '-', 'r':
		return "file"
	case 'd':
		return "dir"
	case 'l':
		return "symlink"
	case 'p':
		return "fifo"
	case 's':
		return "socket"
	case 'c':
		return "char"
	case 'b':
		return "block"
	}
	return ""
}

// Events turns an entry into its timeline events, one per known time; an
// entry with none is one event without a time (plaso lists it too).
func Events(e bodyfile.Entry, o timeline.Origin, line, offset int64) []timeline.Event {
	e.Name, e.Target = textio.Cut(textio.SafeString(e.Name), 4096), textio.Cut(textio.SafeString(e.Target), 4096)
	e.Inode, e.Mode = textio.Cut(textio.SafeString(e.Inode), 64), textio.Cut(textio.SafeString(e.Mode), 64)
	file := &timeline.File{Path: e.Name, Name: path.Base(e.Name), Type: fileType(e.Mode), Size: e.Size,
		Mode: e.Mode, UID: e.UID, GID: e.GID, Mtime: e.Mtime, Atime: e.Atime, Ctime: e.Ctime, Btime: e.Crtime, Target: e.Target}
	if n, err := strconv.ParseUint(e.Inode, 10, 64); err == nil {
		file.Inode = n
	}
	if e.MD5 != "" && e.MD5 != "0" && len(e.MD5) == 32 {
		file.Hash = &timeline.Hash{MD5: e.MD5}
	}
	labels := map[string]string{}
	if e.Inode != "" && file.Inode == 0 {
		labels["bodyfile.inode"] = textio.Cut(e.Inode, 64) // "30-144-2": NTFS entry, attribute, id
	}
	var out []timeline.Event
	for _, t := range []struct {
		t       time.Time
		meaning timeline.Meaning
		typ     string
		field   string
	}{
		{e.Mtime, timeline.MeaningModified, "change", "mtime"},
		{e.Atime, timeline.MeaningAccessed, "access", "atime"},
		{e.Ctime, timeline.MeaningChanged, "change", "ctime"},
		{e.Crtime, timeline.MeaningBorn, "creation", "crtime"},
	} {
		if t.t.IsZero() {
			continue
		}
		ev := timeline.Event{
			Timestamp: t.t,
			Message:   textio.Cut(fmt.Sprintf("%s %s", t.meaning, e.Name), 4096),
			Event: timeline.EventFields{Kind: "event", Category: []string{"file"}, Type: []string{t.typ},
				Action: "file-" + t.field, Dataset: Dataset},
			File: file,
			Cordon: timeline.Cordon{TimeMeaning: t.meaning,
				TimeDerivation: "the " + t.field + " field of a bodyfile another tool wrote (Unix seconds, UTC), as that tool read the file system",
				Provenance:     o.Provenance(line, offset)},
		}
		if len(labels) > 0 {
			ev.Labels = labels
		}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		out = append(out, ev)
	}
	if len(out) == 0 {
		// an entry with no time (a deleted file whose inode is gone, a
		// directory of orphans): listed all the same, with no time
		ev := timeline.Event{
			Message: textio.Cut("file listed, no time known: "+e.Name, 4096),
			Event: timeline.EventFields{Kind: "event", Category: []string{"file"}, Type: []string{"info"},
				Action: "file-listed", Dataset: Dataset},
			File: file,
			Cordon: timeline.Cordon{TimeMeaning: "file listed",
				TimeDerivation: "the bodyfile gives no time for this entry (all four are 0): no time",
				Provenance:     o.Provenance(line, offset)},
		}
		if len(labels) > 0 {
			ev.Labels = labels
		}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		out = append(out, ev)
	}
	return out
}

// ParseFile reads a bodyfile and hands each event and warning to the
// callbacks. It returns an error only when r itself fails.
func ParseFile(r io.Reader, o timeline.Origin, event func(timeline.Event), warn func(timeline.Warning)) error {
	lr := textio.NewReader(r, MaxLine)
	bad := 0
	for {
		b, n, off, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, textio.ErrLineTooLong) {
			warn(timeline.Warning{Entry: o.Entry, Line: n, Offset: off, Message: fmt.Sprintf("bodyfile: line over %d bytes: skipped", MaxLine)})
			continue
		}
		if err != nil {
			return fmt.Errorf("bodyfile: reading %s: %w", o.Entry, err)
		}
		line := strings.TrimRight(string(b), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, perr := bodyfile.ParseEntry(line)
		if perr != nil {
			if bad++; bad <= 1000 {
				warn(timeline.Warning{Entry: o.Entry, Line: n, Offset: off, Message: perr.Error() + ": " + textio.Cut(textio.Safe(b), 200)})
			}
			continue
		}
		for _, ev := range Events(e, o, n, off) {
			event(ev)
		}
	}
}
