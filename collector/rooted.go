package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// rooted.go reads files as a process sees them: through /proc/PID/root,
// the root of its mount namespace (a container's own file system) or of
// its chroot. Every path is resolved with openat2(2) RESOLVE_IN_ROOT, so
// that an absolute symbolic link inside the container ("/etc/x ->
// /etc/shadow") stays inside it and never reaches the host's file; magic
// links (/proc/self/...) are refused. The final component is never
// followed, and it is opened O_PATH and stat'ed before it is opened for
// reading: a FIFO or a device is recorded, never opened.

// fsView is one process's view of the file system.
type fsView struct {
	fd int
	// Prefix is how the view's paths are named on the host: "" for the
	// collector's own root, "/proc/PID/root" for another.
	Prefix string
}

// openView opens the root at dir ("/" or "/proc/PID/root"); prefix names it.
func openView(dir, prefix string) (*fsView, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &fsView{fd: fd, Prefix: prefix}, nil
}

func (v *fsView) Close() error { return unix.Close(v.fd) }

// HostPath is the host's name of a path in the view.
func (v *fsView) HostPath(p string) string {
	return v.Prefix + path.Clean("/"+p)
}

func (v *fsView) openat2(p string, flags uint64) (int, error) {
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		rel = "."
	}
	how := unix.OpenHow{Flags: flags | unix.O_CLOEXEC | unix.O_NOFOLLOW, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for {
		fd, err := unix.Openat2(v.fd, rel, &how)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue // RESOLVE_IN_ROOT retries when a rename raced the lookup
		}
		if err != nil {
			return -1, &os.PathError{Op: "openat2", Path: v.HostPath(p), Err: err}
		}
		return fd, nil
	}
}

// Stat returns the metadata of p in the view (a final link not followed).
func (v *fsView) Stat(p string) (*bundle.FileInfo, error) {
	fd, err := v.openat2(p, unix.O_PATH)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return fdInfo(fd, v.HostPath(p))
}

func fdInfo(fd int, name string) (*bundle.FileInfo, error) {
	var st unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS|unix.STATX_BTIME, &st); err != nil {
		return nil, &os.PathError{Op: "statx", Path: name, Err: err}
	}
	return statxInfo(&st), nil
}

// Open opens a regular file of the view for reading (O_NOATIME where
// allowed), refusing anything else and a file swapped since the stat.
func (v *fsView) Open(p string) (*os.File, *bundle.FileInfo, error) {
	info, err := v.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if info.Type != "file" {
		if info.Type == "symlink" {
			// O_PATH|O_NOFOLLOW on a link gives the link: read its target for the record.
			if fd, err := v.openat2(p, unix.O_PATH); err == nil {
				buf := make([]byte, 4096)
				if n, err := unix.Readlinkat(fd, "", buf); err == nil {
					info.Link = string(buf[:n])
				}
				unix.Close(fd)
			}
		}
		return nil, info, fmt.Errorf("%s is a %s: %w", v.HostPath(p), info.Type, ErrNotRegular)
	}
	flags := uint64(unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY)
	fd, err := v.openat2(p, flags|unix.O_NOATIME)
	if errors.Is(err, unix.EPERM) {
		fd, err = v.openat2(p, flags)
	}
	if err != nil {
		return nil, info, err
	}
	now, err := fdInfo(fd, v.HostPath(p))
	if err != nil {
		unix.Close(fd)
		return nil, info, err
	}
	if now.Type != "file" || now.Inode != info.Inode || now.Dev != info.Dev {
		unix.Close(fd)
		return nil, info, fmt.Errorf("%s: %w", v.HostPath(p), ErrChanged)
	}
	return os.NewFile(uintptr(fd), v.HostPath(p)), info, nil
}

// ReadFile reads a small regular file of the view, at most max bytes
// (cut reports more), bounded in time.
func (v *fsView) ReadFile(ctx context.Context, p string, max int64) (data []byte, cut bool, err error) {
	f, _, err := v.Open(p)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(NewStallReader(ctx, f, 0), max+1))
	if int64(len(data)) > max {
		return data[:max], true, err
	}
	return data, false, err
}

// ReadDir lists a directory of the view, sorted, at most max names (cut
// reports more).
func (v *fsView) ReadDir(p string, max int) (names []string, cut bool, err error) {
	fd, err := v.openat2(p, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, false, err
	}
	f := os.NewFile(uintptr(fd), v.HostPath(p))
	defer f.Close()
	for {
		batch, err := f.Readdirnames(1024)
		names = append(names, batch...)
		if len(names) > max {
			sort.Strings(names)
			return names[:max], true, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			sort.Strings(names)
			return names, false, err
		}
	}
	sort.Strings(names)
	return names, false, nil
}

// CopyFile copies a file of the view into the bundle as fs/<host path>,
// once per collection (claim), recording what it could not copy. note is
// added to the record (the container, the role of the file).
func (e *Env) CopyViewFile(ctx context.Context, v *fsView, p, note string, max int64) (entry string, copied bool) {
	hostPath := v.HostPath(p)
	name := bundle.NameFor("fs", hostPath)
	if ctx.Err() != nil || !e.claim(hostPath) {
		return name, false
	}
	if max <= 0 {
		max = e.Opts.MaxFileSize
	}
	f, info, err := v.Open(p)
	if err != nil {
		e.Missing(hostPath, info, fmt.Errorf("%s: %w", note, err))
		return "", false
	}
	defer f.Close()
	size := info.Size
	meta := bundle.EntryMeta{Name: name, HostPath: hostPath, Original: info, ReadAt: e.Now().UTC(), Note: note}
	if size > max {
		size = max
		meta.Truncated = true
		meta.Note = joinNote(meta.Note, fmt.Sprintf("cut at %d of %d bytes by the size cap", max, info.Size))
	}
	if _, err := e.Add(meta, NewStallReader(ctx, f, 0), size); err != nil {
		e.Errorf(hostPath, "copy: %v", err)
		return "", false
	}
	return name, true
}
