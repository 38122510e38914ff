package validutf8

import (
	"testing"
	"unicode/utf8"
)

func TestInvalidBytesAreWrittenOut(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                "plain",
		"héllo \\x41":          "héllo \\x41",
		"a\xffb":               `a\xffb`,
		"\xc3":                 `\xc3`, // a sequence cut short
		"ok\xe2\x82\xacok\x80": `ok€ok\x80`,
	} {
		got := String(in)
		if got != want || !utf8.ValidString(got) || Bytes([]byte(in)) != got {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}
