package sigma

// Values and modifiers, as the Sigma specification defines them
// (sigma-specification, "Sigma Rules Specification", Value Modifiers):
// a value is compared case-insensitively; "*" and "?" are wildcards, "\"
// escapes them and itself; contains/startswith/endswith place the value;
// all makes every value of a list required; base64, base64offset and the
// utf16 encodings transform the value; windash expands command-line flag
// dashes; re is a regular expression (RE2: no look-around, no
// back-references), case-sensitive unless re|i; cidr, lt/lte/gt/gte,
// exists, fieldref and cased do what their names say.

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// matchKind says how one value is compared with a field's value.
type matchKind uint8

const (
	kindEquals matchKind = iota
	kindContains
	kindPrefix
	kindSuffix
	kindGlob // a wildcard pattern, compiled to an anchored regexp
	kindRegexp
	kindCIDR
	kindLT
	kindLTE
	kindGT
	kindGTE
	kindNull // the field is absent or empty
)

// valueMatcher tests one value of a rule against a field's values.
type valueMatcher struct {
	kind  matchKind
	lit   string // lower-cased unless cased
	cased bool
	re    *regexp.Regexp
	pfx   netip.Prefix
	num   float64
	// alts are the expansions of one rule value (windash, base64offset):
	// the value matches when one of them does.
	alts []valueMatcher
	// globAnchor is the longest literal piece of a wildcard pattern.
	globAnchor string
	// anchor numbers the literal a keyword value's text must hold
	// (keywords.go); -1 when none.
	anchor int
}

// match reports whether v matches; lower is v lower-cased.
func (m *valueMatcher) match(v, lower string) bool {
	if len(m.alts) > 0 {
		for i := range m.alts {
			if m.alts[i].match(v, lower) {
				return true
			}
		}
		return false
	}
	s := lower
	if m.cased {
		s = v
	}
	switch m.kind {
	case kindEquals:
		return s == m.lit
	case kindContains:
		return strings.Contains(s, m.lit)
	case kindPrefix:
		return strings.HasPrefix(s, m.lit)
	case kindSuffix:
		return strings.HasSuffix(s, m.lit)
	case kindGlob:
		return m.re.MatchString(s)
	case kindRegexp:
		return m.re.MatchString(v)
	case kindCIDR:
		a, err := netip.ParseAddr(v)
		return err == nil && m.pfx.Contains(a.Unmap())
	case kindLT, kindLTE, kindGT, kindGTE:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return false
		}
		switch m.kind {
		case kindLT:
			return f < m.num
		case kindLTE:
			return f <= m.num
		case kindGT:
			return f > m.num
		default:
			return f >= m.num
		}
	case kindNull:
		return v == ""
	}
	return false
}

// matchText is match over a text held lower-cased in low (keywords).
func (m *valueMatcher) matchText(v string, low []byte) bool {
	if m.cased || len(m.alts) > 0 {
		return m.match(v, string(low))
	}
	switch m.kind {
	case kindEquals:
		return string(low) == m.lit
	case kindContains:
		return bytes.Contains(low, []byte(m.lit))
	case kindPrefix:
		return bytes.HasPrefix(low, []byte(m.lit))
	case kindSuffix:
		return bytes.HasSuffix(low, []byte(m.lit))
	case kindGlob:
		return m.re.Match(low)
	case kindRegexp:
		return m.re.MatchString(v)
	}
	return m.match(v, string(low))
}

// modifiers of one field, as read from "Field|mod1|mod2".
type modifiers struct {
	place    matchKind // kindEquals, kindContains, kindPrefix, kindSuffix
	all      bool
	cased    bool
	re       bool
	reFlags  string // i, m, s
	cidr     bool
	compare  matchKind // kindLT… or 0
	exists   bool
	fieldref bool
	windash  bool
	// encodings applied to the value, in order (utf16le, utf16be, utf16, wide, base64, base64offset)
	encode []string
}

// readModifiers checks a modifier chain: unknown modifiers, and those whose
// meaning Cordon cannot give (placeholders, time parts), are errors that
// keep the rule from loading.
func readModifiers(mods []string) (modifiers, error) {
	m := modifiers{place: kindEquals}
	for _, mod := range mods {
		switch mod {
		case "contains":
			m.place = kindContains
		case "startswith":
			m.place = kindPrefix
		case "endswith":
			m.place = kindSuffix
		case "all":
			m.all = true
		case "cased":
			m.cased = true
		case "re":
			m.re = true
		case "i", "m", "s":
			if !m.re {
				return m, fmt.Errorf("modifier %q is only valid after re", mod)
			}
			m.reFlags += mod
		case "cidr":
			m.cidr = true
		case "lt":
			m.compare = kindLT
		case "lte":
			m.compare = kindLTE
		case "gt":
			m.compare = kindGT
		case "gte":
			m.compare = kindGTE
		case "exists":
			m.exists = true
		case "fieldref":
			m.fieldref = true
		case "windash":
			m.windash = true
		case "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide":
			m.encode = append(m.encode, mod)
		case "expand":
			return m, fmt.Errorf("modifier expand: placeholders need a processing pipeline, which Cordon does not have")
		case "minute", "hour", "day", "week", "month", "year":
			return m, fmt.Errorf("modifier %s: time-part comparisons are not supported", mod)
		default:
			return m, fmt.Errorf("unknown modifier %q", mod)
		}
	}
	if m.re && (m.place != kindEquals || len(m.encode) > 0 || m.windash) {
		return m, fmt.Errorf("re cannot be combined with contains, startswith, endswith, windash or encodings")
	}
	if len(m.encode) > 0 {
		last := m.encode[len(m.encode)-1]
		if last != "base64" && last != "base64offset" {
			return m, fmt.Errorf("modifier %s must be followed by base64 or base64offset", last)
		}
	}
	return m, nil
}

// maxWindashFlags bounds windash's expansion (5 variants per flag).
const maxWindashFlags = 5

// windashDashes are what windash puts in place of a flag's "-" or "/":
// hyphen, slash, en dash, em dash, horizontal bar.
var windashDashes = []string{"-", "/", "–", "—", "―"}

// windash returns every variant of s with each flag dash ("-" or "/" after
// a non-word character or at the start, before a word character) replaced
// by each of windashDashes.
func windash(s string) ([]string, error) {
	var at []int
	for i := 0; i < len(s); i++ {
		if s[i] != '-' && s[i] != '/' {
			continue
		}
		if i > 0 && isWord(s[i-1]) || i+1 >= len(s) || !isWord(s[i+1]) {
			continue
		}
		at = append(at, i)
	}
	if len(at) > maxWindashFlags {
		return nil, fmt.Errorf("windash: %d flags in %q, at most %d", len(at), s, maxWindashFlags)
	}
	out := []string{""}
	prev := 0
	for _, i := range at {
		var next []string
		for _, o := range out {
			for _, d := range windashDashes {
				next = append(next, o+s[prev:i]+d)
			}
		}
		out, prev = next, i+1
	}
	for i := range out {
		out[i] += s[prev:]
	}
	return out, nil
}

func isWord(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// encodeValue applies the encoding modifiers; base64offset gives three
// values (the value at each offset of a base64 stream).
func encodeValue(s string, encs []string) []string {
	b := []byte(s)
	for _, e := range encs {
		switch e {
		case "utf16le", "wide":
			b = utf16Bytes(string(b), binary.LittleEndian, false)
		case "utf16be":
			b = utf16Bytes(string(b), binary.BigEndian, false)
		case "utf16":
			b = utf16Bytes(string(b), binary.LittleEndian, true)
		case "base64":
			b = []byte(base64.StdEncoding.EncodeToString(b))
		case "base64offset":
			return base64Offsets(b)
		}
	}
	return []string{string(b)}
}

func utf16Bytes(s string, order binary.AppendByteOrder, bom bool) []byte {
	var out []byte
	if bom {
		out = order.AppendUint16(out, 0xfeff)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}

// base64Offsets returns the base64 text of b as it appears when b starts
// at offset 0, 1 or 2 of a longer encoded stream: the characters that
// depend on the bytes around b are cut off.
func base64Offsets(b []byte) []string {
	start := [3]int{0, 2, 3}
	out := make([]string, 0, 3)
	for i := 0; i < 3; i++ {
		shifted := append(make([]byte, i), b...)
		for j := 0; j < i; j++ {
			shifted[j] = ' '
		}
		enc := base64.StdEncoding.EncodeToString(shifted)
		end := len(enc)
		switch (len(b) + i) % 3 {
		case 1:
			end -= 3
		case 2:
			end -= 2
		}
		if end < start[i] {
			end = start[i]
		}
		out = append(out, enc[start[i]:end])
	}
	return out
}

// pattern is a rule value split at its wildcards.
type pattern struct {
	pieces   []string // literal runs, wildcards between them
	wild     []byte   // wild[i] is the wildcard after pieces[i] ('*' or '?'), len(pieces)-1 of them
	hasWild  bool
	anyStart bool // the value starts with "*"
	anyEnd   bool // the value ends with "*"
}

// parsePattern reads Sigma's wildcards and escapes: "*" any run, "?" one
// character, "\*", "\?" and "\\" the characters themselves, "\" before
// anything else a backslash.
func parsePattern(s string) pattern {
	var p pattern
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			cur.WriteByte(s[i+1])
			i++
		case c == '*' || c == '?':
			p.pieces = append(p.pieces, cur.String())
			p.wild = append(p.wild, c)
			cur.Reset()
			p.hasWild = true
		default:
			cur.WriteByte(c)
		}
	}
	p.pieces = append(p.pieces, cur.String())
	return p
}

// literal is the pattern's text when it has no wildcard.
func (p pattern) literal() string { return p.pieces[0] }

// longest is the longest literal piece.
func (p pattern) longest() string {
	best := ""
	for _, s := range p.pieces {
		if len(s) > len(best) {
			best = s
		}
	}
	return best
}

// regexp builds an RE2 expression for the pattern, anchored at the start
// and/or the end.
func (p pattern) regexp(anchorStart, anchorEnd bool) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?s)")
	if anchorStart {
		b.WriteString(`\A`)
	}
	for i, s := range p.pieces {
		b.WriteString(regexp.QuoteMeta(s))
		if i < len(p.wild) {
			if p.wild[i] == '*' {
				b.WriteString(".*")
			} else {
				b.WriteString(".")
			}
		}
	}
	if anchorEnd {
		b.WriteString(`\z`)
	}
	return regexp.Compile(b.String())
}

// newValueMatcher compiles one rule value under the field's modifiers.
func newValueMatcher(raw string, m modifiers) (valueMatcher, error) {
	switch {
	case m.re:
		flags := ""
		if m.reFlags != "" {
			flags = "(?" + m.reFlags + ")"
		}
		re, err := regexp.Compile(flags + raw)
		if err != nil {
			return valueMatcher{}, fmt.Errorf("re %q: %w", raw, err)
		}
		return valueMatcher{kind: kindRegexp, re: re}, nil
	case m.cidr:
		pfx, err := netip.ParsePrefix(strings.TrimSpace(raw))
		if err != nil {
			return valueMatcher{}, fmt.Errorf("cidr %q: %w", raw, err)
		}
		return valueMatcher{kind: kindCIDR, pfx: pfx.Masked()}, nil
	case m.compare != 0:
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil {
			return valueMatcher{}, fmt.Errorf("%q is not a number", raw)
		}
		return valueMatcher{kind: m.compare, num: f}, nil
	}
	variants := []string{raw}
	if m.windash {
		var err error
		if variants, err = windash(raw); err != nil {
			return valueMatcher{}, err
		}
	}
	if len(m.encode) > 0 {
		var enc []string
		for _, v := range variants {
			if strings.ContainsAny(v, "*?") {
				return valueMatcher{}, fmt.Errorf("%s of a value with wildcards (%q) is not defined", strings.Join(m.encode, "|"), raw)
			}
			enc = append(enc, encodeValue(v, m.encode)...)
		}
		variants = enc
		// an encoded value is literal text: escape what would read as wildcards
		for i, v := range variants {
			variants[i] = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`).Replace(v)
		}
	}
	if len(variants) == 1 {
		return placed(variants[0], m)
	}
	vm := valueMatcher{anchor: -1}
	for _, v := range variants {
		alt, err := placed(v, m)
		if err != nil {
			return valueMatcher{}, err
		}
		vm.alts = append(vm.alts, alt)
	}
	return vm, nil
}

// placed compiles a value placed by contains/startswith/endswith or equal.
func placed(raw string, m modifiers) (valueMatcher, error) {
	p := parsePattern(raw)
	vm := valueMatcher{kind: m.place, cased: m.cased, anchor: -1}
	if !p.hasWild {
		vm.lit = p.literal()
		if !m.cased {
			vm.lit = strings.ToLower(vm.lit)
		}
		return vm, nil
	}
	if !m.cased {
		for i := range p.pieces {
			p.pieces[i] = strings.ToLower(p.pieces[i])
		}
	}
	re, err := p.regexp(m.place == kindEquals || m.place == kindPrefix, m.place == kindEquals || m.place == kindSuffix)
	if err != nil {
		return valueMatcher{}, fmt.Errorf("value %q: %w", raw, err)
	}
	vm.kind, vm.re, vm.globAnchor = kindGlob, re, p.longest()
	return vm, nil
}

// scalar turns a YAML value of a rule into text (nil: null).
func scalar(v any) (string, bool, error) {
	switch t := v.(type) {
	case nil:
		return "", true, nil
	case string:
		return t, false, nil
	case int:
		return strconv.Itoa(t), false, nil
	case int64:
		return strconv.FormatInt(t, 10), false, nil
	case uint64:
		return strconv.FormatUint(t, 10), false, nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), false, nil
	case bool:
		return strconv.FormatBool(t), false, nil
	}
	return "", false, fmt.Errorf("value of type %T is not a scalar", v)
}

func lower(s string) string { return strings.ToLower(s) }
