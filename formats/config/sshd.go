package config

import (
	"io"
	"path"
	"sort"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// SshdOption is one "Keyword arguments" line of sshd_config (sshd_config(5)).
type SshdOption struct {
	Keyword string   // lower case: keywords are case-insensitive
	Args    []string // quotes removed
	Value   string   // the arguments as written (after the keyword and an optional "=")
	Match   string   // the Match line this option is under ("" at top level)
	File    string   // the file it came from (set by FlattenSshd)
	Line    int64
	Offset  int64
}

// SshdConfig is one sshd_config file, its lines in order.
type SshdConfig struct {
	Options []SshdOption // Include lines are options too (keyword "include")
}

// ParseSshdConfig reads one sshd_config file. A Match line starts a block
// that lasts to the next Match or the end of the file.
func ParseSshdConfig(r io.Reader) (*SshdConfig, []Warning) {
	c := &SshdConfig{}
	var ws []Warning
	match := ""
	eachLine(r, &ws, func(b []byte, n, off int64) bool {
		s := strings.TrimSpace(textio.Safe(b))
		if s == "" || s[0] == '#' {
			return true
		}
		if len(c.Options) >= MaxRecords {
			tooMany(&ws, n, off, "sshd options")
			return false
		}
		kw, rest := s, ""
		if i := strings.IndexAny(s, " \t="); i >= 0 {
			kw, rest = s[:i], strings.TrimLeft(s[i:], " \t")
			if strings.HasPrefix(rest, "=") {
				rest = strings.TrimLeft(rest[1:], " \t")
			}
		}
		kw = strings.ToLower(kw)
		args, ok := sshdArgs(rest)
		if !ok {
			warnf(&ws, n, off, "sshd_config: %s: unterminated quote", quote(kw))
		}
		if kw == "match" {
			match = rest
			if strings.EqualFold(strings.TrimSpace(rest), "all") {
				match = "" // "Match all" ends the conditional block
			}
		}
		if len(args) == 0 && kw != "match" {
			warnf(&ws, n, off, "sshd_config: %s without a value", quote(kw))
		}
		c.Options = append(c.Options, SshdOption{Keyword: kw, Args: args, Value: rest, Match: match, Line: n, Offset: off})
		return true
	})
	return c, ws
}

// sshdArgs splits arguments on whitespace, with double quotes grouping.
func sshdArgs(s string) ([]string, bool) {
	var out []string
	var cur strings.Builder
	inQ, inTok := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inQ = !inQ
			inTok = true
		case !inQ && (c == ' ' || c == '\t'):
			if inTok {
				out = append(out, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteByte(c)
			inTok = true
		}
	}
	if inTok {
		out = append(out, cur.String())
	}
	return out, !inQ
}

// maxIncludeDepth bounds Include recursion (sshd itself stops at 16:
// SSHD_CONFIG_MAX_INCLUDE_DEPTH… OpenSSH's READCONF_MAX_DEPTH).
const maxIncludeDepth = 16

// maxIncludeVisits bounds the files read in all (a file including itself
// many times would otherwise multiply).
const maxIncludeVisits = 4096

// FlattenSshd expands the Include lines of the file at mainPath, in place
// and in order, with the files at hand (host path → parsed file): each
// pattern is matched with path.Match against their paths, sorted as glob(3)
// sorts them; a relative pattern is relative to /etc/ssh. The result is
// the option list sshd reads, each option carrying its File. Patterns that
// match none of the given files are returned too (missing).
func FlattenSshd(mainPath string, files map[string]*SshdConfig) (opts []SshdOption, missing []string) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	visits := 0
	var walk func(p string, depth int, match string)
	walk = func(p string, depth int, match string) {
		c := files[p]
		visits++
		if c == nil || depth > maxIncludeDepth || visits > maxIncludeVisits {
			return
		}
		for _, o := range c.Options {
			if len(opts) >= MaxRecords {
				return
			}
			o.File = p
			if match != "" && o.Match == "" {
				o.Match = match // an included file inherits the Match it is included under
			}
			if o.Keyword != "include" {
				opts = append(opts, o)
				continue
			}
			for _, pat := range o.Args {
				if !strings.HasPrefix(pat, "/") && !strings.HasPrefix(pat, "~") {
					pat = "/etc/ssh/" + pat
				}
				found := false
				for _, q := range paths {
					if ok, _ := path.Match(pat, q); ok {
						found = true
						walk(q, depth+1, o.Match)
					}
				}
				if !found {
					missing = append(missing, pat)
				}
			}
		}
	}
	walk(mainPath, 0, "")
	return opts, missing
}

// SshdEffective returns the value sshd uses for keyword outside Match
// blocks: the first one obtained (sshd_config(5): "the first obtained
// value will be used"), or def when none.
func SshdEffective(opts []SshdOption, keyword, def string) string {
	keyword = strings.ToLower(keyword)
	for _, o := range opts {
		if o.Keyword == keyword && o.Match == "" && len(o.Args) > 0 {
			return o.Args[0]
		}
	}
	return def
}

// SshdPorts returns every Port outside Match blocks (sshd listens on all
// of them), default 22.
func SshdPorts(opts []SshdOption) []string {
	var out []string
	for _, o := range opts {
		if o.Keyword == "port" && o.Match == "" {
			out = append(out, o.Args...)
		}
	}
	if len(out) == 0 {
		out = []string{"22"}
	}
	return out
}

// Defaults of OpenSSH (sshd_config(5)) for the settings Cordon judges.
const (
	DefaultPermitRootLogin        = "prohibit-password"
	DefaultPasswordAuthentication = "yes"
)

// PermitRootLogin returns the effective PermitRootLogin.
func PermitRootLogin(opts []SshdOption) string {
	return strings.ToLower(SshdEffective(opts, "permitrootlogin", DefaultPermitRootLogin))
}

// PasswordAuthentication returns the effective PasswordAuthentication.
func PasswordAuthentication(opts []SshdOption) string {
	return strings.ToLower(SshdEffective(opts, "passwordauthentication", DefaultPasswordAuthentication))
}
