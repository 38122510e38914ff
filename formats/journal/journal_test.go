package journal

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

var origin = timeline.Origin{Bundle: "ev1", Entry: "fs/var/log/journal/3d1219c7c4c5404aaa1f6d2a48adfda4/system.journal", Host: "collector-host"}

func TestSynthetic(t *testing.T) {
	for _, compact := range []bool{false, true} {
		res := ParseBytes(sample(t, compact), origin)
		if len(res.Events) != 2 {
			t.Fatalf("compact=%v: %d events", compact, len(res.Events))
		}
		e := res.Events[0]
		if e.Message != "Started mysql.service - watchdog." || e.Process.PID != 4471 || e.Process.Name != "mysql" ||
			e.Process.Executable != "/tmp/mysql (deleted)" || e.Process.CommandLine != "/tmp/mysql -o pool.example:3333 -u wallet --donate-level 0" ||
			e.User.ID != "999" || e.Host.Name != "devops-buildagent" || e.Labels["journal.syslog_identifier"] != "systemd" {
			t.Errorf("compact=%v: first event %+v %+v %+v", compact, e, e.Process, e.Labels)
		}
		if !e.Timestamp.Equal(time.UnixMicro(1773735971204000)) || e.Cordon.Provenance.Offset == 0 || e.Labels["journal.seqnum"] != "1" ||
			e.Labels["journal.boot_id"] != strings.Repeat("01", 16) || e.Event.Dataset != "journal" {
			t.Errorf("compact=%v: time/provenance %v %+v %v", compact, e.Timestamp, e.Cordon, e.Labels)
		}
		e = res.Events[1]
		if e.Message != `bin\xffary` || e.Labels["journal.undecoded_fields"] != "2" || e.Labels["journal.missing_fields"] != "1" || e.Host.Name != "collector-host" {
			t.Errorf("compact=%v: second event %q %v", compact, e.Message, e.Labels)
		}
		var lz4, xz, missing bool
		for _, w := range res.Warnings {
			lz4 = lz4 || strings.Contains(w.Message, "LZ4")
			xz = xz || strings.Contains(w.Message, "XZ")
			missing = missing || strings.Contains(w.Message, "point at no DATA")
		}
		if !lz4 || !xz || !missing || len(res.Warnings) != 4 { // + the unknown type
			t.Errorf("compact=%v: warnings %+v", compact, res.Warnings)
		}
	}
}

func TestSummary(t *testing.T) {
	sum, err := Read(bytes.NewReader(sample(t, true)), origin, func(Entry) {}, func(timeline.Warning) {})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Compact() || sum.Entries != 2 || sum.DataObjects != 12 || sum.CompressedZSTD != 1 || sum.CompressedLZ4 != 1 || sum.CompressedXZ != 1 {
		t.Errorf("summary %+v", sum)
	}
}

// Every prefix of a file (a copy cut short) reads without a panic; one cut
// before its last object says so.
func TestTruncatedCopies(t *testing.T) {
	full := sample(t, false)
	last := int(bytes.LastIndex(full[:len(full)-4096], []byte{objEntry, 0, 0, 0, 0, 0, 0, 0}))
	for n := 0; n < len(full); n++ {
		res := ParseBytes(full[:n], origin)
		if n < last && len(res.Warnings) == 0 {
			t.Fatalf("cut at %d of %d: no warning", n, len(full))
		}
		if len(res.Events) > 2 {
			t.Fatalf("cut at %d: %d events", n, len(res.Events))
		}
	}
}

func TestDamage(t *testing.T) {
	good := sample(t, false)
	cases := map[string]func(b []byte){
		"huge object size":      func(b []byte) { putU64(b, 272+8, 1<<62) },
		"tiny object size":      func(b []byte) { putU64(b, 272+8, 3) },
		"header size too small": func(b []byte) { putU64(b, hdrHeaderSize, 8) },
		"header size too large": func(b []byte) { putU64(b, hdrHeaderSize, 1<<40) },
		"bad signature":         func(b []byte) { b[0] = 'X' },
		"unknown incompat flag": func(b []byte) { b[hdrIncompatibleFlags+3] = 0x80 },
		"arena overflow":        func(b []byte) { putU64(b, hdrArenaSize, ^uint64(0)) },
		"online file":           func(b []byte) { b[hdrState] = 1 },
	}
	for name, damage := range cases {
		b := append([]byte(nil), good...)
		damage(b)
		res := ParseBytes(b, origin)
		if len(res.Warnings) == 0 {
			t.Errorf("%s: no warning", name)
		}
	}
}

func putU64(b []byte, off int, v uint64) {
	for i := 0; i < 8; i++ {
		b[off+i] = byte(v >> (8 * i))
	}
}

func TestGarbage(t *testing.T) {
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i>>3)
	}
	res := ParseBytes(garbage, origin)
	if len(res.Warnings) != 1 || len(res.Events) != 0 {
		t.Fatalf("garbage: %+v, %d events", res.Warnings, len(res.Events))
	}
	// garbage behind a valid header
	h := sample(t, true)[:272]
	res = ParseBytes(append(h, garbage...), origin)
	if len(res.Warnings) == 0 {
		t.Fatalf("garbage after a header: no warning (%d events)", len(res.Events))
	}
	if err := Parse(bytes.NewReader(nil), origin, func(timeline.Event) {}, func(timeline.Warning) {}); err != nil {
		t.Fatalf("empty input is a warning, not an error: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample(f, true))
	f.Fuzz(func(t *testing.T, b []byte) {
		res := ParseBytes(b, origin)
		for _, e := range res.Events {
			if e.Event.Dataset != Dataset || len(e.Message) > 4*MaxValue {
				t.Fatalf("bad event %+v", e.Event)
			}
		}
	})
}

// TestAuthMeanings: sshd's and PAM's messages in the journal mean what
// they mean in auth.log (formats/syslog), with the journal's own PID.
func TestAuthMeanings(t *testing.T) {
	b := newBuilder(false)
	ident := b.field("SYSLOG_IDENTIFIER=sshd")
	pid := b.field("_PID=4242")
	pam := b.field("MESSAGE=pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root")
	failed := b.field("MESSAGE=Failed password for root from 203.0.113.7 port 40004 ssh2")
	other := b.field("MESSAGE=Server listening on :: port 22.")
	b.entry(1, 1773735971000000, 1, 1, ident, pid, pam)
	b.entry(2, 1773735973000000, 2, 1, ident, pid, failed)
	b.entry(3, 1773735974000000, 3, 1, b.field("SYSLOG_IDENTIFIER=systemd"), other)
	res := ParseBytes(b.bytes(0), origin)
	if len(res.Events) != 3 {
		t.Fatalf("%d events", len(res.Events))
	}
	if e := res.Events[0]; e.Event.Action != "authentication-failed" || e.User.Name != "root" || e.Source.IP != "203.0.113.7" || e.Labels["pam.service"] != "sshd" || e.Event.Dataset != "journal" {
		t.Errorf("PAM: %s %+v %+v %v", e.Event.Action, e.User, e.Source, e.Labels)
	}
	if e := res.Events[1]; e.Event.Action != "ssh-login" || e.Event.Outcome != "failure" || e.Source.Port != 40004 || e.Process.PID != 4242 || e.Labels["journal.seqnum"] != "2" {
		t.Errorf("sshd: %s %s %+v %+v", e.Event.Action, e.Event.Outcome, e.Source, e.Process)
	}
	if e := res.Events[2]; e.Event.Action != "journal-entry" {
		t.Errorf("systemd's message given a meaning: %s", e.Event.Action)
	}
}
