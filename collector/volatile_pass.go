package collector

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/procfs"

	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// volatile_pass.go is the collector's first read of the kernel's process
// views, shared by the volatile sources. What must agree is read first and
// in one pass: every process's record with its open descriptors (and so the
// owners of every socket), then, straight after, the socket tables of every
// network namespace. The sources that write these (processes, sockets) and
// those that act on processes later (executables, memory, process files,
// hidden PIDs) take them from this pass instead of walking /proc again; the
// expensive reads (copies, memory, hashes, the PID probe) come after it.
//
// Each PID is read at most procReadAttempts times: once, and once more only
// when its start time changed during the read (the PID was reused). A PID
// that vanished is recorded as such and never read again, by any source.

const (
	// procReadAttempts bounds the reads of one PID in the pass.
	procReadAttempts = 2
	// maxFDsListed bounds the descriptors whose links are read per process
	// (the count is still exact); maxOpenFiles bounds the open-file records
	// of the whole host held for proc/open_files.jsonl.
	maxFDsListed = 65536
	maxOpenFiles = 250_000
	// maxCmdline and maxEnviron cap what one process record keeps.
	maxCmdline = 64 << 10
	maxEnviron = 64 << 10
)

// passWorkers is how many processes are read at once (by the first pass
// and by process-files). The reads are system calls on kernel files:
// parallel readers finish sooner on an idle host and, on a host whose CPUs
// are saturated at the same priority, get a share of the CPUs in
// proportion to their number instead of one thread's share (Run raises
// GOMAXPROCS for the volatile phase so that they run at once).
func passWorkers() int { return min(32, max(4, 2*runtime.GOMAXPROCS(0))) }

// eachInParallel calls do(i) for i in [0, n) on passWorkers goroutines,
// and returns when all are done; after ctx ends no new i is started.
func eachInParallel(ctx context.Context, n int, do func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < passWorkers(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				do(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// volatilePass is the result of the first pass.
type volatilePass struct {
	Started, Finished time.Time
	Procs             []snapshot.Process // PID order
	Summary           snapshot.ProcessSummary
	OpenFiles         []snapshot.OpenFile
	holders           map[uint64][]snapshot.Holder
	fdErrors          int
	firstFDErr        error
	Namespaces        []*netnsInfo
	Tables            []netTable
	// Err is set when /proc could not be listed at all.
	Err error
	// Cut says the pass stopped at its deadline: what it had not reached is not in it.
	Cut string
}

// netTable is one socket table read in the pass.
type netTable struct {
	NS       uint64
	File     string
	HostPath string
	Reader   int
	Data     []byte
	ReadAt   time.Time
	Err      error
}

// netnsInfo is one network namespace: its inode and the processes in it.
type netnsInfo struct {
	Inode  uint64 `json:"inode"`
	PIDs   []int  `json:"pids"`
	Reader int    `json:"read_through_pid,omitempty"`
	Error  string `json:"error,omitempty"`
}

type passState struct {
	once sync.Once
	pass *volatilePass
}

// volatilePass returns the collection's first pass, making it on the first call.
func (e *Env) volatilePass(ctx context.Context) *volatilePass {
	e.shared.pass.once.Do(func() { e.shared.pass.pass = readVolatilePass(ctx, e) })
	return e.shared.pass.pass
}

// identities returns the pass's processes as identities for later sources,
// leaving out vanished ones and the collector itself.
func (p *volatilePass) identities() []procIdentity {
	self := os.Getpid()
	out := make([]procIdentity, 0, len(p.Procs))
	for _, r := range p.Procs {
		if r.Status == snapshot.StatusVanished || r.PID == self || r.Hidden {
			continue
		}
		out = append(out, procIdentity{PID: r.PID, StartTicks: r.StartTicks, Comm: r.Comm, Exe: r.Exe, Suspect: r.Suspect,
			MntNS: r.Namespaces["mnt"], ContainerID: r.ContainerID})
	}
	return out
}

// fdLink is one open descriptor of a process.
type fdLink struct {
	FD     int
	Target string
	Err    error
}

func readVolatilePass(ctx context.Context, env *Env) *volatilePass {
	p := &volatilePass{Started: env.Now().UTC(), holders: map[uint64][]snapshot.Holder{}}
	pfs, err := env.procFS()
	var listed procfs.Procs
	if err == nil {
		// procfs's listing gives process handles without a stat each.
		listed, err = pfs.AllProcs()
	}
	if err != nil {
		p.Err = fmt.Errorf("listing %s: %w", env.ProcRoot, err)
		p.Finished = env.Now().UTC()
		return p
	}
	sort.Sort(listed)
	pids := make([]int, len(listed))
	for i, lp := range listed {
		pids[i] = lp.PID
	}
	ids := readIDNames(ctx, env)
	boot, _ := bootTime()
	type result struct {
		proc snapshot.Process
		fds  []fdLink
		done bool
	}
	results := make([]result, len(pids))
	eachInParallel(ctx, len(pids), func(i int) {
		proc, fds := readProcess(ctx, env, listed[i], ids, boot)
		results[i] = result{proc, fds, true}
	})
	nsByInode := map[uint64]*netnsInfo{}
	for i, r := range results {
		if !r.done {
			p.Cut = fmt.Sprintf("the process list was cut by the deadline after %d of %d processes", i, len(pids))
			break
		}
		p.Procs = append(p.Procs, r.proc)
		p.count(r.proc)
		if r.proc.Status == snapshot.StatusVanished {
			continue
		}
		if ino := r.proc.Namespaces["net"]; ino != 0 {
			ns := nsByInode[ino]
			if ns == nil {
				ns = &netnsInfo{Inode: ino}
				nsByInode[ino] = ns
				p.Namespaces = append(p.Namespaces, ns)
			}
			ns.PIDs = append(ns.PIDs, r.proc.PID)
		}
		for _, l := range r.fds {
			if l.Err == nil && strings.HasPrefix(l.Target, "socket:[") {
				if ino, err := bracketInode(l.Target); err == nil {
					p.holders[ino] = append(p.holders[ino], snapshot.Holder{PID: r.proc.PID, FD: l.FD, Comm: r.proc.Comm, StartTicks: r.proc.StartTicks})
				}
			}
			if len(p.OpenFiles) >= maxOpenFiles {
				p.Summary.OpenFilesLeftOut++
				continue
			}
			of := snapshot.OpenFile{PID: r.proc.PID, StartTicks: r.proc.StartTicks, FD: l.FD, Target: l.Target}
			if l.Err != nil {
				of.Error = l.Err.Error()
			}
			if !utf8.ValidString(l.Target) {
				of.TargetHex = fmt.Sprintf("%x", l.Target)
			}
			p.OpenFiles = append(p.OpenFiles, of)
		}
		if err := r.proc.Errors["open_files"]; err != "" {
			p.fdErrors++
			if p.firstFDErr == nil {
				p.firstFDErr = errors.New(err)
			}
		}
	}
	p.Summary.Listed = len(pids)
	// The socket tables, at once after the descriptors.
	if len(p.Namespaces) == 0 {
		p.Namespaces = append(p.Namespaces, &netnsInfo{Error: "no process's network namespace could be read: /proc/net of the collector's own namespace"})
	}
	for _, ns := range p.Namespaces {
		readers := ns.PIDs
		if ns.Inode == 0 {
			readers = []int{0}
		}
		for _, file := range netFiles {
			if ctx.Err() != nil {
				if p.Cut == "" {
					p.Cut = "the socket tables were cut by the deadline"
				}
				break
			}
			t := readNetFile(ctx, env, readers, file)
			t.NS = ns.Inode
			if t.Err == nil {
				ns.Reader = t.Reader
			}
			p.Tables = append(p.Tables, t)
		}
	}
	p.Summary.MaskedPIDs = maskedPIDs(env)
	p.Finished = env.Now().UTC()
	p.Summary.Started, p.Summary.Finished = p.Started, p.Finished
	p.Summary.Workers = passWorkers()
	return p
}

// count adds one record to the summary.
func (p *volatilePass) count(r snapshot.Process) {
	s := &p.Summary
	s.Read++
	switch r.Status {
	case snapshot.StatusVanished:
		s.Vanished++
	case snapshot.StatusReused:
		s.Reused++
	}
	if r.KernelThread {
		s.KernelThreads++
	}
	if len(r.Suspect) > 0 {
		s.Suspect++
	}
	if r.Status == snapshot.StatusOK && !r.KernelThread && len(r.Errors) > 0 {
		s.FieldErrors++
		if s.FirstFieldError == "" {
			for _, k := range sortedKeys(r.Errors) {
				s.FirstFieldError = fmt.Sprintf("PID %d %s: %s", r.PID, k, r.Errors[k])
				break
			}
		}
	}
	s.FDs += r.FDCount
}

// readProcess reads every field of one process and its descriptors. A PID
// whose start time changes while it is read was reused: it is read once
// more (procReadAttempts), and marked. A vanished PID is not read again.
func readProcess(ctx context.Context, env *Env, h procfs.Proc, ids idNames, boot time.Time) (snapshot.Process, []fdLink) {
	p, fds := readProcessOnce(ctx, env, h, ids, boot)
	if p.Status != snapshot.StatusReused || procReadAttempts < 2 {
		return p, fds
	}
	q, qfds := readProcessOnce(ctx, env, h, ids, boot)
	if q.Status == snapshot.StatusOK {
		q.Status = snapshot.StatusReused
	}
	return q, qfds
}

// readProcessPID is readProcess for a PID not from the listing (a hidden
// one): the handle is taken by a stat of /proc/PID.
func readProcessPID(ctx context.Context, env *Env, pid int, ids idNames, boot time.Time) (snapshot.Process, []fdLink) {
	pfs, err := env.procFS()
	var h procfs.Proc
	if err == nil {
		h, err = pfs.Proc(pid)
	}
	if err != nil {
		p := snapshot.Process{PID: pid, Status: snapshot.StatusOK, Errors: map[string]string{"stat": err.Error()}}
		if gone(err) {
			p.Status = snapshot.StatusVanished
		}
		return p, nil
	}
	return readProcess(ctx, env, h, ids, boot)
}

func readProcessOnce(ctx context.Context, env *Env, h procfs.Proc, ids idNames, boot time.Time) (snapshot.Process, []fdLink) {
	pid := h.PID
	p := snapshot.Process{PID: pid, Status: snapshot.StatusOK, Errors: map[string]string{}, Namespaces: map[string]uint64{}}
	fail := func(field string, err error) {
		p.Errors[field] = err.Error()
	}
	env.trace("stat", pid)
	st, err := readProcStat(h)
	if err != nil {
		if gone(err) {
			p.Status = snapshot.StatusVanished
		}
		fail("stat", err)
		return p, nil
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
		s, errs := parseStatusIDs(b)
		p.UIDs, p.GIDs = s.UIDs, s.GIDs
		if s.TGID != 0 && s.TGID != pid {
			p.TGID = s.TGID
		}
		for k, v := range errs {
			p.Errors[k] = v
		}
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
	// The links are read by hand: procfs's Executable, Cwd and RootDir
	// return "" without an error when the link is missing, and missing must
	// be recorded, never empty.
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
			p.ExeHex = fmt.Sprintf("%x", p.Exe)
		}
		p.ExeDeleted = strings.HasSuffix(p.Exe, " (deleted)")
		p.ExeMemfd = strings.HasPrefix(p.Exe, "/memfd:")
		p.Suspect = suspectReasons(p.Exe, env.Opts.SuspectDirs)
	}
	fds, err := readFDLinks(env, pid)
	if err != nil {
		fail("fd_count", err)
		if !gone(err) && !p.KernelThread {
			fail("open_files", err)
		}
	} else {
		p.FDCount = len(fds)
		if len(fds) > maxFDsListed {
			fail("open_files", fmt.Errorf("%d descriptors: the links of the first %d read", len(fds), maxFDsListed))
			fds = fds[:maxFDsListed]
		}
		for i := range fds {
			fds[i].Target, fds[i].Err = os.Readlink(env.procPath(pid, "fd", strconv.Itoa(fds[i].FD)))
		}
	}
	ns, nsErrs := readNamespaces(env, h)
	p.Namespaces = ns
	for kind, err := range nsErrs {
		fail("namespaces."+kind, err)
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
	env.trace("stat", pid)
	st2, err := readProcStat(h)
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
	return p, fds
}

// maskedPIDs finds mounts over /proc/PID in the collector's mountinfo
// (procfs): a process hidden that way still has its directory listed, but
// what it holds is another directory's.
func maskedPIDs(env *Env) []snapshot.MaskedPID {
	pfs, err := env.procFS()
	if err != nil {
		return nil
	}
	ms, err := pfs.GetMounts()
	if err != nil {
		env.Errorf(env.ProcRoot+"/self/mountinfo", "looking for mounts over /proc/PID: %v", err)
		return nil
	}
	var out []snapshot.MaskedPID
	for _, m := range ms {
		rest, ok := strings.CutPrefix(m.MountPoint, env.ProcRoot+"/")
		if !ok {
			continue
		}
		first, _, _ := strings.Cut(rest, "/")
		if pid, err := strconv.Atoi(first); err == nil && pid > 0 {
			out = append(out, snapshot.MaskedPID{PID: pid, FSType: m.FSType, Source: m.Source, Root: m.Root})
		}
	}
	return out
}

// readFDLinks lists a process's descriptors in numeric order (their links
// are read by the caller). procfs's FileDescriptorTargets drops the
// descriptor numbers and turns an unreadable link into "": both matter here.
func readFDLinks(env *Env, pid int) ([]fdLink, error) {
	names, err := readDirNames(env.procPath(pid, "fd"))
	if err != nil {
		return nil, err
	}
	out := make([]fdLink, 0, len(names))
	for _, n := range names {
		if fd, err := strconv.Atoi(n); err == nil {
			out = append(out, fdLink{FD: fd})
		}
	}
	sortFDs(out)
	return out, nil
}
