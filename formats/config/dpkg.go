package config

import (
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// Package is one stanza of /var/lib/dpkg/status (deb-control(5) fields,
// dpkg's status database).
type Package struct {
	Name         string
	Version      string
	Architecture string
	Status       string // "install ok installed", "deinstall ok config-files", …
	Line         int64  // of the stanza's first line
	Offset       int64
}

// Installed reports whether the status says the package is installed.
func (p Package) Installed() bool { return strings.HasSuffix(p.Status, " installed") }

// ParseDpkgStatus reads the dpkg status file: stanzas of "Field: value"
// lines separated by blank lines, continuation lines starting with a blank.
func ParseDpkgStatus(r io.Reader) ([]Package, []Warning) {
	var out []Package
	var ws []Warning
	var cur *Package
	end := func() {
		if cur == nil {
			return
		}
		if cur.Name == "" {
			warnf(&ws, cur.Line, cur.Offset, "dpkg status: a stanza without a Package field")
		} else {
			out = append(out, *cur)
		}
		cur = nil
	}
	eachLine(r, &ws, func(b []byte, n, off int64) bool {
		s := textio.Safe(b)
		if strings.TrimSpace(s) == "" {
			end()
			return true
		}
		if s[0] == ' ' || s[0] == '\t' {
			return true // continuation of a multi-line field (Description, Conffiles)
		}
		if cur == nil {
			if len(out) >= MaxRecords {
				tooMany(&ws, n, off, "packages")
				return false
			}
			cur = &Package{Line: n, Offset: off}
		}
		k, v, ok := strings.Cut(s, ":")
		if !ok {
			warnf(&ws, n, off, "dpkg status: a line that is no \"Field: value\"")
			return true
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "package":
			cur.Name = v
		case "version":
			cur.Version = v
		case "architecture":
			cur.Architecture = v
		case "status":
			cur.Status = v
		}
		return true
	})
	end()
	return out, ws
}

// Md5Sum is one line of a dpkg info/<package>.md5sums file.
type Md5Sum struct {
	MD5    string
	Path   string // absolute: dpkg writes it without the leading "/"
	Line   int64
	Offset int64
}

// ParseMd5sums reads a md5sums file: "<32 hex digits>  <path>" a line.
func ParseMd5sums(r io.Reader) ([]Md5Sum, []Warning) {
	var out []Md5Sum
	var ws []Warning
	eachLine(r, &ws, func(b []byte, n, off int64) bool {
		s := string(b)
		if strings.TrimSpace(s) == "" {
			return true
		}
		if len(out) >= MaxRecords {
			tooMany(&ws, n, off, "md5sums lines")
			return false
		}
		if len(s) < 35 || !isHex(s[:32]) || s[32] != ' ' || (s[33] != ' ' && s[33] != '*') {
			warnf(&ws, n, off, "md5sums: not \"<md5>  <path>\"")
			return true
		}
		p := textio.SafeString(s[34:])
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		out = append(out, Md5Sum{MD5: strings.ToLower(s[:32]), Path: p, Line: n, Offset: off})
		return true
	})
	return out, ws
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Diversion is one dpkg-divert record: the file a package installs at
// From is put at To instead, and From belongs to Package (":" for a
// diversion the administrator made).
type Diversion struct {
	From, To, Package string
	Line, Offset      int64
}

// ParseDiversions reads /var/lib/dpkg/diversions: three lines a record
// (the diverted path, where it goes, the package that diverts it).
func ParseDiversions(r io.Reader) ([]Diversion, []Warning) {
	var out []Diversion
	var ws []Warning
	var cur []string
	var line, off int64
	eachLine(r, &ws, func(b []byte, n, o int64) bool {
		if len(cur) == 0 {
			line, off = n, o
		}
		cur = append(cur, textio.Safe(b))
		if len(cur) < 3 {
			return true
		}
		if len(out) >= MaxRecords {
			tooMany(&ws, n, o, "diversions")
			return false
		}
		d := Diversion{From: cur[0], To: cur[1], Package: cur[2], Line: line, Offset: off}
		cur = cur[:0]
		if !strings.HasPrefix(d.From, "/") || !strings.HasPrefix(d.To, "/") || d.Package == "" {
			warnf(&ws, line, off, "diversions: a record that is not \"/path\", \"/path\", \"package\"")
			return true
		}
		out = append(out, d)
		return true
	})
	if len(cur) > 0 {
		warnf(&ws, line, off, "diversions: an incomplete record of %d lines at the end", len(cur))
	}
	return out, ws
}
