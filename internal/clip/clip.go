// Package clip shortens text for a line of a report or a terminal, on a
// UTF-8 rune boundary, marking the cut with an ellipsis. Outputs that keep
// text whole (JSON) do not use it.
package clip

// Cut returns s when it is at most n bytes long, else its first n bytes
// or fewer (never half a rune) followed by "…".
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < 0 {
		n = 0
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
