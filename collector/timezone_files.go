package collector

import (
	"context"
	"os"
	"path/filepath"
)

// timezone_files.go copies what says the host's time zone and its rules,
// for the analysis to read local times with the host's own DST rules
// (formats/hostzone): /etc/timezone, /etc/localtime, and, when
// /etc/localtime is a symbolic link (as it usually is), the zoneinfo file
// it leads to, resolved under --root, a few links deep.

// maxZoneLinks bounds the links followed from /etc/localtime.
const maxZoneLinks = 4

func copyTimeZoneFiles(ctx context.Context, env *Env) int {
	n := env.copyPatterns(ctx, "/etc/timezone", "/etc/localtime")
	p := "/etc/localtime"
	for i := 0; i < maxZoneLinks; i++ {
		target, err := os.Readlink(env.HostPath(p))
		if err != nil {
			break // not a link (copied above), or absent
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = filepath.Clean(target)
		if env.copyOne(ctx, p, false) {
			n++
		}
	}
	return n
}
