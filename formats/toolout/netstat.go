package toolout

import (
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// NetstatRow is one socket line of net-tools netstat output.
type NetstatRow struct {
	Line, Offset int64
	Proto        string // tcp, tcp6, udp, udp6, raw, raw6, unix
	// LocalAddr/LocalPort and ForeignAddr/ForeignPort are the address
	// columns split at their last colon; for unix rows LocalAddr is the path.
	LocalAddr, LocalPort     string
	ForeignAddr, ForeignPort string
	State                    string
	User                     string // -e: a name or a UID
	Inode                    uint64 // -e (inet) or I-Node (unix)
	PID                      int    // -p: -1 when absent or "-"
	Program                  string // -p: the name after the PID
}

var netstatStates = map[string]bool{"ESTABLISHED": true, "SYN_SENT": true, "SYN_RECV": true, "FIN_WAIT1": true,
	"FIN_WAIT2": true, "TIME_WAIT": true, "CLOSE": true, "CLOSE_WAIT": true, "LAST_ACK": true, "LISTEN": true,
	"CLOSING": true, "UNKNOWN": true, "LISTENING": true, "CONNECTED": true, "CONNECTING": true, "DISCONNECTING": true, "FREE": true}

// ParseNetstat reads netstat -a[n][p][e][o][W] output (net-tools): the
// "Active Internet connections" and "Active UNIX domain sockets" sections,
// each with its header. Other sections (Bluetooth, …) are skipped, with a
// warning that says so. A program name with spaces ("postgres: walwriter")
// is read up to the timer (-o) or, in the UNIX section, up to the path: a
// name with a space there shifts into the path.
func ParseNetstat(r io.Reader) ([]NetstatRow, []Warning, error) {
	var out []NetstatRow
	var ws warnings
	section := ""
	var cols []string
	err := eachLine(r, &ws, func(b []byte, n, off int64) bool {
		line := textio.Safe(b)
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			return true
		case strings.HasPrefix(t, "Active Internet connections"):
			section, cols = "inet", nil
			return true
		case strings.HasPrefix(t, "Active UNIX domain sockets"):
			section, cols = "unix", nil
			return true
		case strings.HasPrefix(t, "Active "):
			section, cols = "other", nil
			ws.add(n, off, "section not read: %s", quote(b))
			return true
		case section == "" || section == "other":
			if section == "" {
				ws.add(n, off, "not in a netstat section: %s", quote(b))
			}
			return true
		case cols == nil:
			if !strings.HasPrefix(t, "Proto") {
				ws.add(n, off, "not a netstat header: %s", quote(b))
				section = "other"
				return true
			}
			cols = netstatColumns(t)
			return true
		}
		if len(out) >= MaxRows {
			ws.add(n, off, "more than %d sockets: the rest is not read", MaxRows)
			return false
		}
		var row NetstatRow
		var msg string
		if section == "unix" {
			row, msg = netstatUnix(line, cols)
		} else {
			row, msg = netstatInet(line, cols)
		}
		if msg != "" {
			ws.add(n, off, "%s: %s", msg, quote(b))
			return true
		}
		row.Line, row.Offset = n, off
		out = append(out, row)
		return true
	})
	return out, ws.done(), err
}

// netstatColumns names the columns of a header, joining the multi-word
// names ("Local Address", "PID/Program name").
func netstatColumns(h string) []string {
	h = strings.NewReplacer("Local Address", "Local_Address", "Foreign Address", "Foreign_Address",
		"PID/Program name", "PID/Program_name").Replace(h)
	return strings.Fields(h)
}

func has(cols []string, c string) bool {
	for _, x := range cols {
		if x == c {
			return true
		}
	}
	return false
}

func netstatPID(row *NetstatRow, s string) {
	row.PID = -1
	if s == "-" {
		return
	}
	p, prog, _ := strings.Cut(s, "/")
	if n, ok := atoiOK(p); ok && n <= 1<<31-1 {
		row.PID, row.Program = int(n), prog
	}
}

func netstatInet(line string, cols []string) (NetstatRow, string) {
	row := NetstatRow{PID: -1}
	f := strings.Fields(line)
	if len(f) < 5 {
		return row, "fewer than five columns"
	}
	row.Proto = f[0]
	row.LocalAddr, row.LocalPort = splitHostPort(f[3])
	row.ForeignAddr, row.ForeignPort = splitHostPort(f[4])
	f = f[5:]
	if has(cols, "State") && len(f) > 0 && netstatStates[f[0]] {
		row.State, f = f[0], f[1:]
	}
	if has(cols, "User") {
		if len(f) < 2 {
			return row, "no User and Inode"
		}
		row.User = f[0]
		if ino, ok := atoiOK(f[1]); ok {
			row.Inode = uint64(ino)
		}
		f = f[2:]
	}
	if has(cols, "Timer") {
		// "off (0.00/0/0)", "keepalive (7184.62/0/0)": the last two tokens
		if k := len(f); k >= 2 && strings.HasPrefix(f[k-1], "(") {
			f = f[:k-2]
		}
	}
	if has(cols, "PID/Program_name") && len(f) > 0 {
		netstatPID(&row, strings.Join(f, " "))
	}
	return row, ""
}

func netstatUnix(line string, cols []string) (NetstatRow, string) {
	row := NetstatRow{PID: -1, Proto: "unix"}
	fs := splitFields(line)
	if len(fs) < 4 {
		return row, "fewer than four columns"
	}
	i := 2
	if strings.HasPrefix(fs[i].s, "[") {
		for i < len(fs) && !strings.HasSuffix(fs[i].s, "]") {
			i++
		}
		i++
	}
	if i+1 >= len(fs) {
		return row, "no Type and I-Node"
	}
	i++ // Type
	if netstatStates[fs[i].s] {
		row.State = fs[i].s
		i++
	}
	if i >= len(fs) {
		return row, "no I-Node"
	}
	ino, ok := atoiOK(fs[i].s)
	if !ok {
		return row, "I-Node is not a number"
	}
	row.Inode = uint64(ino)
	i++
	if has(cols, "PID/Program_name") && i < len(fs) {
		netstatPID(&row, fs[i].s)
		i++
	}
	if i < len(fs) {
		row.LocalAddr = line[fs[i].start:]
	}
	return row, ""
}
