package collector

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture Cordon builds for (proc(5); sysconf(_SC_CLK_TCK)
// needs libc, and the kernel fixes USER_HZ at 100 for the ABI).
const clockTicks = 100

// Caps on what one process record keeps.
const (
	maxCmdline = 64 << 10
	maxEnviron = 64 << 10
	maxProcTxt = 64 << 10 // stat, status, cgroup
)

func init() {
	Register(Source{
		Name:    "processes",
		Order:   10,
		Live:    true,
		Budget:  60 * time.Second,
		Help:    "every process: ids, owners, command line, exe link (deleted, memfd:), start time, namespaces, cgroup; hidden PIDs by probing",
		Collect: collectProcesses,
	})
}

// ProcPath is the path of a file of process pid under the env's /proc.
func (e *Env) procPath(pid int, parts ...string) string {
	return filepath.Join(append([]string{e.ProcRoot, strconv.Itoa(pid)}, parts...)...)
}

func collectProcesses(ctx context.Context, env *Env) error {
	pids, err := listPIDs(env.ProcRoot)
	if err != nil {
		return fmt.Errorf("listing %s: %w", env.ProcRoot, err)
	}
	ids := readIDNames(ctx, env)
	boot, _ := bootTime(env)
	var buf bytes.Buffer
	counts := map[string]int{}
	suspects := 0
	firstErr := ""
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, pid := range pids {
		if ctx.Err() != nil {
			env.Errorf(env.ProcRoot, "process listing cut by the deadline after %d of %d processes", counts["total"], len(pids))
			break
		}
		p := readProcess(ctx, env, pid, ids, boot)
		counts[p.Status]++
		counts["total"]++
		if len(p.Errors) > 0 && p.Status == snapshot.StatusOK && !p.KernelThread {
			counts["field-errors"]++
			if firstErr == "" {
				for k, v := range p.Errors {
					firstErr = fmt.Sprintf("PID %d %s: %s", pid, k, v)
					break
				}
			}
		}
		if len(p.Suspect) > 0 {
			suspects++
		}
		if err := enc.Encode(p); err != nil {
			return fmt.Errorf("encoding process %d: %w", pid, err)
		}
	}
	if env.Opts.ProbeHiddenPIDs {
		h := probeHiddenPIDs(ctx, env, pids)
		for _, hp := range h.Hidden {
			p := readProcess(ctx, env, hp.PID, ids, boot)
			p.Hidden = true
			counts["hidden"]++
			if err := enc.Encode(p); err != nil {
				return fmt.Errorf("encoding process %d: %w", hp.PID, err)
			}
		}
		if _, err := env.AddJSON(snapshot.HiddenPIDsEntry, h); err != nil {
			return err
		}
	}
	if counts["field-errors"] > 0 {
		env.Errorf(env.ProcRoot, "%d processes have fields the kernel would not give (e.g. %s): see their errors in %s", counts["field-errors"], firstErr, snapshot.ProcessesEntry)
	}
	meta := bundle.EntryMeta{Name: snapshot.ProcessesEntry, HostPath: env.ProcRoot, ReadAt: env.Now().UTC()}
	if _, err := env.AddBytes(meta, buf.Bytes()); err != nil {
		return err
	}
	env.Note("%d processes (%d vanished, %d reused during the read, %d hidden), %d suspect",
		counts["total"], counts[snapshot.StatusVanished], counts[snapshot.StatusReused], counts["hidden"], suspects)
	return nil
}

// listPIDs returns the numeric entries of the /proc listing, ascending.
func listPIDs(procRoot string) ([]int, error) {
	f, err := os.Open(procRoot)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids, nil
}

// procStat is what Cordon uses of /proc/PID/stat (proc(5)).
type procStat struct {
	Comm                     string
	State                    string
	PPID                     int
	UTime, STime, StartTicks uint64
	Threads                  int
	RSSPages                 int64
	Flags                    uint64
}

// parseStat reads /proc/PID/stat. comm sits between the first '(' and the
// last ')': it may itself hold spaces and parentheses.
func parseStat(b []byte) (procStat, error) {
	var s procStat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return s, errors.New("stat: no (comm)")
	}
	s.Comm = string(b[open+1 : closing])
	f := strings.Fields(string(b[closing+1:]))
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 22 {
		return s, fmt.Errorf("stat: %d fields after comm, want at least 22", len(f))
	}
	var err error
	num := func(i int) uint64 {
		v, e := strconv.ParseUint(f[i], 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("stat field %d %q: %w", i+3, f[i], e)
		}
		return v
	}
	s.State = f[0]
	s.Flags = num(6)
	s.PPID = int(num(1))
	s.UTime = num(11)
	s.STime = num(12)
	s.Threads = int(num(17))
	s.StartTicks = num(19)
	rss, e := strconv.ParseInt(f[21], 10, 64)
	if e != nil && err == nil {
		err = fmt.Errorf("stat field 24 %q: %w", f[21], e)
	}
	s.RSSPages = rss
	return s, err
}

// readStat reads and parses /proc/PID/stat.
func readStat(ctx context.Context, env *Env, pid int) (procStat, error) {
	b, _, err := ReadSmall(ctx, env.procPath(pid, "stat"), maxProcTxt)
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// gone reports whether err says the process no longer exists.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// bootTime is the instant the kernel counts process start times from: the
// realtime clock minus the boottime clock (which counts suspend, as
// start_boottime does), read back to back.
func bootTime(env *Env) (time.Time, error) {
	var bt unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &bt); err != nil {
		return time.Time{}, fmt.Errorf("clock_gettime(CLOCK_BOOTTIME): %w", err)
	}
	now := time.Now()
	return now.Add(-time.Duration(bt.Nano())).UTC(), nil
}

// startInstant turns start ticks into an absolute UTC time.
func startInstant(boot time.Time, ticks uint64) time.Time {
	return boot.Add(time.Duration(ticks) * (time.Second / clockTicks)).UTC()
}

// idNames maps numeric ids to names from the host's own files.
type idNames struct {
	users, groups map[uint32]string
}

// readIDNames reads /etc/passwd and /etc/group of the host as files (never
// through NSS, which would run the host's code), recording what it could not read.
func readIDNames(ctx context.Context, env *Env) idNames {
	return idNames{
		users:  readIDFile(ctx, env, "/etc/passwd"),
		groups: readIDFile(ctx, env, "/etc/group"),
	}
}

func readIDFile(ctx context.Context, env *Env, hostPath string) map[uint32]string {
	out := map[uint32]string{}
	b, err := readHostFile(ctx, env, hostPath, 16<<20)
	if err != nil {
		env.Errorf(hostPath, "id names not read: %v", err)
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 4)
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		id, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			continue
		}
		if _, dup := out[uint32(id)]; !dup {
			out[uint32(id)] = f[0]
		}
	}
	return out
}

// readHostFile reads a small regular file of the host: stat first, so that
// a FIFO, socket or device is recorded and never opened.
func readHostFile(ctx context.Context, env *Env, hostPath string, max int64) ([]byte, error) {
	p := env.HostPath(hostPath)
	info, err := Stat(p)
	if err != nil {
		return nil, err
	}
	f, err := OpenRegular(p, info)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lr := io.LimitReader(NewStallReader(ctx, f, 0), max+1)
	var b bytes.Buffer
	_, err = b.ReadFrom(lr)
	if int64(b.Len()) > max {
		return b.Bytes()[:max], fmt.Errorf("%s: larger than %d bytes: cut", hostPath, max)
	}
	return b.Bytes(), err
}

var containerIDRe = regexp.MustCompile(`(?:^|[/\-:])([0-9a-f]{64})(?:\.scope)?(?:$|/)`)

// containerID derives a container id from a cgroup path: the last 64-hex
// component (docker-<id>.scope, /docker/<id>, cri-containerd-<id>.scope,
// libpod-<id>.scope, /kubepods/.../<id>).
func containerID(cgroup string) string {
	id := ""
	for _, line := range strings.Split(cgroup, "\n") {
		for _, m := range containerIDRe.FindAllStringSubmatch(line, -1) {
			id = m[1]
		}
	}
	return id
}

// suspectReasons says why an exe link makes its process suspect.
func suspectReasons(exe string, dirs []string) []string {
	var why []string
	path := exe
	if strings.HasSuffix(exe, " (deleted)") {
		why = append(why, "exe deleted")
		path = strings.TrimSuffix(exe, " (deleted)")
	}
	if strings.HasPrefix(path, "/memfd:") {
		why = append(why, "exe memfd")
	}
	for _, d := range dirs {
		d = strings.TrimRight(d, "/")
		if d != "" && strings.HasPrefix(path, d+"/") {
			why = append(why, "exe under "+d)
		}
	}
	return why
}

var nsKinds = []string{"pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"}

// nsInode parses "net:[4026531840]".
func nsInode(link string) (uint64, error) {
	i := strings.IndexByte(link, '[')
	if i < 0 || !strings.HasSuffix(link, "]") {
		return 0, fmt.Errorf("unexpected namespace link %q", link)
	}
	return strconv.ParseUint(link[i+1:len(link)-1], 10, 64)
}

// readProcess reads every field of one process. A PID whose start time
// changes while it is read was reused: it is read once more, and marked.
func readProcess(ctx context.Context, env *Env, pid int, ids idNames, boot time.Time) snapshot.Process {
	p := readProcessOnce(ctx, env, pid, ids, boot)
	if p.Status == snapshot.StatusReused {
		q := readProcessOnce(ctx, env, pid, ids, boot)
		if q.Status == snapshot.StatusOK {
			q.Status = snapshot.StatusReused
		}
		return q
	}
	return p
}

func readProcessOnce(ctx context.Context, env *Env, pid int, ids idNames, boot time.Time) snapshot.Process {
	p := snapshot.Process{PID: pid, Status: snapshot.StatusOK, Errors: map[string]string{}, Namespaces: map[string]uint64{}}
	fail := func(field string, err error) {
		p.Errors[field] = err.Error()
	}
	st, err := readStat(ctx, env, pid)
	if err != nil {
		if gone(err) {
			p.Status = snapshot.StatusVanished
		}
		fail("stat", err)
		return p
	}
	p.Comm, p.State, p.PPID, p.Threads = st.Comm, st.State, st.PPID, st.Threads
	p.UTimeTicks, p.STimeTicks, p.StartTicks = st.UTime, st.STime, st.StartTicks
	p.RSSBytes = st.RSSPages * int64(os.Getpagesize())
	const pfKthread = 0x00200000 // include/linux/sched.h
	p.KernelThread = st.Flags&pfKthread != 0
	if boot.IsZero() {
		fail("start", errors.New("boot time unknown"))
	} else {
		p.Start = startInstant(boot, st.StartTicks)
	}

	if b, _, err := ReadSmall(ctx, env.procPath(pid, "status"), maxProcTxt); err != nil {
		fail("uids", err)
		fail("gids", err)
	} else {
		parseStatusIDs(&p, b)
	}
	p.UserNames = names(p.UIDs, ids.users)
	p.GroupNames = names(p.GIDs, ids.groups)

	if b, cut, err := ReadSmall(ctx, env.procPath(pid, "cmdline"), maxCmdline); err != nil {
		fail("cmdline", err)
	} else {
		if cut {
			fail("cmdline", fmt.Errorf("longer than %d bytes: cut", maxCmdline))
		}
		p.Cmdline, p.CmdlineHex = splitNUL(b)
	}
	for _, l := range []struct {
		name string
		dst  *string
	}{{"exe", &p.Exe}, {"cwd", &p.Cwd}, {"root", &p.Root}} {
		v, err := os.Readlink(env.procPath(pid, l.name))
		if err != nil {
			fail(l.name, err)
			continue
		}
		*l.dst = v
	}
	if _, ok := p.Errors["exe"]; !ok {
		if !utf8.ValidString(p.Exe) {
			p.ExeHex = hex.EncodeToString([]byte(p.Exe))
		}
		p.ExeDeleted = strings.HasSuffix(p.Exe, " (deleted)")
		p.ExeMemfd = strings.HasPrefix(p.Exe, "/memfd:")
		p.Suspect = suspectReasons(p.Exe, env.Opts.SuspectDirs)
	}
	if n, err := countDir(env.procPath(pid, "fd")); err != nil {
		fail("fd_count", err)
	} else {
		p.FDCount = n
	}
	for _, kind := range nsKinds {
		l, err := os.Readlink(env.procPath(pid, "ns", kind))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) || kind != "time" {
				fail("namespaces."+kind, err)
			}
			continue
		}
		if ino, err := nsInode(l); err != nil {
			fail("namespaces."+kind, err)
		} else {
			p.Namespaces[kind] = ino
		}
	}
	if b, _, err := ReadSmall(ctx, env.procPath(pid, "cgroup"), maxProcTxt); err != nil {
		fail("cgroup", err)
	} else {
		p.Cgroup = strings.TrimRight(string(b), "\n")
		p.ContainerID = containerID(p.Cgroup)
	}
	if env.Opts.CollectEnviron {
		if b, cut, err := ReadSmall(ctx, env.procPath(pid, "environ"), maxEnviron); err != nil {
			fail("environ", err)
		} else {
			if cut {
				fail("environ", fmt.Errorf("longer than %d bytes: cut", maxEnviron))
			}
			p.Environ, _ = splitNUL(b)
		}
	}
	// Read stat again: the same start time means every field above came
	// from the same process.
	st2, err := readStat(ctx, env, pid)
	switch {
	case err != nil && gone(err):
		p.Status = snapshot.StatusVanished
		fail("status", fmt.Errorf("process exited while it was read: fields may be incomplete"))
	case err != nil:
		fail("stat", err)
	case st2.StartTicks != st.StartTicks:
		p.Status = snapshot.StatusReused
	}
	if len(p.Errors) == 0 {
		p.Errors = nil
	}
	return p
}

// parseStatusIDs reads the Uid:, Gid: and Tgid: lines of /proc/PID/status.
func parseStatusIDs(p *snapshot.Process, b []byte) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "Uid", "Gid":
			var ids []uint32
			for _, f := range strings.Fields(v) {
				n, err := strconv.ParseUint(f, 10, 32)
				if err == nil {
					ids = append(ids, uint32(n))
				}
			}
			if k == "Uid" {
				p.UIDs = ids
			} else {
				p.GIDs = ids
			}
		case "Tgid":
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n != p.PID {
				p.TGID = n
			}
		}
	}
	if p.UIDs == nil {
		p.Errors["uids"] = "no Uid: line in status"
	}
	if p.GIDs == nil {
		p.Errors["gids"] = "no Gid: line in status"
	}
}

func names(ids []uint32, m map[uint32]string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

// splitNUL splits NUL-separated strings (cmdline, environ); hexBytes holds
// the exact bytes when they are not valid UTF-8.
func splitNUL(b []byte) (out []string, hexBytes string) {
	if len(b) == 0 {
		return []string{}, ""
	}
	if !utf8.Valid(b) {
		hexBytes = hex.EncodeToString(b)
	}
	t := bytes.TrimSuffix(b, []byte{0})
	for _, f := range bytes.Split(t, []byte{0}) {
		out = append(out, string(f))
	}
	return out, hexBytes
}

func countDir(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	for {
		names, err := f.Readdirnames(1024)
		n += len(names)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
	}
}

// procIdentity is enough of a process to find it again and check it is
// the same one: used by the executables and memory sources.
type procIdentity struct {
	PID        int
	StartTicks uint64
	Comm       string
	Exe        string
	Suspect    []string
}

// scanProcesses lists the processes and their exe links (cheap), for the
// sources that act on suspect processes.
func scanProcesses(ctx context.Context, env *Env) ([]procIdentity, error) {
	pids, err := listPIDs(env.ProcRoot)
	if err != nil {
		return nil, err
	}
	out := make([]procIdentity, 0, len(pids))
	for _, pid := range pids {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		st, err := readStat(ctx, env, pid)
		if err != nil {
			continue // vanished: the processes source records it
		}
		id := procIdentity{PID: pid, StartTicks: st.StartTicks, Comm: st.Comm}
		if exe, err := os.Readlink(env.procPath(pid, "exe")); err == nil {
			id.Exe = exe
			id.Suspect = suspectReasons(exe, env.Opts.SuspectDirs)
		}
		out = append(out, id)
	}
	return out, nil
}

// samePID reports whether pid still is the process id names.
func samePID(ctx context.Context, env *Env, id procIdentity) error {
	st, err := readStat(ctx, env, id.PID)
	if err != nil {
		if gone(err) {
			return fmt.Errorf("process %d vanished: %w", id.PID, err)
		}
		return err
	}
	if st.StartTicks != id.StartTicks {
		return fmt.Errorf("PID %d was reused (start ticks %d, now %d)", id.PID, id.StartTicks, st.StartTicks)
	}
	return nil
}

// chosen reports whether the executables and memory sources act on p:
// the --pid targets when given (suspect or not), else the suspect
// processes (or, for memory with --memory all, every process).
func (e *Env) chosen(p procIdentity, all bool) bool {
	if len(e.Opts.TargetPIDs) > 0 {
		return slices.Contains(e.Opts.TargetPIDs, p.PID)
	}
	return all || len(p.Suspect) > 0
}
