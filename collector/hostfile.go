package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// ErrNotRegular is returned for a FIFO, socket, device or directory where a
// regular file was expected: such a file is recorded, never opened.
var ErrNotRegular = errors.New("not a regular file: recorded, not opened")

// ErrChanged is returned when the file opened is not the file stat'ed (it
// was swapped between the two calls).
var ErrChanged = errors.New("file changed between stat and open")

// readStall bounds one read(2) on the host: a read that takes longer (a hung
// network file system, a device) is abandoned and the entry recorded as cut.
const readStall = 10 * time.Second

// Stat returns the metadata of path (not following a final symbolic link),
// with birth time where statx gives it.
func Stat(path string) (*bundle.FileInfo, error) {
	var st unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT,
		unix.STATX_BASIC_STATS|unix.STATX_BTIME, &st)
	if err != nil {
		return nil, &os.PathError{Op: "statx", Path: path, Err: err}
	}
	fi := statxInfo(&st)
	if fi.Type == "symlink" {
		if l, err := os.Readlink(path); err == nil {
			fi.Link = l
		}
	}
	return fi, nil
}

func statxInfo(st *unix.Statx_t) *bundle.FileInfo {
	ts := func(t unix.StatxTimestamp) time.Time { return time.Unix(t.Sec, int64(t.Nsec)).UTC() }
	fi := &bundle.FileInfo{
		Type:  fileType(uint32(st.Mode)),
		Mode:  uint32(st.Mode) & 0o7777,
		UID:   st.Uid,
		GID:   st.Gid,
		Size:  int64(st.Size),
		Inode: st.Ino,
		Dev:   unix.Mkdev(st.Dev_major, st.Dev_minor),
		Nlink: uint64(st.Nlink),
		Mtime: ts(st.Mtime),
		Atime: ts(st.Atime),
		Ctime: ts(st.Ctime),
	}
	// Some file systems set STATX_BTIME yet report 0: no birth time either.
	if st.Mask&unix.STATX_BTIME != 0 && (st.Btime.Sec != 0 || st.Btime.Nsec != 0) {
		fi.Btime = ts(st.Btime)
	}
	return fi
}

func fileType(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "file"
	case unix.S_IFDIR:
		return "dir"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "char"
	case unix.S_IFBLK:
		return "block"
	}
	return "unknown"
}

// OpenRegular opens path for reading without following a final symbolic
// link, without blocking on a FIFO, and without updating its access time
// where the kernel allows it (O_NOATIME needs ownership or CAP_FOWNER). It
// refuses anything but a regular file, and a file swapped since info was
// taken.
func OpenRegular(path string, info *bundle.FileInfo) (*os.File, error) {
	if info != nil && info.Type != "file" {
		return nil, fmt.Errorf("%s is a %s: %w", path, info.Type, ErrNotRegular)
	}
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY
	fd, err := unix.Open(path, flags|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) {
		fd, err = unix.Open(path, flags, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		return nil, fmt.Errorf("%s is a %s: %w", path, fileType(st.Mode), ErrNotRegular)
	}
	if info != nil && info.Inode != 0 && (st.Ino != info.Inode || uint64(st.Dev) != info.Dev) {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrChanged)
	}
	return f, nil
}

// StallReader reads r with every read bounded by ctx and by a stall
// timeout: a read that does not return in time is abandoned (its goroutine
// is left to finish alone, into a buffer of its own) and the reader fails
// from then on. It is how no read of the host can hang the collector.
type StallReader struct {
	ctx   context.Context
	r     io.Reader
	stall time.Duration
	err   error
}

// NewStallReader wraps r; stall 0 means readStall.
func NewStallReader(ctx context.Context, r io.Reader, stall time.Duration) *StallReader {
	if stall <= 0 {
		stall = readStall
	}
	return &StallReader{ctx: ctx, r: r, stall: stall}
}

type readResult struct {
	buf []byte
	n   int
	err error
}

func (s *StallReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = fmt.Errorf("read abandoned: %w", err)
		return 0, s.err
	}
	buf := make([]byte, min(len(p), 256<<10))
	done := make(chan readResult, 1)
	go func() {
		n, err := s.r.Read(buf)
		done <- readResult{buf, n, err}
	}()
	t := time.NewTimer(s.stall)
	defer t.Stop()
	select {
	case res := <-done:
		copy(p, res.buf[:res.n])
		return res.n, res.err
	case <-t.C:
		s.err = fmt.Errorf("read stalled for %v: abandoned", s.stall)
	case <-s.ctx.Done():
		s.err = fmt.Errorf("read abandoned: %w", s.ctx.Err())
	}
	return 0, s.err
}

// CopyFile copies one file of the host into the bundle as an entry named
// name (default: NameFor("fs", hostPath)), at most max bytes (0: the
// source's MaxFileSize). Anything that is not a regular file, cannot be
// opened or read is recorded as missing with the reason. It returns the
// record and whether an entry was written.
func (e *Env) CopyFile(ctx context.Context, hostPath, name string, max int64) (bundle.EntryRecord, bool, error) {
	if name == "" {
		name = bundle.NameFor("fs", hostPath)
	}
	if max <= 0 {
		max = e.Opts.MaxFileSize
	}
	p := e.HostPath(hostPath)
	info, err := Stat(p)
	if err != nil {
		e.Missing(hostPath, nil, err)
		return bundle.EntryRecord{}, false, nil
	}
	f, err := OpenRegular(p, info)
	if err != nil {
		e.Missing(hostPath, info, err)
		return bundle.EntryRecord{}, false, nil
	}
	defer f.Close()
	size := info.Size
	meta := bundle.EntryMeta{Name: name, HostPath: hostPath, Original: info, ReadAt: e.Now().UTC()}
	if size > max {
		size = max
		meta.Truncated = true
		meta.Note = fmt.Sprintf("cut at %d of %d bytes by the size cap", max, info.Size)
	}
	rec, werr := e.Add(meta, NewStallReader(ctx, f, 0), size)
	return rec, werr == nil, werr
}

// ReadSmall reads a file whose size stat cannot tell (the kernel's pseudo
// files under /proc and /sys) into memory, at most max bytes, bounded in
// time like every read. truncated is true when the file held more.
func ReadSmall(ctx context.Context, path string, max int64) (data []byte, truncated bool, err error) {
	f, err := OpenRegular(path, nil)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	// io.ReadAll would start at 512 bytes: each read of a /proc file is a
	// call the kernel renders the file for, and each goes through the
	// stall guard; most such files fit 4 KiB.
	r := io.LimitReader(NewStallReader(ctx, f, 0), max+1)
	data = make([]byte, 0, min(max+1, 4096))
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, rerr := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if rerr != nil {
			if rerr != io.EOF {
				err = rerr
			}
			break
		}
	}
	if int64(len(data)) > max {
		return data[:max], true, err
	}
	return data, false, err
}
