package importer

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/formats/toolout"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's starttime: 100 on
// every Linux architecture the collectors run on.
const clockTicks = 100

// suspectDirs are where a running executable makes a process suspect, as
// cordon-collect's default --suspect-dir.
var suspectDirs = []string{"/tmp/", "/var/tmp/", "/dev/shm/"}

// processes joins what the listings said into one record per PID, in PID
// order: ps (any option set) for the parent, user, start and command
// line; /proc/PID/stat and status for the parent, start ticks, state and
// ids; the exe and cwd links; exact argv where the archive has it. A field
// no listing gave is named in the record's Errors, never left looking known.
func (r *run) processes() []snapshot.Process {
	p := r.procs
	pids := map[int]bool{}
	for _, l := range p.ps {
		for _, row := range l.tab.Rows {
			pids[row.PID] = true
		}
	}
	for pid := range p.stat {
		pids[pid] = true
	}
	for pid := range p.status {
		pids[pid] = true
	}
	for pid := range p.exe {
		pids[pid] = true
	}
	order := make([]int, 0, len(pids))
	for pid := range pids {
		if pid > 0 {
			order = append(order, pid)
		}
	}
	sort.Ints(order)

	// ps rows by PID, the listings in the order they were read
	byPID := map[int][]psFact{}
	for i := range p.ps {
		l := &p.ps[i]
		forest := isForest(l.tab)
		for _, row := range l.tab.Rows {
			if forest {
				row.Command = "" // the tree art is not the command line
			}
			byPID[row.PID] = append(byPID[row.PID], psFact{row, l})
		}
	}
	boot, bootOK := r.bootTime(byPID)

	out := make([]snapshot.Process, 0, len(order))
	for _, pid := range order {
		pr := snapshot.Process{PID: pid, PPID: -1, Status: snapshot.StatusOK, Errors: map[string]string{}}
		var user, command, startField string
		var started, listedAt time.Time
		plainName := ""
		for _, f := range byPID[pid] {
			if pr.PPID < 0 && f.row.PPID >= 0 {
				pr.PPID = f.row.PPID
			}
			if user == "" {
				user = f.row.User
			}
			if started.IsZero() && !f.row.Started.IsZero() {
				started = f.row.Started
			}
			if startField == "" && f.row.StartField != "" {
				startField, listedAt = f.row.StartField, f.l.at
			}
			if f.row.Stat != "" && pr.State == "" {
				pr.State = f.row.Stat
			}
			if f.row.CGroup != "" && pr.Cgroup == "" && f.row.CGroup != "-" {
				pr.Cgroup = f.row.CGroup
			}
			if f.row.Command != "" {
				if len(f.l.tab.Columns) <= 4 && f.l.tab.Has("CMD") && f.l.tab.Has("TIME") && f.l.tab.Has("TTY") {
					plainName = f.row.Command // plain "ps": CMD is the name only
				} else if command == "" {
					command = f.row.Command
				}
			}
		}
		st, hasStat := p.stat[pid]
		status, hasStatus := p.status[pid]
		if hasStat {
			pr.PPID, pr.StartTicks, pr.Comm, pr.State, pr.Threads = st.PPID, st.StartTicks, st.Comm, st.State, st.Threads
			pr.UTimeTicks, pr.STimeTicks, pr.RSSBytes = st.UTime, st.STime, st.RSSPages*4096
		} else {
			pr.Errors["start_ticks"] = "not in the archive (no /proc/PID/stat)"
		}
		if hasStatus {
			if pr.PPID < 0 {
				pr.PPID = status.PPID
			}
			if pr.Comm == "" {
				pr.Comm = status.Name
			}
			if pr.Threads == 0 {
				pr.Threads = status.Threads
			}
			pr.UIDs, pr.GIDs = status.UIDs, status.GIDs
			if status.TGID > 0 && status.TGID != pid {
				pr.TGID = status.TGID
			}
		}
		if pr.Comm == "" {
			pr.Comm = p.comm[pid]
		}
		if pr.Comm == "" && plainName != "" {
			pr.Comm = plainName
		}
		if c := p.lsofComm[pid]; pr.Comm == "" && c != "" && len(c) < 9 {
			pr.Comm = c // shorter than lsof's default cut: the whole name
		}
		if pr.PPID < 0 {
			pr.PPID = 0
			pr.Errors["ppid"] = "not in the archive"
		}
		// the command line: exact argv, else ps's (argv joined with spaces), else strings(1)'s
		switch {
		case len(p.cmdline[pid]) > 0:
			pr.Cmdline = p.cmdline[pid]
		case command != "":
			pr.Cmdline = strings.Fields(command)
			if strings.HasPrefix(command, "[") && strings.HasSuffix(command, "]") {
				pr.Cmdline, pr.KernelThread = nil, true
			} else {
				pr.Errors["cmdline"] = "from ps: the arguments were joined with spaces, so where one ended is a guess"
			}
		case len(p.lossy[pid]) > 0:
			pr.Cmdline = p.lossy[pid]
			pr.Errors["cmdline"] = "from strings(1) of /proc/PID/cmdline: arguments shorter than 4 bytes are missing"
		default:
			pr.Errors["cmdline"] = "not in the archive"
		}
		if pid == 2 || pr.PPID == 2 {
			pr.KernelThread = true
		}
		if e, ok := p.exe[pid]; ok {
			pr.Exe = e.v
		} else if e := p.lsofExe[pid]; e != "" {
			pr.Exe = e
			pr.Errors["exe"] = "from lsof's txt line (no /proc/PID/exe listing in the archive)"
		} else if !pr.KernelThread {
			pr.Errors["exe"] = "not in the archive"
		}
		if pr.Comm == "" {
			r.guessComm(&pr, pid)
		}
		pr.ExeDeleted = strings.HasSuffix(pr.Exe, " (deleted)")
		pr.ExeMemfd = strings.HasPrefix(pr.Exe, "/memfd:")
		if c, ok := p.cwd[pid]; ok {
			pr.Cwd = c
		}
		r.processUsers(&pr, user)
		r.processStart(&pr, started, startField, listedAt, boot, bootOK)
		pr.Suspect = suspectReasons(pr.Exe)
		if _, copied := p.recovery[pid]; pr.ExeDeleted && !copied && len(r.deletedWithoutCopy) < 100 {
			r.deletedWithoutCopy = append(r.deletedWithoutCopy, pid)
		}
		if len(pr.Errors) == 0 {
			pr.Errors = nil
		}
		out = append(out, pr)
	}
	return out
}

// psFact is one ps row and the listing it is from.
type psFact struct {
	row toolout.PSRow
	l   *psListing
}

// guessComm names a process no listing named (plain ps lists only the
// collector's own user's processes): the kernel sets comm to the first 15
// bytes of the executable's name at exec, so the exe link's base name, else
// lsof's cut name, else the first argument's base name. The record says
// which: a program may have renamed itself since.
func (r *run) guessComm(pr *snapshot.Process, pid int) {
	exe := strings.TrimSuffix(pr.Exe, " (deleted)")
	switch {
	case exe != "" && !strings.HasPrefix(exe, "/memfd:"):
		pr.Comm = cut15(path.Base(exe))
		pr.Errors["comm"] = "not in the archive: the first 15 bytes of the executable's name, as the kernel sets it at exec"
	case r.procs.lsofComm[pid] != "":
		pr.Comm = r.procs.lsofComm[pid]
		pr.Errors["comm"] = "not in the archive: lsof's COMMAND, cut at 9 bytes"
	case len(pr.Cmdline) > 0:
		pr.Comm = cut15(strings.TrimSuffix(path.Base(pr.Cmdline[0]), ":"))
		pr.Errors["comm"] = "not in the archive: the base name of the first argument"
	}
}

func cut15(s string) string {
	if len(s) > 15 {
		return s[:15]
	}
	return s
}

// isForest reports whether a listing is ps's forest view (ps f): its
// commands carry the tree's art.
func isForest(t toolout.PSTable) bool {
	for _, row := range t.Rows {
		if strings.HasPrefix(strings.TrimLeft(row.Command, " |"), `\_ `) {
			return true
		}
	}
	return false
}

func suspectReasons(exe string) []string {
	var out []string
	if strings.HasSuffix(exe, " (deleted)") {
		out = append(out, "exe deleted")
	}
	if strings.HasPrefix(exe, "/memfd:") {
		out = append(out, "exe memfd")
	}
	for _, d := range suspectDirs {
		if strings.HasPrefix(exe, d) {
			out = append(out, "exe under "+strings.TrimSuffix(d, "/"))
		}
	}
	return out
}

// processUsers fills the user names: ps's USER column is the effective
// user's name (cut at 8 bytes with a "+" by procps when longer).
func (r *run) processUsers(pr *snapshot.Process, psUser string) {
	names := r.procs.users
	if len(pr.UIDs) > 0 {
		pr.UserNames = make([]string, len(pr.UIDs))
		for i, u := range pr.UIDs {
			pr.UserNames[i] = names[u]
		}
		if len(pr.UIDs) > 1 && pr.UserNames[1] == "" && psUser != "" && !strings.HasSuffix(psUser, "+") {
			if _, err := strconv.Atoi(psUser); err != nil {
				pr.UserNames[1] = psUser
			}
		}
		return
	}
	if psUser == "" {
		pr.Errors["uids"] = "not in the archive"
		return
	}
	if n, err := strconv.ParseUint(psUser, 10, 32); err == nil {
		pr.UIDs = []uint32{uint32(n), uint32(n)}
		pr.UserNames = []string{names[uint32(n)], names[uint32(n)]}
		pr.Errors["uids"] = "the effective UID from ps; the real one is shown the same"
		return
	}
	for uid, name := range names {
		if name == psUser {
			pr.UIDs = []uint32{uid, uid}
			pr.UserNames = []string{name, name}
			pr.Errors["uids"] = "the effective user's name from ps, its UID from the archive's /etc/passwd; the real one is shown the same"
			return
		}
	}
	pr.UserNames = []string{psUser, psUser}
	pr.Errors["uids"] = "not in the archive: only the effective user's name (ps: " + psUser + ")"
}

// bootTime derives the host's boot time from processes that have both a
// ps start time to the second and /proc/PID/stat start ticks: each gives
// boot ∈ [start - ticks/100, start + 1s - ticks/100). The intersection, if
// not empty, is the boot time to well under a second.
func (r *run) bootTime(byPID map[int][]psFact) (time.Time, bool) {
	var lo, hi time.Time
	n := 0
	for pid, st := range r.procs.stat {
		var started time.Time
		for _, f := range byPID[pid] {
			if !f.row.Started.IsZero() {
				started = f.row.Started
				break
			}
		}
		if started.IsZero() {
			continue
		}
		since := time.Duration(st.StartTicks) * time.Second / clockTicks
		a, b := started.Add(-since), started.Add(time.Second-since)
		if n == 0 || a.After(lo) {
			lo = a
		}
		if n == 0 || b.Before(hi) {
			hi = b
		}
		n++
	}
	if n == 0 || !lo.Before(hi) {
		return time.Time{}, false
	}
	return lo, true
}

// processStart sets the start time and says how it was derived.
func (r *run) processStart(pr *snapshot.Process, started time.Time, field string, at time.Time, boot time.Time, bootOK bool) {
	switch {
	case bootOK && pr.StartTicks > 0:
		pr.Start = boot.Add(time.Duration(pr.StartTicks) * time.Second / clockTicks).UTC()
		pr.StartDerivation = "boot time (derived from ps -o lstart and /proc/PID/stat of the archive's processes, to within a second) plus /proc/PID/stat starttime ticks / 100"
	case !started.IsZero():
		pr.Start = started.UTC()
		pr.StartDerivation = fmt.Sprintf("ps -o lstart in the host's time zone (%s), to the second", r.loc)
	case field != "" && !at.IsZero():
		t, prec, ok := toolout.StartFromSTIME(field, at.In(r.loc))
		if !ok {
			pr.Errors["start"] = fmt.Sprintf("ps's STIME %q could not be read", field)
			break
		}
		pr.Start = t.UTC()
		pr.StartDerivation = fmt.Sprintf("ps's STIME column %q, to the %s, in the host's time zone (%s), against the listing's time %s: the process started within that %s",
			field, prec, r.loc, at.UTC().Format(time.RFC3339), prec)
	default:
		pr.Errors["start"] = "not in the archive"
	}
}
