package toolout

import (
	"strings"
	"testing"
	"time"
)

// Real outputs Cat-Scale 1.3.1 saved from the same kind of scene.
func TestCatScaleOutputs(t *testing.T) {
	tab, ws, err := ParsePS(open(t, "catscale-processes-axwwSo.txt"), time.UTC)
	if err != nil || len(ws) != 0 || len(tab.Rows) != 10 {
		t.Fatalf("ps axwwSo: %v %+v %d", err, ws, len(tab.Rows))
	}
	if r := tab.Rows[7]; r.PID != 58 || r.PPID != 1 || r.User != "postgres" || r.StartField != "14:51" || r.Command != "/tmp/mysql-scene 3600" {
		t.Errorf("ps: %+v", r)
	}

	rows, ws, err := ParseSS(open(t, "catscale-ss-anepo.txt"), "")
	if err != nil || len(ws) != 0 || len(rows) != 4 {
		t.Fatalf("ss -anepo: %v %+v %+v", err, ws, rows)
	}
	if r := rows[0]; r.Inode != 236927 || r.Users[0].PID != 41 || r.LocalAddr != "/tmp/scene-cs/w/pg/.s.PGSQL.5499" {
		t.Errorf("ss: the UNIX socket's inode is its own, not ino: of its file: %+v", r)
	}
	if r := rows[3]; r.Netid != "tcp" || r.Inode != 1518 || r.State != "LISTEN" {
		t.Errorf("ss: %+v", r)
	}

	es, ws, err := ParseLs(open(t, "catscale-process-exe-links.txt"))
	if err != nil || len(ws) != 0 || len(es) != 9 || es[7].Path() != "/proc/58/exe" || es[7].Target != "/tmp/mysql-scene (deleted)" {
		t.Fatalf("exe links: %v %+v %+v", err, ws, es)
	}
	es, ws, err = ParseLs(open(t, "catscale-process-fd-links.txt"))
	if err != nil || len(ws) != 0 {
		t.Fatal(err, ws)
	}
	found := false
	for _, e := range es {
		if e.Path() == "/proc/41/fd/5" && e.Target == "socket:[236927]" {
			found = true
		}
	}
	if !found {
		t.Error("fd links: /proc/41/fd/5 -> socket:[236927] not read")
	}

	ss, ws, err := ParseHeadSections(open(t, "catscale-process-cmdline.txt"))
	if err != nil || len(ws) != 0 {
		t.Fatal(err, ws)
	}
	var pg []string
	for _, s := range ss {
		if s.Name == "/proc/41/cmdline" {
			pg = strings.Split(strings.TrimRight(string(s.Content), "\x00"), "\x00")
		}
	}
	if len(pg) != 13 || pg[1] != "-D" || pg[12] != "log_connections=on" {
		t.Errorf("cmdline of 41: %q", pg)
	}

	hs, ws, err := ParseHashList(open(t, "catscale-processhashes.txt"))
	if err != nil || len(ws) != 0 || len(hs) != 10 || hs[8].Path != "/proc/58/exe" || hs[8].Hash != "13a09ccdbb016617abe5c0e14bca38abc04294f1" {
		t.Errorf("process hashes: %v %+v %+v", err, ws, hs)
	}
	hs, ws, _ = ParseHashList(open(t, "catscale-exec-perm-files-head.txt"))
	if len(ws) != 0 || len(hs) != 40 || hs[1].Path != "/etc/init.d/procps" {
		t.Errorf("exec-perm-files: %+v %+v", ws, hs[:2])
	}

	sts, ws, err := ParseProcStatus(open(t, "catscale-process-details.txt"))
	if err != nil {
		t.Fatal(err)
	}
	byPID := map[int]ProcStatus{}
	for _, s := range sts {
		byPID[s.PID] = s
	}
	if s := byPID[58]; s.Name != "mysql-scene" || s.PPID != 1 || len(s.UIDs) != 4 || s.UIDs[0] != 101 {
		t.Errorf("status of 58: %+v (warnings %+v)", s, ws)
	}

	var lines []StatLine
	var sw []Warning
	if err := ReadStatTimeline(open(t, "catscale-full-timeline-excerpt.csv"), func(s StatLine) { lines = append(lines, s) }, func(w Warning) { sw = append(sw, w) }); err != nil {
		t.Fatal(err)
	}
	if len(sw) != 0 || len(lines) < 20 || lines[0].Record.Path != "/" || lines[0].Record.Type != "dir" {
		t.Errorf("timeline: %+v %+v", sw, lines[:1])
	}
}
