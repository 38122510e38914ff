package toolout

import (
	"io"
	"os"
	"strings"
	"testing"
)

func TestParseLsReal(t *testing.T) {
	es, ws, err := ParseLs(open(t, "uac-running_processes_full_paths.txt"))
	if err != nil || len(ws) != 0 {
		t.Fatal(err, ws)
	}
	if len(es) != 10 {
		t.Fatalf("%d entries", len(es))
	}
	e := es[8]
	if e.Path() != "/proc/58/exe" || e.Target != "/tmp/mysql-scene (deleted)" || e.Owner != "postgres" || !e.IsLink() {
		t.Errorf("%+v", e)
	}
	es, ws, err = ParseLs(open(t, "uac-proc-58-fd.txt"))
	if err != nil || len(ws) != 0 {
		t.Fatal(err, ws)
	}
	// . and .. then 24 descriptors
	if len(es) != 26 || es[0].Name != "." || es[2].Name != "0" || es[2].Target != "/dev/null" {
		t.Fatalf("%d: %+v", len(es), es[:3])
	}
	var sock string
	for _, e := range es {
		if e.Name == "6" {
			sock = e.Target
		}
	}
	if sock != "socket:[161995]" {
		t.Errorf("fd 6: %q", sock)
	}
}

func TestParseLsVariants(t *testing.T) {
	in := `/proc/1/fd:
total 0
lrwx------ 1 root root 64 Dec  1 14:45 0 -> /dev/null
lrwx------ 1 root root 64 Dec  1  2025 3 -> socket:[12]

/proc/2/fd:
lr-x------ 1 root root 64 Dec  1 14:45 name with spaces -> /tmp/x -> y (deleted)
crw-rw-rw- 1 root root 1, 3 Dec  1 14:45 /dev/null
-rw-r--r-- 1 root root 4.0K Dec  1 14:45 /etc/hosts
not a line at all
lrwxrwxrwx 1 root root 0 Dec 99 14:45 /proc/3/exe -> /bin/x
`
	es, ws, err := ParseLs(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 5 || len(ws) != 2 || ws[0].Line != 10 || ws[1].Line != 11 {
		t.Fatalf("%+v\n%+v", es, ws)
	}
	if es[1].Path() != "/proc/1/fd/3" || es[1].Target != "socket:[12]" {
		t.Errorf("%+v", es[1])
	}
	if es[2].Path() != "/proc/2/fd/name with spaces" || es[2].Target != "/tmp/x -> y (deleted)" {
		t.Errorf("%+v", es[2])
	}
	if es[3].Path() != "/dev/null" || es[4].Path() != "/etc/hosts" {
		t.Errorf("%+v %+v", es[3], es[4])
	}
}

func TestParseProcStat(t *testing.T) {
	b, err := os.ReadFile("testdata/uac-proc-58-stat.txt")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseProcStat(b)
	if err != nil {
		t.Fatal(err)
	}
	if s.PID != 58 || s.Comm != "mysql-scene" || s.PPID != 1 || s.StartTicks != 102555 || s.State != "S" || s.Threads != 1 {
		t.Errorf("%+v", s)
	}
	// a comm with ") (" in it
	s, err = ParseProcStat([]byte("7 (a) S 9 (x) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 3 0 555 0 12 0\n"))
	if err != nil || s.Comm != "a) S 9 (x" || s.PPID != 1 || s.StartTicks != 555 || s.Threads != 3 {
		t.Errorf("%+v %v", s, err)
	}
	for _, bad := range []string{"", "x (a) S", "1 a S 0", "1 (a) S x 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 0"} {
		if _, err := ParseProcStat([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseProcStatus(t *testing.T) {
	ss, ws, err := ParseProcStatus(open(t, "uac-proc-41-status.txt"))
	if err != nil || len(ws) != 0 || len(ss) != 1 {
		t.Fatal(err, ws, ss)
	}
	s := ss[0]
	if s.Name != "postgres" || s.PID != 41 || s.PPID != 1 || len(s.UIDs) != 4 || s.UIDs[1] != 101 || s.GIDs[0] != 104 || s.Threads != 1 || len(s.NSpid) != 1 || s.NSpid[0] != 41 {
		t.Errorf("%+v", s)
	}
	// concatenated, as Cat-Scale saves them; one without Pid:
	two := "Name:\ta\nPid:\t5\nPPid:\t1\nUid:\t0\t0\t0\t0\nName:\tb\nUid:\t1\nName:\tc\nPid:\t7\n"
	ss, ws, _ = ParseProcStatus(strings.NewReader(two))
	if len(ss) != 2 || ss[1].PID != 7 || len(ws) != 1 || ws[0].Line != 5 {
		t.Errorf("%+v %+v", ss, ws)
	}
}

func TestParseHashList(t *testing.T) {
	hs, ws, err := ParseHashList(open(t, "uac-hash_running_processes.sha1"))
	if err != nil || len(ws) != 0 || len(hs) != 11 {
		t.Fatal(err, ws, len(hs))
	}
	if h := hs[9]; h.Algorithm != "sha1" || h.Path != "/proc/58/exe" || h.Hash != "13a09ccdbb016617abe5c0e14bca38abc04294f1" {
		t.Errorf("%+v", h)
	}
	in := "D41D8CD98F00B204E9800998ECF8427E *bin\n\\d41d8cd98f00b204e9800998ecf8427e  a\\nb\\\\c\nxyz  file\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /etc/x y\n"
	hs, ws, _ = ParseHashList(strings.NewReader(in))
	if len(hs) != 3 || len(ws) != 1 || ws[0].Line != 3 {
		t.Fatalf("%+v %+v", hs, ws)
	}
	if hs[0].Hash != "d41d8cd98f00b204e9800998ecf8427e" || hs[0].Path != "bin" || hs[1].Path != "a\nb\\c" || hs[2].Algorithm != "sha256" || hs[2].Path != "/etc/x y" {
		t.Errorf("%+v", hs)
	}
}

func TestParseHeadSections(t *testing.T) {
	in := "==> /proc/1/cmdline <==\n/sbin/init\x00splash\x00\n==> /proc/2/cmdline <==\n\n==> /proc/58/cmdline <==\n/tmp/mysql\x00-o\x00x\x00"
	ss, ws, err := ParseHeadSections(strings.NewReader(in))
	if err != nil || len(ws) != 0 || len(ss) != 3 {
		t.Fatal(err, ws, ss)
	}
	if string(ss[0].Content) != "/sbin/init\x00splash\x00" || len(ss[1].Content) != 0 || string(ss[2].Content) != "/tmp/mysql\x00-o\x00x\x00" || ss[2].Line != 5 {
		t.Errorf("%+v", ss)
	}
	// a process forges a section for PID 1 in its own arguments
	forged := "==> /proc/1/cmdline <==\n/sbin/init\x00\n==> /proc/9/cmdline <==\nx\x00\n==> /proc/1/cmdline <==\nevil\x00"
	ss, ws, _ = ParseHeadSections(strings.NewReader(forged))
	if len(ss) != 1 || ss[0].Name != "/proc/9/cmdline" || len(ws) != 2 {
		t.Errorf("%+v %+v", ss, ws)
	}
}

func TestReadStatTimeline(t *testing.T) {
	in := "Inode,Hard link Count,Full Path,Last Access,Last Modification,Last Status Change,File Creation,User,Group,File Permissions,File Size(bytes)\n" +
		"2,23,/,2026-12-01 14:40:01.123456789 +0000,2026-11-30 10:00:00.000000000 +0000,2026-11-30 10:00:00.000000000 +0000,-,root,root,drwxr-xr-x,4096\n" +
		"77,1,/tmp/a,b,c.sh,2026-12-01 14:44:01.5 +0100,2026-12-01 14:44:01.5 +0100,2026-12-01 14:44:01.5 +0100,2026-12-01 14:44:01.5 +0100,UNKNOWN,lxd,-rwsr-x--T,43888\n" +
		"garbage,line\n"
	var got []StatLine
	var ws []Warning
	err := ReadStatTimeline(strings.NewReader(in), func(s StatLine) { got = append(got, s) }, func(w Warning) { ws = append(ws, w) })
	if err != nil || len(got) != 2 || len(ws) != 1 || ws[0].Line != 4 {
		t.Fatalf("%v %+v %+v", err, got, ws)
	}
	r := got[0].Record
	if r.Path != "/" || r.Type != "dir" || r.Mode != 0o755 || !r.Btime.IsZero() || r.Atime.Nanosecond() != 123456789 {
		t.Errorf("%+v", r)
	}
	r = got[1].Record
	if r.Path != "/tmp/a,b,c.sh" || r.Type != "file" || r.Mode != 0o5750 || r.Size != 43888 || r.Mtime.Hour() != 13 || got[1].Owner != "UNKNOWN" {
		t.Errorf("%+v %+v", r, got[1])
	}
}

func TestGarbage(t *testing.T) {
	g := make([]byte, 64<<10)
	for i := range g {
		g[i] = byte(i*7919 + i>>3)
	}
	r := func() io.Reader { return strings.NewReader(string(g)) }
	if _, ws, _ := ParsePS(r(), nil); len(ws) == 0 {
		t.Error("ps: no warning")
	}
	if _, ws, _ := ParseSS(r(), ""); len(ws) == 0 {
		t.Error("ss: no warning")
	}
	if _, ws, _ := ParseNetstat(r()); len(ws) == 0 {
		t.Error("netstat: no warning")
	}
	if _, ws, _ := ParseLsof(r()); len(ws) == 0 {
		t.Error("lsof: no warning")
	}
	if _, ws, _ := ParseLs(r()); len(ws) == 0 {
		t.Error("ls: no warning")
	}
	if _, ws, _ := ParseHashList(r()); len(ws) == 0 {
		t.Error("hash list: no warning")
	}
	if _, ws, _ := ParseHeadSections(r()); len(ws) == 0 {
		t.Error("head: no warning")
	}
	n := 0
	_ = ReadStatTimeline(r(), func(StatLine) {}, func(Warning) { n++ })
	if n == 0 {
		t.Error("stat timeline: no warning")
	}
	// an overlong line is one warning, and the next line is read
	long := strings.Repeat("x", 1<<20+1) + "\n" + "d41d8cd98f00b204e9800998ecf8427e  a\n"
	if hs, ws, _ := ParseHashList(strings.NewReader(long)); len(hs) != 1 || len(ws) != 1 || ws[0].Line != 1 {
		t.Errorf("long line: %+v %+v", hs, ws)
	}
}
