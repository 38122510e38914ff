package utmp

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// lastlogRecord builds one compact record: UID, then struct lastlog.
func lastlogRecord(uid uint32, at int64, line, host string, order binary.ByteOrder) []byte {
	b := make([]byte, LastlogCompactSize)
	binary.LittleEndian.PutUint32(b, uid)
	order.PutUint32(b[4:], uint32(at))
	copy(b[8:40], line)
	copy(b[40:], host)
	return b
}

func parseLastlog(t testing.TB, data []byte, users map[uint32]string) ([]timeline.Event, []timeline.Warning) {
	t.Helper()
	var evs []timeline.Event
	var ws []timeline.Warning
	o := timeline.Origin{Entry: LastlogEntry, Host: "web01", Users: users}
	if err := ParseLastlog(bytes.NewReader(data), o, func(e timeline.Event) { evs = append(evs, e) }, func(w timeline.Warning) { ws = append(ws, w) }); err != nil {
		t.Fatal(err)
	}
	return evs, ws
}

func TestLastlog(t *testing.T) {
	when := time.Date(2026, 11, 2, 10, 24, 55, 0, time.UTC)
	var data []byte
	data = append(data, lastlogRecord(0, when.Unix(), "pts/0", "203.0.113.7", binary.LittleEndian)...)
	data = append(data, lastlogRecord(1000, when.Add(time.Hour).Unix(), "pts/1", "bastion.example", binary.LittleEndian)...)
	data = append(data, lastlogRecord(1001, when.Unix(), "tty1", "", binary.BigEndian)...)
	data = append(data, lastlogRecord(1002, 12, "x", "", binary.LittleEndian)...)      // implausible time
	data = append(data, lastlogRecord(5, when.Unix(), "", "", binary.LittleEndian)...) // out of order
	data = append(data, 1, 2, 3)                                                       // partial
	evs, ws := parseLastlog(t, data, map[uint32]string{0: "root", 1000: "deploy"})
	if len(evs) != 4 {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	root := evs[0]
	if !root.Timestamp.Equal(when) || root.User.Name != "root" || root.User.ID != "0" || root.Source == nil || root.Source.IP != "203.0.113.7" ||
		root.Event.Action != "last-login" || root.Labels["tty"] != "pts/0" || root.Cordon.TimeMeaning != timeline.MeaningLogin {
		t.Errorf("root %+v", root)
	}
	if root.Message != "UID 0 (root) last logged in on pts/0 from 203.0.113.7 (lastlog)" {
		t.Errorf("message %q", root.Message)
	}
	if d := evs[1]; d.Source == nil || d.Source.Address != "bastion.example" || d.Cordon.Provenance.Offset != LastlogCompactSize {
		t.Errorf("deploy %+v", d)
	}
	if be := evs[2]; !be.Timestamp.Equal(when) || !strings.Contains(be.Cordon.TimeDerivation, "big-endian") || be.User.Name != "" {
		t.Errorf("big-endian record %+v", be)
	}
	var msgs []string
	for _, w := range ws {
		msgs = append(msgs, w.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"implausible time 12", "UID 5 after UID 1002", "a partial record of 3 bytes"} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q in %q", want, all)
		}
	}
}

func TestLastlogGarbage(t *testing.T) {
	junk := make([]byte, 1<<20)
	rand.New(rand.NewSource(9)).Read(junk)
	evs, ws := parseLastlog(t, junk, nil)
	if len(ws) == 0 {
		t.Errorf("1 MiB of random bytes: %d events and no warning", len(evs))
	}
	for _, e := range evs {
		if e.Timestamp.Year() < 1990 || e.Timestamp.Year() > 2100 {
			t.Errorf("implausible time passed: %v", e.Timestamp)
		}
	}
}

func FuzzLastlog(f *testing.F) {
	f.Add(lastlogRecord(0, 1762079095, "pts/0", "203.0.113.7", binary.LittleEndian))
	f.Add(append(lastlogRecord(7, 1762079095, "\x1b[31m", "<script>", binary.BigEndian), 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseLastlog(bytes.NewReader(data), timeline.Origin{Entry: LastlogEntry}, func(e timeline.Event) {
			if len(e.Message) > 2048 { // 288 bytes of fields, each byte at most \xNN
				t.Fatalf("message of %d bytes", len(e.Message))
			}
		}, func(timeline.Warning) {})
	})
}
