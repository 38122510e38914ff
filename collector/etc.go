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
	st := env.copyBounded(ctx, []string{"/etc", "/usr/local/etc"}, treeCaps{maxBytes: env.Opts.EtcMax, maxFiles: etcMaxFiles, fileMax: etcFileMax, flag: "--etc-max",
		leaveOut: func(hp, name string) bool {
			return etcShadowNames[name] && strings.HasPrefix(hp, "/etc/") && !env.Opts.CollectShadow ||
				credentialKindOf(hp) != "" && !env.Opts.CollectCredentials
		}})
	env.Note("%d files copied (%s), %d links not followed, %d left out (not regular, shadow without --shadow, private keys without --credentials)",
		st.copied, HumanSize(st.bytes), st.links, st.skipped)
	return ctx.Err()
}

// treeCaps bounds a copyBounded walk.
type treeCaps struct {
	maxBytes int64 // all bytes copied
	maxFiles int   // regular files met
	fileMax  int64 // one file (it is cut there)
	flag     string
	leaveOut func(hostPath, name string) bool
}

type treeStats struct {
	copied, links, skipped, files int
	bytes                         int64
}

// copyBounded copies the regular files under dirs, in name order, at most
// etcMaxDepth levels deep, within caps; files another source copied are
// not copied twice; links are not followed (the file timeline records
// them), FIFOs, sockets and devices never opened. When a cap is reached
// the walk stops and says where in an error.
func (env *Env) copyBounded(ctx context.Context, dirs []string, caps treeCaps) treeStats {
	var st treeStats
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
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		for _, de := range ents {
			if stopped != "" || ctx.Err() != nil {
				return
			}
			name := de.Name()
			hp := filepath.Join(dir, name)
			switch t := de.Type(); {
			case t&os.ModeSymlink != 0:
				st.links++
				continue
			case t.IsDir():
				if depth < etcMaxDepth {
					walk(hp, depth+1)
				}
				continue
			case !t.IsRegular():
				st.skipped++
				continue
			}
			if caps.leaveOut != nil && caps.leaveOut(hp, name) {
				st.skipped++
				continue
			}
			st.files++
			if st.files > caps.maxFiles {
				stopped = fmt.Sprintf("more than %d files", caps.maxFiles)
				return
			}
			info, err := Stat(env.HostPath(hp))
			if err != nil {
				continue
			}
			size := min(info.Size, caps.fileMax)
			if st.bytes+size > caps.maxBytes {
				stopped = fmt.Sprintf("%s %s reached at %s", caps.flag, FormatSize(caps.maxBytes), hp)
				return
			}
			if !env.claim(hp) {
				continue // copied by another source
			}
			if _, ok, err := env.CopyFile(ctx, hp, "", caps.fileMax); err != nil {
				env.Errorf(hp, "copy: %v", err)
			} else if ok {
				st.copied++
				st.bytes += size
			}
		}
	}
	for _, d := range dirs {
		walk(d, 0)
	}
	if stopped != "" {
		env.Errorf(dirs[0], "stopped: %s; the files after it are not copied (the file timeline lists them)", stopped)
	}
	return st
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
