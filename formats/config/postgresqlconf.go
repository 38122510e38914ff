package config

import (
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// PgSetting is one "name = value" of postgresql.conf.
type PgSetting struct {
	Name   string // lower case: PostgreSQL's names are case-insensitive
	Value  string // quotes removed, escapes undone
	Line   int64
	Offset int64
}

// PgInclude is an include, include_if_exists or include_dir directive.
type PgInclude struct {
	Directive string
	Path      string
	Line      int64
	Offset    int64
}

// PgConf is a postgresql.conf (or postgresql.auto.conf): PostgreSQL
// documentation, "Setting Parameters via the Configuration File". When a
// name appears twice the last one wins, as in the server.
type PgConf struct {
	Settings map[string]PgSetting
	Includes []PgInclude
}

// ParsePostgresqlConf reads a postgresql.conf: one "name = value" a line
// (the "=" optional), "#" comments, values single-quoted (” or \' for a
// quote) or bare (numbers, identifiers, units such as 128MB).
func ParsePostgresqlConf(r io.Reader) (*PgConf, []Warning) {
	c := &PgConf{Settings: map[string]PgSetting{}}
	var ws []Warning
	eachLine(r, &ws, func(b []byte, n, off int64) bool {
		s := strings.TrimSpace(textio.Safe(b))
		if s == "" || s[0] == '#' {
			return true
		}
		if len(c.Settings)+len(c.Includes) >= MaxRecords {
			tooMany(&ws, n, off, "settings")
			return false
		}
		i := 0
		for i < len(s) && (isAlnum(s[i]) || s[i] == '_' || s[i] == '.') {
			i++
		}
		name := strings.ToLower(s[:i])
		if name == "" {
			warnf(&ws, n, off, "postgresql.conf: no parameter name")
			return true
		}
		rest := strings.TrimLeft(s[i:], " \t")
		if strings.HasPrefix(rest, "=") {
			rest = strings.TrimLeft(rest[1:], " \t")
		}
		val, tail, ok := pgValue(rest)
		if !ok {
			warnf(&ws, n, off, "postgresql.conf: %s: unterminated quoted value", quote(name))
			return true
		}
		if t := strings.TrimSpace(tail); t != "" && t[0] != '#' {
			warnf(&ws, n, off, "postgresql.conf: %s: junk after the value", quote(name))
		}
		switch name {
		case "include", "include_if_exists", "include_dir":
			c.Includes = append(c.Includes, PgInclude{Directive: name, Path: val, Line: n, Offset: off})
			return true
		}
		c.Settings[name] = PgSetting{Name: name, Value: val, Line: n, Offset: off}
		return true
	})
	return c, ws
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// pgValue reads a value: 'quoted' (with ” and backslash escapes) or a bare word.
func pgValue(s string) (val, rest string, ok bool) {
	if !strings.HasPrefix(s, "'") {
		end := strings.IndexAny(s, " \t#")
		if end < 0 {
			return s, "", true
		}
		return s[:end], s[end:], true
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == '\'':
			return b.String(), s[i+1:], true
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// Get returns a setting's value and whether the file sets it.
func (c *PgConf) Get(name string) (string, bool) {
	s, ok := c.Settings[strings.ToLower(name)]
	return s.Value, ok
}

func (c *PgConf) getOr(name, def string) string {
	if v, ok := c.Get(name); ok {
		return v
	}
	return def
}

// Defaults of PostgreSQL 15 for the settings Cordon reads (postgresql.conf.sample).
const (
	DefaultListenAddresses = "localhost"
	DefaultPort            = 5432
	DefaultLogLinePrefix   = "%m [%p] "
	DefaultLogDirectory    = "log"
)

// ListenAddresses returns listen_addresses split on commas (default localhost).
func (c *PgConf) ListenAddresses() []string {
	var out []string
	for _, a := range strings.Split(c.getOr("listen_addresses", DefaultListenAddresses), ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// ListensOnAll reports whether listen_addresses names every interface
// ("*", 0.0.0.0 or ::).
func (c *PgConf) ListensOnAll() bool {
	for _, a := range c.ListenAddresses() {
		if a == "*" || a == "0.0.0.0" || a == "::" {
			return true
		}
	}
	return false
}

// Port returns the port (default 5432; a bad value gives the default and false).
func (c *PgConf) Port() (int, bool) {
	v, ok := c.Get("port")
	if !ok {
		return DefaultPort, true
	}
	p, err := strconv.Atoi(v)
	if err != nil || p <= 0 || p > 65535 {
		return DefaultPort, false
	}
	return p, true
}

// LogLinePrefix returns log_line_prefix (default "%m [%p] ", Debian's
// packaged file sets "%m [%p] %q%u@%d ").
func (c *PgConf) LogLinePrefix() string { return c.getOr("log_line_prefix", DefaultLogLinePrefix) }

// LogDirectory returns log_directory (default "log", relative to the data directory).
func (c *PgConf) LogDirectory() string { return c.getOr("log_directory", DefaultLogDirectory) }

// DataDirectory returns data_directory ("" when the file does not set it).
func (c *PgConf) DataDirectory() string { return c.getOr("data_directory", "") }

// LogDestination returns log_destination (default stderr).
func (c *PgConf) LogDestination() string { return c.getOr("log_destination", "stderr") }

// LoggingCollector reports whether logging_collector is on (default off).
func (c *PgConf) LoggingCollector() bool { return pgBool(c.getOr("logging_collector", "off")) }

// pgBool reads a PostgreSQL boolean: on, off, true, false, yes, no, 1, 0
// and unique prefixes of them.
func pgBool(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	switch {
	case v == "on", v == "1", v != "" && strings.HasPrefix("true", v), v != "" && strings.HasPrefix("yes", v):
		return true
	}
	return false
}

// Names returns the set names, sorted.
func (c *PgConf) Names() []string {
	out := make([]string, 0, len(c.Settings))
	for n := range c.Settings {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
