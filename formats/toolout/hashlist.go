package toolout

import (
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// HashEntry is one line of an md5sum, sha1sum or sha256sum list.
type HashEntry struct {
	Line, Offset int64
	Algorithm    string // "md5", "sha1", "sha256" (by the hash's length)
	Hash         string // lower-case hex
	Path         string // as listed, unescaped
}

// ParseHashList reads the output of md5sum, sha1sum or sha256sum (GNU
// coreutils): "HASH  PATH" or "HASH *PATH" (binary mode), and the escaped
// form "\HASH  PATH" coreutils writes for a name holding a backslash or a
// newline (\\ and \n in the name). A line that is not one is a warning.
func ParseHashList(r io.Reader) ([]HashEntry, []Warning, error) {
	var out []HashEntry
	var ws warnings
	err := eachLine(r, &ws, func(b []byte, n, off int64) bool {
		line := string(b)
		if strings.TrimSpace(line) == "" {
			return true
		}
		if len(out) >= MaxRows {
			ws.add(n, off, "more than %d hashes: the rest is not read", MaxRows)
			return false
		}
		escaped := strings.HasPrefix(line, `\`)
		if escaped {
			line = line[1:]
		}
		h, p, ok := strings.Cut(line, " ")
		algo := map[int]string{32: "md5", 40: "sha1", 64: "sha256"}[len(h)]
		if !ok || algo == "" || !isHex(h) || len(p) < 2 || (p[0] != ' ' && p[0] != '*') {
			ws.add(n, off, "not a hash line: %s", quote(b))
			return true
		}
		p = p[1:]
		if escaped {
			p = strings.NewReplacer(`\\`, `\`, `\n`, "\n").Replace(p)
		}
		out = append(out, HashEntry{Line: n, Offset: off, Algorithm: algo, Hash: strings.ToLower(h), Path: textio.SafeString(p)})
		return true
	})
	return out, ws.done(), err
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
