package collector

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

func init() {
	Register(Source{
		Name:    "executables",
		Order:   15,
		Live:    true,
		Budget:  5 * time.Minute,
		Help:    "copy suspect executables (deleted, memfd:, under --suspect-dir) through /proc/PID/exe, and deleted files still open, with ELF facts",
		Collect: collectExecutables,
	})
}

// budgetExecutables names the shared byte budget of --max-executables.
const budgetExecutables = "executables"

func collectExecutables(ctx context.Context, env *Env) error {
	pass := env.volatilePass(ctx)
	if pass.Err != nil {
		return pass.Err
	}
	procs := pass.identities()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	seen := map[[2]uint64]string{} // dev, inode -> entry
	copied, deletedFDs, vanished := 0, 0, 0
	emit := func(x snapshot.Executable) error {
		if x.Vanished {
			vanished++
		}
		return enc.Encode(x)
	}
	// Suspect executables first: they are what the budget is for.
	for _, p := range procs {
		if !env.chosen(p, false) {
			continue
		}
		if ctx.Err() != nil {
			env.Errorf("", "executables cut by the deadline")
			break
		}
		x := copyProcFile(ctx, env, p, "exe", -1, p.Exe, seen)
		if x.Entry != "" {
			copied++
		}
		if err := emit(x); err != nil {
			return err
		}
	}
	// Then every deleted file a process still held open in the first pass.
	byPID := map[int]procIdentity{}
	for _, p := range procs {
		byPID[p.PID] = p
	}
	for _, f := range pass.OpenFiles {
		p, ok := byPID[f.PID]
		if !ok || p.StartTicks != f.StartTicks || f.Error != "" || ctx.Err() != nil || len(env.Opts.TargetPIDs) > 0 && !env.chosen(p, false) {
			continue
		}
		if !strings.HasPrefix(f.Target, "/") || !strings.HasSuffix(f.Target, " (deleted)") {
			continue
		}
		deletedFDs++
		x := copyProcFile(ctx, env, p, "fd", f.FD, f.Target, seen)
		if err := emit(x); err != nil {
			return err
		}
	}
	if _, err := env.AddBytes(bundle.EntryMeta{Name: snapshot.ExecutablesEntry, ReadAt: env.Now().UTC()}, buf.Bytes()); err != nil {
		return err
	}
	env.Note("%d suspect executables copied, %d deleted open files, %d processes gone since the first pass", copied, deletedFDs, vanished)
	return nil
}

// openProcLink opens /proc/PID/exe or /proc/PID/fd/N following the magic
// link (OpenRegular's O_NOFOLLOW refuses it): the kernel hands over the
// very file the process runs or holds, even when deleted or a memfd. It
// stats the target first so that a FIFO, socket or device is never opened.
func openProcLink(path string) (*os.File, *bundle.FileInfo, error) {
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_BASIC_STATS|unix.STATX_BTIME, &stx); err != nil {
		return nil, nil, &os.PathError{Op: "statx", Path: path, Err: err}
	}
	pre := statxInfo(&stx)
	if pre.Type != "file" {
		return nil, pre, fmt.Errorf("%s is a %s: %w", path, pre.Type, ErrNotRegular)
	}
	flags := unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY
	fd, err := unix.Open(path, flags|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) {
		fd, err = unix.Open(path, flags, 0)
	}
	if err != nil {
		return nil, pre, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS|unix.STATX_BTIME, &stx); err != nil {
		unix.Close(fd)
		return nil, pre, &os.PathError{Op: "statx", Path: path, Err: err}
	}
	info := statxInfo(&stx)
	if info.Type != "file" || info.Inode != pre.Inode || info.Dev != pre.Dev {
		unix.Close(fd)
		return nil, info, fmt.Errorf("%s: %w", path, ErrChanged)
	}
	return os.NewFile(uintptr(fd), path), info, nil
}

// copyProcFile copies /proc/PID/exe (kind "exe") or /proc/PID/fd/N into
// the bundle, within the executables budget, and records what it did.
func copyProcFile(ctx context.Context, env *Env, p procIdentity, kind string, fd int, link string, seen map[[2]uint64]string) snapshot.Executable {
	x := snapshot.Executable{PID: p.PID, StartTicks: p.StartTicks, Kind: kind, Link: link, ObservedAt: env.Now().UTC()}
	hostPath := env.procPath(p.PID, "exe")
	name := snapshot.ExeEntry(int64(p.PID))
	if kind == "fd" {
		x.FD = fd
		hostPath = env.procPath(p.PID, "fd", strconv.Itoa(fd))
		name = snapshot.FDEntry(int64(p.PID), fd)
	}
	fail := func(info *bundle.FileInfo, err error) snapshot.Executable {
		x.Error = err.Error()
		x.Vanished = gone(err)
		env.Missing(hostPath, info, fmt.Errorf("%s (link %q): %w", kind, link, err))
		return x
	}
	if err := samePID(ctx, env, p); err != nil {
		return fail(nil, err)
	}
	f, info, err := openProcLink(hostPath)
	if err != nil {
		return fail(info, err)
	}
	defer f.Close()
	// The fd is of the right process only if the PID was not reused
	// between the check above and the open.
	if err := samePID(ctx, env, p); err != nil {
		return fail(info, err)
	}
	info.Link = link
	x.Size, x.Dev, x.Inode, x.Nlink = info.Size, info.Dev, info.Inode, info.Nlink
	key := [2]uint64{info.Dev, info.Inode}
	if prev, ok := seen[key]; ok {
		x.SameAs = prev
		return x
	}
	x.ELF = elfFacts(f, info.Size)
	rec, err := copyExecutable(ctx, env, f, bundle.EntryMeta{Name: name, HostPath: hostPath, Original: info})
	if isBudgetSpent(err) {
		return fail(info, err)
	}
	if err != nil {
		x.Error = err.Error()
		return x
	}
	x.Entry, x.SHA256, x.Copied = rec.Name, rec.SHA256, rec.Size
	if rec.Error != "" {
		x.Error = rec.Error
	}
	seen[key] = rec.Name
	return x
}

// exeBudgetSpent: the --max-executables budget left nothing to copy.
type exeBudgetSpent struct{ max int64 }

func (e exeBudgetSpent) Error() string {
	return fmt.Sprintf("not copied: the --max-executables budget of %s is spent", FormatSize(e.max))
}

func isBudgetSpent(err error) bool { return errors.As(err, new(exeBudgetSpent)) }

// copyExecutable copies the open file f (meta.Original.Size bytes: an
// executable, a mapped or open deleted file) into the bundle under the
// --max-executables budget shared by every source that recovers files;
// where the budget ends the entry is cut, and says so.
func copyExecutable(ctx context.Context, env *Env, f *os.File, meta bundle.EntryMeta) (bundle.EntryRecord, error) {
	size := meta.Original.Size
	n := env.TakeBudget(budgetExecutables, env.Opts.MaxExecutables, size)
	if n == 0 && size > 0 {
		return bundle.EntryRecord{}, exeBudgetSpent{env.Opts.MaxExecutables}
	}
	meta.ReadAt = env.Now().UTC()
	if n < size {
		meta.Truncated = true
		cut := fmt.Sprintf("cut at %d of %d bytes: the --max-executables budget ran out", n, size)
		if meta.Note != "" {
			cut = meta.Note + "; " + cut
		}
		meta.Note = cut
	}
	return env.Add(meta, NewStallReader(ctx, io.NewSectionReader(f, 0, size), 0), n)
}

// Bounds on what elfFacts reads of a hostile header.
const (
	maxInterp   = 4096
	maxNoteSeg  = 64 << 10
	maxPhdrs    = 1024
	elfReadSpan = 16 << 20
)

// elfFacts reads the ELF header facts of an executable: class, machine,
// type, PT_INTERP and the GNU build-id note (elf(5)). It reads only the
// header, program headers and note segments, each bounded, and never
// panics on a malformed file.
func elfFacts(r io.ReaderAt, size int64) (facts *snapshot.ELF) {
	facts = &snapshot.ELF{}
	defer func() {
		if v := recover(); v != nil {
			facts.Error = fmt.Sprintf("malformed ELF: %v", v)
		}
	}()
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil || string(magic[:]) != elf.ELFMAG {
		return nil
	}
	f, err := elf.NewFile(io.NewSectionReader(r, 0, min(size, elfReadSpan)))
	if err != nil {
		facts.Error = err.Error()
		return facts
	}
	facts.Class = f.Class.String()
	facts.Machine = f.Machine.String()
	facts.Type = f.Type.String()
	if len(f.Progs) > maxPhdrs {
		facts.Error = fmt.Sprintf("%d program headers: only the first %d read", len(f.Progs), maxPhdrs)
	}
	for i, p := range f.Progs {
		if i >= maxPhdrs {
			break
		}
		switch p.Type {
		case elf.PT_INTERP:
			b := make([]byte, min(p.Filesz, maxInterp))
			n, _ := r.ReadAt(b, int64(p.Off))
			facts.Interpreter = string(bytes.TrimRight(b[:n], "\x00"))
		case elf.PT_NOTE:
			b := make([]byte, min(p.Filesz, maxNoteSeg))
			n, _ := r.ReadAt(b, int64(p.Off))
			if id := gnuBuildID(b[:n], f.ByteOrder); id != "" {
				facts.BuildID = id
			}
		}
	}
	return facts
}

// gnuBuildID finds NT_GNU_BUILD_ID (type 3, owner "GNU") in a note segment.
func gnuBuildID(b []byte, bo binary.ByteOrder) string {
	align := func(n uint32) int { return int((n + 3) &^ 3) }
	for len(b) >= 12 {
		nsz, dsz, typ := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
		b = b[12:]
		if nsz > uint32(len(b)) || align(nsz) > len(b) {
			return ""
		}
		name := b[:nsz]
		b = b[align(nsz):]
		if dsz > uint32(len(b)) {
			return ""
		}
		desc := b[:dsz]
		if typ == 3 && string(bytes.TrimRight(name, "\x00")) == "GNU" {
			return hex.EncodeToString(desc)
		}
		if align(dsz) > len(b) {
			return ""
		}
		b = b[align(dsz):]
	}
	return ""
}
