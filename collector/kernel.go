package collector

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// kernel.go records what the running kernel says of its own integrity and
// of the settings an attacker changes: the taint flags, every loaded
// module with its taint letters and what its file's appended signature
// says (signer, key), core_pattern and the security-relevant sysctls,
// binfmt_misc registrations, eBPF objects (pinned files and, through
// bpf(2)'s read-only GET_NEXT_ID and GET_INFO calls, every loaded program
// and map), and the kernel ring buffer read from /dev/kmsg without blocking.

func init() {
	Register(Source{
		Name:    "kernel",
		Order:   32,
		Live:    true,
		Budget:  60 * time.Second,
		Help:    "kernel taint flags, modules (taint, signer, out of tree), core_pattern, security sysctls, binfmt_misc, eBPF programs, maps and pinned objects, the ring buffer (/dev/kmsg)",
		Collect: collectKernel,
	})
}

// securitySysctls are read into kernel/state.json (as dotted names).
var securitySysctls = []string{
	"kernel.modules_disabled", "kernel.kptr_restrict", "kernel.dmesg_restrict", "kernel.yama.ptrace_scope",
	"kernel.unprivileged_bpf_disabled", "kernel.kexec_load_disabled", "kernel.randomize_va_space", "kernel.sysrq",
	"kernel.perf_event_paranoid", "kernel.core_uses_pid", "kernel.modprobe", "kernel.hotplug", "kernel.ftrace_enabled",
	"kernel.io_uring_disabled", "kernel.unprivileged_userns_clone", "kernel.panic_on_oops", "kernel.lockdown",
	"user.max_user_namespaces", "fs.suid_dumpable", "fs.protected_symlinks", "fs.protected_hardlinks",
	"fs.protected_fifos", "fs.protected_regular", "vm.mmap_min_addr", "vm.unprivileged_userfaultfd",
	"dev.tty.ldisc_autoload", "net.core.bpf_jit_enable", "net.core.bpf_jit_harden",
	"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv4.conf.all.accept_redirects",
	"net.ipv4.conf.all.send_redirects", "net.ipv4.conf.all.accept_source_route", "net.ipv4.conf.all.rp_filter",
	"net.ipv4.tcp_syncookies", "net.ipv4.icmp_echo_ignore_all", "net.ipv4.conf.all.log_martians",
}

const (
	maxKmsg        = 16 << 20
	maxModules     = 4096
	maxModuleFile  = 64 << 20 // a module file read for its signature
	maxBPFObjects  = 10_000
	maxBinfmt      = 256
	sysctlValueMax = 4096
)

func collectKernel(ctx context.Context, env *Env) error {
	st := snapshot.KernelState{ReadAt: env.Now().UTC(), Sysctls: map[string]string{}, Modules: []snapshot.KernelModule{}, Errors: map[string]string{}}
	if pfs, err := env.procFS(); err != nil {
		st.Errors["tainted"] = err.Error()
	} else if t, err := pfs.KernelTainted(); err != nil {
		st.Errors["tainted"] = err.Error()
	} else {
		st.Tainted = t.Value
		st.TaintedFlags = []string{}
		for _, b := range t.Bits {
			if b.Set {
				st.TaintedFlags = append(st.TaintedFlags, b.Flag)
			}
		}
	}
	if b, _, err := ReadSmall(ctx, env.ProcRoot+"/sys/kernel/core_pattern", sysctlValueMax); err != nil {
		st.Errors["core_pattern"] = err.Error()
	} else {
		st.CorePattern = strings.TrimRight(string(b), "\n")
	}
	for _, name := range securitySysctls {
		p := env.ProcRoot + "/sys/" + strings.ReplaceAll(name, ".", "/")
		b, _, err := ReadSmall(ctx, p, sysctlValueMax)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				st.Errors["sysctl."+name] = err.Error()
			}
			continue
		}
		st.Sysctls[name] = strings.TrimSpace(string(b))
	}
	st.Modules = readModules(ctx, env, &st)
	st.BinfmtMisc = readBinfmt(ctx, env, &st)
	st.BPF = readBPF(ctx, env)
	if len(st.Errors) == 0 {
		st.Errors = nil
	}
	if _, err := env.AddJSON(snapshot.KernelStateEntry, st); err != nil {
		return err
	}
	n, err := copyKmsg(ctx, env, env.DevRoot+"/kmsg")
	if err != nil {
		env.Missing(env.DevRoot+"/kmsg", nil, err)
	}
	env.Note("tainted %d %v, %d modules, %d sysctls, %d eBPF programs, %d maps, %d pinned, %d kmsg records",
		st.Tainted, st.TaintedFlags, len(st.Modules), len(st.Sysctls), len(st.BPF.Programs), len(st.BPF.Maps), len(st.BPF.Pinned), n)
	return nil
}

// parseProcModules reads /proc/modules lines: "name size refcount deps
// state address [taint]" (deps "-" or "a,b,"; proc(5), kernel/module/procfs.c).
func parseProcModules(b []byte) ([]snapshot.KernelModule, []string) {
	var out []snapshot.KernelModule
	var bad []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			if len(f) > 0 {
				bad = append(bad, fmt.Sprintf("modules line %d: %d fields", line, len(f)))
			}
			continue
		}
		m := snapshot.KernelModule{Name: f[0], State: f[4]}
		var err1, err2 error
		m.Size, err1 = strconv.ParseInt(f[1], 10, 64)
		m.RefCount, err2 = strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			bad = append(bad, fmt.Sprintf("modules line %d: bad size or refcount", line))
			continue
		}
		if f[3] != "-" {
			for _, d := range strings.Split(strings.TrimSuffix(f[3], ","), ",") {
				if d != "" {
					m.UsedBy = append(m.UsedBy, d)
				}
			}
		}
		if len(f) > 6 && strings.HasPrefix(f[6], "(") {
			m.Taint = strings.Trim(f[6], "()")
		}
		out = append(out, m)
		if len(out) >= maxModules {
			bad = append(bad, fmt.Sprintf("more than %d modules: the rest left out", maxModules))
			break
		}
	}
	return out, bad
}

// parseModulesDep maps a module name to its file (modules.dep lines
// "kernel/fs/x.ko.zst: deps"; a name's '-' reads as '_').
func parseModulesDep(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		file, _, ok := strings.Cut(sc.Text(), ":")
		if !ok || file == "" {
			continue
		}
		base := filepath.Base(file)
		name, _, _ := strings.Cut(base, ".ko")
		out[strings.ReplaceAll(name, "-", "_")] = file
	}
	return out
}

func readModules(ctx context.Context, env *Env, st *snapshot.KernelState) []snapshot.KernelModule {
	b, _, err := ReadSmall(ctx, env.ProcRoot+"/modules", 4<<20)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			st.Errors["modules"] = err.Error()
		}
		return []snapshot.KernelModule{} // a kernel without loadable modules has no /proc/modules
	}
	mods, bad := parseProcModules(b)
	for _, x := range bad {
		env.Errorf(env.ProcRoot+"/modules", "%s", x)
	}
	release := ""
	if r, _, err := ReadSmall(ctx, env.ProcRoot+"/sys/kernel/osrelease", 256); err == nil {
		release = strings.TrimSpace(string(r))
	}
	modDir := filepath.Join(env.HostPath("/lib/modules"), release)
	dep := map[string]string{}
	if d, _, err := ReadSmall(ctx, filepath.Join(modDir, "modules.dep"), 16<<20); err == nil {
		dep = parseModulesDep(d)
	} else {
		st.Errors["modules.dep"] = err.Error()
	}
	for i := range mods {
		m := &mods[i]
		if ctx.Err() != nil {
			m.Error = "not read: deadline"
			continue
		}
		sys := filepath.Join(env.SysRoot, "module", m.Name)
		small := func(name string) string {
			v, _, err := ReadSmall(ctx, filepath.Join(sys, name), 4096)
			if err != nil {
				return ""
			}
			return strings.TrimSpace(string(v))
		}
		if t := small("taint"); t != "" {
			m.Taint = t
		}
		m.Version, m.SrcVersion = small("version"), small("srcversion")
		m.OutOfTree = strings.Contains(m.Taint, "O")
		m.Unsigned = strings.Contains(m.Taint, "E")
		if rel, ok := dep[m.Name]; ok {
			m.File = filepath.Join("/lib/modules", release, rel)
			sig := readModuleSignature(ctx, filepath.Join(modDir, rel))
			m.Signature = &sig
		} else {
			m.Error = "no file for it in modules.dep: loaded from elsewhere, or built for another kernel"
		}
	}
	return mods
}

func readBinfmt(ctx context.Context, env *Env, st *snapshot.KernelState) []snapshot.BinfmtEntry {
	dir := env.ProcRoot + "/sys/fs/binfmt_misc"
	names, err := readDirNames(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			st.Errors["binfmt_misc"] = err.Error()
		}
		return nil
	}
	sort.Strings(names)
	var out []snapshot.BinfmtEntry
	for _, n := range names {
		if n == "register" || n == "status" {
			continue
		}
		if len(out) >= maxBinfmt {
			st.Errors["binfmt_misc"] = fmt.Sprintf("more than %d entries: the rest left out", maxBinfmt)
			break
		}
		b, _, err := ReadSmall(ctx, dir+"/"+n, 4096)
		e := snapshot.BinfmtEntry{Name: n, Content: string(b)}
		if err != nil {
			e.Content = "unreadable: " + err.Error()
		}
		out = append(out, e)
	}
	return out
}

// copyKmsg reads the kernel ring buffer from /dev/kmsg, opened without
// blocking: each read(2) returns one record; EAGAIN says the buffer is
// exhausted; EPIPE says records were overwritten while reading (the read
// goes on from the next one). It is the kernel's own device, stat'ed
// first: anything but a character device is refused.
func copyKmsg(ctx context.Context, env *Env, path string) (int, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return 0, fmt.Errorf("%s is a %s, not the kernel's character device: %w", path, fileType(st.Mode), ErrNotRegular)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return 0, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var out bytes.Buffer
	buf := make([]byte, 16<<10)
	n, lost := 0, 0
	truncated := false
	for ctx.Err() == nil {
		k, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EAGAIN) {
			break
		}
		if errors.Is(err, unix.EPIPE) {
			lost++
			continue
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if k == 0 {
			break
		}
		if out.Len()+k > maxKmsg {
			truncated = true
			break
		}
		out.Write(buf[:k])
		if k > 0 && buf[k-1] != '\n' {
			out.WriteByte('\n')
		}
		n++
	}
	meta := bundle.EntryMeta{Name: snapshot.KmsgEntry, HostPath: path, ReadAt: env.Now().UTC(), Truncated: truncated,
		Note: fmt.Sprintf("%d records from /dev/kmsg", n)}
	if lost > 0 {
		meta.Note += fmt.Sprintf("; %d times records were overwritten while reading", lost)
	}
	if truncated {
		meta.Note += fmt.Sprintf("; cut at %d bytes", maxKmsg)
	}
	_, err = env.AddBytes(meta, out.Bytes())
	return n, err
}
