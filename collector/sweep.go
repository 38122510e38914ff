package collector

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
)

// sweep.go walks the host's local file systems once and records only the
// files an analyst asks for first (what UAC's ir_triage finds with
// find(1), getcap(8) and lsattr(1)): set-user-ID and set-group-ID files,
// files with capabilities (the security.capability extended attribute),
// immutable and append-only files (statx's attributes, no extra call),
// world-writable files and unsticky directories in system directories,
// files whose owner or group the host's own passwd and group files do not
// name, and hidden names under the temporary and home directories. Like the file
// timeline it never follows a link and lists each directory through its
// own descriptor; it enters the local disk file systems and tmpfs only
// (their types from /proc/self/mountinfo, read with procfs), never pseudo
// or network ones, nor the overlay views of containers (the containers
// source reads their writable layers).

func init() {
	Register(Source{
		Name:     "sweep",
		Order:    88,
		Help:     "one walk of the local file systems for SUID/SGID files, file capabilities, world-writable files in system directories, files of unknown owner or group, hidden names under temporary and home directories",
		BudgetOf: func(o Options) time.Duration { return o.SweepBudget + 15*time.Second },
		Collect:  collectSweep,
	})
}

const maxSweepRecords = 100_000

// sweepFSTypes are the file systems the sweep enters.
var sweepFSTypes = map[string]bool{"ext2": true, "ext3": true, "ext4": true, "xfs": true, "btrfs": true, "zfs": true, "f2fs": true,
	"jfs": true, "reiserfs": true, "tmpfs": true, "vfat": true, "exfat": true, "ntfs": true, "ntfs3": true, "fuseblk": true, "bcachefs": true}

// systemDirs are where a world-writable file is a finding.
var systemDirs = []string{"/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/boot", "/opt", "/var/lib", "/var/spool", "/var/www", "/srv"}

// tempDirs are where hidden names are recorded, with the home directories.
var tempDirs = []string{"/tmp", "/var/tmp", "/dev/shm"}

type sweepWalk struct {
	env        *Env
	ctx        context.Context
	users      map[uint32]string
	groups     map[uint32]string
	hiddenIn   []string
	mounts     map[string]string // mount point -> type (live host)
	buf        bytes.Buffer
	enc        *json.Encoder
	sum        filetimeline.SweepSummary
	seenDirs   map[[2]uint64]bool
	maxVisited int
}

func collectSweep(ctx context.Context, env *Env) error {
	wctx, cancel := context.WithTimeout(ctx, env.Opts.SweepBudget)
	defer cancel()
	ids := readIDNames(ctx, env)
	w := &sweepWalk{env: env, ctx: wctx, users: ids.users, groups: ids.groups, seenDirs: map[[2]uint64]bool{}, maxVisited: env.Opts.SweepMaxFiles,
		sum: filetimeline.SweepSummary{ByReason: map[string]int{}, FileSystems: []string{}, Roots: []string{"/", "/dev/shm"}, Started: env.Now().UTC()}}
	w.enc = json.NewEncoder(&w.buf)
	w.enc.SetEscapeHTML(false)
	w.hiddenIn = append(append([]string{}, tempDirs...), env.homeDirs(ctx)...)
	if env.Live {
		w.mounts = map[string]string{}
		w.sum.Skipped = map[string]string{}
		if pfs, err := env.procFS(); err != nil {
			env.Errorf("", "mounts: %v", err)
		} else if ms, err := pfs.GetMounts(); err != nil {
			env.Errorf("/proc/self/mountinfo", "mounts: %v", err)
		} else {
			for _, m := range ms {
				w.mounts[m.MountPoint] = m.FSType
			}
		}
	}
	for _, root := range w.sum.Roots {
		if w.stop() {
			break
		}
		info, err := Stat(env.HostPath(root))
		if err != nil || info.Type != "dir" {
			continue
		}
		if !w.enter(root, info.Dev, ^uint64(0)) {
			continue
		}
		w.walk(root, info.Dev)
	}
	w.sum.Complete = w.sum.StopReason == ""
	if !w.sum.Complete {
		env.Cut()
	}
	w.sum.Finished = env.Now().UTC()
	sort.Strings(w.sum.FileSystems)
	meta := bundle.EntryMeta{Name: filetimeline.SweepEntry, ReadAt: w.sum.Started, Truncated: w.sum.RecordsLeftOut > 0}
	if w.sum.RecordsLeftOut > 0 {
		meta.Note = fmt.Sprintf("%d files found past the first %d left out", w.sum.RecordsLeftOut, maxSweepRecords)
	}
	if _, err := env.AddBytes(meta, w.buf.Bytes()); err != nil {
		return err
	}
	if _, err := env.AddJSON(filetimeline.SweepSummaryEntry, w.sum); err != nil {
		return err
	}
	reasons := make([]string, 0, len(w.sum.ByReason))
	for r, n := range w.sum.ByReason {
		reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
	}
	sort.Strings(reasons)
	env.Note("%d files visited, %d recorded (%s), complete=%v %s", w.sum.Visited, w.sum.Records, strings.Join(reasons, ", "), w.sum.Complete, w.sum.StopReason)
	return nil
}

func (w *sweepWalk) stop() bool {
	if w.sum.StopReason != "" {
		return true
	}
	if w.maxVisited > 0 && w.sum.Visited >= w.maxVisited {
		w.sum.StopReason = fmt.Sprintf("--sweep-max-files (%d) reached", w.maxVisited)
		return true
	}
	if w.ctx.Err() != nil {
		w.sum.StopReason = "--sweep-budget: " + w.ctx.Err().Error()
		return true
	}
	return false
}

// enter decides whether a directory on device dev (its parent on
// parentDev) is walked: the same file system, or a mount of a type the
// sweep enters. With --root the walk stays on the root's file systems as
// they are (no mount table applies).
func (w *sweepWalk) enter(host string, dev, parentDev uint64) bool {
	if dev == parentDev {
		return true
	}
	if w.mounts == nil {
		if parentDev == ^uint64(0) {
			w.sum.FileSystems = append(w.sum.FileSystems, host)
			return true
		}
		return false
	}
	typ, ok := w.mounts[host]
	if !ok {
		// A device change at a path that is no mount point of ours (a
		// mount in another namespace is not visible here): not entered.
		typ = "unknown"
	}
	if !sweepFSTypes[typ] {
		if len(w.sum.Skipped) < maxLeftOut {
			w.sum.Skipped[host] = typ
		}
		return false
	}
	w.sum.FileSystems = append(w.sum.FileSystems, host)
	return true
}

func (w *sweepWalk) walk(root string, rootDev uint64) {
	type pending struct {
		host string
		dev  uint64
	}
	stack := []pending{{root, rootDev}}
	for len(stack) > 0 && !w.stop() {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		local := w.env.HostPath(d.host)
		fd, err := openDirNoFollow(local)
		if err != nil {
			w.sum.Errors++
			continue
		}
		dir := os.NewFile(uintptr(fd), local)
		var subdirs []pending
		for !w.stop() {
			names, err := dir.Readdirnames(1024)
			for _, name := range names {
				if w.stop() {
					break
				}
				w.sum.Visited++
				host := filepath.Join(d.host, name)
				var st unix.Statx_t
				if err := unix.Statx(fd, name, unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT, unix.STATX_BASIC_STATS|unix.STATX_BTIME, &st); err != nil {
					w.sum.Errors++
					continue
				}
				info := statxInfo(&st)
				if info.Type == "dir" {
					key := [2]uint64{info.Dev, info.Inode}
					if !w.seenDirs[key] && w.enter(host, info.Dev, d.dev) {
						w.seenDirs[key] = true
						subdirs = append(subdirs, pending{host, info.Dev})
					}
				}
				w.check(fd, name, host, info, st.Attributes&st.Attributes_mask)
			}
			if err != nil {
				if err != io.EOF {
					w.sum.Errors++
				}
				break
			}
		}
		dir.Close()
		for i := len(subdirs) - 1; i >= 0; i-- {
			stack = append(stack, subdirs[i])
		}
	}
}

// check records a file if any sweep reason applies.
func (w *sweepWalk) check(dirfd int, name, host string, info *bundle.FileInfo, attrs uint64) {
	var reasons []string
	if attrs&unix.STATX_ATTR_IMMUTABLE != 0 {
		reasons = append(reasons, filetimeline.ReasonImmutable)
	}
	if attrs&unix.STATX_ATTR_APPEND != 0 {
		reasons = append(reasons, filetimeline.ReasonAppendOnly)
	}
	rec := filetimeline.SweepRecord{}
	if info.Type == "file" {
		if info.Mode&0o4000 != 0 {
			reasons = append(reasons, filetimeline.ReasonSUID)
		}
		if info.Mode&0o2000 != 0 {
			reasons = append(reasons, filetimeline.ReasonSGID)
		}
		if info.Mode&0o111 != 0 {
			if raw, err := fileCapability(dirfd, name); err == nil && len(raw) > 0 {
				reasons = append(reasons, filetimeline.ReasonCapabilities)
				rec.CapabilitiesHex = hex.EncodeToString(raw)
				rec.Capabilities, rec.CapabilitiesRootID = decodeCapability(raw)
			}
		}
	}
	if info.Type != "symlink" && info.Mode&0o002 != 0 && (info.Type != "dir" || info.Mode&0o1000 == 0) && under(host, systemDirs) {
		reasons = append(reasons, filetimeline.ReasonWorldWritable)
	}
	if _, ok := w.users[info.UID]; !ok && len(w.users) > 0 {
		reasons = append(reasons, filetimeline.ReasonNoUser)
	}
	if _, ok := w.groups[info.GID]; !ok && len(w.groups) > 0 {
		reasons = append(reasons, filetimeline.ReasonNoGroup)
	}
	if strings.HasPrefix(name, ".") && under(host, w.hiddenIn) {
		reasons = append(reasons, filetimeline.ReasonHidden)
	}
	if len(reasons) == 0 {
		return
	}
	for _, r := range reasons {
		w.sum.ByReason[r]++
	}
	if w.sum.Records >= maxSweepRecords {
		w.sum.RecordsLeftOut++
		return
	}
	rec.Record = fileRecord(host, info)
	rec.Reasons = reasons
	if err := w.enc.Encode(rec); err == nil {
		w.sum.Records++
	}
}

// under reports whether host lies strictly under one of dirs.
func under(host string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(host, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// fileCapability reads security.capability of dir/name without following
// a link (through /proc/self/fd, since there is no lgetxattrat).
func fileCapability(dirfd int, name string) ([]byte, error) {
	p := fmt.Sprintf("/proc/self/fd/%d/%s", dirfd, name)
	buf := make([]byte, 64)
	n, err := unix.Lgetxattr(p, "security.capability", buf)
	if err != nil {
		if errors.Is(err, unix.ENODATA) || errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		return nil, err
	}
	return buf[:n], nil
}

// capNames are the capabilities by bit (include/uapi/linux/capability.h).
var capNames = []string{"cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
	"cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast",
	"cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot",
	"cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice", "cap_sys_resource", "cap_sys_time",
	"cap_sys_tty_config", "cap_mknod", "cap_lease", "cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override",
	"cap_mac_admin", "cap_syslog", "cap_wake_alarm", "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
	"cap_checkpoint_restore"}

// decodeCapability writes struct vfs_cap_data (revision 1, 2 or 3, little
// endian) as getcap(8) does: "cap_a,cap_b+ep", then "=i" parts.
func decodeCapability(raw []byte) (string, *uint32) {
	if len(raw) < 4 {
		return "malformed", nil
	}
	le := binary.LittleEndian
	magic := le.Uint32(raw)
	eff := magic&1 == 1
	var perm, inh uint64
	var rootid *uint32
	switch magic &^ 1 {
	case 0x01000000:
		if len(raw) < 12 {
			return "malformed", nil
		}
		perm, inh = uint64(le.Uint32(raw[4:])), uint64(le.Uint32(raw[8:]))
	case 0x02000000, 0x03000000:
		if len(raw) < 20 {
			return "malformed", nil
		}
		perm = uint64(le.Uint32(raw[4:])) | uint64(le.Uint32(raw[12:]))<<32
		inh = uint64(le.Uint32(raw[8:])) | uint64(le.Uint32(raw[16:]))<<32
		if magic&^1 == 0x03000000 && len(raw) >= 24 {
			r := le.Uint32(raw[20:])
			rootid = &r
		}
	default:
		return fmt.Sprintf("unknown revision 0x%08x", magic&^1), nil
	}
	// Group capabilities by their flag set, as libcap's cap_to_text.
	groups := map[string][]string{}
	var order []string
	for i := 0; i < 64; i++ {
		bit := uint64(1) << i
		flags := ""
		if eff && perm&bit != 0 {
			flags += "e"
		}
		if inh&bit != 0 {
			flags += "i"
		}
		if perm&bit != 0 {
			flags += "p"
		}
		if flags == "" {
			continue
		}
		name := fmt.Sprintf("cap_%d", i)
		if i < len(capNames) {
			name = capNames[i]
		}
		if _, ok := groups[flags]; !ok {
			order = append(order, flags)
		}
		groups[flags] = append(groups[flags], name)
	}
	var parts []string
	for _, f := range order {
		parts = append(parts, strings.Join(groups[f], ",")+"="+f)
	}
	return strings.Join(parts, " "), rootid
}
