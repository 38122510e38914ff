package textio

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/timeline"
)

func TestReaderBoundsAndResyncs(t *testing.T) {
	in := "a\n" + strings.Repeat("x", 100) + "\nb\r\nlast"
	r := NewReader(strings.NewReader(in), 10)
	type got struct {
		s         string
		line, off int64
		long      bool
	}
	var out []got
	for {
		b, line, off, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, ErrLineTooLong) {
			t.Fatal(err)
		}
		out = append(out, got{string(b), line, off, err != nil})
	}
	want := []got{{"a", 1, 0, false}, {"", 2, 2, true}, {"b\r", 3, 103, false}, {"last", 4, 106, false}}
	if len(out) != len(want) {
		t.Fatalf("got %v, want %v", out, want)
	}
	for i := range want {
		if out[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, out[i], want[i])
		}
	}
}

func TestReaderLongerThanBuffer(t *testing.T) {
	// a line longer than bufio's buffer but within the bound is whole
	long := strings.Repeat("y", 200<<10)
	r := NewReader(strings.NewReader(long+"\nz\n"), 1<<20)
	b, _, _, err := r.Next()
	if err != nil || string(b) != long {
		t.Fatalf("long line: len %d err %v", len(b), err)
	}
	b, line, off, err := r.Next()
	if err != nil || string(b) != "z" || line != 2 || off != int64(len(long)+1) {
		t.Fatalf("after long line: %q %d %d %v", b, line, off, err)
	}
}

func TestSafe(t *testing.T) {
	if got := Safe([]byte("ok\xffé\xc3")); got != `ok\xffé\xc3` {
		t.Errorf("Safe = %q", got)
	}
	if got := Cut("ééé", 3); got != "é…" {
		t.Errorf("Cut = %q", got)
	}
}

func TestHostPath(t *testing.T) {
	o := timeline.Origin{Entry: "fs/home/b%20ob/.bash_history"}
	if got := HostPath(o); got != "/home/b ob/.bash_history" {
		t.Errorf("HostPath = %q", got)
	}
	if got := Unescape("a%2"); got != "a%2" {
		t.Errorf("Unescape malformed = %q", got)
	}
	if got := HostPath(timeline.Origin{Entry: "processes/x"}); got != "" {
		t.Errorf("non-fs entry gave %q", got)
	}
}
