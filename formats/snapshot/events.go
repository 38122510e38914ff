package snapshot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// maxAncestry bounds the walk up the process tree (a cycle in hostile
// records must not loop).
const maxAncestry = 64

// startDerivation says how a process start time was derived.
const startDerivation = "boot time (realtime minus boottime clock at collection) plus /proc/PID/stat starttime ticks / 100"

// ProcessEvents turns the records of proc/processes.jsonl into one
// process-start event per process, with its parent (one level in
// process.parent, the whole ancestry in labels.ancestry). A parent is only
// linked when it started no later than the child: a later start means the
// parent's PID was reused and the true parent is gone.
func ProcessEvents(procs []Located[Process], o timeline.Origin) timeline.Result {
	var res timeline.Result
	byPID := make(map[int]*Process, len(procs))
	for i := range procs {
		p := &procs[i].V
		if p.Status != StatusVanished && !p.Hidden {
			byPID[p.PID] = p
		} else if _, ok := byPID[p.PID]; !ok && p.Status != StatusVanished {
			byPID[p.PID] = p
		}
	}
	parentOf := func(p *Process) *Process {
		q := byPID[p.PPID]
		if q == nil || q == p || q.Start.After(p.Start) {
			return nil
		}
		return q
	}
	for _, lp := range procs {
		p := lp.V
		if p.Status == StatusVanished || p.Start.IsZero() {
			res.Warn(o, lp.Line, lp.Offset, "process %d vanished during collection or has no start time: no event", p.PID)
			continue
		}
		ev := timeline.Event{
			Timestamp: p.Start.UTC(),
			Event: timeline.EventFields{Kind: "event", Category: []string{"process"}, Type: []string{"start"},
				Action: "process-started", Dataset: "processes"},
			Process: &timeline.Process{
				PID: int64(p.PID), Name: p.Comm, Executable: p.Exe, Args: p.Cmdline,
				CommandLine: strings.Join(p.Cmdline, " "), Start: p.Start.UTC(), WorkingDir: p.Cwd,
				EntityID: EntityID(p.PID, p.StartTicks),
			},
			Labels: map[string]string{"status": p.Status},
			Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningStart, TimeDerivation: startDerivation, Provenance: o.Provenance(lp.Line, lp.Offset)},
		}
		if p.StartDerivation != "" {
			ev.Cordon.TimeDerivation = p.StartDerivation
		}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		if len(p.UIDs) > 1 {
			u := &timeline.User{ID: strconv.FormatUint(uint64(p.UIDs[1]), 10)}
			if len(p.UserNames) > 1 {
				u.Name = p.UserNames[1]
			}
			ev.Process.User, ev.User = u, u
		} else if len(p.UserNames) > 1 && p.UserNames[1] != "" {
			u := &timeline.User{Name: p.UserNames[1]}
			ev.Process.User, ev.User = u, u
		}
		if p.ContainerID != "" {
			ev.Container = &timeline.Container{ID: p.ContainerID}
		}
		if q := parentOf(&p); q != nil {
			ev.Process.Parent = &timeline.ParentProcess{PID: int64(q.PID), Name: q.Comm, Executable: q.Exe,
				CommandLine: strings.Join(q.Cmdline, " "), Start: q.Start.UTC(), EntityID: EntityID(q.PID, q.StartTicks)}
		} else if p.PPID != 0 {
			ev.Process.Parent = &timeline.ParentProcess{PID: int64(p.PPID)}
			ev.Labels["parent_note"] = "parent not in the snapshot, or its PID was reused after this process started"
		}
		ev.Labels["ancestry"] = ancestry(&p, parentOf)
		if len(p.Suspect) > 0 {
			ev.Labels["suspect"] = strings.Join(p.Suspect, ", ")
		}
		if p.ExeDeleted {
			ev.Labels["exe_deleted"] = "true"
		}
		if p.Hidden {
			ev.Labels["hidden"] = "true"
		}
		if ns := p.Namespaces["net"]; ns != 0 {
			ev.Labels["netns"] = strconv.FormatUint(ns, 10)
		}
		for k, v := range p.Errors {
			ev.Labels["error."+k] = v
		}
		ev.Message = fmt.Sprintf("process %d %q started: exe %q, parent %d, command line %q", p.PID, p.Comm, p.Exe, p.PPID, ev.Process.CommandLine)
		if len(p.Suspect) > 0 {
			ev.Message += " (suspect: " + ev.Labels["suspect"] + ")"
		}
		res.Events = append(res.Events, ev)
	}
	return res
}

// ancestry writes "pid:comm < ppid:comm < …" up to the root or maxAncestry.
func ancestry(p *Process, parentOf func(*Process) *Process) string {
	var parts []string
	seen := map[int]bool{}
	for q := p; q != nil && len(parts) < maxAncestry && !seen[q.PID]; q = parentOf(q) {
		seen[q.PID] = true
		parts = append(parts, fmt.Sprintf("%d:%s", q.PID, q.Comm))
		if parentOf(q) == nil && q.PPID != 0 {
			parts = append(parts, fmt.Sprintf("%d:?", q.PPID))
		}
	}
	return strings.Join(parts, " < ")
}

// SocketEvents turns the records of net/sockets.jsonl into one event per
// socket: "listening" for listeners, "connection" for connected sockets,
// at the time the table was read, joined to the processes holding it.
func SocketEvents(socks []Located[Socket], o timeline.Origin) timeline.Result {
	var res timeline.Result
	for _, ls := range socks {
		s := ls.V
		if s.ObservedAt.IsZero() {
			res.Warn(o, ls.Line, ls.Offset, "socket inode %d has no observation time: no event", s.Inode)
			continue
		}
		ev := timeline.Event{
			Timestamp: s.ObservedAt.UTC(),
			Event:     timeline.EventFields{Kind: "state", Category: []string{"network"}, Dataset: "sockets"},
			Network:   &timeline.Network{Transport: s.Transport},
			Labels: map[string]string{"state": s.State, "netns": strconv.FormatUint(s.NetNS, 10),
				"inode": strconv.FormatUint(s.Inode, 10), "uid": strconv.FormatUint(uint64(s.UID), 10)},
			Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningObserved,
				TimeDerivation: "the collector's clock when the socket table was read", Provenance: o.Provenance(ls.Line, ls.Offset)},
		}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		where := ""
		if s.Transport == "unix" {
			ev.File = &timeline.File{Path: s.Path}
			where = fmt.Sprintf("unix socket %q", s.Path)
		} else {
			ev.Source = &timeline.Endpoint{IP: s.LocalIP, Port: s.LocalPort}
			where = fmt.Sprintf("%s %s", s.Transport, joinHostPort(s.LocalIP, s.LocalPort))
			if !s.Listening {
				ev.Destination = &timeline.Endpoint{IP: s.RemoteIP, Port: s.RemotePort}
				where += " -> " + joinHostPort(s.RemoteIP, s.RemotePort)
			}
		}
		if s.Listening {
			ev.Event.Type = []string{"info"}
			ev.Event.Action = "socket-listening"
			ev.Network.Direction = "listening"
			if s.AllInterfaces {
				ev.Labels["all_interfaces"] = "true"
				where += " (all interfaces)"
			}
		} else {
			ev.Event.Type = []string{"connection"}
			ev.Event.Action = "socket-connected"
		}
		owner := "no process found holding it"
		if len(s.Holders) > 0 {
			h := s.Holders[0]
			ev.Process = &timeline.Process{PID: int64(h.PID), Name: h.Comm, EntityID: EntityID(h.PID, h.StartTicks)}
			var pids []string
			for _, h := range s.Holders {
				pids = append(pids, fmt.Sprintf("%d/fd%d", h.PID, h.FD))
			}
			ev.Labels["holders"] = strings.Join(pids, " ")
			owner = fmt.Sprintf("held by process %d %q", h.PID, h.Comm)
			if len(s.Holders) > 1 {
				owner += fmt.Sprintf(" and %d more fds", len(s.Holders)-1)
			}
		}
		ev.Message = fmt.Sprintf("%s %s, %s, netns %d", where, s.State, owner, s.NetNS)
		res.Events = append(res.Events, ev)
	}
	return res
}

func joinHostPort(ip string, port int) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:" + strconv.Itoa(port)
	}
	return ip + ":" + strconv.Itoa(port)
}

// HostFactsEvents turns host/facts.json into a boot event and an
// observation of the host's identity.
func HostFactsEvents(f HostFacts, o timeline.Origin) timeline.Result {
	var res timeline.Result
	name := f.Hostname
	if name == "" {
		name = o.Host
	}
	base := func(t time.Time, action, msg string, m timeline.Meaning, deriv string) timeline.Event {
		ev := timeline.Event{Timestamp: t.UTC(), Message: msg,
			Event:  timeline.EventFields{Kind: "state", Category: []string{"host"}, Type: []string{"info"}, Action: action, Dataset: "hostinfo"},
			Labels: map[string]string{"kernel": f.Kernel, "machine_id": f.MachineID, "boot_id": f.BootID, "time_zone": f.TimeZone},
			Cordon: timeline.Cordon{TimeMeaning: m, TimeDerivation: deriv, Provenance: o.Provenance(0, 0)}}
		if name != "" {
			ev.Host = &timeline.Host{Name: name}
		}
		for k, v := range f.Errors {
			ev.Labels["error."+k] = v
		}
		return ev
	}
	if !f.BootTime.IsZero() {
		res.Events = append(res.Events, base(f.BootTime, "host-booted",
			fmt.Sprintf("host %q booted (kernel %q, boot id %s)", name, f.Kernel, f.BootID), timeline.MeaningBoot,
			"the collector's realtime clock minus the boottime clock"))
	} else {
		res.Warn(o, 0, 0, "no boot time in the host facts")
	}
	if !f.ReadAt.IsZero() {
		res.Events = append(res.Events, base(f.ReadAt, "host-facts",
			fmt.Sprintf("host %q, machine id %s, kernel %q, time zone %q, up %.0f s", name, f.MachineID, f.Kernel, f.TimeZone, f.UptimeSeconds),
			timeline.MeaningObserved, "the collector's clock when the facts were read"))
	} else {
		res.Warn(o, 0, 0, "no read time in the host facts")
	}
	return res
}

// ExecutableEvents turns proc/executables.jsonl into one event per copied
// (or uncopiable) suspect executable or deleted open file, with its
// SHA-256 and ELF facts, at the time it was opened.
func ExecutableEvents(xs []Located[Executable], o timeline.Origin) timeline.Result {
	var res timeline.Result
	for _, lx := range xs {
		x := lx.V
		if x.ObservedAt.IsZero() {
			res.Warn(o, lx.Line, lx.Offset, "executable record of PID %d has no observation time: no event", x.PID)
			continue
		}
		ev := timeline.Event{
			Timestamp: x.ObservedAt.UTC(),
			Event:     timeline.EventFields{Kind: "state", Category: []string{"file", "process"}, Type: []string{"info"}, Dataset: "executables"},
			Process:   &timeline.Process{PID: int64(x.PID), EntityID: EntityID(x.PID, x.StartTicks)},
			File:      &timeline.File{Path: x.Link, Size: x.Size, Inode: x.Inode},
			Labels:    map[string]string{"kind": x.Kind},
			Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningObserved,
				TimeDerivation: "the collector's clock when the file was opened", Provenance: o.Provenance(lx.Line, lx.Offset)},
		}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		if x.SHA256 != "" {
			ev.File.Hash = &timeline.Hash{SHA256: x.SHA256}
		}
		what := "executable"
		if x.Kind == "exe" {
			ev.Event.Action = "executable-recovered"
			ev.Process.Executable = x.Link
			ev.Process.Hash = ev.File.Hash
		} else {
			what = fmt.Sprintf("deleted file open on fd %d", x.FD)
			ev.Event.Action = "deleted-file-recovered"
		}
		for k, v := range map[string]string{"entry": x.Entry, "same_as": x.SameAs, "error": x.Error} {
			if v != "" {
				ev.Labels[k] = v
			}
		}
		if x.ELF != nil {
			for k, v := range map[string]string{"elf.class": x.ELF.Class, "elf.machine": x.ELF.Machine, "elf.type": x.ELF.Type,
				"elf.interpreter": x.ELF.Interpreter, "elf.build_id": x.ELF.BuildID, "elf.error": x.ELF.Error} {
				if v != "" {
					ev.Labels[k] = v
				}
			}
		}
		switch {
		case x.Entry != "":
			ev.Event.Outcome = "success"
			ev.Message = fmt.Sprintf("%s %q of process %d copied: %d bytes, sha256 %s", what, x.Link, x.PID, x.Copied, x.SHA256)
		case x.SameAs != "":
			ev.Event.Outcome = "success"
			ev.Message = fmt.Sprintf("%s %q of process %d is the file already copied as %s", what, x.Link, x.PID, x.SameAs)
		default:
			ev.Event.Outcome = "failure"
			ev.Message = fmt.Sprintf("%s %q of process %d not copied: %s", what, x.Link, x.PID, x.Error)
		}
		res.Events = append(res.Events, ev)
	}
	return res
}

// HiddenPIDEvents turns proc/hidden_pids.json into one alert per hidden PID.
func HiddenPIDEvents(h HiddenPIDs, o timeline.Origin) timeline.Result {
	var res timeline.Result
	if !h.Complete {
		res.Warn(o, 0, 0, "the hidden-PID probe was cut short: %s", strings.Join(h.Errors, "; "))
	}
	if len(h.Hidden) > 0 && h.ObservedAt.IsZero() {
		res.Warn(o, 0, 0, "hidden PIDs without an observation time: no events")
		return res
	}
	for _, p := range h.Hidden {
		ev := timeline.Event{
			Timestamp: h.ObservedAt.UTC(),
			Message:   fmt.Sprintf("process %d %q (exe %q) answers at /proc/%d but is hidden from the /proc listing", p.PID, p.Comm, p.Exe, p.PID),
			Event:     timeline.EventFields{Kind: "alert", Category: []string{"process"}, Type: []string{"info"}, Action: "process-hidden", Dataset: "processes"},
			Process:   &timeline.Process{PID: int64(p.PID), Name: p.Comm, Executable: p.Exe},
			Labels:    map[string]string{"tgid": strconv.Itoa(p.TGID)},
			Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningObserved,
				TimeDerivation: "the collector's clock when the probe ended", Provenance: o.Provenance(0, 0)},
		}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		res.Events = append(res.Events, ev)
		// The hidden process's whole record (the collector writes it here:
		// proc/processes.jsonl holds the listed processes only).
		if p.Process != nil {
			rec := *p.Process
			rec.Hidden = true
			pe := ProcessEvents([]Located[Process]{{V: rec}}, o)
			res.Events = append(res.Events, pe.Events...)
			res.Warnings = append(res.Warnings, pe.Warnings...)
		}
	}
	return res
}
