package collector

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

func init() {
	Register(Source{
		Name:    "sockets",
		Order:   10,
		Live:    true,
		Budget:  60 * time.Second,
		Help:    "TCP, UDP, raw and UNIX sockets of every network namespace, joined to the processes and fds holding them",
		Collect: collectSockets,
	})
}

// netFiles are the /proc/PID/net tables read per network namespace (proc(5)).
var netFiles = []string{"tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix"}

const maxNetFile = 64 << 20

// netnsInfo is one network namespace: its inode and the processes in it.
type netnsInfo struct {
	Inode  uint64 `json:"inode"`
	PIDs   []int  `json:"pids"`
	Reader int    `json:"read_through_pid,omitempty"`
	Error  string `json:"error,omitempty"`
}

func collectSockets(ctx context.Context, env *Env) error {
	pids, err := listPIDs(env.ProcRoot)
	if err != nil {
		return fmt.Errorf("listing %s: %w", env.ProcRoot, err)
	}
	holders := map[uint64][]snapshot.Holder{}
	nsByInode := map[uint64]*netnsInfo{}
	var nsOrder []uint64
	fdErrors := 0
	var firstFDErr error
	for _, pid := range pids {
		if ctx.Err() != nil {
			env.Errorf(env.ProcRoot, "socket owners cut by the deadline")
			break
		}
		st, err := readStat(ctx, env, pid)
		if err != nil {
			continue // vanished; recorded by the processes source
		}
		if l, err := os.Readlink(env.procPath(pid, "ns", "net")); err == nil {
			if ino, err := nsInode(l); err == nil {
				ns := nsByInode[ino]
				if ns == nil {
					ns = &netnsInfo{Inode: ino}
					nsByInode[ino] = ns
					nsOrder = append(nsOrder, ino)
				}
				ns.PIDs = append(ns.PIDs, pid)
			}
		}
		fdDir := env.procPath(pid, "fd")
		names, err := readDirNames(fdDir)
		if err != nil {
			if !gone(err) {
				fdErrors++
				if fdErrors == 1 {
					firstFDErr = err
				}
			}
			continue
		}
		for _, n := range names {
			l, err := os.Readlink(fdDir + "/" + n)
			if err != nil || !strings.HasPrefix(l, "socket:[") {
				continue
			}
			ino, err := nsInode(l)
			fd, ferr := strconv.Atoi(n)
			if err != nil || ferr != nil {
				continue
			}
			holders[ino] = append(holders[ino], snapshot.Holder{PID: pid, FD: fd, Comm: st.Comm, StartTicks: st.StartTicks})
		}
	}
	if fdErrors > 0 {
		env.Errorf(env.ProcRoot, "the fds of %d processes could not be read, so their sockets have no owner (first: %v)", fdErrors, firstFDErr)
	}
	if len(nsOrder) == 0 {
		// No process's namespace readable: read our own view.
		nsOrder = append(nsOrder, 0)
		nsByInode[0] = &netnsInfo{Error: "no process's network namespace could be read: /proc/net of the collector's own namespace"}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	total, listening := 0, 0
	for _, ino := range nsOrder {
		ns := nsByInode[ino]
		readers := ns.PIDs
		if ino == 0 {
			readers = []int{0}
		}
		for _, file := range netFiles {
			if ctx.Err() != nil {
				break
			}
			data, pid, hostPath, err := readNetFile(ctx, env, readers, file)
			if err != nil {
				env.Missing(hostPath, nil, fmt.Errorf("network namespace %d: %w", ino, err))
				continue
			}
			ns.Reader = pid
			observed := env.Now().UTC()
			name := snapshot.NetNSEntry(uint64(ino), file)
			meta := bundle.EntryMeta{Name: name, HostPath: hostPath, ReadAt: env.Now().UTC()}
			if len(data) == maxNetFile {
				meta.Truncated = true
				meta.Note = fmt.Sprintf("cut at %d bytes", maxNetFile)
			}
			if _, err := env.AddBytes(meta, data); err != nil {
				return err
			}
			socks, bad := ParseNetFile(file, data)
			for _, b := range bad {
				env.Errorf(hostPath, "%s", b)
			}
			for _, s := range socks {
				s.NetNS = ino
				s.ObservedAt = observed
				s.Holders = holders[s.Inode]
				if s.Listening {
					listening++
				}
				total++
				if err := enc.Encode(s); err != nil {
					return err
				}
			}
		}
	}
	if _, err := env.AddBytes(bundle.EntryMeta{Name: snapshot.SocketsEntry, ReadAt: env.Now().UTC()}, buf.Bytes()); err != nil {
		return err
	}
	nsList := make([]*netnsInfo, 0, len(nsOrder))
	for _, ino := range nsOrder {
		nsList = append(nsList, nsByInode[ino])
	}
	if _, err := env.AddJSON("net/namespaces.json", nsList); err != nil {
		return err
	}
	env.Note("%d sockets (%d listening) in %d network namespaces; fds of %d processes unreadable", total, listening, len(nsOrder), fdErrors)
	return nil
}

// readNetFile reads /proc/PID/net/FILE through the first process of the
// namespace that is still there (pid 0: /proc/net, our own namespace).
func readNetFile(ctx context.Context, env *Env, pids []int, file string) ([]byte, int, string, error) {
	var last error
	hostPath := ""
	for i, pid := range pids {
		if i >= 16 {
			break
		}
		hostPath = env.ProcRoot + "/net/" + file
		if pid != 0 {
			hostPath = env.procPath(pid, "net", file)
		}
		data, _, err := ReadSmall(ctx, hostPath, maxNetFile)
		if err == nil {
			return data, pid, hostPath, nil
		}
		last = err
		if !gone(err) {
			break
		}
	}
	return nil, 0, hostPath, last
}

// tcpStates are the kernel's TCP states (include/net/tcp_states.h).
var tcpStates = map[uint64]string{
	1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
	7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV",
}

// ParseNetFile parses one /proc/net table (tcp, tcp6, udp, udp6, raw, raw6
// or unix; formats in proc(5) and net/ipv4/tcp_ipv4.c get_tcp4_sock). Rows
// it cannot read are returned as messages with their line.
func ParseNetFile(file string, data []byte) ([]snapshot.Socket, []string) {
	var out []snapshot.Socket
	var bad []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // header
		}
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		var s snapshot.Socket
		var err error
		if file == "unix" {
			s, err = parseUnixRow(text)
		} else {
			s, err = parseInetRow(file, text)
		}
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s line %d: %v", file, line, err))
			continue
		}
		s.File, s.Line = file, line
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		bad = append(bad, fmt.Sprintf("%s after line %d: %v", file, line, err))
	}
	return out, bad
}

func parseInetRow(file, text string) (snapshot.Socket, error) {
	var s snapshot.Socket
	f := strings.Fields(text)
	if len(f) < 10 {
		return s, fmt.Errorf("%d fields, want at least 10", len(f))
	}
	s.Transport = strings.TrimSuffix(file, "6")
	s.Family = "ipv4"
	if strings.HasSuffix(file, "6") {
		s.Family = "ipv6"
	}
	var err error
	var lip, rip netip.Addr
	if lip, s.LocalPort, err = parseHexAddr(f[1]); err != nil {
		return s, fmt.Errorf("local address: %w", err)
	}
	if rip, s.RemotePort, err = parseHexAddr(f[2]); err != nil {
		return s, fmt.Errorf("remote address: %w", err)
	}
	s.LocalIP, s.RemoteIP = lip.String(), rip.String()
	st, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return s, fmt.Errorf("state %q: %w", f[3], err)
	}
	uid, err := strconv.ParseUint(f[7], 10, 32)
	if err != nil {
		return s, fmt.Errorf("uid %q: %w", f[7], err)
	}
	s.UID = uint32(uid)
	if s.Inode, err = strconv.ParseUint(f[9], 10, 64); err != nil {
		return s, fmt.Errorf("inode %q: %w", f[9], err)
	}
	s.State = tcpStates[st]
	if s.State == "" {
		s.State = fmt.Sprintf("0x%02X", st)
	}
	switch s.Transport {
	case "tcp":
		s.Listening = st == 10
	default:
		// UDP and raw sockets: unconnected (no remote) means receiving from anyone.
		s.Listening = !rip.IsValid() || rip.IsUnspecified()
		if s.Transport == "udp" && s.State == "CLOSE" {
			s.State = "UNCONN"
		}
	}
	s.AllInterfaces = s.Listening && lip.IsUnspecified()
	return s, nil
}

// parseHexAddr reads "0100007F:0CEA": the address as the kernel's 32-bit
// words printed in host byte order (%08X of each __be32 word), then the port.
func parseHexAddr(s string) (netip.Addr, int, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.Addr{}, 0, fmt.Errorf("%q: no port", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("port %q: %w", p, err)
	}
	if len(a) != 8 && len(a) != 32 {
		return netip.Addr{}, 0, fmt.Errorf("address %q: want 8 or 32 hex digits", a)
	}
	raw := make([]byte, len(a)/2)
	for i := 0; i < len(a); i += 8 {
		w, err := strconv.ParseUint(a[i:i+8], 16, 32)
		if err != nil {
			return netip.Addr{}, 0, fmt.Errorf("address %q: %w", a, err)
		}
		binary.NativeEndian.PutUint32(raw[i/2:], uint32(w))
	}
	ip, _ := netip.AddrFromSlice(raw)
	return ip.Unmap(), int(port), nil
}

// parseUnixRow reads "Num RefCount Protocol Flags Type St Inode [Path]".
func parseUnixRow(text string) (snapshot.Socket, error) {
	s := snapshot.Socket{Transport: "unix", Family: "unix"}
	f := strings.Fields(text)
	if len(f) < 7 {
		return s, fmt.Errorf("%d fields, want at least 7", len(f))
	}
	flags, err1 := strconv.ParseUint(f[3], 16, 32)
	typ, err2 := strconv.ParseUint(f[4], 16, 16)
	st, err3 := strconv.ParseUint(f[5], 16, 8)
	ino, err4 := strconv.ParseUint(f[6], 10, 64)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return s, err
		}
	}
	s.Inode = ino
	const soAcceptCon = 0x10000 // __SO_ACCEPTCON: listen(2) was called
	s.Listening = flags&soAcceptCon != 0
	kinds := map[uint64]string{1: "stream", 2: "dgram", 5: "seqpacket"}
	states := map[uint64]string{0: "FREE", 1: "UNCONNECTED", 2: "CONNECTING", 3: "CONNECTED", 4: "DISCONNECTING"}
	s.State = states[st]
	if s.Listening {
		s.State = "LISTEN"
	}
	if k := kinds[typ]; k != "" {
		s.State += " " + k
	}
	if len(f) > 7 {
		// The path is the rest of the line (it may hold spaces).
		s.Path = afterFields(text, 7)
	}
	return s, nil
}

// afterFields returns text after its first n space-separated fields and
// the spaces that follow them.
func afterFields(text string, n int) string {
	i := 0
	for k := 0; k < n; k++ {
		for i < len(text) && text[i] == ' ' {
			i++
		}
		for i < len(text) && text[i] != ' ' {
			i++
		}
	}
	for i < len(text) && text[i] == ' ' {
		i++
	}
	return text[i:]
}
