package snapshot

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

func TestParseKmsgLine(t *testing.T) {
	cases := []struct {
		line string
		ok   bool
		want KmsgRecord
	}{
		{"6,339,5140900,-;NET: Registered protocol family 10", true, KmsgRecord{Facility: 0, Level: 6, Seq: 339, Micros: 5140900, Flags: "-", Message: "NET: Registered protocol family 10"}},
		// facility 3 (daemon), level 4; a newer kernel's extra field; a ';' in the message
		{"28,7,12,c,caller=T1;systemd[1]: a; b", true, KmsgRecord{Facility: 3, Level: 4, Seq: 7, Micros: 12, Flags: "c", Message: "systemd[1]: a; b"}},
		{"4,2,3000000,-;", true, KmsgRecord{Level: 4, Seq: 2, Micros: 3000000, Flags: "-"}},
		{"no header at all", false, KmsgRecord{}},
		{"6,1,2;three fields", false, KmsgRecord{}},
		{"x,1,2,-;bad priority", false, KmsgRecord{}},
		{"6,-1,2,-;negative sequence", false, KmsgRecord{}},
		{"6,1,99999999999999999999,-;overflowing time", false, KmsgRecord{}},
		{"6,1,9223372036854775807,-;time past a Duration", false, KmsgRecord{}},
		{"99999,1,2,-;priority too large", false, KmsgRecord{}},
	}
	for _, c := range cases {
		got, ok := ParseKmsgLine(c.line)
		if ok != c.ok || (ok && (got.Facility != c.want.Facility || got.Level != c.want.Level || got.Seq != c.want.Seq ||
			got.Micros != c.want.Micros || got.Flags != c.want.Flags || got.Message != c.want.Message)) {
			t.Errorf("%q: %+v %v, want %+v %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

// Records gather their dictionary lines; a stray continuation, a
// non-record and an over-long line are warnings at their line and byte.
func TestReadKmsg(t *testing.T) {
	long := "6,9,9,-;" + strings.Repeat("A", MaxKmsgLine+10)
	in := " SUBSYSTEM=orphan\n" +
		"6,1,2500000,-;usb 1-1: new device\n SUBSYSTEM=usb\n DEVICE=c189:1\n SEQ=forged\n" +
		"not a record\n" +
		long + "\n" +
		"3,2,4000000,-;last\n"
	o := timeline.Origin{Entry: KmsgEntry, Bundle: "ev1"}
	var recs []KmsgRecord
	var warns []timeline.Warning
	if err := ReadKmsg(strings.NewReader(in), o, func(r KmsgRecord) { recs = append(recs, r) }, func(w timeline.Warning) { warns = append(warns, w) }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Line != 2 || len(recs[0].Dict) != 3 || recs[1].Line != 8 || recs[1].Message != "last" {
		t.Fatalf("records %+v", recs)
	}
	if len(warns) != 3 || warns[0].Line != 1 || warns[1].Line != 6 || warns[2].Line != 7 || warns[2].Offset != int64(len(in)-len(long)-len("\n3,2,4000000,-;last\n")) {
		t.Fatalf("warnings %+v", warns)
	}
	boot := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ev := KmsgEvent(recs[0], boot, o)
	if !ev.Timestamp.Equal(boot.Add(2500*time.Millisecond)) || ev.Labels["kmsg.subsystem"] != "usb" || ev.Labels["kmsg.seq"] != "1" ||
		ev.Labels["kmsg.level"] != "info" || ev.Cordon.Provenance.Line != 2 {
		t.Errorf("event %+v", ev)
	}
}

// FuzzCollectedEntries feeds the same bytes to every reader and converter
// of the process-files, kernel, accounts and postgres entries: none may
// panic, hang or make an event without provenance.
func FuzzCollectedEntries(f *testing.F) {
	o := testOrigin
	o.ReadAt = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(ev timeline.Event) {
			if ev.Cordon.Provenance.Entry == "" {
				t.Fatalf("event without provenance: %+v", ev)
			}
		}
		nop := func(timeline.Warning) {}
		_ = ReadKmsg(bytes.NewReader(data), o, func(r KmsgRecord) { check(KmsgEvent(r, time.Time{}, o)) }, nop)
		_ = ReadJSONL(bytes.NewReader(data), o, func(x ExeHash, line, off int64) { check(ExeHashEvent(x, o, line, off)) }, nop)
		_ = ReadJSONL(bytes.NewReader(data), o, func(m MappedFile, line, off int64) { check(MappedFileEvent(m, 1, o, line, off)) }, nop)
		_ = ReadJSONL(bytes.NewReader(data), o, func(f OpenFile, line, off int64) {
			if ev, ok := OpenFileEvent(f, o, line, off); ok {
				check(ev)
			}
		}, nop)
		for _, res := range []func() (timeline.Result, error){
			func() (timeline.Result, error) {
				s, err := ReadProcessSummary(bytes.NewReader(data))
				return ProcessSummaryEvents(s, o), err
			},
			func() (timeline.Result, error) {
				s, err := ReadKernelState(bytes.NewReader(data))
				return KernelStateEvents(s, o), err
			},
			func() (timeline.Result, error) {
				s, err := ReadCredentialFiles(bytes.NewReader(data))
				return CredentialFileEvents(s, o), err
			},
			func() (timeline.Result, error) {
				s, err := ReadPostgresClusters(bytes.NewReader(data))
				return PostgresClusterEvents(s, o), err
			},
		} {
			r, _ := res()
			for _, ev := range r.Events {
				check(ev)
			}
		}
	})
}
