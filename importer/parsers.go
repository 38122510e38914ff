package importer

import (
	"bytes"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/toolout"
	"github.com/cordon-forensics/cordon/timeline"
)

// A parser reads one member's bytes (already stored in c.entry) into the
// import's facts; what it cannot read becomes warnings on c.entry. The
// layout tables name parsers; a parser serves every layout whose tool
// output it reads.
type parser func(r *run, c *memberCtx, data []byte)

var parsers = map[string]parser{
	"ps":              parsePS,
	"exe-links":       parseExeLinks,
	"cwd-links":       parseCwdLinks,
	"fd-links":        parseFDLinks,
	"proc-stat":       parseProcStat,
	"proc-status":     parseProcStatus,
	"proc-comm":       parseProcComm,
	"proc-cmdline":    parseProcCmdlineStrings,
	"head-cmdline":    parseHeadCmdline,
	"exe-hashes":      parseExeHashes,
	"lsof":            parseLsof,
	"ss":              parseSS,
	"netstat":         parseNetstat,
	"program-hashes":  parseProgramHashes,
	"collected-list":  parseCollectedList,
	"passwd":          parsePasswd,
	"uac-log":         parseUACLog,
	"catscale-date":   parseCatScaleDate,
	"catscale-w":      parseCatScaleW,
	"catscale-errors": parseCatScaleErrors,
}

// fact is a value read from a member, with where it was read.
type fact[T any] struct {
	v     T
	entry string
	line  int64
}

// procFacts are what the process listings said, by PID.
type procFacts struct {
	ps       []psListing
	exe      map[int]fact[string] // /proc/PID/exe link target
	cwd      map[int]string
	stat     map[int]toolout.ProcStat
	status   map[int]toolout.ProcStatus
	comm     map[int]string
	cmdline  map[int][]string // exact argv (NUL-separated)
	lossy    map[int][]string // argv from strings(1): arguments under 4 bytes are lost
	holders  map[uint64][]holder
	exeHash  map[int]map[string]fact[string] // PID → algorithm → digest of /proc/PID/exe
	lsofExe  map[int]string
	lsofComm map[int]string // lsof's COMMAND: the comm, cut at 9 bytes unless +c0
	recovery map[int]recovered
	users    map[uint32]string // from the archive's /etc/passwd
	fdCopies []recovered       // deleted files copied through /proc/PID/fd/N
}

func newProcFacts() *procFacts {
	return &procFacts{exe: map[int]fact[string]{}, cwd: map[int]string{}, stat: map[int]toolout.ProcStat{},
		status: map[int]toolout.ProcStatus{}, comm: map[int]string{}, cmdline: map[int][]string{}, lossy: map[int][]string{},
		holders: map[uint64][]holder{}, exeHash: map[int]map[string]fact[string]{}, lsofExe: map[int]string{}, lsofComm: map[int]string{},
		recovery: map[int]recovered{}}
}

type psListing struct {
	entry string
	at    time.Time // when ps ran: the member's mtime
	tab   toolout.PSTable
}

type holder struct{ pid, fd int }

// recovered is a binary copied from a running process's exe or fd link.
type recovered struct {
	pid, fd           int
	entry, path       string
	sha256, md5, sha1 string
	size              int64
	at                time.Time
	err               string
}

// netFacts are the socket listings, by member.
type netFacts struct {
	ss      []ssListing
	netstat []netstatListing
	lsof    []lsofListing
}

func newNetFacts() *netFacts { return &netFacts{} }

type ssListing struct {
	entry, name string
	at          time.Time
	rows        []toolout.SSRow
}

type netstatListing struct {
	entry, name string
	at          time.Time
	rows        []toolout.NetstatRow
}

type lsofListing struct {
	entry string
	at    time.Time
	rows  []toolout.LsofRow
}

// programHash is one line of a list of the host's executables and their
// digests (UAC hash_executables, Cat-Scale exec-perm-files).
type programHash struct {
	path, algo, hash, entry string
	line                    int64
}

func (r *run) hostLoc() *time.Location { return r.loc }

func parsePS(r *run, c *memberCtx, data []byte) {
	tab, ws, _ := toolout.ParsePS(bytes.NewReader(data), r.hostLoc())
	r.warnAll("ps", c.entry, ws)
	if len(tab.Rows) > 0 {
		r.procs.ps = append(r.procs.ps, psListing{entry: c.entry, at: c.mtime, tab: tab})
	}
}

var reProcPID = regexp.MustCompile(`^/proc/([0-9]+)/(exe|cwd|fd/([0-9]+))$`)

// pidOf reads /proc/PID/exe, /proc/PID/cwd or /proc/PID/fd/N.
func pidOf(p string) (pid, fd int, kind string, ok bool) {
	m := reProcPID.FindStringSubmatch(p)
	if m == nil {
		return 0, 0, "", false
	}
	pid, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, 0, "", false
	}
	fd = -1
	if m[3] != "" {
		fd, _ = strconv.Atoi(m[3])
		return pid, fd, "fd", true
	}
	return pid, fd, m[2], true
}

func parseExeLinks(r *run, c *memberCtx, data []byte) {
	es, ws, _ := toolout.ParseLs(bytes.NewReader(data))
	r.warnAll("exe-links", c.entry, ws)
	for _, e := range es {
		if pid, _, kind, ok := pidOf(e.Path()); ok && kind == "exe" && e.IsLink() {
			r.procs.exe[pid] = fact[string]{e.Target, c.entry, e.Line}
		}
	}
}

func parseCwdLinks(r *run, c *memberCtx, data []byte) {
	es, ws, _ := toolout.ParseLs(bytes.NewReader(data))
	r.warnAll("cwd-links", c.entry, ws)
	for _, e := range es {
		if pid, _, kind, ok := pidOf(e.Path()); ok && kind == "cwd" && e.IsLink() {
			r.procs.cwd[pid] = e.Target
		}
	}
}

var reSocketLink = regexp.MustCompile(`^socket:\[([0-9]+)\]$`)

// parseFDLinks reads ls -l of /proc/PID/fd: a per-PID listing (UAC's
// proc/PID/fd.txt, names "3") or one of every PID (Cat-Scale's
// process-fd-links.txt, paths /proc/PID/fd/3).
func parseFDLinks(r *run, c *memberCtx, data []byte) {
	es, ws, _ := toolout.ParseLs(bytes.NewReader(data))
	r.warnAll("fd-links", c.entry, ws)
	pidFromPath, _ := strconv.Atoi(c.capture("pid"))
	for _, e := range es {
		if !e.IsLink() {
			continue
		}
		pid, fd := pidFromPath, -1
		if p, f, kind, ok := pidOf(e.Path()); ok && kind == "fd" {
			pid, fd = p, f
		} else if n, err := strconv.Atoi(e.Name); err == nil && pid > 0 {
			fd = n
		} else {
			continue
		}
		if m := reSocketLink.FindStringSubmatch(e.Target); m != nil {
			ino, err := strconv.ParseUint(m[1], 10, 64)
			if err == nil && len(r.procs.holders[ino]) < 1024 {
				r.procs.holders[ino] = append(r.procs.holders[ino], holder{pid, fd})
			}
		}
	}
}

func parseProcStat(r *run, c *memberCtx, data []byte) {
	s, err := toolout.ParseProcStat(data)
	if err != nil {
		r.warn("proc-stat", timeline.Warning{Entry: c.entry, Line: 1, Message: "not a /proc/PID/stat line: " + err.Error()})
		return
	}
	if want := c.capture("pid"); want != "" && want != strconv.Itoa(s.PID) {
		r.warn("proc-stat", timeline.Warning{Entry: c.entry, Line: 1, Message: "the stat line's PID " + strconv.Itoa(s.PID) + " is not the directory's " + want + ": not used"})
		return
	}
	r.procs.stat[s.PID] = s
}

func parseProcStatus(r *run, c *memberCtx, data []byte) {
	ss, ws, _ := toolout.ParseProcStatus(bytes.NewReader(data))
	r.warnAll("proc-status", c.entry, ws)
	want := c.capture("pid")
	for _, s := range ss {
		if want != "" && want != strconv.Itoa(s.PID) {
			continue
		}
		r.procs.status[s.PID] = s
	}
}

func parseProcComm(r *run, c *memberCtx, data []byte) {
	pid, err := strconv.Atoi(c.capture("pid"))
	if err != nil {
		return
	}
	r.procs.comm[pid] = safeBytes(bytes.TrimSuffix(data, []byte("\n")))
}

// parseProcCmdlineStrings reads UAC's "strings /proc/PID/cmdline": one
// argument a line, arguments shorter than 4 bytes dropped by strings(1).
func parseProcCmdlineStrings(r *run, c *memberCtx, data []byte) {
	pid, err := strconv.Atoi(c.capture("pid"))
	if err != nil {
		return
	}
	var args []string
	for _, l := range strings.Split(strings.TrimSuffix(safeBytes(data), "\n"), "\n") {
		if l != "" && len(args) < 4096 {
			args = append(args, l)
		}
	}
	r.procs.lossy[pid] = args
}

var reCmdlineName = regexp.MustCompile(`^/proc/([0-9]+)/cmdline$`)

// parseHeadCmdline reads Cat-Scale's head over /proc/*/cmdline: exact argv.
func parseHeadCmdline(r *run, c *memberCtx, data []byte) {
	ss, ws, _ := toolout.ParseHeadSections(bytes.NewReader(data))
	r.warnAll("head-cmdline", c.entry, ws)
	for _, s := range ss {
		m := reCmdlineName.FindStringSubmatch(s.Name)
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		content := bytes.TrimRight(s.Content, "\x00")
		if len(content) == 0 {
			continue
		}
		var args []string
		for _, a := range bytes.Split(content, []byte{0}) {
			if len(args) < 4096 {
				args = append(args, safeBytes(a))
			}
		}
		// PostgreSQL rewrites its argv into one padded title: "postgres: checkpointer "
		r.procs.cmdline[pid] = args
	}
}

// parseExeHashes reads the digests of /proc/PID/exe (UAC
// hash_running_processes.*, Cat-Scale processhashes.txt).
func parseExeHashes(r *run, c *memberCtx, data []byte) {
	hs, ws, _ := toolout.ParseHashList(bytes.NewReader(data))
	r.warnAll("exe-hashes", c.entry, ws)
	for _, h := range hs {
		pid, _, kind, ok := pidOf(h.Path)
		if !ok || kind != "exe" {
			continue
		}
		if r.procs.exeHash[pid] == nil {
			r.procs.exeHash[pid] = map[string]fact[string]{}
		}
		r.procs.exeHash[pid][h.Algorithm] = fact[string]{h.Hash, c.entry, h.Line}
	}
}

func parseLsof(r *run, c *memberCtx, data []byte) {
	rows, ws, _ := toolout.ParseLsof(bytes.NewReader(data))
	r.warnAll("lsof", c.entry, ws)
	var keep []toolout.LsofRow
	for _, row := range rows {
		if _, ok := r.procs.lsofComm[row.PID]; !ok && row.Command != "" {
			r.procs.lsofComm[row.PID] = row.Command
		}
		switch {
		case row.FD == "txt" && strings.HasPrefix(row.Name, "/") && r.procs.lsofExe[row.PID] == "":
			r.procs.lsofExe[row.PID] = row.Name
		case row.Type == "IPv4" || row.Type == "IPv6" || row.Type == "unix":
			keep = append(keep, row)
			if ino, err := strconv.ParseUint(row.Node, 10, 64); err == nil && row.Type == "unix" {
				if fd, ok := lsofFD(row.FD); ok && len(r.procs.holders[ino]) < 1024 && !hasHolder(r.procs.holders[ino], row.PID) {
					r.procs.holders[ino] = append(r.procs.holders[ino], holder{row.PID, fd})
				}
			}
		}
	}
	r.net.lsof = append(r.net.lsof, lsofListing{entry: c.entry, at: c.mtime, rows: keep})
}

func hasHolder(hs []holder, pid int) bool {
	for _, h := range hs {
		if h.pid == pid {
			return true
		}
	}
	return false
}

// lsofFD reads lsof's FD column ("3u", "12r"): the number.
func lsofFD(s string) (int, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	return n, err == nil
}

func parseSS(r *run, c *memberCtx, data []byte) {
	name := path.Base(c.path)
	def := ""
	// "ss_-tanp.txt": -t lists TCP only, -u UDP only, and then the output has no Netid column
	opts, isUAC := strings.CutPrefix(strings.TrimSuffix(name, ".txt"), "ss_-")
	switch {
	case !isUAC:
	case strings.Contains(opts, "t") && !strings.Contains(opts, "u"):
		def = "tcp"
	case strings.Contains(opts, "u") && !strings.Contains(opts, "t"):
		def = "udp"
	}
	rows, ws, _ := toolout.ParseSS(bytes.NewReader(data), def)
	r.warnAll("ss", c.entry, ws)
	r.net.ss = append(r.net.ss, ssListing{entry: c.entry, name: name, at: c.mtime, rows: rows})
}

func parseNetstat(r *run, c *memberCtx, data []byte) {
	rows, ws, _ := toolout.ParseNetstat(bytes.NewReader(data))
	r.warnAll("netstat", c.entry, ws)
	r.net.netstat = append(r.net.netstat, netstatListing{entry: c.entry, name: path.Base(c.path), at: c.mtime, rows: rows})
}

// parseProgramHashes reads a list of the host's executables with their
// digests: they become program hashes (integrity/binaries.jsonl) and the
// expected digests of host files the archive also holds.
func parseProgramHashes(r *run, c *memberCtx, data []byte) {
	hs, ws, _ := toolout.ParseHashList(bytes.NewReader(data))
	r.warnAll("program-hashes", c.entry, ws)
	for _, h := range hs {
		if len(r.progs) >= toolout.MaxRows || !strings.HasPrefix(h.Path, "/") {
			continue
		}
		r.progs = append(r.progs, programHash{path: h.Path, algo: h.Algorithm, hash: h.Hash, entry: c.entry, line: h.Line})
	}
}

// parseCollectedList reads the collector's list of the files it
// collected, with their digests (UAC's hash_list.*, written with -H): each
// file is checked as it streams by.
func parseCollectedList(r *run, c *memberCtx, data []byte) {
	hs, ws, _ := toolout.ParseHashList(bytes.NewReader(data))
	r.warnAll("collected-list", c.entry, ws)
	for _, h := range hs {
		p := cleanMemberPath(h.Path)
		if len(r.listed) >= toolout.MaxRows {
			break
		}
		r.listed[p] = append(r.listed[p], listedHash{algo: h.Algorithm, hash: h.Hash, source: c.entry, line: h.Line})
	}
}

// parsePasswd reads user names by UID from the archive's /etc/passwd.
func parsePasswd(r *run, c *memberCtx, data []byte) {
	if c.members.Entry == "" {
		return
	}
	users := map[uint32]string{}
	for _, l := range strings.Split(safeBytes(data), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 4 || f[0] == "" {
			continue
		}
		if uid, err := strconv.ParseUint(f[2], 10, 32); err == nil && len(users) < 1<<20 {
			if _, dup := users[uint32(uid)]; !dup {
				users[uint32(uid)] = f[0]
			}
		}
	}
	if r.procs.users == nil {
		r.procs.users = users
	}
}
