package shellhistory

// bashsyntax.go tells whether a bash command line is complete, so that a
// command the history holds on several lines is read as one: a line that
// ends in a backslash, a quote left open ('…', "…", $'…'), and the body
// of a here-document (<<WORD … WORD, <<-WORD with leading tabs) continue on
// the next line (bash(1), QUOTING and Here Documents). A compound command
// (for … do … done) typed on several lines is not followed: with lithist
// off bash saves it on one line, with it on each line stays its own event.

import "strings"

// maxJoinedLines bounds the lines one command may gather.
const maxJoinedLines = 10_000

// bashSyntax is the state carried from one line of a command to the next.
type bashSyntax struct {
	quote    byte     // 0, '\'', '"', or 'a' for $'…'
	heredocs []string // delimiters waiting for their body, in order
	dash     []bool   // <<- : the delimiter line may be indented with tabs
	lines    int
}

// feed reads one line of a command and reports whether the command goes
// on to the next line.
func (s *bashSyntax) feed(line string) bool {
	s.lines++
	if s.lines >= maxJoinedLines {
		*s = bashSyntax{}
		return false
	}
	line = strings.TrimRight(line, "\r")
	if len(s.heredocs) > 0 && s.quote == 0 {
		d := line
		if s.dash[0] {
			d = strings.TrimLeft(d, "\t")
		}
		if d == s.heredocs[0] {
			s.heredocs, s.dash = s.heredocs[1:], s.dash[1:]
		}
		return len(s.heredocs) > 0
	}
	escaped := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if escaped {
			escaped = false
			continue
		}
		switch s.quote {
		case '\'':
			if c == '\'' {
				s.quote = 0
			}
			continue
		case '"', 'a':
			switch {
			case c == '\\':
				escaped = true
			case c == '"' && s.quote == '"', c == '\'' && s.quote == 'a':
				s.quote = 0
			}
			continue
		}
		switch {
		case c == '\\':
			escaped = true
		case c == '\'':
			s.quote = '\''
		case c == '"':
			s.quote = '"'
		case c == '$' && i+1 < len(line) && line[i+1] == '\'':
			s.quote = 'a'
			i++
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t' || line[i-1] == ';'):
			i = len(line) // a comment to the end of the line
		case c == '<' && strings.HasPrefix(line[i:], "<<<"):
			i += 2 // a here-string: its word is on this line
		case c == '<' && strings.HasPrefix(line[i:], "<<"):
			j := i + 2
			dash := j < len(line) && line[j] == '-'
			if dash {
				j++
			}
			for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
			word, end := heredocWord(line[j:])
			if word != "" && len(s.heredocs) < 16 {
				s.heredocs = append(s.heredocs, word)
				s.dash = append(s.dash, dash)
			}
			i = j + end - 1
		}
	}
	if s.quote != 0 || escaped || len(s.heredocs) > 0 {
		return true
	}
	s.lines = 0
	return false
}

// heredocWord reads a here-document's delimiter (quoted or not) at the
// start of s, without its quotes, and how many bytes it took.
func heredocWord(s string) (string, int) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return "", len(s)
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 2
		case c == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i += 2
		case c == ' ' || c == '\t' || c == ';' || c == '|' || c == '&' || c == '<' || c == '>' || c == '(' || c == ')':
			return b.String(), max(i, 1)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), max(i, 1)
}
