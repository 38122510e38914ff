package toolout

import (
	"io"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// SocketUser is one process holding a socket, as ss -p prints it.
type SocketUser struct {
	Comm string
	PID  int
	FD   int
}

// SSRow is one socket line of ss output.
type SSRow struct {
	Line, Offset int64
	// Netid is the socket kind as ss names it: tcp, udp, raw, u_str,
	// u_dgr, u_seq, nl, p_raw, … (from the column, or the caller's default
	// when the output has none, as with ss -t).
	Netid string
	State string // LISTEN, ESTAB, UNCONN, TIME-WAIT, …
	// Local and Peer are the address columns split at their last colon
	// (IPv6 brackets removed); for UNIX sockets Addr is the path ("*" when
	// unnamed, "@name" when abstract) and Port the socket's inode.
	LocalAddr, LocalPort string
	PeerAddr, PeerPort   string
	Users                []SocketUser // ss -p
	Inode                uint64       // ss -e ino:, or the UNIX socket's own inode
	UID                  int64        // ss -e uid:; -1 when absent
}

// IsUnix reports whether the row is a UNIX domain socket.
func (r SSRow) IsUnix() bool { return strings.HasPrefix(r.Netid, "u_") }

// ParseSS reads the output of ss (iproute2) with -a, -n, -p, -e, -o, -t,
// -u, -l in any combination. defaultNetid names the kind of every row when
// the output has no Netid column (ss -t: "tcp"; ss -u: "udp").
func ParseSS(r io.Reader, defaultNetid string) ([]SSRow, []Warning, error) {
	var out []SSRow
	var ws warnings
	header := false
	hasNetid := false
	err := eachLine(r, &ws, func(b []byte, n, off int64) bool {
		line := textio.Safe(b)
		if strings.TrimSpace(line) == "" {
			return true
		}
		if !header {
			f := splitFields(line)
			if len(f) == 0 || (f[0].s != "Netid" && f[0].s != "State" && f[0].s != "Recv-Q") {
				ws.add(n, off, "not an ss header: %s", quote(b))
				return false
			}
			header, hasNetid = true, f[0].s == "Netid"
			return true
		}
		if len(out) >= MaxRows {
			ws.add(n, off, "more than %d sockets: the rest is not read", MaxRows)
			return false
		}
		if line[0] == ' ' || line[0] == '\t' {
			// ss -e/-o/-i continuation lines (timers, tcp info): not read
			return true
		}
		row, msg := ssRow(line, hasNetid, defaultNetid)
		if msg == skipRow {
			return true
		}
		if msg != "" {
			ws.add(n, off, "%s: %s", msg, quote(b))
			return true
		}
		row.Line, row.Offset = n, off
		out = append(out, row)
		return true
	})
	if !header && err == nil && len(ws.list) == 0 {
		ws.add(0, 0, "empty ss output")
	}
	return out, ws.done(), err
}

// Socket kinds ss lists that Cordon does not model (netlink, packet,
// vsock, XDP, TIPC): their rows are skipped.
var notModelled = map[string]bool{"nl": true, "p_raw": true, "p_dgr": true, "v_str": true, "v_dgr": true, "xdp": true, "ti_st": true, "ti_dg": true, "ti_rd": true, "ti_sq": true}

const skipRow = "\x00skip"

func ssRow(line string, hasNetid bool, defaultNetid string) (SSRow, string) {
	row := SSRow{Netid: defaultNetid, UID: -1}
	// the process list ("users:((…))") may hold any bytes in a command
	// name: cut it off first
	if i := strings.Index(line, "users:(("); i >= 0 {
		users, rest, ok := cutUsers(line[i+len("users:(("):])
		if !ok {
			return row, "unreadable users:(( … )) list"
		}
		row.Users = users
		line = line[:i] + " " + rest
	}
	fs := splitFields(line)
	var toks []string
	for _, f := range fs {
		toks = append(toks, f.s)
	}
	if hasNetid {
		if len(toks) == 0 {
			return row, "empty"
		}
		row.Netid, toks = toks[0], toks[1:]
	}
	if notModelled[row.Netid] {
		return row, skipRow
	}
	if len(toks) < 5 {
		return row, "fewer than five columns"
	}
	row.State = toks[0]
	if _, ok := atoiOK(toks[1]); !ok {
		return row, "Recv-Q is not a number"
	}
	if _, ok := atoiOK(toks[2]); !ok {
		return row, "Send-Q is not a number"
	}
	toks = toks[3:]
	// the extras ss -e and -o add after the addresses: key:value tokens
	var addr []string
	for i, t := range toks {
		if i >= 2 && isSSExtra(t) {
			for _, x := range toks[i:] {
				ssExtra(&row, x)
			}
			break
		}
		addr = append(addr, t)
	}
	if strings.HasPrefix(row.Netid, "u_") {
		// path inode peer peer-inode; the path may hold spaces: read from the right
		if len(addr) < 4 {
			return row, "a UNIX socket needs path, inode, peer and peer inode"
		}
		k := len(addr)
		row.PeerAddr, row.PeerPort = addr[k-2], addr[k-1]
		row.LocalPort = addr[k-3]
		row.LocalAddr = strings.Join(addr[:k-3], " ")
		if ino, ok := atoiOK(row.LocalPort); ok {
			row.Inode = uint64(ino)
		}
		return row, ""
	}
	if len(addr) != 2 {
		return row, "not two addresses"
	}
	row.LocalAddr, row.LocalPort = splitHostPort(addr[0])
	row.PeerAddr, row.PeerPort = splitHostPort(addr[1])
	return row, ""
}

// isSSExtra reports whether a token is one of the details ss -e, -o and
// -m print after the addresses.
func isSSExtra(t string) bool {
	switch t {
	case "<->", "-->", "<--", "---":
		return true
	}
	for _, p := range []string{"ino:", "uid:", "sk:", "timer:(", "cgroup:", "v6only:", "dev:", "peers:", "fwmark:", "tos:", "class_id:", "skmem:("} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

func ssExtra(row *SSRow, t string) {
	k, v, ok := strings.Cut(t, ":")
	if !ok {
		return
	}
	switch k {
	case "ino":
		// a UNIX socket's ino: is the inode of its bound file, not of the socket
		if n, ok := atoiOK(v); ok && !row.IsUnix() {
			row.Inode = uint64(n)
		}
	case "uid":
		if n, ok := atoiOK(v); ok {
			row.UID = n
		}
	}
}

// cutUsers reads `("comm",pid=N,fd=M),("comm2",pid=…)))` after "users:((".
// A command name is a C string ss printed between double quotes, with no
// escaping: it ends at the first `",pid=`.
func cutUsers(s string) ([]SocketUser, string, bool) {
	var out []SocketUser
	for {
		if !strings.HasPrefix(s, `"`) {
			return nil, "", false
		}
		i := strings.Index(s[1:], `",pid=`) + 1 // after the opening quote
		if i < 1 {
			return nil, "", false
		}
		u := SocketUser{Comm: s[1:i], PID: -1, FD: -1}
		s = s[i+2:]
		j := strings.IndexByte(s, ')')
		if j < 0 {
			return nil, "", false
		}
		for _, kv := range strings.Split(s[:j], ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, ok := atoiOK(v)
			if !ok || n > 1<<31-1 {
				continue
			}
			switch k {
			case "pid":
				u.PID = int(n)
			case "fd":
				u.FD = int(n)
			}
		}
		if u.PID >= 0 && len(out) < 4096 {
			out = append(out, u)
		}
		s = s[j+1:]
		switch {
		case strings.HasPrefix(s, ",("):
			s = s[2:]
		case strings.HasPrefix(s, ")"):
			return out, s[1:], true
		default:
			return nil, "", false
		}
	}
}

// splitHostPort splits "0.0.0.0:22", "[::]:22", "[::ffff:1.2.3.4]:5432",
// "127.0.0.53%lo:53", "*:*", "*" at the last colon.
func splitHostPort(s string) (string, string) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, ""
	}
	host, port := s[:i], s[i+1:]
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return host, port
}

// PortNumber reads a port column: a number, or 0 for "*".
func PortNumber(s string) (int, bool) {
	if s == "*" || s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return 0, false
	}
	return n, true
}
