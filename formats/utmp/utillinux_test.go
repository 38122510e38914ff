package utmp

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// The records a real host writes, as util-linux utmpdump(1) text: a boot,
// run level 5, a getty, three remote logins (IPv4 with and without a host
// name, IPv6), two logouts, a shutdown, a second boot and a console login.
const wtmpSpec = `[2] [00000] [~~  ] [reboot] [~] [6.1.0-18-amd64] [0.0.0.0] [2026-03-17T08:00:00,000000+00:00]
[1] [00053] [~~  ] [runlevel] [~] [6.1.0-18-amd64] [0.0.0.0] [2026-03-17T08:00:05,000000+00:00]
[6] [00600] [tty1] [LOGIN] [tty1] [] [0.0.0.0] [2026-03-17T08:00:06,000000+00:00]
[7] [01234] [ts/0] [root] [pts/0] [203.0.113.9] [203.0.113.9] [2026-03-17T08:26:01,123456+00:00]
[7] [01300] [ts/1] [deploy] [pts/1] [scanner.example.net] [198.51.100.23] [2026-03-17T08:27:00,000000+00:00]
[7] [01400] [ts/2] [alice] [pts/2] [2001:db8::7] [2001:db8::7] [2026-03-17T08:28:00,500000+00:00]
[8] [01234] [ts/0] [] [pts/0] [] [0.0.0.0] [2026-03-17T08:30:00,000000+00:00]
[8] [01300] [ts/1] [] [pts/1] [] [0.0.0.0] [2026-03-17T08:45:00,000000+00:00]
[1] [00048] [~~  ] [shutdown] [~~] [6.1.0-18-amd64] [0.0.0.0] [2026-03-17T09:00:00,000000+00:00]
[2] [00000] [~~  ] [reboot] [~] [6.1.0-21-amd64] [0.0.0.0] [2026-03-17T09:01:00,000000+00:00]
[7] [04321] [tty1] [root] [tty1] [] [0.0.0.0] [2026-03-17T09:05:00,000000+00:00]
`

// sshd's failed logins, as btmp holds them.
const btmpSpec = `[6] [03301] [    ] [admin] [ssh:notty] [203.0.113.50] [203.0.113.50] [2026-03-17T07:59:01,000000+00:00]
[6] [03302] [    ] [root] [ssh:notty] [2001:db8::66] [2001:db8::66] [2026-03-17T07:59:02,250000+00:00]
`

// writeWithUtmpdump turns utmpdump text into a binary file with the real
// `utmpdump -r` (the host's own struct utmp layout).
func writeWithUtmpdump(t *testing.T, name, spec string) string {
	t.Helper()
	utmpdump := testenv.NeedTool(t, "utmpdump")
	dir := t.TempDir()
	txt, bin := filepath.Join(dir, name+".txt"), filepath.Join(dir, name)
	if err := os.WriteFile(txt, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := tool(utmpdump, "-r", "-o", bin, txt); err != nil {
		t.Fatalf("utmpdump -r: %v: %s", err, out)
	}
	return bin
}

func tool(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	out, err := cmd.Output()
	return string(out), err
}

func parseFile(t *testing.T, bin, hostPath string) []timeline.Event {
	t.Helper()
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []timeline.Event
	o := timeline.Origin{Entry: "fs" + hostPath, HostPath: hostPath}
	if err := Parse(f, o, func(e timeline.Event) { evs = append(evs, e) }, func(w timeline.Warning) { t.Errorf("warning: %+v", w) }); err != nil {
		t.Fatal(err)
	}
	return evs
}

// dumpLine is one line of `utmpdump FILE`:
// [type] [pid] [id] [user] [line] [host] [addr] [time], fields padded.
var dumpLine = regexp.MustCompile(`^\[(\d+)\] \[(\d+)\] \[(.{4})\] \[(.*?) *\] \[(.*?) *\] \[(.*?) *\] \[(.*?) *\] \[(.*?)\]$`)

// TestAgainstUtmpdump: Parse reads exactly the records `utmpdump FILE`
// prints, field by field, from a file the real `utmpdump -r` wrote.
func TestAgainstUtmpdump(t *testing.T) {
	for _, c := range []struct{ name, spec, hostPath string }{
		{"wtmp", wtmpSpec, "/var/log/wtmp"},
		{"btmp", btmpSpec, "/var/log/btmp.1"},
	} {
		bin := writeWithUtmpdump(t, c.name, c.spec)
		out, err := tool("utmpdump", bin)
		if err != nil {
			t.Fatalf("utmpdump: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		evs := parseFile(t, bin, c.hostPath)
		if len(evs) != len(lines) || len(lines) != strings.Count(c.spec, "\n") {
			t.Fatalf("%s: %d events, utmpdump printed %d lines:\n%s", c.name, len(evs), len(lines), out)
		}
		for i, line := range lines {
			m := dumpLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("utmpdump line %q", line)
			}
			ev := evs[i]
			typ, pid, id, user, tty, host, addr, ts := m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
			if got := evs[i].Labels["ut_type"]; TypeName(int16(atoi(typ))) != got {
				t.Errorf("%s record %d: type %s, utmpdump %s", c.name, i, got, typ)
			}
			// pid: the process, or for RUN_LVL the run levels it encodes
			gotPID := int64(0)
			if ev.Process != nil {
				gotPID = ev.Process.PID
			}
			if typ == "1" {
				gotPID = int64(ev.Labels["runlevel"][0])
			}
			if gotPID != int64(atoi(pid)) {
				t.Errorf("%s record %d: pid %d, utmpdump %s", c.name, i, gotPID, pid)
			}
			gotUser := ev.Labels["ut_user"]
			if ev.User != nil {
				gotUser = ev.User.Name
			}
			gotHost, gotAddr := ev.Labels["kernel"], "0.0.0.0"
			if ev.Source != nil {
				gotHost = ev.Source.Address
				if ev.Source.IP != "" {
					gotAddr = ev.Source.IP
					if gotHost == "" {
						gotHost = ev.Source.IP
					}
				}
			}
			if gotUser != user || ev.Labels["tty"] != tty || fmt.Sprintf("%-4s", ev.Labels["ut_id"]) != id || gotHost != host || gotAddr != addr {
				t.Errorf("%s record %d: user %q tty %q id %q host %q addr %q; utmpdump: %q", c.name, i, gotUser, ev.Labels["tty"], ev.Labels["ut_id"], gotHost, gotAddr, line)
			}
			want, err := time.Parse("2006-01-02T15:04:05,000000Z07:00", ts)
			if err != nil {
				t.Fatal(err)
			}
			if !ev.Timestamp.Equal(want) {
				t.Errorf("%s record %d: time %v, utmpdump %v", c.name, i, ev.Timestamp, want)
			}
			if off := ev.Cordon.Provenance.Offset; off != int64(i*Size384) {
				t.Errorf("%s record %d: offset %d", c.name, i, off)
			}
		}
	}
}

var (
	isoTime  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d`)
	lastFile = regexp.MustCompile(`^\S+ begins `)
)

// lastEntry is one line of last(1): what it shows before the login time
// (user, tty, host, whitespace collapsed), the login time, and the logout
// time when it prints one.
type lastEntry struct{ who, login, logout string }

func readLast(t *testing.T, out string) []lastEntry {
	var es []lastEntry
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" || lastFile.MatchString(line) {
			continue
		}
		loc := isoTime.FindStringIndex(line)
		if loc == nil {
			t.Fatalf("last line %q", line)
		}
		e := lastEntry{who: strings.Join(strings.Fields(line[:loc[0]]), " "), login: line[loc[0]:loc[1]]}
		rest := strings.TrimSpace(line[loc[1]:])
		if after, ok := strings.CutPrefix(rest, "- "); ok {
			if m := isoTime.FindString(after); m != "" && strings.HasPrefix(after, m) {
				e.logout = m
			}
		}
		es = append(es, e)
	}
	return es
}

// TestAgainstLast: the logins, boots, run levels and shutdowns that
// `last -x -f FILE -w --time-format iso` lists are the events Parse makes,
// with the same user, tty, host and time, and each login's logout time
// is that of the next logout event on its tty; `lastb` likewise for btmp.
func TestAgainstLast(t *testing.T) {
	testenv.NeedTool(t, "last")
	// last's iso format: seconds, numeric zone ("-07:00" writes UTC as +00:00)
	iso := func(tm time.Time) string { return tm.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05-07:00") }

	// wtmp
	bin := writeWithUtmpdump(t, "wtmp", wtmpSpec)
	out, err := tool("last", "-x", "-f", bin, "-w", "--time-format", "iso")
	if err != nil {
		t.Fatalf("last: %v", err)
	}
	got := readLast(t, out)
	evs := parseFile(t, bin, "/var/log/wtmp")
	var want []lastEntry
	for i, ev := range evs {
		var who string
		switch ev.Event.Action {
		case "user-login":
			src := ""
			if ev.Source != nil {
				src = ev.Source.Address
				if src == "" {
					src = ev.Source.IP
				}
			}
			who = strings.Join(strings.Fields(ev.User.Name+" "+ev.Labels["tty"]+" "+src), " ")
		case "system-boot":
			who = "reboot system boot " + ev.Labels["kernel"]
		case "system-shutdown":
			who = "shutdown system down " + ev.Labels["kernel"]
		case "run-level":
			who = "runlevel (to lvl " + ev.Labels["runlevel"] + ") " + ev.Labels["kernel"]
		default:
			continue // getty and logout records are not lines of last
		}
		e := lastEntry{who: who, login: iso(ev.Timestamp)}
		if ev.Event.Action == "user-login" {
			for _, later := range evs[i+1:] {
				if later.Event.Action == "user-logout" && later.Labels["tty"] == ev.Labels["tty"] {
					e.logout = iso(later.Timestamp)
					break
				}
				if later.Event.Action == "system-shutdown" || later.Event.Action == "system-boot" {
					break // last says "down" or "crash"
				}
			}
		}
		want = append(want, e)
	}
	for _, es := range [][]lastEntry{got, want} {
		sort.Slice(es, func(i, j int) bool { return es[i].login+es[i].who < es[j].login+es[j].who })
	}
	if len(got) != len(want) || len(got) != 8 {
		t.Fatalf("last listed %d entries, Parse gives %d:\n%s\n%+v", len(got), len(want), out, want)
	}
	for i := range got {
		w := want[i]
		if w.logout == "" {
			w.logout = got[i].logout // boots and run levels: last pairs them with what follows
		}
		if got[i] != w {
			t.Errorf("last: %+v\nParse: %+v", got[i], want[i])
		}
	}

	// btmp: lastb lists each record as a failed login
	testenv.NeedTool(t, "lastb")
	bin = writeWithUtmpdump(t, "btmp", btmpSpec)
	out, err = tool("lastb", "-f", bin, "-w", "--time-format", "iso")
	if err != nil {
		t.Fatalf("lastb: %v", err)
	}
	got = readLast(t, out)
	evs = parseFile(t, bin, "/var/log/btmp")
	if len(got) != len(evs) || len(evs) != 2 {
		t.Fatalf("lastb listed %d, Parse gives %d:\n%s", len(got), len(evs), out)
	}
	for i, ev := range evs {
		g := got[len(got)-1-i] // lastb lists the newest first
		w := lastEntry{who: ev.User.Name + " " + ev.Labels["tty"] + " " + ev.Source.IP, login: iso(ev.Timestamp), logout: g.logout}
		if g != w || ev.Event.Action != "login-failed" || ev.Event.Outcome != "failure" {
			t.Errorf("lastb: %+v\nParse: %+v %s %s", g, w, ev.Event.Action, ev.Event.Outcome)
		}
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}
