package importer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// safe returns s as valid UTF-8 without losing anything: a byte that is
// does for the parsers; member names and text outputs are the host's).
func safe(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n <= 1 {
			fmt.Fprintf(&b, `\x%02x`, s[0])
			s = s[1:]
			continue
		}
		b.WriteString(s[:n])
		s = s[n:]
	}
	return b.String()
}

func safeBytes(b []byte) string { return safe(string(b)) }

// cut bounds s to n bytes without splitting a UTF-8 sequence, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
