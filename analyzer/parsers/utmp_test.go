package parsers

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// utmpRecord is one 384-byte x86-64 struct utmp (glibc bits/utmp.h).
func utmpRecord(typ int16, pid int32, line, user, host string, ip [4]byte, sec int32) []byte {
	b := make([]byte, 384)
	binary.LittleEndian.PutUint16(b[0:], uint16(typ))
	binary.LittleEndian.PutUint32(b[4:], uint32(pid))
	copy(b[8:40], line)
	copy(b[44:76], user)
	copy(b[76:332], host)
	binary.LittleEndian.PutUint32(b[340:], uint32(sec))
	copy(b[348:352], ip[:])
	return b
}

// The utmp parser is registered for the entry names the collector gives
// wtmp, btmp (rotated and compressed too) and utmp, and for no other.
func TestUtmpParserRegistration(t *testing.T) {
	const t0 = 1773735961
	wtmp := bytes.Join([][]byte{
		utmpRecord(2, 0, "~", "reboot", "6.1.0-18-amd64", [4]byte{}, t0-600),
		utmpRecord(7, 1234, "pts/0", "root", "203.0.113.9", [4]byte{203, 0, 113, 9}, t0),
		utmpRecord(8, 1234, "pts/0", "", "", [4]byte{}, t0+60),
	}, nil)
	btmp := utmpRecord(6, 3301, "ssh:notty", "admin", "203.0.113.50", [4]byte{203, 0, 113, 50}, t0)
	gz := func(b []byte) []byte {
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		zw.Write(b)
		zw.Close()
		return out.Bytes()
	}
	cases := []struct {
		hostPath string
		input    []byte
		actions  string
		dataset  string
	}{
		{"/var/log/wtmp", wtmp, "system-boot user-login user-logout", "wtmp"},
		{"/var/log/wtmp.1", wtmp, "system-boot user-login user-logout", "wtmp"},
		{"/var/log/wtmp-20260301", wtmp, "system-boot user-login user-logout", "wtmp"},
		{"/var/log/wtmp.2.gz", gz(wtmp), "system-boot user-login user-logout", "wtmp"},
		{"/var/log/btmp", btmp, "login-failed", "btmp"},
		{"/var/log/btmp.1.gz", gz(btmp), "login-failed", "btmp"},
		{"/run/utmp", wtmp[384:768], "user-login", "utmp"},
		{"/var/run/utmp", wtmp[384:768], "user-login", "utmp"},
	}
	for _, c := range cases {
		name := bundle.NameFor("fs", c.hostPath)
		ps := For(bundle.EntryRecord{Name: name})
		if len(ps) != 1 || ps[0].Name != "utmp" {
			t.Errorf("%s: %d parsers, want [utmp]", name, len(ps))
			continue
		}
		var evs []timeline.Event
		var warns []timeline.Warning
		o := timeline.Origin{Entry: name, Bundle: "ev", HostPath: c.hostPath}
		if err := ps[0].Parse(bytes.NewReader(c.input), o, Emit{
			Event: func(e timeline.Event) { evs = append(evs, e) },
			Warn:  func(w timeline.Warning) { warns = append(warns, w) }}); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var actions []string
		for _, e := range evs {
			actions = append(actions, e.Event.Action)
			if e.Event.Dataset != c.dataset || e.Cordon.Provenance.Entry != name || e.Timestamp.IsZero() || e.Timestamp.Location() != time.UTC || e.Cordon.TimeDerivation == "" {
				t.Errorf("%s: event %+v", name, e)
			}
		}
		if strings.Join(actions, " ") != c.actions || len(warns) != 0 {
			t.Errorf("%s: actions %v, warnings %+v; want %s", name, actions, warns, c.actions)
		}
	}
	// a truncated compressed rotation is a warning, not an error
	var warns []timeline.Warning
	name := bundle.NameFor("fs", "/var/log/wtmp.1.gz")
	err := For(bundle.EntryRecord{Name: name})[0].Parse(bytes.NewReader(gz(wtmp[:500])), timeline.Origin{Entry: name},
		Emit{Event: func(timeline.Event) {}, Warn: func(w timeline.Warning) { warns = append(warns, w) }})
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0].Message, "truncated record at offset 384, 116 bytes") {
		t.Errorf("truncated gz: %v %+v", err, warns)
	}
	// files it must leave alone: wtmpdb's SQLite, lastlog, text logs, the
	// same names elsewhere
	for _, hp := range []string{"/var/log/wtmp.db", "/var/log/lastlog", "/var/log/auth.log", "/var/log/faillog",
		"/var/log/old/wtmp", "/home/x/wtmp", "/run/utmpx", "/run/systemd/utmp"} {
		for _, p := range For(bundle.EntryRecord{Name: bundle.NameFor("fs", hp)}) {
			if p.Name == "utmp" {
				t.Errorf("%s matched by utmp", hp)
			}
		}
	}
}
