package bodyfile

import (
	"strings"
	"testing"
)

func TestModeString(t *testing.T) {
	for _, c := range []struct {
		typ  string
		mode uint32
		want string
	}{
		{"file", 0o755, "-rwxr-xr-x"},
		{"dir", 0o1777, "drwxrwxrwt"},
		{"symlink", 0o777, "lrwxrwxrwx"},
		{"file", 0o4755, "-rwsr-xr-x"},
		{"file", 0o2644, "-rw-r-Sr--"},
		{"fifo", 0o600, "prw-------"},
		{"", 0, "----------"},
	} {
		if got := ModeString(c.typ, c.mode); got != c.want {
			t.Errorf("ModeString(%s, %o) = %s, want %s", c.typ, c.mode, got, c.want)
		}
	}
}

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/tmp/mysql", "/tmp/mysql"},
		{"/tmp/a|b", "/tmp/a%7Cb"},
		{"/tmp/100%", "/tmp/100%25"},
		{"/tmp/\x1b]0;x\x07\n", `/tmp/\x1b]0;x\x07\x0a`},
		{`/tmp/back\slash`, `/tmp/back\\slash`},
		{"/tmp/bad\xff", `/tmp/bad\xff`},
		{"/tmp/rtl\u202etxt.exe", `/tmp/rtl\u202etxt.exe`},
		{"/tmp/naïve", "/tmp/naïve"},
	} {
		got := Escape(c.in)
		if got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if back := Unescape(got); back != c.in {
			t.Errorf("Unescape(%q) = %q, want %q", got, back, c.in)
		}
	}
}

func TestLineRoundTrip(t *testing.T) {
	l := Line{Name: "/tmp/a|b\n%c -> /x", Inode: "42", Mode: "-rwxr-xr-x", UID: 1, GID: 2, Size: 9, Atime: 1700000000, Mtime: 1700000001, Ctime: 1700000002}
	s := l.String()
	if strings.Count(s, "|") != 10 || strings.ContainsAny(s, "\n\x00") {
		t.Fatalf("line %q breaks the format", s)
	}
	got, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	l.MD5 = "0"
	if got != l {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, l)
	}
	for _, bad := range []string{"0|a|b", "0|a|1|m|x|0|0|0|0|0|0", "0|a|1|m|0|0|0|0|0|0|nan"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// FuzzEscape: any name survives Escape then Unescape, and its escaped form
// holds no byte that breaks a line or acts on a terminal.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"/tmp/x", "a|b%c\\d", "\x1b[2J\xff\u202e", `\x41%41\u0041`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if strings.ContainsAny(e, "|\n\r\x1b\x07\x00") {
			t.Fatalf("Escape(%q) = %q", s, e)
		}
		if u := Unescape(e); u != s {
			t.Fatalf("Unescape(Escape(%q)) = %q", s, u)
		}
		_, _ = Parse(s)
	})
}
