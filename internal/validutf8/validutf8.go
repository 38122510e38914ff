// Package validutf8 makes hostile bytes valid UTF-8 without losing any:
// each byte that is not part of a valid UTF-8 sequence is written as \xNN.
// Valid text, a literal backslash included, is left alone (so a "\x" in
// the result is ambiguous only if the evidence itself held one: keep the
// raw form where that matters).
package validutf8

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Bytes returns b as valid UTF-8, invalid bytes as \xNN.
func Bytes(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			fmt.Fprintf(&sb, `\x%02x`, b[0])
			b = b[1:]
			continue
		}
		sb.Write(b[:n])
		b = b[n:]
	}
	return sb.String()
}

// String is Bytes for a string.
func String(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return Bytes([]byte(s))
}
