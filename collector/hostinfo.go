package collector

import (
	"context"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

func init() {
	Register(Source{
		Name:    "netstate",
		Order:   10,
		Live:    true,
		Budget:  30 * time.Second,
		Help:    "interfaces and addresses, routes, ARP cache, interface counters (the collector's network namespace)",
		Collect: collectNetState,
	})
	Register(Source{
		Name:    "hostinfo",
		Order:   30,
		Budget:  30 * time.Second,
		Help:    "host facts (hostname, machine-id, boot id, kernel, boot time, time zone), mounts, kernel modules, utmp",
		Collect: collectHostInfo,
	})
}

// netStateFiles are the kernel's network tables copied raw (proc(5)).
var netStateFiles = []string{"/proc/net/route", "/proc/net/ipv6_route", "/proc/net/arp", "/proc/net/if_inet6", "/proc/net/dev", "/proc/net/snmp"}

// hostInfoFiles are live-kernel files copied raw by hostinfo.
var hostInfoFiles = []string{"/proc/self/mountinfo", "/proc/modules", "/proc/version", "/proc/cmdline", "/proc/sys/kernel/tainted", "/proc/uptime", "/proc/stat"}

func collectNetState(ctx context.Context, env *Env) error {
	for _, p := range netStateFiles {
		if err := copyProcFileRaw(ctx, env, p); err != nil {
			return err
		}
	}
	ifs, err := net.Interfaces()
	if err != nil {
		env.Missing("netlink:RTM_GETLINK", nil, fmt.Errorf("listing interfaces: %w", err))
	} else {
		out := make([]snapshot.Interface, 0, len(ifs))
		for _, i := range ifs {
			x := snapshot.Interface{Index: i.Index, Name: i.Name, MTU: i.MTU, Flags: i.Flags.String(), MAC: i.HardwareAddr.String(), Addresses: []string{}}
			addrs, err := i.Addrs()
			if err != nil {
				x.Error = err.Error()
			}
			for _, a := range addrs {
				x.Addresses = append(x.Addresses, a.String())
			}
			out = append(out, x)
		}
		if _, err := env.AddJSON(snapshot.InterfacesEntry, out); err != nil {
			return err
		}
	}
	env.Note("IPv6 neighbours need netlink RTM_GETNEIGH: not collected")
	return nil
}

// copyProcFileRaw copies a /proc file whose size stat cannot tell.
func copyProcFileRaw(ctx context.Context, env *Env, p string) error {
	const max = 32 << 20
	data, cut, err := ReadSmall(ctx, p, max)
	if err != nil {
		env.Missing(p, nil, err)
		return nil
	}
	meta := bundle.EntryMeta{Name: bundle.NameFor("host", p), HostPath: p, ReadAt: env.Now().UTC(), Truncated: cut}
	if cut {
		meta.Note = fmt.Sprintf("cut at %d bytes", max)
	}
	_, err = env.AddBytes(meta, data)
	return err
}

func collectHostInfo(ctx context.Context, env *Env) error {
	facts := readHostFacts(ctx, env)
	if _, err := env.AddJSON(snapshot.HostFactsEntry, facts); err != nil {
		return err
	}
	if env.Live {
		for _, p := range hostInfoFiles {
			if err := copyProcFileRaw(ctx, env, p); err != nil {
				return err
			}
		}
	}
	// utmp holds who is logged in now (formats/utmp parses it). /var/run
	// is usually a link to /run: the second path is copied only when it is
	// another file.
	var first *bundle.FileInfo
	for _, p := range []string{"/run/utmp", "/var/run/utmp"} {
		info, err := Stat(env.HostPath(p))
		if err != nil {
			continue
		}
		if first != nil && first.Inode == info.Inode && first.Dev == info.Dev {
			continue
		}
		first = info
		if _, _, err := env.CopyFile(ctx, p, bundle.NameFor("host", p), 64<<20); err != nil {
			return err
		}
	}
	if first == nil {
		env.Missing("/run/utmp", nil, fmt.Errorf("neither /run/utmp nor /var/run/utmp exists"))
	}
	if len(facts.Errors) > 0 {
		for k, v := range facts.Errors {
			env.Errorf("", "host fact %s: %s", k, v)
		}
	}
	return nil
}

// readHostFacts reads the host facts; what it cannot read goes in Errors.
func readHostFacts(ctx context.Context, env *Env) snapshot.HostFacts {
	f := snapshot.HostFacts{ClockTicks: clockTicks, ReadAt: time.Now().UTC(), Errors: map[string]string{}}
	small := func(field, path string, live bool) string {
		var b []byte
		var err error
		if live {
			b, _, err = ReadSmall(ctx, path, 4096)
		} else {
			b, err = readHostFile(ctx, env, path, 4096)
		}
		if err != nil {
			f.Errors[field] = err.Error()
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	if env.Live {
		f.Hostname = small("hostname", env.ProcRoot+"/sys/kernel/hostname", true)
		f.BootID = small("boot_id", env.ProcRoot+"/sys/kernel/random/boot_id", true)
		f.Kernel = small("kernel", env.ProcRoot+"/sys/kernel/osrelease", true)
		f.KernelVersion = small("kernel_version", env.ProcRoot+"/sys/kernel/version", true)
		if bt, err := bootTime(env); err != nil {
			f.Errors["boot_time"] = err.Error()
		} else {
			f.BootTime = bt
			f.UptimeSeconds = f.ReadAt.Sub(bt).Seconds()
		}
		if b, _, err := ReadSmall(ctx, env.ProcRoot+"/stat", 1<<20); err != nil {
			f.Errors["boot_time_stat"] = err.Error()
		} else {
			for _, l := range strings.Split(string(b), "\n") {
				var sec int64
				if _, err := fmt.Sscanf(l, "btime %d", &sec); err == nil {
					f.BootTimeStat = time.Unix(sec, 0).UTC()
				}
			}
		}
	} else {
		f.Hostname = small("hostname", "/etc/hostname", false)
		for _, k := range []string{"boot_id", "kernel", "boot_time"} {
			f.Errors[k] = "not a live host (--root): the running kernel's value does not apply"
		}
	}
	f.MachineID = small("machine_id", "/etc/machine-id", false)
	if f.MachineID == "" {
		if id := small("machine_id_dbus", "/var/lib/dbus/machine-id", false); id != "" {
			f.MachineID = id
			delete(f.Errors, "machine_id")
		}
	}
	f.TimeZone = timeZone(ctx, env, &f)
	if len(f.Errors) == 0 {
		f.Errors = nil
	}
	return f
}

// timeZone reads the host's zone name from /etc/timezone (Debian) or the
// /etc/localtime link target (".../zoneinfo/Europe/Paris").
func timeZone(ctx context.Context, env *Env, f *snapshot.HostFacts) string {
	b, err := readHostFile(ctx, env, "/etc/timezone", 4096)
	if err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b))
	}
	l, lerr := os.Readlink(env.HostPath("/etc/localtime"))
	if lerr == nil {
		if i := strings.Index(l, "zoneinfo/"); i >= 0 {
			return l[i+len("zoneinfo/"):]
		}
	}
	f.Errors["time_zone"] = fmt.Sprintf("/etc/timezone: %v; /etc/localtime: %v", err, lerr)
	return ""
}

// ReadHostFacts returns the host facts custody needs (the clocks are set
// by the caller). It never writes: env's Sink may be nil.
func ReadHostFacts(env *Env) bundle.HostFacts {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := readHostFacts(ctx, env)
	h := bundle.HostFacts{Hostname: f.Hostname, MachineID: f.MachineID, BootID: f.BootID, Kernel: f.Kernel, BootTime: f.BootTime, TimeZone: f.TimeZone}
	for k, v := range f.Errors {
		h.Errors = append(h.Errors, k+": "+v)
	}
	sort.Strings(h.Errors)
	return h
}
