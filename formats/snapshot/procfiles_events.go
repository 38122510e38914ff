package snapshot

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// Events of the entries the first pass and the "process-files" source
// write without a time of their own (proc/open_files.jsonl,
// proc/exe_hashes.jsonl, proc/map_files.jsonl): they are observations,
// timed by when the collector wrote the entry (the entry record's read_at,
// timeline.Origin.ReadAt). Each converter is pure and handles one record,
// so the parsers stream entries of any size.

// observedDerivation is the time derivation of those observations.
const observedDerivation = "the collector's clock when the entry was written (the entry's read_at)"

// ErrNoReadAt is the warning for an entry without a read time: its
// records have no time, and no events are made.
const ErrNoReadAt = "the entry has no read time (read_at): its records cannot be placed on the timeline, no events"

func observed(o timeline.Origin, line, off int64, ds, action, msg string, category ...string) timeline.Event {
	ev := timeline.Event{
		Timestamp: o.ReadAt.UTC(),
		Message:   msg,
		Event:     timeline.EventFields{Kind: "state", Category: category, Type: []string{"info"}, Action: action, Dataset: ds},
		Labels:    map[string]string{},
		Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningObserved, TimeDerivation: observedDerivation,
			Provenance: o.Provenance(line, off)},
	}
	if o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	return ev
}

// OpenFileEvent turns one open descriptor into an event when it names a
// file (a path, deleted or not); sockets, pipes and anonymous inodes are
// in the socket table and have no path: ok is false for them and for
// descriptors whose link could not be read.
func OpenFileEvent(f OpenFile, o timeline.Origin, line, off int64) (ev timeline.Event, ok bool) {
	target := f.Target
	if f.Error != "" || !strings.HasPrefix(target, "/") {
		return ev, false
	}
	deleted := strings.HasSuffix(target, " (deleted)")
	path := strings.TrimSuffix(target, " (deleted)")
	ev = observed(o, line, off, "open_files", "file-open",
		fmt.Sprintf("process %d holds %q open on fd %d", f.PID, target, f.FD), "file", "process")
	ev.Process = &timeline.Process{PID: int64(f.PID), EntityID: EntityID(f.PID, f.StartTicks)}
	ev.File = &timeline.File{Path: path, Name: baseName(path)}
	ev.Labels["fd"] = strconv.Itoa(f.FD)
	if deleted {
		ev.Labels["deleted"] = "true"
	}
	if f.TargetHex != "" {
		ev.Labels["target_hex"] = f.TargetHex
	}
	return ev, true
}

// ExeHashEvent turns one line of proc/exe_hashes.jsonl into an event
// carrying the SHA-256 of the file the process runs.
func ExeHashEvent(x ExeHash, o timeline.Origin, line, off int64) timeline.Event {
	ev := observed(o, line, off, "exe_hashes", "process-executable-hashed", "", "process", "file")
	ev.Process = &timeline.Process{PID: int64(x.PID), Executable: x.Exe, EntityID: EntityID(x.PID, x.StartTicks)}
	ev.File = &timeline.File{Path: strings.TrimSuffix(x.Exe, " (deleted)"), Name: baseName(strings.TrimSuffix(x.Exe, " (deleted)")), Size: x.Size, Inode: x.Inode}
	if x.SHA256 != "" {
		h := &timeline.Hash{SHA256: x.SHA256}
		ev.Process.Hash, ev.File.Hash = h, h
	}
	if x.Hashed < x.Size && x.SHA256 != "" {
		ev.Labels["hash_prefix_bytes"] = strconv.FormatInt(x.Hashed, 10)
	}
	if x.SameAsPID != 0 {
		ev.Labels["same_as_pid"] = strconv.Itoa(x.SameAsPID)
	}
	if x.Error != "" {
		ev.Labels["error"] = x.Error
	}
	if x.Vanished {
		ev.Labels["vanished"] = "true"
	}
	switch {
	case x.SHA256 != "":
		ev.Event.Outcome = "success"
		ev.Message = fmt.Sprintf("process %d runs %q, sha256 %s (%d of %d bytes hashed)", x.PID, x.Exe, x.SHA256, x.Hashed, x.Size)
	case x.SameAsPID != 0:
		ev.Event.Outcome = "success"
		ev.Message = fmt.Sprintf("process %d runs %q, the file process %d runs", x.PID, x.Exe, x.SameAsPID)
	default:
		ev.Event.Outcome = "failure"
		ev.Message = fmt.Sprintf("process %d runs %q, not hashed: %s", x.PID, x.Exe, x.Error)
	}
	return ev
}

// MappedFileEvent turns a file-backed mapping into an event. The maps of
// one process list a file once per range: the parser calls it for a
// process's first range of each file only and gives the count.
func MappedFileEvent(m MappedFile, ranges int, o timeline.Origin, line, off int64) timeline.Event {
	path := strings.TrimSuffix(m.Target, " (deleted)")
	ev := observed(o, line, off, "map_files", "file-mapped",
		fmt.Sprintf("process %d maps %q (%d ranges from %s)", m.PID, m.Target, ranges, m.Range), "process", "file")
	ev.Process = &timeline.Process{PID: int64(m.PID), EntityID: EntityID(m.PID, m.StartTicks)}
	ev.File = &timeline.File{Path: path, Name: baseName(path)}
	ev.Labels["range"] = m.Range
	ev.Labels["ranges"] = strconv.Itoa(ranges)
	ev.Labels["executable"] = strconv.FormatBool(m.Executable)
	if m.Executable {
		ev.Message += ", its own executable"
	}
	if m.Deleted {
		ev.Labels["deleted"] = "true"
		ev.Message += ", deleted"
		switch {
		case m.Entry != "":
			ev.Labels["entry"] = m.Entry
			ev.Message += ", copied as " + m.Entry
		case m.Error == "":
			ev.Message += ", not copied"
		}
	}
	if m.SHA256 != "" {
		ev.File.Hash = &timeline.Hash{SHA256: m.SHA256}
	}
	if m.Error != "" {
		ev.Labels["error"] = m.Error
		ev.Message += ": " + m.Error
	}
	return ev
}

// ProcessSummaryEvents turns proc/summary.json into one event saying what
// the first pass read, at its end, and one alert per /proc/PID directory
// something is mounted over (a process masked from every reader of /proc).
func ProcessSummaryEvents(s ProcessSummary, o timeline.Origin) timeline.Result {
	var res timeline.Result
	at := s.Finished
	deriv := "the collector's clock when the first pass over /proc ended"
	if at.IsZero() {
		at, deriv = o.ReadAt, observedDerivation
	}
	if at.IsZero() {
		res.Warn(o, 0, 0, "%s", ErrNoReadAt)
		return res
	}
	mk := func(kind, action, msg string) timeline.Event {
		ev := observed(o, 0, 0, "processes", action, msg, "process")
		ev.Timestamp = at.UTC()
		ev.Event.Kind = kind
		ev.Cordon.TimeDerivation = deriv
		return ev
	}
	ev := mk("state", "process-snapshot",
		fmt.Sprintf("first pass over /proc: %d PIDs listed, %d read, %d vanished, %d reused while read, %d kernel threads, %d suspect, %d descriptors",
			s.Listed, s.Read, s.Vanished, s.Reused, s.KernelThreads, s.Suspect, s.FDs))
	for k, v := range map[string]int{"listed": s.Listed, "read": s.Read, "vanished": s.Vanished, "reused": s.Reused,
		"kernel_threads": s.KernelThreads, "suspect": s.Suspect, "field_errors": s.FieldErrors, "fds": s.FDs,
		"open_files_left_out": s.OpenFilesLeftOut, "masked_pids": len(s.MaskedPIDs)} {
		ev.Labels[k] = strconv.Itoa(v)
	}
	if s.FirstFieldError != "" {
		ev.Labels["first_field_error"] = s.FirstFieldError
	}
	res.Events = append(res.Events, ev)
	for _, m := range s.MaskedPIDs {
		a := mk("alert", "process-masked",
			fmt.Sprintf("a %s file system (source %q, root %q) is mounted over /proc/%d: the process is masked from ps and every reader of /proc", m.FSType, m.Source, m.Root, m.PID))
		a.Process = &timeline.Process{PID: int64(m.PID)}
		a.Labels = map[string]string{"masked": "true", "mount.fs_type": m.FSType, "mount.source": m.Source, "mount.root": m.Root}
		res.Events = append(res.Events, a)
	}
	return res
}

// ReadProcessSummary reads proc/summary.json (bounded like the host facts).
func ReadProcessSummary(r io.Reader) (ProcessSummary, error) {
	var s ProcessSummary
	err := readSmallJSON(r, MaxHostFacts, "process summary", &s)
	return s, err
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 && i < len(p)-1 {
		return p[i+1:]
	}
	return p
}

// epoch is the zero of a monotonic offset when the boot time is unknown.
var epoch = time.Unix(0, 0).UTC()
