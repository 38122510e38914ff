package config

import (
	"io"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// Account is one line of /etc/passwd.
type Account struct {
	Name  string
	UID   uint32
	GID   uint32
	Home  string
	Shell string
	Line  int64
}

// ParsePasswd reads /etc/passwd: "name:password:uid:gid:gecos:home:shell".
// NIS lines ("+", "-") and malformed lines are warnings; at most
// MaxRecords accounts are read.
func ParsePasswd(r io.Reader) ([]Account, []Warning) {
	var out []Account
	var ws []Warning
	eachLine(r, &ws, func(b []byte, n, off int64) bool {
		s := textio.Safe(b)
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			return true
		}
		if len(out) >= MaxRecords {
			tooMany(&ws, n, off, "accounts")
			return false
		}
		f := strings.Split(s, ":")
		if len(f) != 7 || f[0] == "" {
			warnf(&ws, n, off, "passwd: not seven fields separated by ':'")
			return true
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			warnf(&ws, n, off, "passwd: uid or gid is not a number")
			return true
		}
		out = append(out, Account{Name: f[0], UID: uint32(uid), GID: uint32(gid), Home: f[5], Shell: f[6], Line: n})
		return true
	})
	return out, ws
}

// UserNames maps UIDs to names; the first line of a UID wins, as getpwuid's.
func UserNames(accounts []Account) map[uint32]string {
	m := make(map[uint32]string, len(accounts))
	for _, a := range accounts {
		if _, dup := m[a.UID]; !dup {
			m[a.UID] = a.Name
		}
	}
	return m
}
