package utmp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// utmp384 and utmp400 are glibc's struct utmp as the C compiler lays it out
// (bits/utmp.h, see Layout), written here independently of the parser's
// offsets so that a wrong offset in either shows.
type utmp384 struct {
	Type         int16
	_            [2]byte
	PID          int32
	Line         [32]byte
	ID           [4]byte
	User         [32]byte
	Host         [256]byte
	ExitT, ExitS int16
	Session      int32
	Sec, Usec    int32
	Addr         [16]byte
	_            [20]byte
}

type utmp400 struct {
	Type         int16
	_            [2]byte
	PID          int32
	Line         [32]byte
	ID           [4]byte
	User         [32]byte
	Host         [256]byte
	ExitT, ExitS int16
	Session      int64
	Sec, Usec    int64
	Addr         [16]byte
	_            [20]byte
	_            [4]byte // tail padding to 8-byte alignment
}

// rec is a record to build.
type rec struct {
	typ                  int16
	pid                  int32
	line, id, user, host string
	exitT, exitS         int16
	session              int64
	sec, usec            int64
	addr                 string // "" for none
}

func (r rec) bytes(t testing.TB, l Layout) []byte {
	t.Helper()
	var addr [16]byte
	if r.addr != "" {
		a := netip.MustParseAddr(r.addr)
		if a.Is4() {
			a4 := a.As4()
			copy(addr[:], a4[:]) // ut_addr_v6[0], network byte order
		} else {
			addr = a.As16()
		}
	}
	var v any
	if l.Size == Size384 {
		u := utmp384{Type: r.typ, PID: r.pid, ExitT: r.exitT, ExitS: r.exitS, Session: int32(r.session), Sec: int32(uint32(r.sec)), Usec: int32(r.usec), Addr: addr}
		copy(u.Line[:], r.line)
		copy(u.ID[:], r.id)
		copy(u.User[:], r.user)
		copy(u.Host[:], r.host)
		v = &u
	} else {
		u := utmp400{Type: r.typ, PID: r.pid, ExitT: r.exitT, ExitS: r.exitS, Session: r.session, Sec: r.sec, Usec: r.usec, Addr: addr}
		copy(u.Line[:], r.line)
		copy(u.ID[:], r.id)
		copy(u.User[:], r.user)
		copy(u.Host[:], r.host)
		v = &u
	}
	var b bytes.Buffer
	if err := binary.Write(&b, l.Order, v); err != nil {
		t.Fatal(err)
	}
	if b.Len() != l.Size {
		t.Fatalf("built %d bytes for %s", b.Len(), l)
	}
	return b.Bytes()
}

func file(t testing.TB, l Layout, recs ...rec) []byte {
	var out []byte
	for _, r := range recs {
		out = append(out, r.bytes(t, l)...)
	}
	return out
}

var wtmpOrigin = timeline.Origin{Bundle: "ev1", Entry: "fs/var/log/wtmp", HostPath: "/var/log/wtmp", Host: "db01", SHA256: "abc"}

func parse(b []byte, o timeline.Origin, opt Options) (evs []timeline.Event, warns []timeline.Warning, err error) {
	err = ParseWith(bytes.NewReader(b), o, opt,
		func(e timeline.Event) { evs = append(evs, e) },
		func(w timeline.Warning) { warns = append(warns, w) })
	return
}

const t0 = 1773735961 // 2026-03-17T08:26:01Z

// want is what one record's event must hold; "" and 0 mean absent.
type want struct {
	action, category, typ, outcome string
	meaning                        timeline.Meaning
	user, ip, address, tty         string
	pid                            int64
	labels                         map[string]string
	msg                            string
}

var typeCases = []struct {
	name string
	r    rec
	w    want
}{
	{"ssh login from IPv4", rec{typ: UserProcess, pid: 1234, line: "pts/0", id: "ts/0", user: "root", host: "203.0.113.9", addr: "203.0.113.9", session: 1234, sec: t0, usec: 123456},
		want{action: "user-login", category: "authentication,session", typ: "start", outcome: "success", meaning: timeline.MeaningLogin, user: "root", ip: "203.0.113.9", tty: "pts/0", pid: 1234,
			labels: map[string]string{"ut_id": "ts/0", "session": "1234", "ut_type": "USER_PROCESS"}, msg: "root logged in on pts/0 from 203.0.113.9"}},
	{"login with a host name and an address", rec{typ: UserProcess, pid: 1300, line: "pts/1", user: "deploy", host: "scanner.example.net", addr: "198.51.100.23", sec: t0},
		want{action: "user-login", category: "authentication,session", typ: "start", outcome: "success", meaning: timeline.MeaningLogin, user: "deploy", ip: "198.51.100.23", address: "scanner.example.net", tty: "pts/1", pid: 1300,
			msg: "deploy logged in on pts/1 from scanner.example.net (198.51.100.23)"}},
	{"IPv6 in ut_host only", rec{typ: UserProcess, pid: 1400, line: "pts/2", user: "alice", host: "2001:db8::7", sec: t0},
		want{action: "user-login", category: "authentication,session", typ: "start", outcome: "success", meaning: timeline.MeaningLogin, user: "alice", ip: "2001:db8::7", tty: "pts/2", pid: 1400}},
	{"IPv6 in ut_addr_v6", rec{typ: UserProcess, pid: 1401, line: "pts/3", user: "alice", addr: "2001:db8::5", sec: t0},
		want{action: "user-login", category: "authentication,session", typ: "start", outcome: "success", meaning: timeline.MeaningLogin, user: "alice", ip: "2001:db8::5", tty: "pts/3", pid: 1401}},
	{"local X display in ut_host", rec{typ: UserProcess, pid: 900, line: "tty7", user: "bob", host: ":0", sec: t0},
		want{action: "user-login", category: "authentication,session", typ: "start", outcome: "success", meaning: timeline.MeaningLogin, user: "bob", address: ":0", tty: "tty7", pid: 900}},
	{"logout", rec{typ: DeadProcess, pid: 1234, line: "pts/0", id: "ts/0", sec: t0 + 240, exitT: 0, exitS: 1},
		want{action: "user-logout", category: "session", typ: "end", meaning: timeline.MeaningLogout, tty: "pts/0", pid: 1234,
			labels: map[string]string{"exit": "termination 0, status 1"}, msg: "session ended on pts/0"}},
	{"boot", rec{typ: BootTime, line: "~", id: "~~", user: "reboot", host: "6.1.0-18-amd64", sec: t0},
		want{action: "system-boot", category: "host", typ: "start", meaning: timeline.MeaningBoot, tty: "~",
			labels: map[string]string{"kernel": "6.1.0-18-amd64", "ut_user": "reboot"}, msg: "system boot, kernel 6.1.0-18-amd64"}},
	{"run level", rec{typ: RunLevel, pid: '5' | 'S'<<8, line: "~", id: "~~", user: "runlevel", host: "6.1.0-18-amd64", sec: t0},
		want{action: "run-level", category: "host", typ: "change", meaning: MeaningRunLevel, tty: "~",
			labels: map[string]string{"runlevel": "5", "previous_runlevel": "S", "ut_user": "runlevel"}, msg: "run level 5 (was S)"}},
	{"shutdown", rec{typ: RunLevel, pid: '0', line: "~~", id: "~~", user: "shutdown", host: "6.1.0-18-amd64", sec: t0},
		want{action: "system-shutdown", category: "host", typ: "end", meaning: MeaningShutdown, tty: "~~",
			labels: map[string]string{"runlevel": "0"}, msg: "system shutdown"}},
	{"clock: new time", rec{typ: NewTime, line: "|", user: "date", sec: t0},
		want{action: "clock-changed", category: "host", typ: "change", meaning: MeaningClockNew, tty: "|"}},
	{"clock: old time", rec{typ: OldTime, line: "{", user: "date", sec: t0 - 3600},
		want{action: "clock-changed", category: "host", typ: "change", meaning: MeaningClockOld, tty: "{"}},
	{"init process", rec{typ: InitProcess, pid: 611, id: "si", sec: t0},
		want{action: "init-process", category: "process", typ: "start", meaning: timeline.MeaningStart, pid: 611, msg: "process started by init (inittab id si)"}},
	{"getty", rec{typ: LoginProcess, pid: 600, line: "tty1", id: "tty1", user: "LOGIN", sec: t0},
		want{action: "login-process", category: "authentication", typ: "start", meaning: MeaningLoginPrompt, user: "LOGIN", tty: "tty1", pid: 600}},
	{"accounting", rec{typ: Accounting, pid: 5, user: "acct", sec: t0},
		want{action: "accounting", category: "host", typ: "info", meaning: timeline.MeaningLogged, user: "acct", pid: 5}},
	{"EMPTY with data left in it", rec{typ: Empty, pid: 4242, line: "pts/9", user: "ghost", host: "192.0.2.66", sec: t0},
		want{action: "empty-record", category: "session", typ: "info", meaning: timeline.MeaningLogged, user: "ghost", ip: "192.0.2.66", tty: "pts/9", pid: 4242}},
	{"user field without NUL", rec{typ: UserProcess, pid: 8, line: strings.Repeat("L", 32), user: strings.Repeat("u", 32), host: "x", sec: t0},
		want{action: "user-login", category: "authentication,session", typ: "start", outcome: "success", meaning: timeline.MeaningLogin, user: strings.Repeat("u", 32), address: "x", tty: strings.Repeat("L", 32), pid: 8}},
}

func checkEvent(t *testing.T, name string, ev timeline.Event, r rec, w want, kind string, l Layout, off int64) {
	t.Helper()
	errorf := func(format string, args ...any) { t.Errorf("%s (%s): "+format, append([]any{name, l}, args...)...) }
	e := ev.Event
	if e.Action != w.action || strings.Join(e.Category, ",") != w.category || strings.Join(e.Type, ",") != w.typ || e.Outcome != w.outcome || e.Dataset != kind || e.Kind != "event" {
		errorf("event fields %+v, want %+v", e, w)
	}
	if ev.Cordon.TimeMeaning != w.meaning {
		errorf("meaning %q, want %q", ev.Cordon.TimeMeaning, w.meaning)
	}
	wantT := time.Unix(r.sec, r.usec*1000).UTC()
	if !ev.Timestamp.Equal(wantT) || ev.Timestamp.Location() != time.UTC {
		errorf("time %v, want %v", ev.Timestamp, wantT)
	}
	if !strings.Contains(ev.Cordon.TimeDerivation, "ut_tv of a "+kind+" "+TypeName(r.typ)+" record ("+l.String()+")") {
		errorf("derivation %q", ev.Cordon.TimeDerivation)
	}
	if p := ev.Cordon.Provenance; p != wtmpOrigin.Provenance(0, off) && p.Offset != off {
		errorf("provenance %+v, want offset %d", p, off)
	}
	user := ""
	if ev.User != nil {
		user = ev.User.Name
	}
	ip, addr := "", ""
	if ev.Source != nil {
		ip, addr = ev.Source.IP, ev.Source.Address
	}
	var pid int64
	if ev.Process != nil {
		pid = ev.Process.PID
	}
	if user != w.user || ip != w.ip || addr != w.address || ev.Labels["tty"] != w.tty || pid != w.pid {
		errorf("user %q ip %q address %q tty %q pid %d, want %q %q %q %q %d", user, ip, addr, ev.Labels["tty"], pid, w.user, w.ip, w.address, w.tty, w.pid)
	}
	for k, v := range w.labels {
		if ev.Labels[k] != v {
			errorf("label %s = %q, want %q (%v)", k, ev.Labels[k], v, ev.Labels)
		}
	}
	if ev.Labels["ut_type"] != TypeName(r.typ) {
		errorf("ut_type label %q", ev.Labels["ut_type"])
	}
	if w.msg != "" && ev.Message != w.msg {
		errorf("message %q, want %q", ev.Message, w.msg)
	}
	if ev.Host == nil || ev.Host.Name != "db01" {
		errorf("host %+v", ev.Host)
	}
	if ev.Event.Original == "" || !strings.HasPrefix(ev.Event.Original, fmt.Sprintf("[%d] [%05d]", r.typ, r.pid)) {
		errorf("original %q", ev.Event.Original)
	}
}

// Every record type, in each of the four layouts, read alone (layout
// detected from one record) and all together in one file (offsets).
func TestRecordTypesAllLayouts(t *testing.T) {
	for _, l := range layouts {
		var all []rec
		for _, c := range typeCases {
			all = append(all, c.r)
			opt := Options{}
			if c.r.typ == Empty {
				// one EMPTY record says nothing of the layout: detection
				// warns (and falls back to 384-byte little-endian)
				if _, warns, _ := parse(c.r.bytes(t, l), wtmpOrigin, opt); len(warns) == 0 || !strings.Contains(warns[0].Message, "layout not recognised") {
					t.Errorf("%s (%s): warnings %+v", c.name, l, warns)
				}
				opt.Layout = l
			}
			evs, warns, err := parse(c.r.bytes(t, l), wtmpOrigin, opt)
			if err != nil || len(warns) != 0 || len(evs) != 1 {
				t.Errorf("%s (%s): %d events, warnings %+v, err %v", c.name, l, len(evs), warns, err)
				continue
			}
			checkEvent(t, c.name, evs[0], c.r, c.w, "wtmp", l, 0)
		}
		b := file(t, l, all...)
		if got, ok := Detect(b, true); !ok || got != l {
			t.Errorf("Detect = %s %v, want %s", got, ok, l)
		}
		evs, warns, err := parse(b, wtmpOrigin, Options{})
		if err != nil || len(warns) != 0 || len(evs) != len(typeCases) {
			t.Fatalf("%s: whole file: %d events, warnings %+v, err %v", l, len(evs), warns, err)
		}
		for i, c := range typeCases {
			checkEvent(t, c.name, evs[i], c.r, c.w, "wtmp", l, int64(i*l.Size))
		}
	}
}

// Any record of btmp is a failed login (sshd writes LOGIN_PROCESS, login(1)
// USER_PROCESS); the kind comes from the host path, rotated or not.
func TestBtmpIsFailedLogins(t *testing.T) {
	b := file(t, LittleEndian384,
		rec{typ: LoginProcess, pid: 3301, line: "ssh:notty", user: "admin", host: "203.0.113.50", addr: "203.0.113.50", sec: t0},
		rec{typ: UserProcess, pid: 3302, line: "tty2", user: "root", sec: t0 + 1})
	for _, hp := range []string{"/var/log/btmp", "/var/log/btmp.1", "/var/log/btmp-20260301"} {
		o := timeline.Origin{Entry: "fs" + hp, HostPath: hp}
		evs, warns, err := parse(b, o, Options{})
		if err != nil || len(warns) != 0 || len(evs) != 2 {
			t.Fatalf("%s: %d events %+v %v", hp, len(evs), warns, err)
		}
		for _, ev := range evs {
			if ev.Event.Action != "login-failed" || ev.Event.Outcome != "failure" || ev.Event.Dataset != "btmp" || ev.Cordon.TimeMeaning != MeaningFailedLogin || ev.User == nil {
				t.Errorf("%s: %+v", hp, ev)
			}
		}
		if evs[0].Source == nil || evs[0].Source.IP != "203.0.113.50" || evs[0].User.Name != "admin" || evs[0].Labels["tty"] != "ssh:notty" {
			t.Errorf("%s: first event %+v %+v", hp, evs[0].Source, evs[0].Labels)
		}
	}
	// the entry name alone is enough, and Options.Kind overrides it
	evs, _, _ := parse(b, timeline.Origin{Entry: "fs/var/log/btmp.1"}, Options{})
	if evs[0].Event.Action != "login-failed" {
		t.Errorf("kind from entry name: %s", evs[0].Event.Action)
	}
	evs, _, _ = parse(b, timeline.Origin{Entry: "fs/var/log/btmp.1"}, Options{Kind: KindWtmp})
	if evs[1].Event.Action != "user-login" {
		t.Errorf("Options.Kind: %s", evs[1].Event.Action)
	}
	for hp, k := range map[string]Kind{"/var/log/wtmp": KindWtmp, "/var/log/wtmp.1": KindWtmp, "/run/utmp": KindUtmp, "/var/log/btmp.2.gz": KindBtmp, "": KindWtmp} {
		if got := KindOf(hp); got != k {
			t.Errorf("KindOf(%q) = %s, want %s", hp, got, k)
		}
	}
}

// All-zero records are counted in one warning; an EMPTY record with data
// in it is an event (TestRecordTypesAllLayouts).
func TestAllZeroRecords(t *testing.T) {
	zero := make([]byte, Size384)
	login := rec{typ: UserProcess, pid: 1, line: "pts/0", user: "root", sec: t0}.bytes(t, LittleEndian384)
	b := bytes.Join([][]byte{zero, login, zero, zero}, nil)
	evs, warns, err := parse(b, wtmpOrigin, Options{})
	if err != nil || len(evs) != 1 || evs[0].Cordon.Provenance.Offset != 384 {
		t.Fatalf("events %+v err %v", evs, err)
	}
	if len(warns) != 1 || warns[0].Offset != 0 || !strings.Contains(warns[0].Message, "3 all-zero records") || !strings.Contains(warns[0].Message, "last at offset 1152") {
		t.Fatalf("warnings %+v", warns)
	}
	// a file of zeros only: no event, the one warning, no layout warning
	evs, warns, _ = parse(make([]byte, 10*Size384), wtmpOrigin, Options{})
	if len(evs) != 0 || len(warns) != 1 || !strings.Contains(warns[0].Message, "10 all-zero records") {
		t.Fatalf("zeros: %d events, %+v", len(evs), warns)
	}
	// an empty file: nothing at all
	evs, warns, err = parse(nil, wtmpOrigin, Options{})
	if len(evs) != 0 || len(warns) != 0 || err != nil {
		t.Fatalf("empty file: %v %v %v", evs, warns, err)
	}
}

func TestCorruptAndTruncatedRecords(t *testing.T) {
	l := LittleEndian400
	good := rec{typ: UserProcess, pid: 1, line: "pts/0", user: "root", sec: t0}
	bad := good
	bad.typ = 42
	b := file(t, l, good, bad, good)
	b = append(b, bytes.Repeat([]byte{0xee}, 100)...)
	evs, warns, err := parse(b, wtmpOrigin, Options{})
	if err != nil || len(evs) != 2 || evs[1].Cordon.Provenance.Offset != 800 {
		t.Fatalf("events %d %v", len(evs), err)
	}
	if len(warns) != 2 ||
		warns[0].Offset != 400 || !strings.Contains(warns[0].Message, "corrupt record at offset 400: ut_type 42") ||
		warns[1].Offset != 1200 || !strings.Contains(warns[1].Message, "truncated record at offset 1200, 100 bytes") {
		t.Fatalf("warnings %+v", warns)
	}
	if warns[0].Entry != wtmpOrigin.Entry {
		t.Errorf("warning entry %q", warns[0].Entry)
	}
	// a file shorter than one record
	_, warns, _ = parse(b[:50], wtmpOrigin, Options{})
	if len(warns) != 2 || !strings.Contains(warns[1].Message, "truncated record at offset 0, 50 bytes") {
		t.Fatalf("short file: %+v", warns)
	}
}

func TestBadTimes(t *testing.T) {
	b := file(t, LittleEndian384,
		rec{typ: UserProcess, pid: 1, line: "pts/0", user: "root", sec: t0},
		rec{typ: UserProcess, pid: 2, line: "pts/1", user: "root", sec: 0},
		rec{typ: UserProcess, pid: 3, line: "pts/2", user: "root", sec: t0, usec: 2000000})
	evs, warns, _ := parse(b, wtmpOrigin, Options{})
	if len(evs) != 2 || !evs[1].Timestamp.IsZero() {
		t.Fatalf("events %+v", evs)
	}
	if len(warns) != 2 || warns[0].Offset != 384 || !strings.Contains(warns[0].Message, "ut_tv is 0") ||
		warns[1].Offset != 768 || !strings.Contains(warns[1].Message, "cannot be real (ut_tv.tv_usec 2000000 is not 0..999999)") {
		t.Fatalf("warnings %+v", warns)
	}
	// 64-bit seconds beyond year 9999
	b = file(t, LittleEndian400,
		rec{typ: UserProcess, pid: 1, line: "pts/0", user: "root", sec: t0},
		rec{typ: UserProcess, pid: 2, line: "pts/1", user: "root", sec: 1 << 62})
	evs, warns, _ = parse(b, wtmpOrigin, Options{})
	if len(evs) != 2 || !evs[1].Timestamp.IsZero() || len(warns) != 1 || !strings.Contains(warns[0].Message, "out of range") {
		t.Fatalf("events %+v warnings %+v", evs, warns)
	}
}

// Detection picks each layout from its data, an EMPTY first record
// included; Options.Layout overrides it.
func TestDetectAndOverride(t *testing.T) {
	recs := []rec{
		{typ: Empty, pid: 0, line: "pts/5"},
		{typ: BootTime, user: "reboot", line: "~", host: "6.1.0", sec: t0},
		{typ: UserProcess, pid: 1234, line: "pts/0", user: "root", host: "203.0.113.9", addr: "203.0.113.9", sec: t0 + 5, usec: 1},
	}
	for _, l := range layouts {
		b := file(t, l, recs...)
		for _, atEOF := range []bool{true, false} {
			if got, ok := Detect(b, atEOF); !ok || got != l {
				t.Errorf("Detect(%s, %v) = %s %v", l, atEOF, got, ok)
			}
		}
		// the same records, layout given
		evs, warns, err := parse(b, wtmpOrigin, Options{Layout: l})
		if err != nil || len(warns) != 0 || len(evs) != 3 {
			t.Errorf("%s given: %d events %+v %v", l, len(evs), warns, err)
		}
	}
	// a wrong layout given is obeyed: the records read as corrupt, warned
	// (but for the EMPTY one, whose zero type reads alike in both orders)
	b := file(t, BigEndian384, recs...)
	evs, warns, _ := parse(b, wtmpOrigin, Options{Layout: LittleEndian384})
	if len(evs) != 1 || len(warns) != 2 || warns[1].Offset != 768 {
		t.Errorf("wrong layout: %d events, %+v", len(evs), warns)
	}
	if _, _, err := parse(b, wtmpOrigin, Options{Layout: Layout{Size: 392, Order: binary.LittleEndian}}); err == nil {
		t.Error("a 392-byte layout was accepted")
	}
	if _, ok := Detect(nil, true); ok {
		t.Error("Detect of nothing claims a layout")
	}
}

// Garbage and truncations of a real file: warnings, no panic, never an
// event made of a record that is not there.
func TestGarbage(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	for _, n := range []int{1, 383, 384, 400, 4800, 9600, 64 << 10} {
		g := make([]byte, n)
		rnd.Read(g)
		evs, warns, err := parse(g, wtmpOrigin, Options{})
		if err != nil || len(warns) == 0 {
			t.Errorf("%d random bytes: %d events, %d warnings, %v", n, len(evs), len(warns), err)
		}
		if len(evs) > n/Size384 {
			t.Errorf("%d random bytes gave %d events", n, len(evs))
		}
	}
	var all []rec
	for _, c := range typeCases {
		all = append(all, c.r)
	}
	for _, l := range layouts {
		b := file(t, l, all...)
		for cut := 0; cut < len(b); cut += 37 {
			evs, warns, err := parse(b[:cut], wtmpOrigin, Options{Layout: l})
			if err != nil || len(evs) != cut/l.Size || (cut%l.Size != 0) != (len(warns) == 1) {
				t.Fatalf("%s cut at %d: %d events %+v %v", l, cut, len(evs), warns, err)
			}
		}
	}
	// a gigantic run of corrupt records is bounded in warnings
	g := bytes.Repeat(append([]byte{0xff, 0x7f}, make([]byte, Size384-2)...), MaxItemised+500)
	evs, warns, _ := parse(g, wtmpOrigin, Options{})
	if len(evs) != 0 || len(warns) != MaxItemised+2 || !strings.Contains(warns[len(warns)-1].Message, "500 more record warnings not itemised (over 1000), offsets 384000 to 575616; 1500 corrupt records in all") {
		t.Fatalf("corrupt run: %d events, %d warnings, last %+v", len(evs), len(warns), warns[len(warns)-1])
	}
}

type failingReader struct {
	r io.Reader
	n int
}

var errDisk = errors.New("disk read error")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errDisk
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	k, err := f.r.Read(p)
	f.n -= k
	return k, err
}

// A failing reader is an error (the entry could not be read), after the
// records read before it.
func TestReaderError(t *testing.T) {
	var recs []rec
	for i := 0; i < 100; i++ {
		recs = append(recs, rec{typ: UserProcess, pid: int32(i + 1), line: "pts/0", user: "root", sec: t0 + int64(i)})
	}
	b := file(t, LittleEndian384, recs...)
	for _, n := range []int{100, 50 * Size384} {
		var evs int
		err := Parse(&failingReader{r: bytes.NewReader(b), n: n}, wtmpOrigin, func(timeline.Event) { evs++ }, func(timeline.Warning) {})
		if !errors.Is(err, errDisk) {
			t.Errorf("after %d bytes: err %v", n, err)
		}
		if n > DetectRecords*Size400 && evs != n/Size384 {
			t.Errorf("after %d bytes: %d events", n, evs)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(rec{typ: UserProcess, pid: 1234, line: "pts/0", user: "root", host: "203.0.113.9", addr: "203.0.113.9", sec: t0}.bytes(f, LittleEndian384))
	f.Fuzz(func(t *testing.T, b []byte) {
		var n int
		err := Parse(bytes.NewReader(b), wtmpOrigin, func(ev timeline.Event) {
			n++
			if ev.Event.Dataset != "wtmp" || ev.Event.Action == "" || ev.Cordon.TimeDerivation == "" {
				t.Fatalf("event %+v", ev)
			}
			if ev.Cordon.Provenance.Offset < 0 || ev.Cordon.Provenance.Offset >= int64(len(b)) {
				t.Fatalf("offset %d of %d bytes", ev.Cordon.Provenance.Offset, len(b))
			}
		}, func(timeline.Warning) {})
		if err != nil {
			t.Fatal(err)
		}
		if n > len(b)/Size384 {
			t.Fatalf("%d events from %d bytes", n, len(b))
		}
	})
}

// The checked-in seed corpus is there and each vector reads as its name
// says (an empty corpus would make FuzzParse test nothing).
func TestSeedCorpus(t *testing.T) {
	want := map[string]struct{ events, warnings int }{
		"wtmp-384-little-endian":       {6, 0},
		"wtmp-400-little-endian":       {6, 0},
		"wtmp-384-big-endian":          {3, 0},
		"wtmp-400-big-endian":          {3, 0},
		"truncated-record":             {2, 1},
		"corrupt-type":                 {2, 1},
		"all-zero-and-empty-with-data": {2, 1},
		"hostile-strings":              {1, 1}, // the record with control bytes in its names cannot be real
		"garbage":                      {0, -1},
	}
	for name, w := range want {
		raw, err := os.ReadFile(filepath.Join("testdata/fuzz/FuzzParse", name))
		if err != nil {
			t.Fatal(err)
		}
		lit, ok := strings.CutPrefix(strings.TrimSpace(string(raw)), "go test fuzz v1\n[]byte(")
		lit, ok2 := strings.CutSuffix(lit, ")")
		b, err := strconv.Unquote(lit)
		if !ok || !ok2 || err != nil {
			t.Fatalf("%s: not a go test fuzz v1 []byte file: %v", name, err)
		}
		evs, warns, err := parse([]byte(b), wtmpOrigin, Options{})
		if err != nil || len(evs) != w.events || (w.warnings >= 0 && len(warns) != w.warnings) || (w.warnings < 0 && len(warns) == 0) {
			t.Errorf("%s: %d events, warnings %+v, err %v; want %d, %d", name, len(evs), warns, err, w.events, w.warnings)
		}
	}
}
