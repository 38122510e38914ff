package bundle

import (
	"fmt"
	"strings"
)

// MaxNameLen bounds an entry name. Longer host paths are cut and the cut
// recorded by the caller (HostPath keeps the original).
const MaxNameLen = 1024

// safeNameByte reports whether b may appear unescaped in an entry name.
// The alphabet is chosen so that names survive tar, sha256sum -c (no
// backslash, no newline) and a terminal (no control bytes) unchanged.
func safeNameByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '.', '_', '-', '+', ',', '=', '@', '~', ':':
		return true
	}
	return false
}

// EscapeComponent percent-encodes every byte of one path component that is
// outside the safe alphabet, and the components "." and ".." whole.
func EscapeComponent(c string) string {
	if c == "." || c == ".." {
		return strings.Repeat("%2E", len(c))
	}
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		if safeNameByte(c[i]) {
			b.WriteByte(c[i])
		} else {
			fmt.Fprintf(&b, "%%%02X", c[i])
		}
	}
	return b.String()
}

// FilesPrefix is the namespace of the host's files, copied as they are:
// the file at /var/log/auth.log is the entry fs/var/log/auth.log.
const FilesPrefix = "fs"

// FileEntry is the entry name of the host file at hostPath. A hostPath
// ending in "/" gives the prefix of the names of the files under that
// directory: FileEntry("/var/log/") is "fs/var/log/".
func FileEntry(hostPath string) string {
	name := NameFor(FilesPrefix, hostPath)
	if strings.HasSuffix(hostPath, "/") {
		name += "/"
	}
	return name
}

// NameFor returns the entry name for a host path under prefix:
// NameFor("fs", "/var/log/auth.log") is "fs/var/log/auth.log". Every
// component is escaped with EscapeComponent; empty components are dropped.
// The result always satisfies ValidName, cut to MaxNameLen if needed.
func NameFor(prefix, hostPath string) string {
	parts := []string{}
	for _, p := range strings.Split(prefix, "/") {
		if p != "" {
			parts = append(parts, EscapeComponent(p))
		}
	}
	for _, p := range strings.Split(hostPath, "/") {
		if p != "" {
			parts = append(parts, EscapeComponent(p))
		}
	}
	name := strings.Join(parts, "/")
	if name == "" {
		name = "%00empty"
	}
	if len(name) > MaxNameLen {
		name = name[:MaxNameLen]
		// never leave a broken escape or a trailing slash at the cut
		if i := strings.LastIndexByte(name[len(name)-3:], '%'); i >= 0 {
			name = name[:len(name)-3+i]
		}
		name = strings.TrimRight(name, "/")
	}
	return name
}

// ValidName reports whether name is acceptable as an entry name: relative,
// clean, made of the safe alphabet, '/' and '%', no empty, "." or ".."
// component, at most MaxNameLen bytes. Readers refuse any other name.
func ValidName(name string) error {
	if name == "" {
		return fmt.Errorf("empty entry name")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("entry name longer than %d bytes", MaxNameLen)
	}
	for _, c := range strings.Split(name, "/") {
		if c == "" || c == "." || c == ".." {
			return fmt.Errorf("entry name %q has an empty, . or .. component", name)
		}
		for i := 0; i < len(c); i++ {
			if !safeNameByte(c[i]) && c[i] != '%' {
				return fmt.Errorf("entry name %q has byte 0x%02x outside the safe alphabet", name, c[i])
			}
		}
	}
	return nil
}
