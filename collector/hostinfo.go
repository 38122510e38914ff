package collector

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"syscall"
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
		Help:    "interfaces and addresses, routes, ARP and IPv6 neighbour cache, interface counters (the collector's network namespace)",
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
	rib, err := syscall.NetlinkRIB(syscall.RTM_GETNEIGH, syscall.AF_UNSPEC)
	if err != nil {
		env.Missing("netlink:RTM_GETNEIGH", nil, fmt.Errorf("neighbour cache: %w", err))
		return nil
	}
	if _, err := env.AddBytes(bundle.EntryMeta{Name: "host/netlink/neighbours.bin", HostPath: "netlink:RTM_GETNEIGH", ReadAt: env.Now().UTC(),
		Note: "raw netlink dump (struct nlmsghdr + struct ndmsg + attributes, host byte order), parsed in " + NeighboursEntry}, rib); err != nil {
		return err
	}
	neigh, bad := ParseNeighbours(rib)
	for _, b := range bad {
		env.Errorf("netlink:RTM_GETNEIGH", "%s", b)
	}
	if _, err := env.AddJSON(NeighboursEntry, neigh); err != nil {
		return err
	}
	env.Note("%d neighbour entries (ARP and IPv6)", len(neigh))
	return nil
}

// NeighboursEntry holds the neighbour cache (IPv4 ARP and IPv6 NDP) as JSON.
const NeighboursEntry = "host/neighbours.json"

// Neighbour is one neighbour cache entry (ip neigh).
type Neighbour struct {
	IfIndex int    `json:"ifindex"`
	IP      string `json:"ip"`
	MAC     string `json:"mac,omitempty"`
	State   string `json:"state"`
}

// ParseNeighbours reads an RTM_GETNEIGH dump (rtnetlink(7): struct ndmsg
// then NDA_* attributes).
func ParseNeighbours(rib []byte) ([]Neighbour, []string) {
	out := []Neighbour{}
	var bad []string
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return out, []string{fmt.Sprintf("netlink dump: %v", err)}
	}
	for i, m := range msgs {
		if m.Header.Type != syscall.RTM_NEWNEIGH {
			continue
		}
		if len(m.Data) < 12 {
			bad = append(bad, fmt.Sprintf("message %d: %d bytes, want at least 12", i, len(m.Data)))
			continue
		}
		n := Neighbour{IfIndex: int(int32(binary.NativeEndian.Uint32(m.Data[4:]))), State: nudState(binary.NativeEndian.Uint16(m.Data[8:]))}
		// struct rtattr {len, type uint16} + value, each 4-byte aligned;
		// syscall.ParseNetlinkRouteAttr does not know RTM_NEWNEIGH.
		for b := m.Data[12:]; len(b) >= 4; {
			l, typ := int(binary.NativeEndian.Uint16(b)), binary.NativeEndian.Uint16(b[2:])
			if l < 4 || l > len(b) {
				bad = append(bad, fmt.Sprintf("message %d: attribute length %d of %d bytes left", i, l, len(b)))
				break
			}
			v := b[4:l]
			switch typ {
			case 1: // NDA_DST
				if ip, ok := netip.AddrFromSlice(v); ok {
					n.IP = ip.String()
				}
			case 2: // NDA_LLADDR
				n.MAC = net.HardwareAddr(v).String()
			}
			b = b[min((l+3)&^3, len(b)):]
		}
		out = append(out, n)
	}
	return out, bad
}

// nudState names the NUD_* bits (include/uapi/linux/neighbour.h).
func nudState(s uint16) string {
	names := []string{"INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP", "PERMANENT"}
	var parts []string
	for i, n := range names {
		if s&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "NONE"
	}
	return strings.Join(parts, "|")
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
	boot := "unknown"
	if !facts.BootTime.IsZero() {
		boot = facts.BootTime.Format(time.RFC3339)
	}
	env.Note("host %q, kernel %q, boot %s, time zone %q; %d facts not read", facts.Hostname, facts.Kernel, boot, facts.TimeZone, len(facts.Errors))
	if len(facts.Errors) > 0 {
		for k, v := range facts.Errors {
			if !strings.HasPrefix(v, notLive) { // on a disk image that is expected, not a failure
				env.Errorf("", "host fact %s: %s", k, v)
			}
		}
	}
	return nil
}

const notLive = "not a live host (--root)"

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
		if bt, err := bootTime(); err != nil {
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
			f.Errors[k] = notLive + ": the running kernel's value does not apply"
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
