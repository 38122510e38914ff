package collector

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// globs.go holds the helpers the file sources share: glob patterns bounded
// in count, shallow bounded directory listings, and a per-collection set of
// host paths already copied (a file named by two sources, such as
// postgresql.conf, is copied once: entry names are unique in a bundle).

// maxGlobMatches bounds what one pattern may expand to: an attacker can
// fill /var/log or /etc/cron.d with a million files.
const maxGlobMatches = 16384

var copiedMu sync.Mutex
var copiedSets = map[*sharedState]map[string]bool{}

// claim reports whether hostPath has not been copied yet in this collection
// and marks it copied.
func (e *Env) claim(hostPath string) bool {
	copiedMu.Lock()
	defer copiedMu.Unlock()
	set := copiedSets[e.shared]
	if set == nil {
		set = map[string]bool{}
		copiedSets[e.shared] = set
	}
	if set[hostPath] {
		return false
	}
	set[hostPath] = true
	return true
}

// errEscapesRoot is recorded for a path whose directory, under --root,
// resolves through a symbolic link to outside the root: an absolute link
// in a mounted image points into the responder's own machine.
var errEscapesRoot = errors.New("a directory of this path is a symbolic link leading out of --root: not followed")

// escapesRoot reports whether the directory holding hostPath resolves, under
// a --root other than /, to a place outside the root. (The final component
// is never followed anyway: see Stat and OpenRegular.)
func (e *Env) escapesRoot(hostPath string) bool {
	if e.Opts.Root == "/" {
		return false
	}
	root, err := filepath.EvalSymlinks(e.Opts.Root)
	if err != nil {
		return true
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(e.HostPath(hostPath)))
	if err != nil {
		return false // absent: the stat that follows records it
	}
	return dir != root && !strings.HasPrefix(dir, root+"/")
}

// fsGlob expands a host pattern (filepath.Match syntax) under Root and
// returns host paths, sorted, at most maxGlobMatches; cut reports that more
// matched. A pattern without meta characters is returned as is, so that a
// file that is absent is still recorded missing by the copier.
func (e *Env) fsGlob(pattern string) (paths []string, cut bool) {
	if !strings.ContainsAny(pattern, "*?[") {
		return []string{pattern}, false
	}
	matches, err := filepath.Glob(e.HostPath(pattern))
	if err != nil {
		e.Errorf(pattern, "glob: %v", err)
		return nil, false
	}
	sort.Strings(matches)
	if len(matches) > maxGlobMatches {
		matches, cut = matches[:maxGlobMatches], true
		e.Errorf(pattern, "glob matched more than %d paths: the rest left out", maxGlobMatches)
	}
	for _, m := range matches {
		paths = append(paths, e.hostFromLocal(m))
	}
	return paths, cut
}

// hostFromLocal maps a path under Root back to the host's absolute path.
func (e *Env) hostFromLocal(local string) string {
	if e.Opts.Root == "/" {
		return local
	}
	rel, err := filepath.Rel(e.Opts.Root, local)
	if err != nil {
		return local
	}
	return filepath.Clean("/" + rel)
}

// copyOne copies hostPath once per collection (see claim). A path that does
// not exist is recorded missing only when required is set: the lists below
// name many files that a given distribution simply does not have, and
// "absent" is then said once in the source's note, not per path.
func (e *Env) copyOne(ctx context.Context, hostPath string, required bool) bool {
	if ctx.Err() != nil {
		return false
	}
	if !e.claim(hostPath) {
		return false
	}
	if e.escapesRoot(hostPath) {
		e.Missing(hostPath, nil, errEscapesRoot)
		return false
	}
	if !required {
		if _, err := os.Lstat(e.HostPath(hostPath)); os.IsNotExist(err) {
			return false
		}
	}
	_, ok, err := e.CopyFile(ctx, hostPath, "", 0)
	if err != nil {
		e.Errorf(hostPath, "copy: %v", err)
	}
	return ok
}

// copyPatterns copies every path the patterns match; it returns how many
// entries were written.
func (e *Env) copyPatterns(ctx context.Context, patterns ...string) int {
	n := 0
	for _, p := range patterns {
		paths, _ := e.fsGlob(p)
		for _, hp := range paths {
			if e.copyOne(ctx, hp, false) {
				n++
			}
		}
	}
	return n
}

// copyTree copies the regular files under dir, down to depth levels of
// subdirectories, at most maxGlobMatches files; symbolic links are recorded
// (copied as missing with their target in the metadata) but never followed.
func (e *Env) copyTree(ctx context.Context, dir string, depth int) int {
	n, seen := 0, 0
	var walk func(hostDir string, d int)
	walk = func(hostDir string, d int) {
		if e.escapesRoot(filepath.Join(hostDir, "x")) {
			e.Missing(hostDir, nil, errEscapesRoot)
			return
		}
		ents, err := os.ReadDir(e.HostPath(hostDir))
		if err != nil {
			if !os.IsNotExist(err) {
				e.Errorf(hostDir, "listing: %v", err)
			}
			return
		}
		for _, de := range ents {
			if ctx.Err() != nil {
				return
			}
			seen++
			if seen > maxGlobMatches {
				e.Errorf(dir, "more than %d entries: the rest left out", maxGlobMatches)
				return
			}
			hp := filepath.Join(hostDir, de.Name())
			if de.IsDir() {
				if d > 0 {
					walk(hp, d-1)
				}
				continue
			}
			if e.copyOne(ctx, hp, true) {
				n++
			}
		}
	}
	walk(dir, depth)
	return n
}

// homeDirs returns the home directories of the host: those named in
// /etc/passwd (read under Root, bounded) and every directory under /home,
// plus /root, deduplicated and sorted.
func (e *Env) homeDirs(ctx context.Context) []string {
	set := map[string]bool{"/root": true}
	if data, _, err := ReadSmall(ctx, e.HostPath("/etc/passwd"), 4<<20); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Split(line, ":")
			if len(f) >= 7 && strings.HasPrefix(f[5], "/") && f[5] != "/" {
				set[filepath.Clean(f[5])] = true
			}
		}
	}
	if ents, err := os.ReadDir(e.HostPath("/home")); err == nil {
		for _, de := range ents {
			if de.IsDir() {
				set[filepath.Join("/home", de.Name())] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	sort.Strings(out)
	if len(out) > maxGlobMatches {
		out = out[:maxGlobMatches]
	}
	return out
}
