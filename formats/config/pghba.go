package config

import (
	"io"
	"net/netip"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// HbaRule is one record of pg_hba.conf (PostgreSQL documentation, "The
// pg_hba.conf File"): local DATABASE USER METHOD [OPTIONS], or
// host* DATABASE USER ADDRESS [MASK] METHOD [OPTIONS]; or an include,
// include_if_exists or include_dir directive (PostgreSQL 16), with Type
// set to the directive and Address to its file.
type HbaRule struct {
	Line      int64
	Offset    int64
	Type      string   // local, host, hostssl, hostnossl, hostgssenc, hostnogssenc, or an include directive
	Databases []string // comma-separated list, quotes removed
	Users     []string
	Address   string // as written: CIDR, IP (with Mask), host name, all, samehost, samenet
	Mask      string // the separate IP-mask form
	Method    string
	Options   []string // name=value
	Raw       string
	// TrustNonLocal says the rule lets clients from a non-loopback address
	// in without any authentication (method trust on a host* rule whose
	// address is not only loopback): the door of the miner incident.
	TrustNonLocal bool
}

var hbaTypes = map[string]bool{"local": true, "host": true, "hostssl": true, "hostnossl": true, "hostgssenc": true, "hostnogssenc": true}

var hbaMethods = map[string]bool{"trust": true, "reject": true, "scram-sha-256": true, "md5": true, "password": true,
	"gss": true, "sspi": true, "ident": true, "peer": true, "ldap": true, "radius": true, "cert": true, "pam": true, "bsd": true, "krb5": true, "crypt": true}

// hbaTokens splits a pg_hba line into tokens: whitespace separates, double
// quotes group (a doubled quote is a quote), "#" outside quotes starts a
// comment. A comma-separated list is one token. quoted[i] says token i was
// quoted (so "all" in quotes is a database named all, not the keyword).
func hbaTokens(s string) (toks []string, quoted []bool) {
	var cur strings.Builder
	inTok, inQ, wasQ := false, false, false
	flush := func() {
		if inTok {
			toks = append(toks, cur.String())
			quoted = append(quoted, wasQ)
		}
		cur.Reset()
		inTok, wasQ = false, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQ && c == '"' && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			inQ = !inQ
			inTok, wasQ = true, true
		case inQ:
			cur.WriteByte(c)
		case c == '#':
			flush()
			return
		case c == ' ' || c == '\t':
			// "a, b" is one list in PostgreSQL only without spaces; keep a
			// token going when it ends with a comma
			if inTok && strings.HasSuffix(cur.String(), ",") {
				continue
			}
			flush()
		default:
			cur.WriteByte(c)
			inTok = true
		}
	}
	flush()
	return
}

func splitList(tok string) []string {
	var out []string
	for _, p := range strings.Split(tok, ",") {
		if p = strings.TrimSpace(strings.Trim(p, `"`)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParsePgHba reads a pg_hba.conf. Lines ending in a backslash continue on
// the next (PostgreSQL 16).
func ParsePgHba(r io.Reader) ([]HbaRule, []Warning) {
	var rules []HbaRule
	var ws []Warning
	var cont strings.Builder
	var contLine, contOff int64
	eachLine(r, &ws, func(b []byte, n, off int64) bool {
		s := textio.Safe(b)
		if cont.Len() == 0 {
			contLine, contOff = n, off
		}
		if strings.HasSuffix(s, `\`) && cont.Len() < textio.MaxLine {
			cont.WriteString(strings.TrimSuffix(s, `\`))
			cont.WriteByte(' ')
			return true
		}
		cont.WriteString(s)
		line := cont.String()
		cont.Reset()
		if len(rules) >= MaxRecords {
			tooMany(&ws, n, off, "pg_hba rules")
			return false
		}
		toks, quoted := hbaTokens(line)
		if len(toks) == 0 {
			return true
		}
		rule, msg := hbaRule(toks, quoted)
		if msg != "" {
			warnf(&ws, contLine, contOff, "pg_hba: %s", msg)
			if rule.Type == "" {
				return true
			}
		}
		rule.Line, rule.Offset, rule.Raw = contLine, contOff, textio.Cut(strings.TrimSpace(line), textio.MaxOriginal)
		rules = append(rules, rule)
		return true
	})
	return rules, ws
}

func hbaRule(toks []string, quoted []bool) (HbaRule, string) {
	var r HbaRule
	typ := strings.ToLower(toks[0])
	switch typ {
	case "include", "include_if_exists", "include_dir":
		if len(toks) != 2 {
			return r, typ + " wants one file name"
		}
		r.Type, r.Address = typ, toks[1]
		return r, ""
	}
	if !hbaTypes[typ] {
		return r, "unknown connection type " + quote(toks[0])
	}
	r.Type = typ
	rest := toks[1:]
	want := 4
	if typ == "local" {
		want = 3
	}
	if len(rest) < want-1 {
		return HbaRule{}, "too few fields for a " + typ + " rule"
	}
	r.Databases = splitList(rest[0])
	r.Users = splitList(rest[1])
	rest = rest[2:]
	if typ != "local" {
		r.Address = rest[0]
		rest = rest[1:]
		// IP-address IP-mask form: the next token is a mask if the address has no "/"
		if len(rest) > 1 && !strings.Contains(r.Address, "/") {
			if _, err := netip.ParseAddr(r.Address); err == nil {
				if _, err := netip.ParseAddr(rest[0]); err == nil {
					r.Mask = rest[0]
					rest = rest[1:]
				}
			}
		}
	}
	if len(rest) == 0 {
		return HbaRule{}, "no authentication method"
	}
	r.Method = strings.ToLower(rest[0])
	r.Options = rest[1:]
	msg := ""
	if !hbaMethods[r.Method] {
		msg = "unknown authentication method " + quote(rest[0])
	}
	r.TrustNonLocal = r.Method == "trust" && typ != "local" && !LoopbackOnly(r.Address, r.Mask)
	return r, msg
}

func quote(s string) string { return "\"" + textio.Cut(s, 64) + "\"" }

// LoopbackOnly reports whether a pg_hba address (with its optional mask)
// admits only loopback clients: 127.0.0.0/8 inside, ::1, "localhost" and
// "samehost" (the server's own addresses, so connections from the host itself).
// "all", "samenet", host names and wider networks are not.
func LoopbackOnly(addr, mask string) bool {
	switch strings.ToLower(addr) {
	case "localhost", "samehost":
		return true
	}
	if mask != "" {
		a, err1 := netip.ParseAddr(addr)
		m, err2 := netip.ParseAddr(mask)
		if err1 != nil || err2 != nil || a.BitLen() != m.BitLen() {
			return false
		}
		bits := 0
		for _, b := range m.AsSlice() {
			for i := 7; i >= 0 && b&(1<<i) != 0; i-- {
				bits++
			}
		}
		addr = netip.PrefixFrom(a, bits).String()
	}
	p, err := netip.ParsePrefix(addr)
	if err != nil {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	p = p.Masked()
	if p.Addr().Is4() || p.Addr().Is4In6() {
		return p.Addr().Unmap().IsLoopback() && p.Bits()-(p.Addr().BitLen()-32) >= 8
	}
	return p.Addr().IsLoopback() && p.Bits() == 128
}
