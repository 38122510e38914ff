package bodytimeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bodyfile"
	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

func readAll(t *testing.T, data string) ([]timeline.Event, []timeline.Warning) {
	t.Helper()
	var evs []timeline.Event
	var ws []timeline.Warning
	if err := ParseFile(strings.NewReader(data), timeline.Origin{Entry: "fs/root/uac/bodyfile/bodyfile.txt"}, func(e timeline.Event) { evs = append(evs, e) }, func(w timeline.Warning) { ws = append(ws, w) }); err != nil {
		t.Fatal(err)
	}
	return evs, ws
}

// TestCorpusBodyfile: plaso's bodyfile (fls output, NTFS and ext, escaped
// names, fractional times) gives the 71 events plaso reads in it: 67 file
// times, and the 4 entries that have none (deleted files, $OrphanFiles).
func TestCorpusBodyfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.Corpus(t, "plaso"), "bodyfile"))
	if err != nil {
		t.Fatal(err)
	}
	evs, ws := readAll(t, string(b))
	if len(evs) != 71 || len(ws) != 0 {
		t.Fatalf("%d events, want 71; warnings %+v", len(evs), ws)
	}
	byName := map[string][]timeline.Event{}
	for _, e := range evs {
		byName[e.File.Path] = append(byName[e.File.Path], e)
	}
	if es := byName["/a_directory/another_file"]; len(es) != 3 || es[1].Event.Action != "file-atime" || !es[1].Timestamp.Equal(time.Unix(1337961583, 0)) || es[0].File.UID != "151107" || es[0].File.Inode != 16 || es[0].File.Mode != "r/rrw-------" {
		t.Errorf("another_file: %+v", es)
	}
	if es := byName["/file|with|pipes"]; len(es) != 4 || es[2].Event.Action != "file-ctime" || !es[2].Timestamp.Equal(time.Unix(1596091265, 354067564)) || es[0].Labels["bodyfile.inode"] != "64-128-2" {
		t.Errorf("pipes: %+v", es)
	}
	if es := byName["/passwordz\r.txt"]; len(es) != 3 {
		t.Errorf("control byte in a name: %d events (names %v)", len(es), keys(byName))
	}
	if es := byName["/file_symboliclink1"]; len(es) != 3 || es[0].File.Target != "/mnt/ext/testdir1/testfile1" || es[0].File.Type != "symlink" {
		t.Errorf("symbolic link: %+v", es)
	}
	if es := byName[`\testdir2`]; len(es) != 4 || es[0].File.UID != "" || es[0].File.Type != "dir" {
		t.Errorf("empty UID: %+v", es)
	}
	if es := byName[`/file\with\backslashes`]; len(es) != 4 {
		t.Errorf("backslashes: %d", len(es))
	}
	if es := byName["/a_directory/.another_file.swp (deleted)"]; len(es) != 1 || es[0].Event.Action != "file-listed" || !es[0].Timestamp.IsZero() {
		t.Errorf("deleted, no time: %+v", es)
	}
}

func keys(m map[string][]timeline.Event) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestEntryForms: the forms of each field the tools write.
func TestEntryForms(t *testing.T) {
	for _, c := range []struct {
		from, line string
		name       string
		mtime      time.Time
		err        bool
	}{
		{"Cordon's own (Line.String)", bodyfile.Line{Name: "/tmp/a|b%c\x1b", Mode: "-rw-r--r--", Mtime: 1700000000}.String(), "/tmp/a|b%c\x1b", time.Unix(1700000000, 0), false},
		{"fls -m, TSK 4 escapes", `0|/x\|y\\z\x07|12|r/rrw-r--r--|0|0|5|0|1700000000|0|0`, "/x|y\\z\x07", time.Unix(1700000000, 0), false},
		{"fls before 4: a raw pipe", `0|/a|b|12|r/rrw-r--r--|0|0|5|0|1700000000|0|0`, "/a|b", time.Unix(1700000000, 0), false},
		{"UAC, find -printf %T@", `0|/etc/passwd|131|-rw-r--r--|0|0|1774|1700000000.1234567890|1700000001.5|1700000002|0`, "/etc/passwd", time.Unix(1700000001, 5e8), false},
		{"too few fields", `0|/a|1|-|0|0|0|0|0`, "", time.Time{}, true},
		{"a time that is not a number", `0|/a|1|-|0|0|0|0|yesterday|0|0`, "", time.Time{}, true},
		{"a negative size", `0|/a|1|-|0|0|-5|0|0|0|0`, "", time.Time{}, true},
	} {
		e, err := bodyfile.ParseEntry(c.line)
		if (err != nil) != c.err || !c.err && (e.Name != c.name || !e.Mtime.Equal(c.mtime)) {
			t.Errorf("%s: %q: %+v %v", c.from, c.line, e, err)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte("# Comment\n0|/file\\|with\\|pipes|64-128-2|r/rrwxrwxrwx|48|0|16|1596091265.352146149|1596091265.352146149|1596091265.354067564|1596091265.352070808\n0|\\\\testdir2|48-1|drwxrwxrwx|||256|1573896478.1896980|0|0|0\n"))
	f.Add([]byte(bodyfile.Line{Name: "/a -> /b", Mode: "lrwxrwxrwx", Atime: 1}.String() + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ParseFile(strings.NewReader(string(b)), timeline.Origin{Entry: "x"}, func(e timeline.Event) {
			if (e.Timestamp.IsZero() != (e.Event.Action == "file-listed")) || len(e.Message) > 4200 {
				t.Fatalf("event %+v", e)
			}
		}, func(timeline.Warning) {})
	})
}
