package toolout

// field is one whitespace-separated token of a line and where it sits.
type field struct {
	s          string
	start, end int // byte positions in the line: [start, end)
}

// splitFields splits a line at runs of spaces and tabs, keeping positions.
func splitFields(line string) []field {
	var out []field
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		out = append(out, field{line[i:j], i, j})
		i = j
	}
	return out
}

// atoiOK parses a non-negative decimal integer of at most 18 digits.
func atoiOK(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
