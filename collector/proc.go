package collector

// proc.go holds the collector's helpers for the kernel's process views
// (/proc): stat and namespaces read through github.com/prometheus/procfs
// (which also lists the processes, the collector's threads and mounts
// elsewhere), the links, the identity of a process that survives PID reuse. The files procfs reads are small kernel files (stat,
// ns/*, fd/): its unbounded os.Open and its silent 1 MiB cap do not matter
// there. What stays hand-written here says why next to it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture Cordon builds for (proc(5); sysconf(_SC_CLK_TCK)
// needs libc, and the kernel fixes USER_HZ at 100 for the ABI).
const clockTicks = 100

// maxProcTxt caps the small text files of a process read by hand (status, cgroup).
const maxProcTxt = 64 << 10

// procPath is the path of a file of process pid under the env's /proc.
func (e *Env) procPath(pid int, parts ...string) string {
	return filepath.Join(append([]string{e.ProcRoot, strconv.Itoa(pid)}, parts...)...)
}

var procFSCache sync.Map // ProcRoot -> procfs.FS

// procFS is procfs's view of the env's /proc.
func (e *Env) procFS() (procfs.FS, error) {
	if v, ok := procFSCache.Load(e.ProcRoot); ok {
		return v.(procfs.FS), nil
	}
	p, err := procfs.NewFS(e.ProcRoot)
	if err != nil {
		return procfs.FS{}, fmt.Errorf("procfs %s: %w", e.ProcRoot, err)
	}
	procFSCache.Store(e.ProcRoot, p)
	return p, nil
}

// listPIDs returns the numeric entries of the /proc listing, ascending:
// the second listing the hidden-PID probe takes (the first pass lists with
// procfs's AllProcs, which gives process handles).
func listPIDs(procRoot string) ([]int, error) {
	names, err := readDirNames(procRoot)
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
	Nice                     int
	Policy                   uint
}

// readStat reads /proc/PID/stat through procfs (comm between the first '('
// and the last ')', the rest scanned as numbers). A malformed file is an
// error, never a panic.
func readStat(_ context.Context, env *Env, pid int) (st procStat, err error) {
	pfs, err := env.procFS()
	if err != nil {
		return st, err
	}
	// fs.Proc stats /proc/PID first: a vanished PID fails there with ENOENT.
	p, err := pfs.Proc(pid)
	if err != nil {
		return st, err
	}
	return readProcStat(p)
}

// readProcStat reads the stat of a procfs process handle (from the
// listing, without fs.Proc's extra stat of the directory).
func readProcStat(p procfs.Proc) (st procStat, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("stat of %d: malformed: %v", p.PID, r)
		}
	}()
	s, err := p.Stat()
	if err != nil {
		return st, fmt.Errorf("stat of %d: %w", p.PID, err)
	}
	return procStat{Comm: s.Comm, State: s.State, PPID: s.PPID, UTime: uint64(s.UTime), STime: uint64(s.STime),
		StartTicks: s.Starttime, Threads: s.NumThreads, RSSPages: int64(s.RSS), Flags: uint64(s.Flags),
		Nice: s.Nice, Policy: s.Policy}, nil
}

// readNamespaces reads the ns/ links of a process through procfs. procfs
// fails the whole directory when one link is refused; the kinds Cordon
// records are then read one by one, so that each refusal is recorded
// against its own kind.
func readNamespaces(env *Env, p procfs.Proc) (map[string]uint64, map[string]error) {
	out := map[string]uint64{}
	errs := map[string]error{}
	pid := p.PID
	if ns, err := p.Namespaces(); err == nil {
		for _, kind := range nsKinds {
			if n, ok := ns[kind]; ok {
				out[kind] = uint64(n.Inode)
			} else if kind != "time" { // time namespaces: Linux 5.6+
				errs[kind] = fmt.Errorf("no ns/%s link", kind)
			}
		}
		return out, errs
	}
	for _, kind := range nsKinds {
		l, err := os.Readlink(env.procPath(pid, "ns", kind))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) || kind != "time" {
				errs[kind] = err
			}
			continue
		}
		if ino, err := bracketInode(l); err != nil {
			errs[kind] = err
		} else {
			out[kind] = ino
		}
	}
	return out, errs
}

var nsKinds = []string{"pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"}

// bracketInode reads the inode of a link such as "net:[4026531840]" or
// "socket:[123]".
func bracketInode(link string) (uint64, error) {
	i := strings.IndexByte(link, '[')
	if i < 0 || !strings.HasSuffix(link, "]") {
		return 0, fmt.Errorf("unexpected link %q", link)
	}
	return strconv.ParseUint(link[i+1:len(link)-1], 10, 64)
}

// gone reports whether err says the process no longer exists.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// bootTime is the instant the kernel counts process start times from: the
// realtime clock minus the boottime clock (which counts suspend, as
// start_boottime does), read back to back.
func bootTime() (time.Time, error) {
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

// statusIDs is what Cordon uses of /proc/PID/status.
type statusIDs struct {
	UIDs, GIDs []uint32
	TGID       int
}

// parseStatusIDs reads the Uid:, Gid: and Tgid: lines of /proc/PID/status.
// Hand-written: procfs's ProcStatus keeps UIDs as [4]uint64, so a status
// without a Uid: line (a hostile or foreign kernel) would read as root;
// here a missing line is an error.
func parseStatusIDs(b []byte) (statusIDs, map[string]string) {
	var s statusIDs
	errs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "Uid", "Gid":
			ids := []uint32{}
			for _, f := range strings.Fields(v) {
				n, err := strconv.ParseUint(f, 10, 32)
				if err == nil {
					ids = append(ids, uint32(n))
				}
			}
			if k == "Uid" {
				s.UIDs = ids
			} else {
				s.GIDs = ids
			}
		case "Tgid":
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				s.TGID = n
			}
		}
	}
	if s.UIDs == nil {
		errs["uids"] = "no Uid: line in status"
	}
	if s.GIDs == nil {
		errs["gids"] = "no Gid: line in status"
	}
	return s, errs
}

// splitNUL splits NUL-separated strings (cmdline, environ); hexBytes holds
// the exact bytes when they are not valid UTF-8. (procfs's CmdLine reads
// with no time bound and a silent 1 MiB cap, and reading another process's
// cmdline takes its mmap lock, which a hostile process can hold: Cordon
// reads it with ReadSmall, bounded in size and time, and splits it here.)
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

func readDirNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
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
// the same one: used by the sources that act on processes after the
// first pass (executables, memory, process files).
type procIdentity struct {
	PID        int
	StartTicks uint64
	Comm       string
	Exe        string
	Suspect    []string
	// MntNS is the process's mount namespace inode (0: unknown).
	MntNS       uint64
	ContainerID string
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
