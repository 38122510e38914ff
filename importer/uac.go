package importer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/imported"
)

// UAC (github.com/tclahr/uac) 3.x writes uac-HOST-OS-TIMESTAMP.tar.gz,
// whose members are the collection's own log (uac.log), the hash lists of
// what it collected when run with -H (hash_list.md5, .sha1, .sha256),
// copies of host files under "[root]/", and the artifacts' outputs:
// live_response/ (the host's tools' text), bodyfile/, hash_executables/,
// chkrootkit/, … Beside the archive it writes an acquisition log,
// uac-HOST-OS-TIMESTAMP.log, with the archive's MD5 and SHA-1.
func uacLayout() *Layout {
	const proc = `live_response/process/proc/(?P<pid>[0-9]+)/`
	return &Layout{
		ID: "uac", Name: "UAC",
		Detect: func(first string) (string, bool) {
			for _, p := range []string{"uac.log", "hash_list.md5", "hash_list.sha1", "hash_list.sha256"} {
				if first == p {
					return "", true
				}
			}
			for _, p := range []string{"[root]/", "live_response/", "bodyfile/", "hash_executables/"} {
				if strings.HasPrefix(first, p) {
					return "", true
				}
			}
			return "", false
		},
		Rules: []Rule{
			{Name: "uac-log", Pattern: `uac\.log`, Kind: Parse, Parse: "uac-log"},
			{Name: "collected-list", Pattern: `hash_list\.(md5|sha1|sha256)`, Kind: Parse, Parse: "collected-list"},
			{Name: "host-passwd", Pattern: `\[root\](?P<path>/etc/passwd)`, Kind: HostFile, HostPath: "${path}", Parse: "passwd"},
			{Name: "host-file", Pattern: `\[root\](?P<path>/.*)`, Kind: HostFile, HostPath: "${path}"},
			{Name: "ps", Pattern: `live_response/process/ps(_[^/]*)?\.txt`, Kind: Parse, Parse: "ps"},
			{Name: "exe-links", Pattern: `live_response/process/running_processes_full_paths\.txt`, Kind: Parse, Parse: "exe-links"},
			{Name: "cwd-links", Pattern: `live_response/process/ls_-l_proc_pid_cwd\.txt`, Kind: Parse, Parse: "cwd-links"},
			{Name: "proc-stat", Pattern: proc + `stat\.txt`, Kind: Parse, Parse: "proc-stat"},
			{Name: "proc-status", Pattern: proc + `status\.txt`, Kind: Parse, Parse: "proc-status"},
			{Name: "proc-comm", Pattern: proc + `comm\.txt`, Kind: Parse, Parse: "proc-comm"},
			{Name: "proc-cmdline", Pattern: proc + `cmdline\.txt`, Kind: Parse, Parse: "proc-cmdline"},
			{Name: "proc-fd", Pattern: proc + `fd\.txt`, Kind: Parse, Parse: "fd-links"},
			{Name: "recovered-exe", Pattern: proc + `recovered_exe`, Kind: Executable, Entry: "proc/${pid}/exe"},
			{Name: "recovered-fd", Pattern: proc + `fd/(?P<fd>[0-9]+)/recovered_file`, Kind: Executable, Entry: "proc/${pid}/fd/${fd}"},
			{Name: "process-hashes", Pattern: `live_response/process/hash_running_processes\.(md5|sha1|sha256)`, Kind: Parse, Parse: "exe-hashes"},
			{Name: "lsof", Pattern: `live_response/process/lsof_-nPl\.txt`, Kind: Parse, Parse: "lsof"},
			{Name: "ss", Pattern: `live_response/network/ss_-[a-zA-Z0-9]*\.txt`, Kind: Parse, Parse: "ss"},
			{Name: "netstat", Pattern: `live_response/network/netstat_-(anp|lpeanut)\.txt`, Kind: Parse, Parse: "netstat"},
			{Name: "program-hashes", Pattern: `hash_executables/hash_executables\.(md5|sha1|sha256)`, Kind: Parse, Parse: "program-hashes"},
			{Name: "bodyfile", Pattern: `bodyfile/bodyfile\.txt`, Kind: Entry, Entry: BodyfileEntry, Source: imported.BodyfileSource},
		},
		Lacks: []string{
			"no packet capture: UAC does not capture traffic",
			"no process memory as core files: UAC's deleted.yaml keeps the memory sections and strings of processes running from a deleted executable (kept under archive/live_response/process/proc/, not read by Cordon)",
			"sockets of one network namespace: ss and netstat list the namespace UAC ran in (Cordon reads every namespace)",
		},
	}
}

// Entries the analyzer reads as file timelines.
const (
	BodyfileEntry     = imported.BodyfileEntry
	StatTimelineEntry = imported.StatTimelineEntry
)

// maxAcquisitionLog bounds the acquisition log read.
const maxAcquisitionLog = 1 << 20

// acquisitionLog is UAC's .log beside the archive.
type acquisitionLog struct {
	path, name, sha256 string
	raw                []byte
	version            string
	hostname           string
	started, finished  time.Time
	file               string
	hashes             map[string]string // algorithm → digest
	lines              map[string]int64  // algorithm → line
	case_              map[string]string
	err                string
}

// readAcquisitionLog reads the acquisition log the options name, or the
// one beside the archive.
func (r *run) readAcquisitionLog() {
	p := r.opts.AcquisitionLog
	if p == "-" {
		return
	}
	explicit := p != ""
	if !explicit {
		stem := r.archive
		for _, ext := range []string{".tar.gz", ".tgz", ".tar"} {
			stem = strings.TrimSuffix(stem, ext)
		}
		p = stem + ".log"
		if _, err := os.Stat(p); err != nil {
			return
		}
	}
	b, err := readBounded(p, maxAcquisitionLog)
	if err != nil {
		r.acqLog = &acquisitionLog{path: p, name: baseName(p), err: err.Error()}
		r.errors = append(r.errors, bundle.ErrorRecord{At: r.opts.Now().UTC(), Source: "import", HostPath: p, Error: "acquisition log: " + err.Error()})
		return
	}
	a := parseAcquisitionLog(b)
	a.path, a.name, a.raw = p, baseName(p), b
	sum := sha256.Sum256(b)
	a.sha256 = hex.EncodeToString(sum[:])
	r.acqLog = a
	if a.version != "" {
		r.collector.version = a.version
	}
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func readBounded(p string, max int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return b, nil
}

var reUACVersion = regexp.MustCompile(`^Created by UAC \(Unix-like Artifacts Collector\) ([0-9][0-9A-Za-z.\-]*)`)

// parseAcquisitionLog reads UAC's acquisition log (lib/create_acquisition_log.sh):
// "Key: value" lines under [Section] headings.
func parseAcquisitionLog(b []byte) *acquisitionLog {
	a := &acquisitionLog{hashes: map[string]string{}, lines: map[string]int64{}, case_: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	var n int64
	for sc.Scan() {
		n++
		l := safeBytes(sc.Bytes())
		if m := reUACVersion.FindStringSubmatch(l); m != nil {
			a.version = m[1]
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Hostname":
			a.hostname = v
		case "Acquisition Started":
			a.started, _ = time.Parse("Mon Jan 02 15:04:05 2006 -0700", v)
		case "Acquisition Finished":
			a.finished, _ = time.Parse("Mon Jan 02 15:04:05 2006 -0700", v)
		case "File":
			a.file = v
		case "MD5 checksum":
			a.hashes["md5"], a.lines["md5"] = strings.ToLower(v), n
		case "SHA1 checksum":
			a.hashes["sha1"], a.lines["sha1"] = strings.ToLower(v), n
		case "SHA256 checksum":
			a.hashes["sha256"], a.lines["sha256"] = strings.ToLower(v), n
		case "Case Number", "Evidence Number", "Description", "Examiner", "Notes":
			if v != "" {
				a.case_[strings.TrimSpace(k)] = v
			}
		}
	}
	return a
}

// uacLog is what uac.log says about the collection.
type uacLog struct {
	version, commandLine, hostname, timeZone string
	runningAs                                string
	pid                                      int
	started, finished                        time.Time
	offset                                   *time.Location // the zone of the log's own times
	artifacts                                []uacArtifact
	errors                                   []uacLogLine
}

type uacArtifact struct {
	name     string
	at, next time.Time
}

type uacLogLine struct {
	at   time.Time
	text string
	line int64
}

var reUACLogLine = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}) (INF|CMD|WRN|ERR|DBG) (.*)$`)

// parseUACLogBytes reads uac.log: "YYYY-MM-DD HH:MM:SS +ZZZZ LEVEL text".
func parseUACLogBytes(b []byte) uacLog {
	var u uacLog
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var n int64
	for sc.Scan() {
		n++
		m := reUACLogLine.FindStringSubmatch(safeBytes(sc.Bytes()))
		if m == nil {
			continue
		}
		at, err := time.Parse("2006-01-02 15:04:05 -0700", m[1])
		if err != nil {
			continue
		}
		if u.offset == nil {
			u.offset = at.Location()
		}
		if u.started.IsZero() {
			u.started = at
		}
		u.finished = at
		text := m[3]
		switch m[2] {
		case "ERR", "WRN":
			if len(u.errors) < 10_000 {
				u.errors = append(u.errors, uacLogLine{at, m[2] + " " + text, n})
			}
			continue
		case "CMD", "DBG":
			continue
		}
		if v, ok := strings.CutPrefix(text, "Unix-like Artifacts Collector "); ok {
			u.version = v
		} else if v, ok := strings.CutPrefix(text, "Command line: "); ok {
			u.commandLine = v
		} else if v, ok := strings.CutPrefix(text, "Hostname: "); ok {
			u.hostname = v
		} else if v, ok := strings.CutPrefix(text, "Time zone: "); ok {
			u.timeZone = v
		} else if v, ok := strings.CutPrefix(text, "Running as: "); ok {
			u.runningAs = v
		} else if v, ok := strings.CutPrefix(text, "Current PID: "); ok {
			u.pid, _ = strconv.Atoi(v)
		} else if v, ok := strings.CutPrefix(text, "Parsing "); ok && len(u.artifacts) < 10_000 {
			if k := len(u.artifacts); k > 0 {
				u.artifacts[k-1].next = at
			}
			u.artifacts = append(u.artifacts, uacArtifact{name: v, at: at})
		} else if strings.HasPrefix(text, "Artifacts collection completed") {
			if k := len(u.artifacts); k > 0 {
				u.artifacts[k-1].next = at
			}
		}
	}
	return u
}

// parseUACLog reads uac.log into the collection's facts; it is the first
// member, so its time zone serves the listings after it.
func parseUACLog(r *run, c *memberCtx, data []byte) {
	u := parseUACLogBytes(data)
	r.collector.uac = &u
	r.collector.logEntry = c.entry
	if u.version != "" {
		r.collector.version = u.version
	}
	if u.hostname != "" {
		r.hostname = u.hostname
	}
	r.collectorPID = u.pid
	r.setZone(u.timeZone, u.offset)
}

// setZone sets the host's time zone: by name when this machine knows it,
// else the fixed offset the collector's own times carry.
func (r *run) setZone(name string, offset *time.Location) {
	if name != "" {
		if l, err := time.LoadLocation(name); err == nil {
			r.loc, r.locFromTZ = l, true
			r.collector.zone = name
			return
		}
	}
	if offset != nil {
		_, sec := time.Date(2000, 1, 1, 0, 0, 0, 0, offset).Zone()
		r.loc = time.FixedZone(offsetName(sec), sec)
		r.collector.zone = r.loc.String() + " (the offset of uac.log's own times)"
	}
}
