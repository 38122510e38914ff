package collector

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestVolatileParseStat reads stat files of a fixture /proc through
// readStat (procfs): comm may hold spaces and parentheses (it ends at the
// last ')'); a malformed file is an error, never a panic.
func TestVolatileParseStat(t *testing.T) {
	proc := t.TempDir()
	write := func(pid int, line string) {
		dir := filepath.Join(proc, strconv.Itoa(pid))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(4300, "4300 (my) (miner) S 4242 4300 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 3 0 12000 1000000 512 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n")
	env := NewEnv(testOptions(), nil)
	env.ProcRoot = proc
	s, err := readStat(context.Background(), env, 4300)
	if err != nil {
		t.Fatal(err)
	}
	if s.Comm != "my) (miner" || s.State != "S" || s.PPID != 4242 || s.UTime != 250 || s.STime != 30 || s.Threads != 3 || s.StartTicks != 12000 || s.RSSPages != 512 {
		t.Errorf("%+v", s)
	}
	for i, bad := range []string{"", "12 (x", "12 (x) S 1 2", "12 (x)", "12 (x)\n"} {
		write(5000+i, bad)
		if _, err := readStat(context.Background(), env, 5000+i); err == nil {
			t.Errorf("stat %q: no error", bad)
		}
	}
	if _, err := readStat(context.Background(), env, 6000); !gone(err) {
		t.Errorf("stat of a PID absent from /proc: %v, want not-exist", err)
	}
}

func TestVolatileParseNetFile(t *testing.T) {
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 22010 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0200007F:0D05 01 00000000:00000000 00:00000000 00000000     0        0 22011 1 0000000000000000 20 4 30 10 -1
   2: garbage
`
	socks, bad := ParseNetFile("tcp", []byte(tcp))
	if len(socks) != 2 || len(bad) != 1 || !strings.Contains(bad[0], "line 4") {
		t.Fatalf("%+v %v", socks, bad)
	}
	l := socks[0]
	if l.LocalIP != "0.0.0.0" || l.LocalPort != 5432 || l.State != "LISTEN" || !l.Listening || !l.AllInterfaces || l.UID != 105 || l.Inode != 22010 || l.Line != 2 {
		t.Errorf("listener %+v", l)
	}
	c := socks[1]
	if c.LocalIP != "127.0.0.1" || c.LocalPort != 40000 || c.RemoteIP != "127.0.0.2" || c.RemotePort != 3333 || c.State != "ESTABLISHED" || c.Listening {
		t.Errorf("connection %+v", c)
	}
	// ::1 port 22 listening, and :: (all interfaces); words in host order.
	tcp6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
`
	socks, bad = ParseNetFile("tcp6", []byte(tcp6))
	if len(socks) != 2 || len(bad) != 0 {
		t.Fatalf("%+v %v", socks, bad)
	}
	if socks[0].LocalIP != "::1" || socks[0].AllInterfaces || socks[1].LocalIP != "::" || !socks[1].AllInterfaces || socks[1].Family != "ipv6" {
		t.Errorf("tcp6 %+v", socks)
	}
	udp := `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  1: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 333 2 0000000000000000 0
`
	socks, _ = ParseNetFile("udp", []byte(udp))
	if len(socks) != 1 || socks[0].State != "UNCONN" || !socks[0].AllInterfaces || socks[0].LocalPort != 53 {
		t.Errorf("udp %+v", socks)
	}
	unix := `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 4444 /run/postgresql/.s.PGSQL.5432
0000000000000000: 00000003 00000000 00000000 0001 03 4445 @abstract name with spaces
0000000000000000: 00000003 00000000 00000000 0002 01 4446
`
	socks, bad = ParseNetFile("unix", []byte(unix))
	if len(socks) != 3 || len(bad) != 0 {
		t.Fatalf("%+v %v", socks, bad)
	}
	if socks[0].Path != "/run/postgresql/.s.PGSQL.5432" || !socks[0].Listening || socks[0].State != "LISTEN stream" {
		t.Errorf("unix listener %+v", socks[0])
	}
	if socks[1].Path != "@abstract name with spaces" || socks[1].State != "CONNECTED stream" || socks[2].Path != "" {
		t.Errorf("unix %+v", socks[1:])
	}
}

func TestVolatileParseMaps(t *testing.T) {
	maps := `00400000-004ea000 r-xp 00000000 fd:01 1234 /tmp/mysql (deleted)
7ffd1000-7ffd2000 rw-p 00000000 00:00 0                                  [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
7f0000000000-7f0000001000 rw-s 00000000 00:05 99 /dev/dri/card0
bad line
`
	rs, bad := ParseMaps([]byte(maps))
	if len(rs) != 4 || len(bad) != 1 {
		t.Fatalf("%+v %v", rs, bad)
	}
	if rs[0].Path != "/tmp/mysql (deleted)" || rs[0].Start != 0x400000 || rs[1].Path != "[stack]" {
		t.Errorf("%+v", rs[:2])
	}
	if skipReason(rs[0]) != "" || skipReason(rs[1]) != "" || skipReason(rs[2]) == "" || skipReason(rs[3]) == "" {
		t.Errorf("skip reasons: %q %q %q %q", skipReason(rs[0]), skipReason(rs[1]), skipReason(rs[2]), skipReason(rs[3]))
	}
}

func TestVolatileContainerID(t *testing.T) {
	id := strings.Repeat("ab12", 16)
	for in, want := range map[string]string{
		"0::/system.slice/docker-" + id + ".scope":                 id,
		"0::/kubepods/besteffort/pod1/" + id:                       id,
		"12:pids:/docker/" + id + "\n0::/system.slice/ssh.service": id,
		"0::/system.slice/cron.service":                            "",
		"0::/user.slice/" + strings.Repeat("a", 63):                "",
	} {
		if got := containerID(in); got != want {
			t.Errorf("containerID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVolatileSuspectReasons(t *testing.T) {
	dirs := []string{"/tmp", "/dev/shm/"}
	for exe, want := range map[string]string{
		"/tmp/mysql (deleted)":     "exe deleted,exe under /tmp",
		"/memfd:x (deleted)":       "exe deleted,exe memfd",
		"/dev/shm/a":               "exe under /dev/shm",
		"/usr/bin/sleep":           "",
		"/tmpfoo/x":                "",
		"/usr/sbin/sshd (deleted)": "exe deleted",
	} {
		if got := strings.Join(suspectReasons(exe, dirs), ","); got != want {
			t.Errorf("suspectReasons(%q) = %q, want %q", exe, got, want)
		}
	}
}

func TestVolatileELFFactsGarbage(t *testing.T) {
	// A hostile header: ELF magic then junk. No panic, an error recorded.
	junk := append([]byte("\x7fELF\x02\x01\x01"), bytes.Repeat([]byte{0xff}, 200)...)
	f := elfFacts(bytes.NewReader(junk), int64(len(junk)))
	if f == nil || f.Error == "" {
		t.Errorf("garbage ELF: %+v", f)
	}
	if elfFacts(strings.NewReader("#!/bin/sh\n"), 10) != nil {
		t.Errorf("a script has ELF facts")
	}
	// A truncated note must not run past the buffer.
	if id := gnuBuildID([]byte{4, 0, 0, 0, 0xff, 0xff, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0}, binary.LittleEndian); id != "" {
		t.Errorf("build id from a truncated note: %q", id)
	}
}

func FuzzVolatileParseNetFile(f *testing.F) {
	f.Add("tcp", []byte("h\n   0: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 22010 1\n"))
	f.Add("unix", []byte("h\n0000: 00000002 00000000 00010000 0001 01 4444 /run/x\n"))
	f.Fuzz(func(t *testing.T, file string, data []byte) {
		ParseNetFile(file, data)
		ParseMaps(data)
		parseStatusIDs(data)
		gnuBuildID(data, binary.LittleEndian)
		elfFacts(bytes.NewReader(data), int64(len(data)))
		ParseNeighbours(data)
		parseModuleSignature(data)
		parseProcModules(data)
		parseModulesDep(data)
	})
}
