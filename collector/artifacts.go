package collector

// artifacts.go hashes the build outputs under the directories given with
// --artifacts (a CI workspace, a target directory) and, with
// --artifacts-copy, copies them; in-toto/SLSA provenance files found there
// are always copied. `cordon attest` compares them with trusted rebuilds.
// The walk never follows a link, opens only regular files, and is bounded
// in files, depth, bytes per file (--max-file-size) and bytes in all
// (--artifacts-max).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/artifacts"
	"github.com/cordon-forensics/cordon/formats/bundle"
)

const (
	artifactsMaxFiles   = 200_000
	artifactsMaxDepth   = 32
	maxProvenanceFile   = 16 << 20
	artifactsELFMaxSize = 1 << 30
)

func init() {
	Register(Source{
		Name:    "artifacts",
		Order:   86,
		Budget:  10 * time.Minute,
		Help:    "build outputs under --artifacts DIR hashed (copied with --artifacts-copy), in-toto/SLSA provenance files beside them copied",
		Collect: collectArtifacts,
	})
}

func collectArtifacts(ctx context.Context, env *Env) error {
	if len(env.Opts.Artifacts) == 0 {
		env.Note("no --artifacts directory given")
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	budget := env.Opts.ArtifactsMax
	var read int64
	files, provenance, copied := 0, 0, 0
	for _, root := range env.Opts.Artifacts {
		root = filepath.Clean("/" + root)
		base := env.HostPath(root)
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rel, _ := filepath.Rel(base, p)
			host := filepath.Join(root, rel)
			if err != nil {
				env.Missing(host, nil, err)
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if strings.Count(rel, string(filepath.Separator)) >= artifactsMaxDepth {
					env.Errorf(host, "deeper than %d directories: not walked", artifactsMaxDepth)
					return fs.SkipDir
				}
				return nil
			}
			if files >= artifactsMaxFiles {
				env.Errorf(root, "more than %d files: the rest not recorded", artifactsMaxFiles)
				return fs.SkipAll
			}
			files++
			info, err := Stat(p)
			if err != nil {
				env.Missing(host, nil, err)
				return nil
			}
			rec := artifacts.Record{Root: root, Path: host, Rel: filepath.ToSlash(rel), Type: info.Type, Link: info.Link, Size: info.Size,
				Mode: info.Mode, Mtime: info.Mtime, Ctime: info.Ctime, Inode: info.Inode}
			if info.Type == "file" {
				rec.Provenance = artifacts.IsProvenance(p)
				switch {
				case budget > 0 && read >= budget:
					rec.Error = fmt.Sprintf("not read: --artifacts-max %s reached", FormatSize(budget))
				case rec.Provenance || env.Opts.ArtifactsCopy:
					max := env.Opts.MaxFileSize
					if rec.Provenance {
						max = maxProvenanceFile
						provenance++
					}
					r, ok, err := env.CopyFile(ctx, host, bundle.NameFor(artifacts.EntryPrefix, host), max)
					if err != nil {
						return err
					}
					if ok {
						copied++
						rec.Entry, rec.SHA256, rec.Read, rec.Truncated = r.Name, r.SHA256, r.Size, r.Size < info.Size
						read += r.Size
					} else {
						rec.Error = "not copied: see the manifest's missing records"
					}
				default:
					m, s, n, err := hashFile(ctx, p, info)
					read += n
					rec.MD5, rec.SHA256, rec.Read, rec.Truncated = m, s, n, n < info.Size
					if err != nil {
						rec.Error = err.Error()
					}
				}
				if info.Size <= artifactsELFMaxSize {
					if f, err := OpenRegular(p, info); err == nil {
						rec.ELF = elfFacts(f, info.Size)
						f.Close()
					}
				}
			}
			return enc.Encode(rec)
		})
		if err != nil && ctx.Err() == nil {
			env.Errorf(root, "walking: %v", err)
		}
	}
	if _, err := env.AddBytes(bundle.EntryMeta{Name: artifacts.IndexEntry, ReadAt: env.Now().UTC()}, buf.Bytes()); err != nil {
		return err
	}
	env.Note("%d files under %d directories, %d provenance files, %d copied, %s read", files, len(env.Opts.Artifacts), provenance, copied, HumanSize(read))
	return ctx.Err()
}
