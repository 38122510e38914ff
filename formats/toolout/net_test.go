package toolout

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseSSReal(t *testing.T) {
	rows, ws, err := ParseSS(open(t, "uac-ss_-anp.txt"), "")
	if err != nil || len(ws) != 0 {
		t.Fatal(err, ws)
	}
	// 11 netlink rows skipped; 4 UNIX sockets and a TCP listener kept
	if len(rows) != 5 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	type want struct {
		netid, state, laddr, lport, paddr, pport string
		inode                                    uint64
		users                                    string
	}
	wants := []want{
		{"u_str", "ESTAB", "/tmp/scene-proto/w/pg/.s.PGSQL.5499", "161995", "*", "0", 161995, "mysql-scene/58/6"},
		{"u_str", "LISTEN", "/tmp/scene-proto/w/pg/.s.PGSQL.5499", "161975", "*", "0", 161975, "postgres/41/5"},
		{"u_str", "ESTAB", "*", "1515", "*", "1514", 1515, ""},
		{"u_str", "ESTAB", "*", "1514", "*", "1515", 1514, ""},
		{"tcp", "LISTEN", "0.0.0.0", "2024", "0.0.0.0", "*", 0, ""},
	}
	for i, w := range wants {
		r := rows[i]
		var us []string
		for _, u := range r.Users {
			us = append(us, strings.Join([]string{u.Comm, itoaT(u.PID), itoaT(u.FD)}, "/"))
		}
		got := want{r.Netid, r.State, r.LocalAddr, r.LocalPort, r.PeerAddr, r.PeerPort, r.Inode, strings.Join(us, ",")}
		if got != w {
			t.Errorf("row %d: %+v, want %+v", i, got, w)
		}
	}
	rows, ws, _ = ParseSS(open(t, "uac-ss_-tanp.txt"), "tcp")
	if len(ws) != 0 || len(rows) != 1 || rows[0].Netid != "tcp" || rows[0].LocalPort != "2024" {
		t.Errorf("ss -tanp: %+v %+v", rows, ws)
	}
	rows, ws, _ = ParseSS(open(t, "uac-ss_-0bp.txt"), "")
	if len(ws) != 0 || len(rows) != 0 {
		t.Errorf("ss -0bp (header only): %+v %+v", rows, ws)
	}
}

func itoaT(n int) string {
	if n < 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func TestParseSSVariants(t *testing.T) {
	in := `Netid State     Recv-Q Send-Q                    Local Address:Port   Peer Address:PortProcess
tcp   LISTEN    0      128                             0.0.0.0:2024        0.0.0.0:*    ino:1518 sk:3 cgroup:/ <->
tcp   ESTAB     0      0                [::ffff:10.213.0.1]:5432 [::ffff:10.213.0.2]:41822 users:(("postgres",pid=774000,fd=9)) uid:101 ino:99 sk:4 <->
tcp   TIME-WAIT 0      0                             192.0.2.2:33776  203.0.113.80:80   timer:(timewait,40sec,0) ino:0 sk:36
u_str LISTEN    0      244    /tmp/a dir/.s.PGSQL.5499 236927            * 0    users:(("post gres",pid=29209,fd=5),("x",pid=1,fd=7)) <-> ino:9978466 dev:0/65024 peers:
udp   UNCONN    0      0                       127.0.0.53%lo:53          0.0.0.0:*    users:(("systemd-resolve",pid=500,fd=13))
tcp   LISTEN    0      128                             [::]:22             [::]:*     users:(("sshd",pid=600,fd=4
garbage
`
	rows, ws, err := ParseSS(strings.NewReader(in), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || len(ws) != 2 || ws[0].Line != 7 || ws[1].Line != 8 {
		t.Fatalf("rows %+v\nwarnings %+v", rows, ws)
	}
	if r := rows[0]; r.Inode != 1518 || r.UID != -1 {
		t.Errorf("ino: %+v", r)
	}
	if r := rows[1]; r.LocalAddr != "::ffff:10.213.0.1" || r.LocalPort != "5432" || r.PeerPort != "41822" || r.UID != 101 || r.Inode != 99 || r.Users[0].PID != 774000 {
		t.Errorf("v6-mapped: %+v", r)
	}
	if r := rows[3]; r.LocalAddr != "/tmp/a dir/.s.PGSQL.5499" || r.Inode != 236927 || len(r.Users) != 2 || r.Users[0].Comm != "post gres" || r.Users[1].FD != 7 {
		t.Errorf("unix with spaces: %+v", r)
	}
	if r := rows[4]; r.LocalAddr != "127.0.0.53%lo" || r.LocalPort != "53" {
		t.Errorf("scoped: %+v", r)
	}
}

func TestParseNetstatReal(t *testing.T) {
	rows, ws, err := ParseNetstat(open(t, "uac-netstat_-anp.txt"))
	if err != nil || len(ws) != 0 {
		t.Fatal(err, ws)
	}
	if len(rows) != 5 {
		t.Fatalf("%+v", rows)
	}
	if r := rows[0]; r.Proto != "tcp" || r.LocalPort != "2024" || r.State != "LISTEN" || r.PID != -1 {
		t.Errorf("tcp: %+v", r)
	}
	if r := rows[1]; r.Proto != "unix" || r.Inode != 161995 || r.PID != 58 || r.Program != "mysql-scene" || r.LocalAddr != "/tmp/scene-proto/w/pg/.s.PGSQL.5499" || r.State != "CONNECTED" {
		t.Errorf("unix: %+v", r)
	}
	if r := rows[2]; r.State != "LISTENING" || r.PID != 41 {
		t.Errorf("unix listening: %+v", r)
	}
	if r := rows[3]; r.PID != -1 || r.LocalAddr != "" || r.Inode != 1515 {
		t.Errorf("unnamed: %+v", r)
	}
	rows, ws, _ = ParseNetstat(open(t, "uac-netstat_-lpeanut.txt"))
	if len(ws) != 0 || len(rows) != 1 || rows[0].User != "0" || rows[0].Inode != 1518 {
		t.Errorf("-lpeanut: %+v %+v", rows, ws)
	}
}

func TestParseNetstatVariants(t *testing.T) {
	in := `Active Internet connections (servers and established)
Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name     Timer
tcp        0      0 0.0.0.0:5432            0.0.0.0:*               LISTEN      101        2001       700/postgres         off (0.00/0/0)
tcp        0      0 10.213.0.1:5432         10.213.0.2:41822        ESTABLISHED 101        2002       774000/postgres: po  keepalive (7184.62/0/0)
udp        0      0 0.0.0.0:68              0.0.0.0:*                           0          2003       600/dhclient         off (0.00/0/0)
tcp6       0      0 :::22                   :::*                    LISTEN      0          2004       -                    off (0.00/0/0)
Active Bluetooth connections (servers and established)
Proto  Destination       Source            State         PSM DCID   SCID      IMTU    OMTU Security
`
	rows, ws, err := ParseNetstat(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || len(ws) != 1 || ws[0].Line != 7 {
		t.Fatalf("%+v\n%+v", rows, ws)
	}
	if r := rows[1]; r.PID != 774000 || r.Program != "postgres: po" || r.Inode != 2002 || r.ForeignAddr != "10.213.0.2" {
		t.Errorf("program with a space: %+v", r)
	}
	if r := rows[2]; r.State != "" || r.User != "0" || r.PID != 600 {
		t.Errorf("udp without state: %+v", r)
	}
	if r := rows[3]; r.LocalAddr != "::" || r.LocalPort != "22" || r.PID != -1 {
		t.Errorf("tcp6: %+v", r)
	}
}

func TestParseLsofReal(t *testing.T) {
	rows, ws, err := ParseLsof(open(t, "uac-lsof_-nPl.txt"))
	if err != nil || len(ws) != 0 {
		t.Fatal(err, ws)
	}
	var txt, sock *LsofRow
	for i, r := range rows {
		if r.PID == 58 && r.FD == "txt" {
			txt = &rows[i]
		}
		if r.PID == 41 && r.Type == "unix" {
			sock = &rows[i]
		}
	}
	if txt == nil || txt.Name != "/tmp/mysql-scene (deleted)" || txt.User != "101" || txt.Command != "mysql-sce" || txt.Node != "9978001" {
		t.Errorf("deleted txt: %+v", txt)
	}
	if sock == nil || sock.Node != "161975" || !strings.HasPrefix(sock.Name, "/tmp/scene-proto/w/pg/.s.PGSQL.5499 type=STREAM") {
		t.Errorf("unix socket: %+v", sock)
	}
}

func TestParseLsofBlankColumns(t *testing.T) {
	in := `COMMAND                            PID   TID TASKCMD          PPID     USER   FD      TYPE             DEVICE  SIZE/OFF     NODE NAME
memfd:sealed-91                   1089                           1     root  txt       REG                0,1   1531760     1024 /memfd:sealed-91173221a7ea (deleted)
memfd:sealed-91                   1089 30443 memfd:sealed-91     1     root  txt       REG                0,1   1531760     1024 /memfd:sealed-91173221a7ea (deleted)
postgres                        774000                         700 postgres    9u     IPv4            2033245       0t0      TCP 10.213.0.1:5432->10.213.0.2:41822 (ESTABLISHED)
sshd                               600                           1     root    3u     IPv6              20041       0t0      TCP *:22 (LISTEN)
`
	rows, ws, err := ParseLsof(strings.NewReader(in))
	if err != nil || len(ws) != 0 {
		t.Fatal(err, ws)
	}
	if len(rows) != 3 {
		t.Fatalf("thread rows are skipped: %+v", rows)
	}
	if r := rows[0]; r.PPID != 1 || r.User != "root" || r.Type != "REG" || r.Device != "0,1" || r.SizeOff != "1531760" {
		t.Errorf("%+v", r)
	}
	if r := rows[1]; r.PID != 774000 || r.PPID != 700 || r.FD != "9u" || r.Node != "TCP" || r.Name != "10.213.0.1:5432->10.213.0.2:41822 (ESTABLISHED)" {
		t.Errorf("%+v", r)
	}
}
