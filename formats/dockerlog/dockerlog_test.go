package dockerlog

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

const cid = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"

var origin = timeline.Origin{Bundle: "ev1", Entry: "fs/var/lib/docker/containers/" + cid + "/" + cid + "-json.log", Host: "buildagent"}

func TestContainerID(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{"/var/lib/docker/containers/" + cid + "/" + cid + "-json.log", cid},
		{"/var/lib/docker/containers/" + cid + "/" + cid + "-json.log.3", cid},
		{"/var/lib/docker/containers/" + cid + "/other-json.log", ""},
		{"/var/log/syslog", ""},
		{"", ""},
	} {
		if got := ContainerID(c.path); got != c.want {
			t.Errorf("ContainerID(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	// Lines as PostgreSQL's official image writes them through json-file,
	// a message split by the daemon into two pieces, a bad line, a line
	// with invalid UTF-8 and one with a bad time.
	in := strings.Join([]string{
		`{"log":"2026-03-17 08:26:01.123 UTC [1] LOG:  database system is ready to accept connections\n","stream":"stderr","time":"2026-03-17T08:26:01.123456789Z"}`,
		`{"log":"part one ","stream":"stdout","time":"2026-03-17T08:26:02.000000001Z"}`,
		`{"log":"part two\n","stream":"stdout","time":"2026-03-17T08:26:02.000000002Z"}`,
		`this is not json`,
		"{\"log\":\"bad \xff byte\\n\",\"stream\":\"stdout\",\"time\":\"2026-03-17T08:26:03Z\"}",
		`{"log":"no time\n","stream":"stdout","time":"yesterday"}`,
		`{"log":"with attrs\n","stream":"stdout","attrs":{"tag":"ci"},"time":"2026-03-17T08:26:04+01:00"}`,
		``,
	}, "\n")
	res := ParseBytes([]byte(in), origin)
	type want struct {
		msg, stream string
		t           time.Time
		line        int64
	}
	wants := []want{
		{"PostgreSQL backend 1 LOG: database system is ready to accept connections", "", time.Date(2026, 3, 17, 8, 26, 1, 123e6, time.UTC), 1},
		{"part one part two", "stdout", time.Date(2026, 3, 17, 8, 26, 2, 1, time.UTC), 2},
		{"bad \uFFFD byte", "stdout", time.Date(2026, 3, 17, 8, 26, 3, 0, time.UTC), 5},
		{"no time", "stdout", time.Date(2026, 3, 17, 8, 26, 3, 0, time.UTC), 6},
		{"with attrs", "stdout", time.Date(2026, 3, 17, 7, 26, 4, 0, time.UTC), 7},
	}
	if len(res.Events) != len(wants) {
		t.Fatalf("got %d events, want %d: %+v", len(res.Events), len(wants), res.Events)
	}
	for i, w := range wants {
		ev := res.Events[i]
		if ev.Message != w.msg || ev.Labels["stream"] != w.stream || !ev.Timestamp.Equal(w.t) || ev.Cordon.Provenance.Line != w.line {
			t.Errorf("event %d: got %q %q %v line %d, want %+v", i, ev.Message, ev.Labels["stream"], ev.Timestamp, ev.Cordon.Provenance.Line, w)
		}
		dataset := "docker"
		if i == 0 {
			dataset = "postgresql" // the official image's line: a PostgreSQL event of the container
		}
		if ev.Container == nil || ev.Container.ID != cid || ev.Event.Dataset != dataset || ev.Host.Name != "buildagent" {
			t.Errorf("event %d: container/dataset/host wrong: %+v", i, ev)
		}
		if ev.Cordon.TimeMeaning != timeline.MeaningLogged || ev.Cordon.Provenance.Bundle != "ev1" {
			t.Errorf("event %d: cordon fields %+v", i, ev.Cordon)
		}
	}
	// encoding/json turns invalid UTF-8 into U+FFFD; the original keeps the byte
	if !strings.Contains(res.Events[2].Event.Original, `bad \xff byte`) {
		t.Errorf("original lost the invalid byte: %q", res.Events[2].Event.Original)
	}
	if res.Events[1].Labels["partial_pieces"] != "2" {
		t.Errorf("joined message labels: %v", res.Events[1].Labels)
	}
	if res.Events[4].Labels["attr.tag"] != "ci" {
		t.Errorf("attrs labels: %v", res.Events[4].Labels)
	}
	if off := res.Events[1].Cordon.Provenance.Offset; off != int64(strings.Index(in, `{"log":"part one`)) {
		t.Errorf("offset of the joined message = %d", off)
	}
	// the non-JSON line and the bad time are warnings with their line; the
	// bad time took the line before's, and says so
	if len(res.Warnings) != 2 || res.Warnings[0].Line != 4 || res.Warnings[1].Line != 6 {
		t.Errorf("warnings: %+v", res.Warnings)
	}
	if d := res.Events[3].Cordon.TimeDerivation; !strings.Contains(d, "the time of the line before") {
		t.Errorf("derivation of the bad time: %q", d)
	}
}

func TestLongLineIsWarnedAndSkipped(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"log":"`)
	b.Write(bytes.Repeat([]byte("A"), MaxLine+10))
	b.WriteString("\\n\",\"stream\":\"stdout\",\"time\":\"2026-03-17T08:26:01Z\"}\n")
	b.WriteString(`{"log":"after\n","stream":"stdout","time":"2026-03-17T08:26:05Z"}` + "\n")
	res := ParseBytes(b.Bytes(), origin)
	if len(res.Events) != 1 || res.Events[0].Message != "after" || res.Events[0].Cordon.Provenance.Line != 2 {
		t.Fatalf("events after an overlong line: %+v", res.Events)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "too long") {
		t.Fatalf("warnings: %+v", res.Warnings)
	}
}

func TestGarbage(t *testing.T) {
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i>>3)
	}
	res := ParseBytes(garbage, origin)
	if len(res.Warnings) == 0 {
		t.Fatal("garbage gave no warning")
	}
	if len(res.Events) != 0 {
		t.Fatalf("garbage gave %d events", len(res.Events))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"log":"x\n","stream":"stdout","time":"2026-03-17T08:26:01Z"}` + "\n"))
	// the time forms of plaso's container-json.log, and PostgreSQL's lines as the official image writes them
	f.Add([]byte(`{"log":"\u001b]0;root@e7d0b7ea5ccf: /home/plaso\u0007root@e7d0b7ea5ccf:/home/plaso# ls\r\n","stream":"stdout","time":"2016-01-07T16:49:10.0"}` + "\n" +
		`{"log":"x\n","stream":"stdout","time":"2016-01-07T17:49:10.2+01:00"}` + "\n"))
	f.Add([]byte(`{"log":"2026-11-02 10:24:55.123 UTC [63] LOG:  statement: COPY (SELECT 1) TO PROGRAM 'id'\n","stream":"stderr","time":"2026-11-02T10:24:55.123456Z"}` + "\n" +
		`{"log":"2026-11-02 10:24:56.000 UTC [63] ERROR:  relation \"x\" does not exist\n","stream":"stderr","time":"2026-11-02T10:24:56Z"}` + "\n" +
		`{"log":"\tcontinued\n","stream":"stderr","time":"2026-11-02T10:24:56Z"}` + "\n" +
		`{"log":"2026-11-02 10:24:56.000 UTC [63] STATEMENT:  SELECT * FROM x\n","stream":"stderr","time":"bad"}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res := ParseBytes(b, origin)
		for _, ev := range res.Events {
			if ev.Event.Dataset != Dataset && ev.Event.Dataset != "postgresql" {
				t.Fatalf("dataset %q", ev.Event.Dataset)
			}
			if ev.Timestamp.Year() == 1 && !strings.Contains(ev.Cordon.TimeDerivation, "no time") {
				t.Fatalf("year 1 without saying so: %q", ev.Cordon.TimeDerivation)
			}
		}
	})
}
