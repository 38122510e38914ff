package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// container_fs.go reads what changed inside each running container. A
// container is a mount namespace other than the collector's, read through
// its lowest PID. When its root is an overlay (Docker's overlay2,
// containerd, Podman), the overlay's upper directory holds exactly the
// files the container wrote or deleted: every one is listed (whiteouts
// included: files it deleted from its image) and the ones that matter are
// copied: shell and client histories, crontabs, authorized_keys, startup
// and preload files, and executables or ELF files (dropped binaries).
// Without an overlay (a chroot, another storage driver) the same places
// are read through /proc/PID/root (RESOLVE_IN_ROOT: rooted.go).
// procfs reads the container's mountinfo whole; the kernel bounds its
// mounts (fs.mount-max).

func init() {
	Register(Source{
		Name:    "container-fs",
		Order:   57,
		Live:    true,
		Budget:  2 * time.Minute,
		Help:    "files changed inside running containers: the overlay's writable layer listed (whiteouts included), histories, crontabs, authorized_keys and dropped binaries copied; through /proc/PID/root without an overlay",
		Collect: collectContainerFS,
	})
}

const (
	maxLayerRecords  = 50_000 // files listed per container layer
	maxLayerCopy     = 64 << 20
	layerTextFileMax = 4 << 20
)

// layerInteresting are the paths (in the container's view, with * as in
// path.Match) whose files are copied from a writable layer or a root.
var layerInteresting = []string{
	"/root/.*history", "/root/.*_history", "/home/*/.*history", "/home/*/.*_history", "/root/.lesshst", "/root/.viminfo",
	"/root/.ssh/authorized_keys*", "/home/*/.ssh/authorized_keys*", "/root/.bashrc", "/root/.profile", "/home/*/.bashrc", "/home/*/.profile",
	"/etc/crontab", "/etc/cron.d/*", "/etc/cron.*/*", "/var/spool/cron/*", "/var/spool/cron/crontabs/*", "/etc/anacrontab",
	"/etc/ld.so.preload", "/etc/rc.local", "/etc/profile", "/etc/profile.d/*", "/etc/bash.bashrc", "/etc/environment",
	"/etc/passwd", "/etc/group", "/etc/sudoers", "/etc/sudoers.d/*", "/etc/ssh/sshd_config",
	"/etc/systemd/system/*", "/etc/systemd/system/*/*", "/etc/init.d/*", "/etc/supervisor/conf.d/*",
}

func interesting(p string) bool {
	for _, pat := range layerInteresting {
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

func collectContainerFS(ctx context.Context, env *Env) error {
	pass := env.volatilePass(ctx)
	if pass.Err != nil {
		return pass.Err
	}
	selfMnt := uint64(0)
	if l, err := os.Readlink(env.ProcRoot + "/self/ns/mnt"); err == nil {
		selfMnt, _ = bracketInode(l)
	}
	// One container per mount namespace other than ours, read through its lowest PID.
	type ctr struct {
		pid int
		id  string
		mnt uint64
	}
	byNS := map[uint64]*ctr{}
	var order []uint64
	for _, p := range pass.Procs {
		mnt := p.Namespaces["mnt"]
		if p.Status == snapshot.StatusVanished || p.KernelThread || mnt == 0 || mnt == selfMnt {
			continue
		}
		c := byNS[mnt]
		if c == nil {
			c = &ctr{pid: p.PID, mnt: mnt}
			byNS[mnt] = c
			order = append(order, mnt)
		}
		if c.id == "" && p.ContainerID != "" {
			c.id = p.ContainerID
		}
	}
	var list []filetimeline.ContainerFS
	copied := 0
	budget := int64(maxLayerCopy) * 8
	for _, ns := range order {
		if ctx.Err() != nil {
			break
		}
		c := byNS[ns]
		if c.id == "" {
			continue // a process in its own mount namespace (a sandboxed service), not a container
		}
		cf := filetimeline.ContainerFS{ContainerID: c.id, PID: c.pid, MntNS: c.mnt}
		if upper, typ := overlayUpper(env, c.pid); upper != "" {
			cf.RootFS, cf.UpperDir = typ, upper
			readLayer(ctx, env, &cf, &budget)
		} else {
			cf.RootFS = typ
			readThroughRoot(ctx, env, &cf, &budget)
		}
		copied += cf.Copied
		list = append(list, cf)
	}
	if list == nil {
		list = []filetimeline.ContainerFS{}
	}
	if _, err := env.AddJSON(filetimeline.ContainersFSEntry, list); err != nil {
		return err
	}
	env.Note("%d containers, %d files copied", len(list), copied)
	return nil
}

// overlayUpper returns the upper directory of a process's root mount, read
// from its mountinfo with procfs, and the root's file system type.
func overlayUpper(env *Env, pid int) (string, string) {
	pfs, err := env.procFS()
	if err != nil {
		return "", ""
	}
	p, err := pfs.Proc(pid)
	if err != nil {
		return "", ""
	}
	ms, err := p.MountInfo()
	if err != nil {
		return "", ""
	}
	for _, m := range ms {
		if m.MountPoint != "/" {
			continue
		}
		if m.FSType == "overlay" {
			if u := m.SuperOptions["upperdir"]; u != "" {
				if info, err := Stat(u); err == nil && info.Type == "dir" {
					return u, m.FSType
				}
			}
		}
		return "", m.FSType
	}
	return "", ""
}

// readLayer lists a container's writable layer and copies what matters.
func readLayer(ctx context.Context, env *Env, cf *filetimeline.ContainerFS, budget *int64) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var walk func(rel string, depth int)
	walk = func(rel string, depth int) {
		if ctx.Err() != nil || depth > 64 {
			return
		}
		dir := filepath.Join(cf.UpperDir, rel)
		fd, err := openDirNoFollow(dir)
		if err != nil {
			cf.Errors = append(cf.Errors, fmt.Sprintf("listing %s: %v", dir, err))
			return
		}
		f := os.NewFile(uintptr(fd), dir)
		defer f.Close()
		names, err := f.Readdirnames(-1)
		if err != nil && !errors.Is(err, io.EOF) {
			cf.Errors = append(cf.Errors, fmt.Sprintf("listing %s: %v", dir, err))
		}
		sort.Strings(names)
		for _, name := range names {
			if ctx.Err() != nil {
				return
			}
			var st unix.Statx_t
			if err := unix.Statx(fd, name, unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT, unix.STATX_BASIC_STATS|unix.STATX_BTIME, &st); err != nil {
				continue
			}
			info := statxInfo(&st)
			inside := "/" + filepath.Join(rel, name)
			r := filetimeline.LayerRecord{Record: fileRecord(inside, info)}
			r.Whiteout = info.Type == "char" && st.Rdev_major == 0 && st.Rdev_minor == 0
			if info.Type == "symlink" {
				b := make([]byte, 4096)
				if n, err := unix.Readlinkat(fd, name, b); err == nil {
					r.Link = string(b[:n])
				}
			}
			if info.Type == "file" && (interesting(inside) || isExecutableFile(fd, name, info)) {
				host := filepath.Join(dir, name)
				size := min(info.Size, maxLayerCopy)
				if !interesting(inside) && *budget < size {
					cf.LeftOut++
				} else if e, ok := copyLayerFile(ctx, env, host, inside, cf.ContainerID); ok {
					r.Entry = e
					cf.Copied++
					*budget -= size
				}
			}
			if cf.Records < maxLayerRecords {
				if err := enc.Encode(r); err == nil {
					cf.Records++
				}
			} else {
				cf.LeftOut++
			}
			if info.Type == "dir" {
				walk(filepath.Join(rel, name), depth+1)
			}
		}
	}
	walk("", 0)
	cf.Layer = filetimeline.ContainerLayerEntry(cf.ContainerID)
	meta := bundle.EntryMeta{Name: cf.Layer, HostPath: cf.UpperDir, ReadAt: env.Now().UTC(),
		Note: "writable layer of container " + cf.ContainerID}
	if _, err := env.AddBytes(meta, buf.Bytes()); err != nil {
		cf.Errors = append(cf.Errors, err.Error())
		cf.Layer = ""
	}
}

// isExecutableFile: an executable bit, or the ELF magic.
func isExecutableFile(dirfd int, name string, info *bundle.FileInfo) bool {
	if info.Mode&0o111 != 0 {
		return true
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false
	}
	head := make([]byte, 4)
	n, _ := unix.Read(fd, head)
	return bytes.Equal(head[:n], elfMagic)
}

func copyLayerFile(ctx context.Context, env *Env, host, inside, id string) (string, bool) {
	if !env.claim(host) {
		return bundle.NameFor("fs", host), false
	}
	info, err := Stat(host)
	if err != nil {
		env.Missing(host, nil, err)
		return "", false
	}
	f, err := OpenRegular(host, info)
	if err != nil {
		env.Missing(host, info, err)
		return "", false
	}
	defer f.Close()
	max := int64(layerTextFileMax)
	if info.Mode&0o111 != 0 || !interesting(inside) {
		max = maxLayerCopy
	}
	size := min(info.Size, max)
	meta := bundle.EntryMeta{Name: bundle.NameFor("fs", host), HostPath: host, Original: info, ReadAt: env.Now().UTC(),
		Note: fmt.Sprintf("%s in the writable layer of container %s", inside, id), Truncated: size < info.Size}
	rec, err := env.Add(meta, NewStallReader(ctx, f, 0), size)
	if err != nil {
		env.Errorf(host, "copy: %v", err)
		return "", false
	}
	return rec.Name, true
}

// readThroughRoot copies the places that matter through /proc/PID/root.
func readThroughRoot(ctx context.Context, env *Env, cf *filetimeline.ContainerFS, budget *int64) {
	root := env.procPath(cf.PID, "root")
	view, err := openView(root, root)
	if err != nil {
		cf.Errors = append(cf.Errors, err.Error())
		return
	}
	defer view.Close()
	var paths []string
	for _, pat := range layerInteresting {
		paths = append(paths, expandInView(view, pat)...)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if ctx.Err() != nil || *budget <= 0 {
			break
		}
		if info, err := view.Stat(p); err != nil || info.Type != "file" {
			continue
		}
		if _, ok := env.CopyViewFile(ctx, view, p, "in container "+cf.ContainerID+" (read through its root)", layerTextFileMax); ok {
			cf.Copied++
			*budget -= layerTextFileMax
		}
	}
}

// expandInView expands a pattern whose * may stand in any component.
func expandInView(v *fsView, pat string) []string {
	parts := strings.Split(strings.TrimPrefix(pat, "/"), "/")
	cur := []string{"/"}
	for _, part := range parts {
		var next []string
		for _, dir := range cur {
			if !strings.ContainsAny(part, "*?[") {
				next = append(next, path.Join(dir, part))
				continue
			}
			names, _, err := v.ReadDir(dir, maxGlobMatches)
			if err != nil {
				continue
			}
			for _, n := range names {
				if ok, _ := path.Match(part, n); ok {
					next = append(next, path.Join(dir, n))
				}
			}
		}
		cur = next
		if len(cur) > maxGlobMatches {
			cur = cur[:maxGlobMatches]
		}
	}
	return cur
}
