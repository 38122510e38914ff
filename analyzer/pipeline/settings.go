package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/parsers"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/config"
	"github.com/cordon-forensics/cordon/formats/hostzone"
	"github.com/cordon-forensics/cordon/formats/pglog"
	"github.com/cordon-forensics/cordon/timeline"
)

// Settings the parsers need that the bundle itself holds: the PostgreSQL
// clusters' log_line_prefix, read from the collected postgresql.conf (and
// postgresql.auto.conf, which ALTER SYSTEM writes) during the verification
// pass, and used only if the verification then vouches for those bytes.

const (
	maxConfCapture = 1 << 20 // bytes of one configuration file kept
	maxConfFiles   = 32
)

// confCapture keeps the small configuration files the settings come from.
type confCapture struct {
	mu    sync.Mutex
	files map[string][]byte // entry name → bytes
}

// PasswdEntry is where the collector keeps the host's /etc/passwd.
var PasswdEntry = bundle.FileEntry("/etc/passwd")

const maxPasswdCapture = 4 << 20

func isPgConfEntry(name string) bool {
	return strings.HasPrefix(name, bundle.FileEntry("/")) &&
		(strings.HasSuffix(name, "/postgresql.conf") || strings.HasSuffix(name, "/postgresql.auto.conf"))
}

// isZoneEntry: the files the host's time zone is read from (formats/hostzone).
func isZoneEntry(name string) bool {
	return name == bundle.FileEntry("/etc/timezone") || name == bundle.FileEntry("/etc/localtime") || strings.HasPrefix(name, bundle.FileEntry("/usr/share/zoneinfo/"))
}

// wants is a bundle.VerifyOptions.WantEntry: the files kept, if small.
func (c *confCapture) wants(name string, size int64) bool {
	switch {
	case name == PasswdEntry:
		return size <= maxPasswdCapture
	case isPgConfEntry(name):
		return size <= maxConfCapture
	case isZoneEntry(name):
		return size <= hostzone.MaxZoneinfo
	}
	return false
}

// hostZone finds the host's time zone from its vouched files (and the
// link /etc/localtime was, recorded among the missing), else the name the
// collector recorded.
func (c *confCapture) hostZone(rep *bundle.Report, named string) hostzone.Zone {
	hashes := map[string]string{}
	for _, e := range rep.Verified {
		hashes[e.Name] = e.SHA256
	}
	f := hostzone.Files{Named: named, Zoneinfo: map[string][]byte{}}
	for _, m := range rep.Missing {
		if m.HostPath == "/etc/localtime" && m.Original != nil && m.Original.Link != "" {
			f.LocaltimeLink = m.Original.Link
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.files {
		b, ok := c.vouched(name, hashes)
		if !ok || !isZoneEntry(name) {
			continue
		}
		switch name {
		case bundle.FileEntry("/etc/timezone"):
			f.Timezone = b
		case bundle.FileEntry("/etc/localtime"):
			f.Localtime = b
		default:
			f.Zoneinfo["/"+strings.TrimPrefix(name, bundle.FileEntry("/"))] = b
		}
	}
	return hostzone.Resolve(f)
}

// onEntry is a bundle.VerifyOptions.OnEntry.
func (c *confCapture) onEntry(name string, size int64, r io.Reader) error {
	if !c.wants(name, size) {
		return nil
	}
	limit := int64(maxConfCapture)
	if name == PasswdEntry {
		limit = maxPasswdCapture
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil || int64(len(b)) > limit {
		return nil // the verification itself reports a damaged entry
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files == nil {
		c.files = map[string][]byte{}
	}
	if len(c.files) < maxConfFiles {
		c.files[name] = b
	}
	return nil
}

// vouched returns the captured bytes of an entry when the verification
// vouches for them (the signed hash matches).
func (c *confCapture) vouched(name string, hashes map[string]string) ([]byte, bool) {
	b, ok := c.files[name]
	if !ok {
		return nil, false
	}
	sum := sha256.Sum256(b)
	return b, hashes[name] == hex.EncodeToString(sum[:])
}

// users maps the host's UIDs to names from its signed /etc/passwd.
func (c *confCapture) users(verified []bundle.EntryRecord) map[uint32]string {
	hashes := map[string]string{}
	for _, e := range verified {
		hashes[e.Name] = e.SHA256
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.vouched(PasswdEntry, hashes)
	if !ok {
		return nil
	}
	accts, _ := config.ParsePasswd(bytes.NewReader(b))
	return config.UserNames(accts)
}

// pgPrefixFromBundle returns the value of a setting (log_line_prefix,
// log_timezone) the verified configuration files set, when they agree; a
// note says what was done.
func (c *confCapture) pgPrefixFromBundle(verified []bundle.EntryRecord, setting string) (prefix string, from []string, note string) {
	hashes := map[string]string{}
	for _, e := range verified {
		hashes[e.Name] = e.SHA256
	}
	values := map[string][]string{}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.files {
		b, ok := c.vouched(name, hashes)
		if !ok || !isPgConfEntry(name) {
			continue // not vouched for by a signature
		}
		conf, _ := config.ParsePostgresqlConf(bytes.NewReader(b))
		if v, ok := conf.Get(setting); ok {
			values[v] = append(values[v], name)
		}
	}
	switch len(values) {
	case 0:
		return "", nil, ""
	case 1:
		for v, names := range values {
			sort.Strings(names)
			return v, names, ""
		}
	}
	var vs []string
	for v := range values {
		vs = append(vs, fmt.Sprintf("%q", v))
	}
	sort.Strings(vs)
	if setting != "log_line_prefix" {
		return "", nil, fmt.Sprintf("the collected postgresql.conf files set different %s values (%s): none is used", setting, strings.Join(vs, ", "))
	}
	return "", nil, fmt.Sprintf("the collected postgresql.conf files set different log_line_prefix values (%s): the parser recognises the common forms; --pg-log-line-prefix chooses one", strings.Join(vs, ", "))
}

// settings merges the analyst's settings with those read from the bundle,
// the analyst's first, and records both in the bundle's record.
func (a *analysisRun) settings(given map[string]string, confs *confCapture) map[string]string {
	out := map[string]string{}
	for k, v := range given {
		if v == "" {
			continue
		}
		out[k] = v
		a.meta.Settings = append(a.meta.Settings, casestore.SettingSource{Name: k, Value: v, From: casestore.SettingFromAnalyst})
	}
	for _, st := range []struct{ key, conf string }{{parsers.SettingPGLogLinePrefix, "log_line_prefix"}, {pglog.SettingLogTimezone, "log_timezone"}} {
		if _, ok := out[st.key]; ok {
			continue
		}
		v, from, note := confs.pgPrefixFromBundle(a.rep.Verified, st.conf)
		if note != "" {
			a.warn("cordon", timeline.Warning{Entry: bundle.ManifestName, Message: note})
		}
		if from != nil {
			out[st.key] = v
			a.meta.Settings = append(a.meta.Settings, casestore.SettingSource{Name: st.key, Value: v, From: strings.Join(from, ", ")})
		}
	}
	sort.Slice(a.meta.Settings, func(i, j int) bool { return a.meta.Settings[i].Name < a.meta.Settings[j].Name })
	return out
}
