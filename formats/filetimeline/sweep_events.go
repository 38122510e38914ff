package filetimeline

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/timeline"
)

// SweepEvent turns one record of sweep/files.jsonl into one event: the
// file and why the sweep kept it, at its inode change time (when its
// mode, owner or attributes were last set: chmod u+s, setcap, chattr),
// else its modification time, else when the entry was written. Its other
// times are in the event's file fields; the file timeline has them as
// events of their own when the file is under its roots.
func SweepEvent(r SweepRecord, o timeline.Origin, line, offset int64) timeline.Event {
	at, meaning, deriv := r.Ctime, timeline.MeaningChanged, "ctime from statx at collection (mode, owner or attributes last set)"
	switch {
	case !at.IsZero():
	case !r.Mtime.IsZero():
		at, meaning, deriv = r.Mtime, timeline.MeaningModified, "mtime from statx at collection (no ctime)"
	default:
		at, meaning, deriv = o.ReadAt, timeline.MeaningObserved, "the collector's clock when the entry was written (no file time)"
	}
	reasons := strings.Join(r.Reasons, ",")
	ev := timeline.Event{
		Timestamp: at.UTC(),
		Message:   fmt.Sprintf("%s %s (%04o, uid %d, gid %d): %s", r.Type, r.Path, r.Mode, r.UID, r.GID, strings.Join(r.Reasons, ", ")),
		Event: timeline.EventFields{Kind: "state", Category: []string{"file"}, Type: []string{"info"},
			Action: "sweep-file", Dataset: "sweep"},
		File:   fileOf(r.Record),
		Labels: map[string]string{"sweep.reasons": reasons, "executable": strconv.FormatBool(r.Type == "file" && r.Mode&0o111 != 0)},
		Cordon: timeline.Cordon{TimeMeaning: meaning, TimeDerivation: deriv, Provenance: o.Provenance(line, offset)},
	}
	for _, x := range r.Reasons {
		if x != "" && len(x) <= 32 {
			ev.Labels["sweep."+x] = "true"
		}
	}
	if r.Capabilities != "" {
		ev.Labels["capabilities"] = r.Capabilities
		ev.Message += " " + strconv.Quote(r.Capabilities)
	}
	if r.CapabilitiesHex != "" {
		ev.Labels["capabilities_hex"] = r.CapabilitiesHex
	}
	if r.CapabilitiesRootID != nil {
		ev.Labels["capabilities_rootid"] = strconv.FormatUint(uint64(*r.CapabilitiesRootID), 10)
	}
	if r.Error != "" {
		ev.Labels["error"] = r.Error
	}
	if o.Users != nil {
		if n, ok := o.Users[r.UID]; ok {
			ev.File.Owner = n
		}
	}
	if o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	return ev
}

func fileOf(r Record) *timeline.File {
	f := &timeline.File{
		Path: r.Path, Name: path.Base(r.Path), Type: r.Type, Size: r.Size, Inode: r.Inode,
		Mode: fmt.Sprintf("%04o", r.Mode), UID: strconv.FormatUint(uint64(r.UID), 10), GID: strconv.FormatUint(uint64(r.GID), 10),
		Mtime: r.Mtime, Atime: r.Atime, Ctime: r.Ctime, Btime: r.Btime, Target: r.Link,
	}
	if r.SHA256 != "" {
		f.Hash = &timeline.Hash{SHA256: r.SHA256}
	}
	return f
}

// ParseContainerLayerEntry reads the container id from the name of a
// container's layer listing (containers/<id>/upper.jsonl); ok is false
// for any other name.
func ParseContainerLayerEntry(name string) (id string, ok bool) {
	rest, found := strings.CutPrefix(name, "containers/")
	if !found {
		return "", false
	}
	id, found = strings.CutSuffix(rest, "/upper.jsonl")
	if !found || id == "" || strings.Contains(id, "/") || len(id) > 128 {
		return "", false
	}
	return id, true
}

// LayerEvents turns one file of a container's writable layer into its
// timeline events (one per known time, as the file timeline's), marked
// with the container, whether the file is executable, and a whiteout (a
// file the container deleted from its image).
func LayerEvents(r LayerRecord, containerID string, o timeline.Origin, line, offset int64) []timeline.Event {
	evs := Events(r.Record, o, line, offset)
	exec := strconv.FormatBool(r.Type == "file" && r.Mode&0o111 != 0 && !r.Whiteout)
	for i := range evs {
		ev := &evs[i]
		ev.Event.Dataset = "container_layer"
		ev.Container = &timeline.Container{ID: containerID}
		ev.Labels = map[string]string{"executable": exec}
		what := "written"
		if r.Whiteout {
			ev.Labels["whiteout"] = "true"
			what = "deleted from its image (whiteout)"
		}
		if r.Entry != "" {
			ev.Labels["entry"] = r.Entry
		}
		if r.Error != "" {
			ev.Labels["error"] = r.Error
		}
		ev.Message = fmt.Sprintf("container %s: %s %s in its writable layer, %s", shortID(containerID), r.Path, what, ev.Message)
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
	}
	return evs
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// MaxContainersFS bounds containers/fs.json.
const MaxContainersFS = 16 << 20

// ReadContainersFS reads containers/fs.json.
func ReadContainersFS(r io.Reader) ([]ContainerFS, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxContainersFS+1))
	if err != nil {
		return nil, fmt.Errorf("containers fs: %w", err)
	}
	if len(b) > MaxContainersFS {
		return nil, fmt.Errorf("containers fs larger than %d bytes: not read", MaxContainersFS)
	}
	var out []ContainerFS
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("containers fs: %w", err)
	}
	return out, nil
}

// ContainerFSEvents turns containers/fs.json into one event per running
// container, observed when the entry was written: where its files were
// read, its writable layer and what was copied.
func ContainerFSEvents(cs []ContainerFS, o timeline.Origin) timeline.Result {
	var res timeline.Result
	if len(cs) > 0 && o.ReadAt.IsZero() {
		res.Warn(o, 0, 0, "the entry has no read time (read_at): no events for its %d containers", len(cs))
		return res
	}
	for _, c := range cs {
		ev := timeline.Event{
			Timestamp: o.ReadAt.UTC(),
			Message: fmt.Sprintf("container %s (PID %d, root %s, writable layer %q): %d files in the layer, %d copied, %d left out",
				shortID(c.ContainerID), c.PID, c.RootFS, c.UpperDir, c.Records, c.Copied, c.LeftOut),
			Event: timeline.EventFields{Kind: "state", Category: []string{"host", "file"}, Type: []string{"info"},
				Action: "container-filesystem", Dataset: "container_layer"},
			Container: &timeline.Container{ID: c.ContainerID},
			Process:   &timeline.Process{PID: int64(c.PID)},
			Labels: map[string]string{"root_fs": c.RootFS, "upper_dir": c.UpperDir, "layer": c.Layer,
				"mnt_ns": strconv.FormatUint(c.MntNS, 10), "records": strconv.Itoa(c.Records),
				"copied": strconv.Itoa(c.Copied), "left_out": strconv.Itoa(c.LeftOut)},
			Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningObserved,
				TimeDerivation: "the collector's clock when the entry was written (the entry's read_at)", Provenance: o.Provenance(0, 0)},
		}
		if len(c.Errors) > 0 {
			ev.Labels["error"] = strings.Join(c.Errors, "; ")
		}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		res.Events = append(res.Events, ev)
	}
	return res
}
