// Package hostzone finds a host's time zone, with its rules (DST and all),
// from the host's own files as a bundle holds them: /etc/localtime (a
// zoneinfo file, or a symbolic link to one under /usr/share/zoneinfo, as
// glibc reads it: tzset(3)), then /etc/timezone (Debian's zone name), then
// the zone name the collector recorded. A zone known only by its name is
// given the rules of the analyst's own tz database, and the note says so;
// a host whose zone is none of these has no zone (nil), and the caller
// reads its local times as UTC and says so.
package hostzone

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// MaxZoneinfo bounds a zoneinfo file (the largest in tzdata is a few KiB).
const MaxZoneinfo = 64 << 10

// Files are the host's files the zone is read from, by host path.
type Files struct {
	// Timezone is /etc/timezone's content (nil: not in the bundle).
	Timezone []byte
	// Localtime is /etc/localtime's content when it is a regular file.
	Localtime []byte
	// LocaltimeLink is /etc/localtime's target when it is a symbolic link.
	LocaltimeLink string
	// Zoneinfo holds the zoneinfo files the bundle has, by host path
	// (/usr/share/zoneinfo/Europe/Paris).
	Zoneinfo map[string][]byte
	// Named is the zone name the collector recorded (custody), if any.
	Named string
}

// Zone is the result.
type Zone struct {
	Location *time.Location // nil: unknown
	Name     string         // "Europe/Paris", or "" when unknown
	// How says where the zone and its rules come from.
	How string
	// Warnings are what the analyst should know (a file that is not a
	// zoneinfo file, two files that disagree, rules from elsewhere).
	Warnings []string
}

// Resolve finds the zone.
func Resolve(f Files) Zone {
	var z Zone
	name := strings.TrimSpace(string(f.Timezone))
	if len(name) > 128 || strings.ContainsAny(name, "\n\x00") {
		z.Warnings = append(z.Warnings, "/etc/timezone does not hold a zone name: not used")
		name = ""
	}
	if f.Localtime != nil {
		n := name
		if n == "" {
			n = f.Named
		}
		if n == "" {
			n = "localtime"
		}
		if l, err := tzif(n, f.Localtime); err == nil {
			z.Location, z.Name, z.How = l, n, "the host's /etc/localtime (its zoneinfo file: its own rules)"
			return z
		} else {
			z.Warnings = append(z.Warnings, fmt.Sprintf("/etc/localtime is not a zoneinfo file (%v): not used", err))
		}
	}
	if f.LocaltimeLink != "" {
		target := f.LocaltimeLink
		if !path.IsAbs(target) {
			target = path.Join("/etc", target)
		}
		target = path.Clean(target)
		zn := zoneName(target)
		if data, ok := f.Zoneinfo[target]; ok {
			if l, err := tzif(zn, data); err == nil {
				z.Location, z.Name, z.How = l, zn, "the host's /etc/localtime, a link to "+target+" (the host's own zoneinfo file: its own rules)"
				if name != "" && name != zn {
					z.Warnings = append(z.Warnings, fmt.Sprintf("/etc/timezone names %q but /etc/localtime is %q: the system uses /etc/localtime", name, zn))
				}
				return z
			} else {
				z.Warnings = append(z.Warnings, fmt.Sprintf("%s is not a zoneinfo file (%v): not used", target, err))
			}
		}
		if name == "" && zn != "" {
			name = zn // the link names the zone; its rules are not in the bundle
		}
	}
	if name == "" {
		name = f.Named
	}
	if name == "" {
		z.How = "unknown: no /etc/localtime, /etc/timezone or recorded zone name"
		return z
	}
	if data, ok := f.Zoneinfo[path.Join("/usr/share/zoneinfo", name)]; ok {
		if l, err := tzif(name, data); err == nil {
			z.Location, z.Name, z.How = l, name, "zone "+name+", the host's own zoneinfo file"
			return z
		}
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		z.How = fmt.Sprintf("unknown: the host's zone %q is not a zone this machine knows (%v)", name, err)
		z.Warnings = append(z.Warnings, z.How)
		return z
	}
	z.Location, z.Name = l, name
	// a bundle of an older collector: the name is all there is; said in How
	// (kept in the case's bundle.json), not warned for every such bundle
	z.How = "zone " + name + " named by the host; its rules from this machine's tz database (the host's zoneinfo file is not in the evidence: its DST rules may differ for old dates)"
	return z
}

// zoneName is the zone a zoneinfo path names: what follows "zoneinfo/"
// ("/usr/share/zoneinfo/posix/Europe/Paris" is "Europe/Paris").
func zoneName(p string) string {
	i := strings.Index(p, "zoneinfo/")
	if i < 0 {
		return ""
	}
	n := p[i+len("zoneinfo/"):]
	for _, pre := range []string{"posix/", "right/"} {
		n = strings.TrimPrefix(n, pre)
	}
	return n
}

// tzif reads a zoneinfo file (RFC 8536), bounded.
func tzif(name string, data []byte) (*time.Location, error) {
	if len(data) > MaxZoneinfo {
		return nil, fmt.Errorf("%d bytes, more than a zoneinfo file holds", len(data))
	}
	if len(data) < 4 || string(data[:4]) != "TZif" {
		return nil, fmt.Errorf("no TZif magic")
	}
	return time.LoadLocationFromTZData(name, data)
}
