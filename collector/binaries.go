package collector

// binaries.go hashes the system's programs (/usr/bin, /usr/sbin, /bin,
// /sbin, /usr/libexec), MD5 and SHA-256 in one read, so that the analyzer
// compares them with the package manager's own lists (dpkg's md5sums,
// collected by "packages") without trusting the host's tools: a replaced
// ps, ss or sshd shows. Each file once (merged /usr: /bin is /usr/bin),
// regular files only, never following a link, each read bounded in time
// and size; the total is bounded by --binaries-max.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

var binaryDirs = []string{"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/libexec", "/usr/local/bin", "/usr/local/sbin"}

const (
	binariesMaxFiles = 20_000
	binaryMaxBytes   = 256 << 20
)

func init() {
	Register(Source{
		Name:    "binaries",
		Order:   82,
		Help:    "MD5 and SHA-256 of the programs in /usr/bin, /usr/sbin, /bin, /sbin, /usr/libexec, for comparison with the packages' own lists",
		Budget:  60 * time.Second,
		Collect: collectBinaries,
	})
}

func collectBinaries(ctx context.Context, env *Env) error {
	budget := env.Opts.BinariesMax
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	seen := map[[2]uint64]bool{}
	n, hashed := 0, int64(0)
	for _, dir := range binaryDirs {
		ents, err := os.ReadDir(env.HostPath(dir))
		if err != nil {
			continue // absent on this system, or a link to another dir (read through it below)
		}
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, name := range names {
			if ctx.Err() != nil || n >= binariesMaxFiles {
				break
			}
			host := filepath.Join(dir, name)
			p := env.HostPath(host)
			info, err := Stat(p)
			if err != nil || info.Type != "file" {
				continue
			}
			k := [2]uint64{info.Dev, info.Inode}
			if seen[k] {
				continue
			}
			seen[k] = true
			n++
			rec := snapshot.BinaryRecord{Path: host, Size: info.Size, Mtime: info.Mtime, Ctime: info.Ctime, Inode: info.Inode}
			if budget > 0 && hashed >= budget {
				rec.Error = fmt.Sprintf("not hashed: --binaries-max %d bytes reached", budget)
			} else if m, s, read, err := hashFile(ctx, p, info); err != nil {
				rec.Error = err.Error()
			} else {
				rec.MD5, rec.SHA256, rec.Truncated = m, s, read < info.Size
				hashed += read
			}
			_ = enc.Encode(rec)
		}
	}
	if _, err := env.AddBytes(bundle.EntryMeta{Name: snapshot.BinariesEntry}, buf.Bytes()); err != nil {
		return err
	}
	env.Note("%d programs, %d bytes hashed", n, hashed)
	return ctx.Err()
}

// hashFile reads a regular file once into MD5 and SHA-256, bounded in
// size (binaryMaxBytes) and in time (a stalled read fails).
func hashFile(ctx context.Context, p string, info *bundle.FileInfo) (md5sum, sha string, read int64, err error) {
	f, err := OpenRegular(p, info)
	if err != nil {
		return "", "", 0, err
	}
	defer f.Close()
	m, s := md5.New(), sha256.New()
	read, err = io.Copy(io.MultiWriter(m, s), io.LimitReader(NewStallReader(ctx, f, 0), binaryMaxBytes))
	if err != nil {
		return "", "", read, fmt.Errorf("hashing: %w", err)
	}
	return hex.EncodeToString(m.Sum(nil)), hex.EncodeToString(s.Sum(nil)), read, nil
}
