// Package analyzertest holds what the analyzer's tests share: a test
// parser whose lines say exactly which event to make, a synthetic bundle
// shaped like a real host's logs for benchmarks, a one-call analysis into
// a temporary case, and measurement helpers. Importing it registers the
// test parsers.
package analyzertest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/parsers"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// TestPrefix starts the names of the entries the test parsers read: one
// event per line "RFC3339NANO|action|executable|pid|source-ip|message"; a
// line that does not split so is a warning with its offset. The entry
// TestPrefix+"fail" cannot be read at all, TestPrefix+"panic" makes its
// parser panic, and entries named TestPrefix+"dual…" are read by two parsers.
const TestPrefix = "test/"

// T0 is the time the tests' events are around.
var T0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// TS is T0+d as a test line's time.
func TS(d time.Duration) string { return T0.Add(d).Format(time.RFC3339Nano) }

// Datasets gives test lines the datasets of the parsers they imitate (by
// action), so that rules and the correlation read them as such.
var Datasets = map[string]string{"process-started": "processes", "ssh-login": "auth", "ssh-login-failed": "auth"}

var (
	originsMu sync.Mutex
	origins   = map[string]timeline.Origin{} // entry → the origin its parser was given
)

// Origin returns the origin the test-lines parser was last given for entry.
func Origin(entry string) (timeline.Origin, bool) {
	originsMu.Lock()
	defer originsMu.Unlock()
	o, ok := origins[entry]
	return o, ok
}

func init() {
	parsers.Register(parsers.Parser{
		Name: "test-lines",
		Match: func(e bundle.EntryRecord) bool {
			return strings.HasPrefix(e.Name, TestPrefix) && e.Name != TestPrefix+"panic"
		},
		Parse: parseTestLines,
	})
	// A second parser of the "dual" entries: both must see every byte.
	parsers.Register(parsers.Parser{
		Name:  "test-dual",
		Match: func(e bundle.EntryRecord) bool { return strings.HasPrefix(e.Name, TestPrefix+"dual") },
		Parse: func(r io.Reader, o timeline.Origin, emit parsers.Emit) error {
			b, err := io.ReadAll(r)
			emit.Event(timeline.Event{Timestamp: o.ModTime, Message: fmt.Sprintf("dual saw %d bytes", len(b)),
				Event: timeline.EventFields{Action: "dual"}, Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningModified}})
			return err
		},
	})
	parsers.Register(parsers.Parser{
		Name:  "test-panic",
		Match: func(e bundle.EntryRecord) bool { return e.Name == TestPrefix+"panic" },
		Parse: func(r io.Reader, o timeline.Origin, emit parsers.Emit) error { panic("hostile bytes") },
	})
}

func parseTestLines(r io.Reader, o timeline.Origin, emit parsers.Emit) error {
	originsMu.Lock()
	origins[o.Entry] = o
	originsMu.Unlock()
	if o.Entry == TestPrefix+"fail" {
		return errors.New("cannot read this entry at all")
	}
	sc := bufio.NewScanner(r)
	var off int64
	line := int64(0)
	for sc.Scan() {
		line++
		text := sc.Text()
		start := off
		off += int64(len(text)) + 1
		f := strings.SplitN(text, "|", 6)
		if len(f) != 6 {
			emit.Warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: start, Message: "not a test line"})
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, f[0])
		if err != nil {
			emit.Warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: start, Message: err.Error()})
			continue
		}
		ev := timeline.Event{Timestamp: ts, Message: f[5],
			Event:  timeline.EventFields{Action: f[1], Category: []string{"process"}, Dataset: Datasets[f[1]]},
			Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningStart, Provenance: o.Provenance(line, start)}}
		if f[2] != "" || f[3] != "" {
			pid, _ := strconv.ParseInt(f[3], 10, 64)
			ev.Process = &timeline.Process{Executable: f[2], PID: pid}
		}
		if f[4] != "" {
			ev.Source = &timeline.Endpoint{IP: f[4], Port: 22}
		}
		if strings.HasPrefix(f[5], "file ") {
			p := strings.TrimPrefix(f[5], "file ")
			ev.File = &timeline.File{Path: p, Type: "file", Mode: "0755", UID: "0", GID: "0", Size: 10, Inode: 7, Mtime: ts, Ctime: ts}
			ev.Cordon.TimeMeaning = timeline.MeaningModified
		}
		emit.Event(ev)
	}
	return sc.Err()
}
