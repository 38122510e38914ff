package collector

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// imports.go adds to the bundle what other tools already produced about
// the host, given on the command line: bodyfiles (--bodyfile FILE), such
// as The Sleuth Kit's fls -m of a disk image or UAC's
// bodyfile/bodyfile.txt. The path is on the responder's machine, not under
// --root. Each is an entry imports/bodyfile/<n>-<base name>, hashed as
// read like any other, its original path in the entry's host path; the
// analyzer reads it as a file timeline (formats/bodytimeline).

// ImportsBodyfilePrefix begins the entry names of imported bodyfiles.
const ImportsBodyfilePrefix = "imports/bodyfile/"

func init() {
	Register(Source{
		Name:    "imports",
		Order:   95,
		Help:    "bodyfiles other tools made of this host (--bodyfile FILE: fls -m, UAC), added as they are",
		Collect: collectImports,
	})
}

func collectImports(ctx context.Context, env *Env) error {
	n := 0
	for i, p := range env.Opts.BodyFiles {
		if ctx.Err() != nil {
			break
		}
		info, err := Stat(p)
		if err != nil {
			env.Missing(p, nil, err)
			continue
		}
		f, err := OpenRegular(p, info)
		if err != nil {
			env.Missing(p, info, err)
			continue
		}
		size, max := info.Size, env.Opts.MaxFileSize
		meta := bundle.EntryMeta{Name: bundle.NameFor(ImportsBodyfilePrefix[:len(ImportsBodyfilePrefix)-1], fmt.Sprintf("%d-%s", i+1, filepath.Base(p))),
			HostPath: p, Original: info, ReadAt: env.Now().UTC(), Note: "a bodyfile another tool made, given with --bodyfile"}
		if max > 0 && size > max {
			size, meta.Truncated = max, true
			meta.Note += fmt.Sprintf("; cut at %d of %d bytes by the size cap", max, info.Size)
		}
		_, werr := env.Add(meta, NewStallReader(ctx, f, 0), size)
		f.Close()
		if werr != nil {
			return werr
		}
		n++
	}
	if n > 0 {
		env.Note("%d bodyfiles added", n)
	}
	return ctx.Err()
}
