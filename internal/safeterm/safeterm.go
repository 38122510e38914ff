// Package safeterm makes untrusted strings (names, paths, log lines read
// from a bundle) safe to print on a terminal: control bytes, escape
// sequences, invalid UTF-8 and bidirectional overrides become visible
// escapes, and the length is bounded.
package safeterm

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLen bounds what Escape returns, in bytes of input consumed.
const MaxLen = 4096

// Escape returns s with every byte or rune that could act on a terminal
// written as \xNN or \uNNNN, cut to MaxLen input bytes ("…" marks a cut).
func Escape(s string) string {
	var b strings.Builder
	cut := false
	if len(s) > MaxLen {
		s, cut = s[:MaxLen], true
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.Is(unicode.Bidi_Control, r) || r == 0x200b || r == 0xfeff || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	if cut {
		b.WriteString("…")
	}
	return b.String()
}
