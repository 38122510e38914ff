package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/imported"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// collectorFacts are what the archive says about the collection.
type collectorFacts struct {
	name, version string
	zone          string
	started       time.Time // the collector's clock
	uac           *uacLog
	logEntry      string
}

// jsonl encodes records one a line.
func jsonl[T any](vs []T) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, v := range vs {
		_ = enc.Encode(v)
	}
	return b.Bytes()
}

// derived writes an entry cordon import made from the archive's members.
func (r *run) derived(name, source, from string, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	_, err := r.w.AddBytes(bundle.EntryMeta{Name: name, Source: source,
		Note: "made by cordon import from the archive's " + from + " (not read from the host by Cordon)"}, data)
	if err == nil {
		r.names[name] = true
	}
	return err
}

// finish writes what is known once every member is read: the joined
// records, the checks, the warnings and the last part of the members list.
func (r *run) finish() error {
	r.flushMembers()
	procs := r.processes()
	starts := map[int]uint64{}
	for _, p := range procs {
		starts[p.PID] = p.StartTicks
	}
	if err := r.derived(snapshot.ProcessesEntry, "processes", "process listings (ps, /proc/PID files, ls -l of /proc/PID/exe)", jsonl(procs)); err != nil {
		return err
	}
	if err := r.derived(snapshot.ExecutablesEntry, "executables", "binaries recovered from running processes", jsonl(r.executables(procs))); err != nil {
		return err
	}
	if err := r.derived(snapshot.SocketsEntry, "sockets", "socket listings (ss, netstat or lsof)", jsonl(r.sockets(starts))); err != nil {
		return err
	}
	if err := r.derived(snapshot.BinariesEntry, "binaries", "list of the host's executables and their MD5", jsonl(r.binaries())); err != nil {
		return err
	}
	r.finishChecks()
	r.flushChecks()
	if r.warnCount > len(r.warnings) {
		r.warnings = append(r.warnings, imported.Warning{Parser: "import", Warning: timelineWarning("",
			fmt.Sprintf("%d more lines could not be read; the first %d are listed", r.warnCount-len(r.warnings), len(r.warnings)))})
	}
	if err := r.derived(imported.WarningsEntry, imported.Source, "text outputs: the lines that could not be read", jsonl(r.warnings)); err != nil {
		return err
	}
	r.flushMembers()
	return nil
}

// executables lists the recovered binaries as cordon-collect's
// executables source does.
func (r *run) executables(procs []snapshot.Process) []snapshot.Executable {
	byPID := map[int]*snapshot.Process{}
	for i := range procs {
		byPID[procs[i].PID] = &procs[i]
	}
	var out []snapshot.Executable
	add := func(rec recovered, kind string) {
		x := snapshot.Executable{PID: rec.pid, Kind: kind, Entry: rec.entry, SHA256: rec.sha256, Size: rec.size,
			Copied: rec.size, ObservedAt: rec.at.UTC(), Error: rec.err}
		if p := byPID[rec.pid]; p != nil {
			x.StartTicks = p.StartTicks
			if kind == "exe" {
				x.Link = p.Exe
			}
		}
		if kind == "fd" {
			x.FD = rec.fd
		}
		if rec.size == uacCopyCap {
			x.Error = strings.TrimPrefix(x.Error+"; the copy is exactly 20,000 KiB, where UAC's dd stops: the file may be longer", "; ")
			x.Size = 0
		}
		if x.Link == "" {
			x.Link = "/proc/" + fmt.Sprint(rec.pid) + "/" + map[string]string{"exe": "exe", "fd": "fd/" + fmt.Sprint(rec.fd)}[kind]
		}
		out = append(out, x)
	}
	pids := make([]int, 0, len(r.procs.recovery))
	for pid := range r.procs.recovery {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	for _, pid := range pids {
		add(r.procs.recovery[pid], "exe")
	}
	for _, rec := range r.procs.fdCopies {
		add(rec, "fd")
	}
	return out
}

// binaries lists the host's executables with an MD5 (the package-integrity
// check compares MD5s with dpkg's lists); SHA-1-only lists cannot serve it.
func (r *run) binaries() []snapshot.BinaryRecord {
	var out []snapshot.BinaryRecord
	seen := map[string]int{}
	for _, p := range r.progs {
		i, ok := seen[p.path]
		if !ok {
			if p.algo != "md5" && p.algo != "sha256" {
				continue
			}
			i = len(out)
			seen[p.path] = i
			out = append(out, snapshot.BinaryRecord{Path: p.path,
				Error: "size and times not in the archive: only a hash list (" + p.entry + ")"})
		}
		switch p.algo {
		case "md5":
			out[i].MD5 = p.hash
		case "sha256":
			out[i].SHA256 = p.hash
		}
	}
	return out
}

// custody states the custody as it is.
func (r *run) custody() bundle.Custody {
	md5hex, sha1hex, sha256hex := r.in.sums()
	who := r.collector.name
	if r.collector.version != "" {
		who += " " + r.collector.version
	}
	statement := fmt.Sprintf("imported from %s archive %s, not collected by Cordon, no signature from the suspect host", who, sha256hex)
	facts := bundle.ImportFacts{Importer: r.opts.Importer, CommandLine: r.opts.CommandLine, At: r.opts.Now().UTC(),
		Collector: r.collector.name, Version: r.collector.version, Statement: statement,
		ArchiveName: r.archiveName, ArchiveSize: r.in.n, ArchiveSHA256: sha256hex, ArchiveSHA1: sha1hex, ArchiveMD5: md5hex,
		Complete: r.complete, StoppedAt: r.stopped, Members: r.nMembers, Checks: r.checkCount, NotInArchive: r.lacks()}
	if a := r.acqLog; a != nil {
		facts.AcquisitionLog, facts.AcquisitionLogSHA256 = a.name, a.sha256
	}
	c := bundle.Custody{CaseID: r.opts.CaseID, EvidenceID: r.evidenceID, Examiner: r.opts.Examiner,
		Notes:     append([]string{statement}, r.opts.Notes...),
		Collector: bundle.CollectorFacts{Name: r.collector.name, Version: r.collector.version, EUID: -1, EGID: -1, PID: r.collectorPID},
		Errors:    r.errors, Import: &facts}
	c.Host.Hostname = r.hostname
	c.Host.TimeZone = r.zoneName()
	if u := r.collector.uac; u != nil {
		if u.commandLine != "" {
			c.Collector.CommandLine = []string{u.commandLine}
		}
		c.Host.ClockStart, c.Host.ClockEnd = u.started.UTC(), u.finished.UTC()
		for _, a := range u.artifacts {
			end := a.next
			if end.IsZero() {
				end = u.finished
			}
			c.Sources = append(c.Sources, bundle.SourceStatus{Name: a.name, Status: "ok", Started: a.at.UTC(), Finished: end.UTC(),
				Detail: "an artifact UAC ran (uac.log); its errors, if any, are the collection errors"})
		}
		for _, e := range u.errors {
			c.Errors = append(c.Errors, bundle.ErrorRecord{At: e.at.UTC(), Source: "uac", Error: fmt.Sprintf("uac.log line %d: %s", e.line, e.text)})
		}
		if u.runningAs == "root" {
			c.Collector.EUID = 0
		}
	}
	if a := r.acqLog; a != nil {
		if c.Host.Hostname == "" {
			c.Host.Hostname = a.hostname
		}
		if !a.started.IsZero() {
			c.Host.ClockStart = a.started.UTC()
		}
		if !a.finished.IsZero() {
			c.Host.ClockEnd = a.finished.UTC()
		}
		for _, k := range sortedKeys(a.case_) {
			c.Notes = append(c.Notes, fmt.Sprintf("%s's acquisition log, %s: %s", r.collector.name, k, a.case_[k]))
		}
	}
	if r.layout.ID == "catscale" {
		c.Collector.EUID, c.Collector.EGID = 0, 0 // Cat-Scale refuses to run as another user
		if c.Host.Hostname == "" {
			c.Host.Hostname = catscaleHost(r.archiveName)
		}
		c.Host.ClockStart = r.collector.started
	}
	if c.Host.ClockEnd.IsZero() {
		c.Host.ClockEnd = r.latest
	}
	if c.Host.ClockStart.IsZero() {
		c.Host.ClockStart = r.earliest
		c.Host.Errors = append(c.Host.Errors, "the collection's start is not in the archive: the earliest member's mtime")
	}
	if c.Host.Hostname == "" {
		c.Host.Errors = append(c.Host.Errors, "the host name is not in the archive")
	}
	if !r.complete {
		c.Notes = append(c.Notes, "the archive is incomplete: the import stopped "+r.stopped)
	}
	return c
}

// lacks says what the archive does not hold that a Cordon collection
// would: what the collector never collects, and what this archive lacks.
func (r *run) lacks() []string {
	out := append([]string(nil), r.layout.Lacks...)
	if len(r.procs.ps) == 0 && len(r.procs.stat) == 0 && len(r.procs.status) == 0 {
		out = append(out, "no process listing in this archive (no ps output nor /proc/PID files): no process events")
	}
	if len(r.net.ss) == 0 && len(r.net.netstat) == 0 && len(r.net.lsof) == 0 {
		out = append(out, "no socket listing in this archive (no ss, netstat or lsof output): no socket events")
	}
	if len(r.progs) > 0 && !r.sawMd5sums {
		out = append(out, "no dpkg md5sums lists (/var/lib/dpkg/info/*.md5sums): the list of the host's executables and their hashes is kept, but the package-integrity check (CORDON-INT-001) has no package hash to compare it with")
	}
	for _, pid := range r.deletedWithoutCopy {
		out = append(out, fmt.Sprintf("process %d runs from a deleted executable and the archive holds no copy of it", pid))
	}
	return out
}

func (r *run) zoneName() string {
	if r.locFromTZ {
		return r.loc.String()
	}
	return ""
}

// catscaleHost reads the host from "catscale_HOST-YYYYMMDD-HHMM.tar.gz".
func catscaleHost(name string) string {
	s := strings.TrimPrefix(path.Base(name), "catscale_")
	for _, ext := range []string{".tar.gz", ".tgz"} {
		s = strings.TrimSuffix(s, ext)
	}
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return ""
	}
	return strings.Join(parts[:len(parts)-2], "-")
}

func timelineWarning(entry, msg string) timeline.Warning {
	return timeline.Warning{Entry: entry, Message: msg}
}
