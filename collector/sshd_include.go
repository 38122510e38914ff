package collector

import (
	"bufio"
	"bytes"
	"context"
	"path/filepath"
	"strings"
)

// copySSHDIncludes follows the Include directives of sshd_config
// (sshd_config(5): "Include" takes one or more glob patterns; relative
// paths are relative to /etc/ssh), recursively, at most 16 files deep.
func copySSHDIncludes(ctx context.Context, env *Env) int {
	n := 0
	seen := map[string]bool{}
	var visit func(path string, depth int)
	visit = func(path string, depth int) {
		if depth > 16 || seen[path] {
			return
		}
		seen[path] = true
		data, _, err := ReadSmall(ctx, env.HostPath(path), 1<<20)
		if err != nil {
			return
		}
		for _, pat := range sshdIncludes(data) {
			if !filepath.IsAbs(pat) {
				pat = filepath.Join("/etc/ssh", pat)
			}
			paths, _ := env.fsGlob(pat)
			for _, p := range paths {
				if env.copyOne(ctx, p, true) {
					n++
				}
				visit(p, depth+1)
			}
		}
	}
	visit("/etc/ssh/sshd_config", 0)
	return n
}

// sshdIncludes returns the patterns of the Include lines of an sshd_config.
func sshdIncludes(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && strings.EqualFold(f[0], "Include") {
			out = append(out, f[1:]...)
		}
	}
	return out
}
