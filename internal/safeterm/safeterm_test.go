package safeterm

import "testing"

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain /tmp/mysql", "plain /tmp/mysql"},
		{"\x1b[2J\x1b]0;pwned\x07", `\x1b[2J\x1b]0;pwned\x07`},
		{"line\nnext\r", `line\x0anext\x0d`},
		{"bad\xff\xfeutf8", `bad\xff\xfeutf8`},
		{"rtl\u202eexe.txt", `rtl\u202eexe.txt`},
		{"c1\u009b31m", `c1\x9b31m`},
		{`back\slash`, `back\\slash`},
		{"naïve", "naïve"},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := make([]byte, MaxLen+10)
	for i := range long {
		long[i] = 'a'
	}
	if got := Escape(string(long)); len(got) != MaxLen+len("…") {
		t.Errorf("long input not cut: %d bytes", len(got))
	}
}
