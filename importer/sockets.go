package importer

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/formats/toolout"
)

// ssStates maps ss's state names to the kernel's, as cordon-collect
// writes them (include/net/tcp_states.h).
var ssStates = map[string]string{"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV",
	"FIN-WAIT-1": "FIN_WAIT1", "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT", "CLOSE-WAIT": "CLOSE_WAIT",
	"LAST-ACK": "LAST_ACK", "LISTEN": "LISTEN", "CLOSING": "CLOSING", "UNCONN": "UNCONN", "CLOSE": "CLOSE"}

// sockets turns the best socket listing into Cordon's records: one ss
// listing of every socket with processes (-anp, -anepo), else ss's TCP and
// UDP listings, else netstat -anp, else lsof's internet sockets. The
// holders of a socket are those ss or netstat name, and those whose fd
// links (ls -l /proc/PID/fd) point at its inode.
func (r *run) sockets(starts map[int]uint64) []snapshot.Socket {
	var out []snapshot.Socket
	hold := func(s *snapshot.Socket, pid, fd int, comm string) {
		for _, h := range s.Holders {
			if h.PID == pid && h.FD == fd {
				return
			}
		}
		s.Holders = append(s.Holders, snapshot.Holder{PID: pid, FD: fd, Comm: comm, StartTicks: starts[pid]})
	}
	fdHolders := func(s *snapshot.Socket) {
		if s.Inode == 0 {
			return
		}
		for _, h := range r.procs.holders[s.Inode] {
			hold(s, h.pid, h.fd, r.commOf(h.pid))
		}
	}
	if ls := r.chooseSS(); len(ls) > 0 {
		for _, l := range ls {
			for _, row := range l.rows {
				s, ok := ssSocket(row, l.at)
				if !ok {
					continue
				}
				for _, u := range row.Users {
					hold(&s, u.PID, u.FD, u.Comm)
				}
				fdHolders(&s)
				out = append(out, s)
			}
		}
		return out
	}
	if l := r.chooseNetstat(); l != nil {
		for _, row := range l.rows {
			s, ok := netstatSocket(row, l.at)
			if !ok {
				continue
			}
			if row.PID > 0 {
				hold(&s, row.PID, -1, row.Program)
			}
			fdHolders(&s)
			out = append(out, s)
		}
		return out
	}
	for _, l := range r.net.lsof {
		for _, row := range l.rows {
			if s, ok := lsofSocket(row, l.at); ok {
				fd, _ := lsofFD(row.FD)
				hold(&s, row.PID, fd, row.Command)
				out = append(out, s)
			}
		}
	}
	return out
}

func (r *run) commOf(pid int) string {
	if st, ok := r.procs.stat[pid]; ok {
		return st.Comm
	}
	if s, ok := r.procs.status[pid]; ok {
		return s.Name
	}
	return r.procs.comm[pid]
}

// chooseSS picks the ss listings to read: the first numeric one of every
// socket kind with processes, else numeric TCP and UDP ones.
func (r *run) chooseSS() []ssListing {
	numeric := func(l ssListing) (all, proc bool, ok bool) {
		opts := l.name
		if i := strings.LastIndex(opts, "-"); i >= 0 {
			opts = opts[i+1:]
		}
		opts = strings.TrimSuffix(opts, ".txt")
		return !strings.ContainsAny(opts, "tu"), strings.Contains(opts, "p"), strings.Contains(opts, "n")
	}
	for _, l := range r.net.ss {
		if all, proc, num := numeric(l); all && proc && num {
			return []ssListing{l}
		}
	}
	var out []ssListing
	seen := map[string]bool{}
	for _, l := range r.net.ss {
		all, proc, num := numeric(l)
		if all || !num || !proc || strings.Contains(l.name, "l") && !strings.Contains(l.name, "a") {
			continue
		}
		kind := "t"
		if strings.Contains(strings.TrimSuffix(l.name, ".txt"), "u") {
			kind = "u"
		}
		if !seen[kind] {
			seen[kind] = true
			out = append(out, l)
		}
	}
	return out
}

func (r *run) chooseNetstat() *netstatListing {
	for i := range r.net.netstat {
		if strings.Contains(r.net.netstat[i].name, "p") {
			return &r.net.netstat[i]
		}
	}
	if len(r.net.netstat) > 0 {
		return &r.net.netstat[0]
	}
	return nil
}

func ssSocket(row toolout.SSRow, at time.Time) (snapshot.Socket, bool) {
	s := snapshot.Socket{State: row.State, Inode: row.Inode, Line: int(row.Line), ObservedAt: at.UTC()}
	if st, ok := ssStates[row.State]; ok {
		s.State = st
	}
	if row.UID >= 0 && row.UID <= 1<<32-1 {
		s.UID = uint32(row.UID)
	}
	if row.IsUnix() {
		s.Transport, s.Family, s.File = "unix", "unix", "unix"
		kind := map[string]string{"u_str": "stream", "u_dgr": "dgram", "u_seq": "seqpacket"}[row.Netid]
		s.Listening = row.State == "LISTEN"
		s.State = map[string]string{"ESTAB": "CONNECTED", "LISTEN": "LISTEN", "UNCONN": "UNCONNECTED"}[row.State]
		if s.State == "" {
			s.State = row.State
		}
		if kind != "" {
			s.State += " " + kind
		}
		if row.LocalAddr != "*" {
			s.Path = row.LocalAddr
		}
		return s, true
	}
	switch row.Netid {
	case "tcp", "udp", "raw":
		s.Transport = row.Netid
	case "mptcp":
		s.Transport = "tcp"
	default:
		return s, false
	}
	lip, lok := parseIP(row.LocalAddr)
	rip, _ := parseIP(row.PeerAddr)
	s.LocalIP, s.RemoteIP = lip, rip
	s.LocalPort, _ = toolout.PortNumber(row.LocalPort)
	s.RemotePort, _ = toolout.PortNumber(row.PeerPort)
	s.Family = familyOf(lip)
	s.File = s.Transport
	if s.Family == "ipv6" {
		s.File += "6"
	}
	switch s.Transport {
	case "tcp":
		s.Listening = s.State == "LISTEN"
	default:
		s.Listening = row.PeerAddr == "*" || rip == "" || isUnspecified(rip)
	}
	s.AllInterfaces = s.Listening && lok && isUnspecified(lip)
	return s, true
}

func netstatSocket(row toolout.NetstatRow, at time.Time) (snapshot.Socket, bool) {
	s := snapshot.Socket{State: row.State, Inode: row.Inode, Line: int(row.Line), ObservedAt: at.UTC()}
	if uid, err := strconv.ParseUint(row.User, 10, 32); err == nil {
		s.UID = uint32(uid)
	}
	if row.Proto == "unix" {
		s.Transport, s.Family, s.File, s.Path = "unix", "unix", "unix", row.LocalAddr
		s.Listening = row.State == "LISTENING"
		if s.Listening {
			s.State = "LISTEN"
		}
		return s, true
	}
	t := strings.TrimSuffix(row.Proto, "6")
	if t != "tcp" && t != "udp" && t != "raw" {
		return s, false
	}
	s.Transport, s.File = t, row.Proto
	lip, lok := parseIP(row.LocalAddr)
	rip, _ := parseIP(row.ForeignAddr)
	s.LocalIP, s.RemoteIP = lip, rip
	s.LocalPort, _ = toolout.PortNumber(row.LocalPort)
	s.RemotePort, _ = toolout.PortNumber(row.ForeignPort)
	s.Family = familyOf(lip)
	if t == "tcp" {
		s.Listening = row.State == "LISTEN"
	} else {
		s.Listening = rip == "" || isUnspecified(rip)
		if s.State == "" {
			s.State = "UNCONN"
		}
	}
	s.AllInterfaces = s.Listening && lok && isUnspecified(lip)
	return s, true
}

// lsofSocket reads an internet socket line of lsof: NAME is
// "10.0.0.1:5432->10.0.0.2:41822 (ESTABLISHED)" or "*:22 (LISTEN)".
func lsofSocket(row toolout.LsofRow, at time.Time) (snapshot.Socket, bool) {
	if row.Type != "IPv4" && row.Type != "IPv6" || (row.Node != "TCP" && row.Node != "UDP") {
		return snapshot.Socket{}, false
	}
	s := snapshot.Socket{Transport: strings.ToLower(row.Node), Line: int(row.Line), ObservedAt: at.UTC()}
	name, state, _ := strings.Cut(row.Name, " (")
	s.State = strings.TrimSuffix(state, ")")
	local, remote, _ := strings.Cut(name, "->")
	var la, lp, ra, rp string
	if i := strings.LastIndexByte(local, ':'); i >= 0 {
		la, lp = strings.Trim(local[:i], "[]"), local[i+1:]
	}
	if i := strings.LastIndexByte(remote, ':'); i >= 0 {
		ra, rp = strings.Trim(remote[:i], "[]"), remote[i+1:]
	}
	if la == "*" {
		la = "0.0.0.0"
		if row.Type == "IPv6" {
			la = "::"
		}
	}
	s.LocalIP, _ = parseIP(la)
	s.RemoteIP, _ = parseIP(ra)
	s.LocalPort, _ = toolout.PortNumber(lp)
	s.RemotePort, _ = toolout.PortNumber(rp)
	s.Family = "ipv4"
	if row.Type == "IPv6" {
		s.Family = "ipv6"
	}
	s.File = s.Transport
	if s.Family == "ipv6" {
		s.File += "6"
	}
	if s.Transport == "tcp" {
		s.Listening = s.State == "LISTEN"
	} else {
		s.Listening = remote == ""
		s.State = "UNCONN"
	}
	s.AllInterfaces = s.Listening && isUnspecified(s.LocalIP)
	return s, true
}

// parseIP reads an address column: an IP (an IPv4-mapped one unmapped, a
// zone "%lo" dropped), "*" as the unspecified address.
func parseIP(s string) (string, bool) {
	if s == "*" {
		return "0.0.0.0", true
	}
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return s, false
	}
	return a.Unmap().String(), true
}

func familyOf(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() {
		return "ipv6"
	}
	return "ipv4"
}

func isUnspecified(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && a.IsUnspecified()
}
