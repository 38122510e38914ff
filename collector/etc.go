package collector

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// etc.go copies all of /etc and /usr/local/etc, bounded: the small
// configuration files an analyst always ends up asking for. Files another
// source copied already are not copied twice; symbolic links are not
// followed (the file timeline records them with their targets); shadow
// and gshadow (and their backups) need --shadow, private keys
// --credentials (the accounts source records them by presence); a file
// over --etc-file-max is cut; past --etc-max in all, or 20,000 files, the
// rest is listed in the note and an error, not copied.

func init() {
	Register(Source{
		Name:    "etc",
		Order:   75,
		Help:    "all of /etc and /usr/local/etc, bounded (--etc-max; shadow only with --shadow, private keys only with --credentials)",
		Collect: collectEtc,
	})
}

const (
	etcMaxFiles = 20_000
	etcFileMax  = 1 << 20
	etcMaxDepth = 12
)

// etcShadowNames are left out without --shadow.
var etcShadowNames = map[string]bool{"shadow": true, "shadow-": true, "gshadow": true, "gshadow-": true, "shadow.bak": true, "gshadow.bak": true}

func collectEtc(ctx context.Context, env *Env) error {
	copied, links, skipped, files := 0, 0, 0, 0
	var bytes int64
	var stopped string
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		if stopped != "" || ctx.Err() != nil {
			return
		}
		if env.escapesRoot(filepath.Join(dir, "x")) {
			env.Missing(dir, nil, errEscapesRoot)
			return
		}
		ents, err := os.ReadDir(env.HostPath(dir))
		if err != nil {
			if !os.IsNotExist(err) {
				env.Errorf(dir, "listing: %v", err)
			}
			return
		}
		names := make([]string, 0, len(ents))
		kinds := map[string]os.FileMode{}
		for _, de := range ents {
			names = append(names, de.Name())
			kinds[de.Name()] = de.Type()
		}
		sort.Strings(names)
		for _, name := range names {
			if stopped != "" || ctx.Err() != nil {
				return
			}
			hp := filepath.Join(dir, name)
			switch t := kinds[name]; {
			case t&os.ModeSymlink != 0:
				links++
				continue
			case t.IsDir():
				if depth < etcMaxDepth {
					walk(hp, depth+1)
				}
				continue
			case !t.IsRegular():
				skipped++ // FIFOs, sockets, devices: recorded by the timeline, never opened
				continue
			}
			if etcShadowNames[name] && strings.HasPrefix(hp, "/etc/") && !env.Opts.CollectShadow || credentialKindOf(hp) != "" && !env.Opts.CollectCredentials {
				skipped++
				continue
			}
			files++
			if files > etcMaxFiles {
				stopped = fmt.Sprintf("more than %d files", etcMaxFiles)
				return
			}
			info, err := Stat(env.HostPath(hp))
			if err != nil {
				continue
			}
			size := min(info.Size, etcFileMax)
			if bytes+size > env.Opts.EtcMax {
				stopped = fmt.Sprintf("--etc-max %s reached at %s", FormatSize(env.Opts.EtcMax), hp)
				return
			}
			if !env.claim(hp) {
				continue // copied by another source
			}
			if _, ok, err := env.CopyFile(ctx, hp, "", etcFileMax); err != nil {
				env.Errorf(hp, "copy: %v", err)
			} else if ok {
				copied++
				bytes += size
			}
		}
	}
	for _, d := range []string{"/etc", "/usr/local/etc"} {
		walk(d, 0)
	}
	if stopped != "" {
		env.Errorf("/etc", "stopped: %s; the files after it are not copied (the file timeline lists them)", stopped)
	}
	env.Note("%d files copied (%s), %d links not followed, %d left out (not regular, shadow without --shadow, private keys without --credentials)",
		copied, HumanSize(bytes), links, skipped)
	return ctx.Err()
}

// credentialKindOf says whether a path of /etc holds the host's private
// keys (recorded by presence by the accounts source).
func credentialKindOf(hostPath string) string {
	switch {
	case strings.HasPrefix(hostPath, "/etc/ssh/ssh_host_") && strings.HasSuffix(hostPath, "_key"),
		strings.HasPrefix(hostPath, "/etc/ssl/private/"):
		return "host-private-key"
	}
	return ""
}
