package filetimeline

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/cordon-forensics/cordon/formats/bodyfile"
	"github.com/cordon-forensics/cordon/timeline"
)

func TestBodyLineRoundTrip(t *testing.T) {
	ts := time.Unix(1700000000, 5).UTC()
	r := Record{Path: "/tmp/a|b\n%c", Inode: 42, Type: "file", Mode: 0o755, UID: 1, GID: 2, Size: 9,
		Atime: ts, Mtime: ts.Add(time.Second), Ctime: ts.Add(2 * time.Second)}
	line := BodyLine(r)
	if strings.Count(line, "\n") != 1 || strings.Count(line, "|") != 10 {
		t.Fatalf("line %q breaks the format", line)
	}
	b, err := bodyfile.Parse(strings.TrimSuffix(line, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != r.Path || b.Inode != "42" || b.Mode != "-rwxr-xr-x" || b.UID != 1 || b.GID != 2 || b.Size != 9 ||
		b.Atime != 1700000000 || b.Mtime != 1700000001 || b.Ctime != 1700000002 || b.Crtime != 0 {
		t.Errorf("round trip: %+v", b)
	}
	if _, err := bodyfile.Parse("0|a|b"); err == nil {
		t.Error("short line accepted")
	}
}

func TestReaderBadLines(t *testing.T) {
	in := `{"path":"/a","type":"file","mtime":"2026-11-22T10:00:00Z","atime":"2026-11-22T10:00:00Z","ctime":"2026-11-22T10:00:00Z"}
not json

{"path":"/b","type":"dir"}
`
	rd := NewReader(strings.NewReader(in))
	var paths []string
	bad := 0
	for {
		rec, line, off, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			bad++
			if line != 2 || off == 0 {
				t.Errorf("bad line reported at line %d offset %d", line, off)
			}
			continue
		}
		paths = append(paths, rec.Path)
	}
	if bad != 1 || strings.Join(paths, ",") != "/a,/b" {
		t.Errorf("paths %v, bad %d", paths, bad)
	}
	long := strings.Repeat("x", MaxLine+10)
	if _, _, _, err := NewReader(strings.NewReader(long)).Next(); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("long line: %v", err)
	}
}

func TestEvents(t *testing.T) {
	ts := time.Unix(1700000000, 0).UTC()
	r := Record{Path: "/tmp/mysql", Type: "file", Mode: 0o755, Mtime: ts, Atime: ts, Ctime: ts, Btime: ts, SHA256: "ab"}
	evs := Events(r, timeline.Origin{Entry: "filetimeline/records-00001.jsonl"}, 3, 100)
	if len(evs) != 4 {
		t.Fatalf("%d events, want 4", len(evs))
	}
	want := []timeline.Meaning{timeline.MeaningModified, timeline.MeaningAccessed, timeline.MeaningChanged, timeline.MeaningBorn}
	for i, e := range evs {
		if e.Cordon.TimeMeaning != want[i] || e.Cordon.Provenance.Line != 3 || e.Cordon.Provenance.Offset != 100 || e.File.Hash.SHA256 != "ab" {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	r.Btime = time.Time{}
	if n := len(Events(r, timeline.Origin{}, 1, 0)); n != 3 {
		t.Errorf("no birth time: %d events, want 3", n)
	}
	r.Btime = time.Unix(0, 0)
	if n := len(Events(r, timeline.Origin{}, 1, 0)); n != 3 {
		t.Errorf("birth time at the epoch (file system without one): %d events, want 3", n)
	}
}

// FuzzReader: any input is read without panic, and each record yields events.
func FuzzReader(f *testing.F) {
	f.Add([]byte(`{"path":"/a","type":"file","mtime":"2026-11-22T10:00:00Z"}` + "\n"))
	f.Add([]byte("{\"path\":\"/a|b\",\"btime\":\"0001-01-01T00:00:00Z\"}\n\n{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data))
		for i := 0; i < 10000; i++ {
			rec, line, off, err := rd.Next()
			if err == io.EOF || errors.Is(err, ErrLineTooLong) {
				return
			}
			if err != nil {
				continue
			}
			Events(rec, timeline.Origin{}, line, off)
			bodyfile.Parse(strings.TrimSuffix(BodyLine(rec), "\n"))
		}
	})
}

// drain reads every record the way the analyzer does (go on after a bad
// line) and fails if the reader never ends.
func drain(t *testing.T, r io.Reader) (recs, bad int) {
	t.Helper()
	rd := NewReader(r)
	for i := 0; i < 1<<20; i++ {
		_, _, _, err := rd.Next()
		switch {
		case err == io.EOF:
			return recs, bad
		case err != nil:
			bad++
		default:
			recs++
		}
	}
	t.Fatal("the reader never reached io.EOF")
	return
}

func TestGarbage(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	junk := make([]byte, 1<<20)
	rng.Read(junk)
	if _, bad := drain(t, bytes.NewReader(junk)); bad == 0 {
		t.Error("1 MiB of random bytes gave no bad line")
	}
	// A stream cut by a read error (a truncated bundle) ends, once.
	cut := io.MultiReader(strings.NewReader(`{"path":"/a","type":"file"}`+"\n"), iotest.ErrReader(io.ErrUnexpectedEOF))
	if recs, bad := drain(t, cut); recs != 1 || bad != 1 {
		t.Errorf("cut stream: %d records, %d errors; want 1 and 1", recs, bad)
	}
}
