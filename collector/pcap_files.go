package collector

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// pcap_files.go adds existing capture files (--pcap FILE) to the bundle:
// a responder's own tap, a capture taken before the collection. The path
// is one of the machine running the collector, also with --root (a dead
// host's image has no live traffic, but its case may have captures).
// Each file is bounded by --pcap-max, not by the live capture's cap.

func init() {
	Register(Source{
		Name:    "pcap-files",
		Order:   95,
		Budget:  10 * time.Minute,
		Help:    "existing capture files added with --pcap FILE (bounded by --pcap-max), live or with --root",
		Collect: collectPcapFiles,
	})
}

func collectPcapFiles(ctx context.Context, env *Env) error {
	if len(env.Opts.PcapFiles) == 0 {
		env.Note("no --pcap files")
		return nil
	}
	n := 0
	for _, f := range env.Opts.PcapFiles {
		p, err := filepath.Abs(f)
		if err != nil {
			env.Errorf(f, "%v", err)
			continue
		}
		info, err := Stat(p)
		if err != nil {
			env.Missing(p, nil, err)
			continue
		}
		fh, err := OpenRegular(p, info)
		if err != nil {
			env.Missing(p, info, err)
			continue
		}
		size := info.Size
		meta := bundle.EntryMeta{Name: bundle.NameFor("capture/files", p), HostPath: p, Original: info, ReadAt: env.Now().UTC(),
			Note: "capture file added with --pcap (a path of the collecting machine)"}
		if size > env.Opts.PcapMax {
			size = env.Opts.PcapMax
			meta.Truncated = true
			meta.Note += fmt.Sprintf("; cut at %d of %d bytes by --pcap-max", size, info.Size)
		}
		_, err = env.Add(meta, NewStallReader(ctx, fh, 0), size)
		fh.Close()
		if err != nil {
			return err
		}
		n++
	}
	env.Note("%d capture files added", n)
	return nil
}
