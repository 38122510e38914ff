package collector

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// process_files.go reads, after the first pass and the copies of suspect
// executables and memory (they are what vanishes first), the expensive
// part of every process's files: the SHA-256 of every running
// executable, read through /proc/PID/exe (one hash per file, however many
// processes run it), and every file-backed mapping from
// /proc/PID/map_files, copying the deleted ones (a library an attacker
// preloaded and removed). The open-file list of every process is written
// by the processes source, from the first pass.

func init() {
	Register(Source{
		Name:    "process-files",
		Order:   25,
		Live:    true,
		Budget:  5 * time.Minute,
		Help:    "SHA-256 of every running process's executable (through /proc/PID/exe), memory-mapped files (map_files) with deleted ones copied",
		Collect: collectProcessFiles,
	})
}

const (
	budgetExeHashes = "exe-hashes"
	maxMapFiles     = 500_000 // map_files records kept for the whole host
)

func collectProcessFiles(ctx context.Context, env *Env) error {
	pass := env.volatilePass(ctx)
	if pass.Err != nil {
		return pass.Err
	}
	procs := pass.identities()
	var hbuf, mbuf bytes.Buffer
	henc, menc := json.NewEncoder(&hbuf), json.NewEncoder(&mbuf)
	henc.SetEscapeHTML(false)
	menc.SetEscapeHTML(false)
	hashed := map[[2]uint64]snapshot.ExeHash{}
	nHashed, vanished, mapRecords, mapDenied := 0, 0, 0, 0
	copiedMaps := map[[2]uint64]string{}
	for _, p := range procs {
		if ctx.Err() != nil {
			env.Errorf("", "process files cut by the deadline")
			break
		}
		if p.Exe == "" {
			continue // kernel threads, and exe links the kernel refused (recorded by processes)
		}
		h := hashExe(ctx, env, p, hashed)
		if h.Vanished {
			vanished++
			if err := henc.Encode(h); err != nil {
				return err
			}
			continue // a vanished PID is not read again
		}
		if h.SHA256 != "" && h.SameAsPID == 0 {
			nHashed++
		}
		if err := henc.Encode(h); err != nil {
			return err
		}
		if mapRecords >= maxMapFiles {
			continue
		}
		recs, err := mapFiles(ctx, env, p, copiedMaps)
		if err != nil {
			if gone(err) {
				vanished++
			} else {
				mapDenied++
			}
			continue
		}
		for _, r := range recs {
			if mapRecords >= maxMapFiles {
				env.Errorf("", "more than %d mapped files: the rest left out", maxMapFiles)
				break
			}
			mapRecords++
			if err := menc.Encode(r); err != nil {
				return err
			}
		}
	}
	if _, err := env.AddBytes(bundle.EntryMeta{Name: snapshot.ExeHashesEntry, ReadAt: env.Now().UTC()}, hbuf.Bytes()); err != nil {
		return err
	}
	if _, err := env.AddBytes(bundle.EntryMeta{Name: snapshot.MapFilesEntry, ReadAt: env.Now().UTC()}, mbuf.Bytes()); err != nil {
		return err
	}
	if mapDenied > 0 {
		env.Errorf("", "the maps of %d processes could not be read (another user's process, without root)", mapDenied)
	}
	env.Note("%d executables hashed for %d processes, %d mapped files (%d deleted copied), %d processes gone since the first pass",
		nHashed, len(procs), mapRecords, len(copiedMaps), vanished)
	return nil
}

// hashExe hashes the file /proc/PID/exe leads to, once per device and
// inode, within the --exe-hash-max budget.
func hashExe(ctx context.Context, env *Env, p procIdentity, seen map[[2]uint64]snapshot.ExeHash) snapshot.ExeHash {
	h := snapshot.ExeHash{PID: p.PID, StartTicks: p.StartTicks, Exe: p.Exe}
	if err := samePID(ctx, env, p); err != nil {
		h.Error, h.Vanished = err.Error(), gone(err)
		return h
	}
	link := env.procPath(p.PID, "exe")
	f, info, err := openProcLink(link)
	if err != nil {
		h.Error, h.Vanished = err.Error(), gone(err)
		return h
	}
	defer f.Close()
	if err := samePID(ctx, env, p); err != nil {
		h.Error, h.Vanished = err.Error(), gone(err)
		return h
	}
	h.Dev, h.Inode, h.Size = info.Dev, info.Inode, info.Size
	key := [2]uint64{info.Dev, info.Inode}
	if prev, ok := seen[key]; ok {
		h.SHA256, h.Hashed, h.SameAsPID, h.Error = prev.SHA256, prev.Hashed, prev.PID, prev.Error
		return h
	}
	n := env.TakeBudget(budgetExeHashes, env.Opts.ExeHashMax, min(info.Size, binaryMaxBytes))
	sum := sha256.New()
	read, err := io.Copy(sum, io.LimitReader(NewStallReader(ctx, f, 0), n))
	h.Hashed = read
	switch {
	case err != nil:
		h.Error = "hashing: " + err.Error()
	case read < info.Size:
		h.SHA256 = hex.EncodeToString(sum.Sum(nil))
		h.Error = fmt.Sprintf("hashed %d of %d bytes (per-file cap %d, --exe-hash-max %s)", read, info.Size, int64(binaryMaxBytes), FormatSize(env.Opts.ExeHashMax))
	default:
		h.SHA256 = hex.EncodeToString(sum.Sum(nil))
	}
	seen[key] = h
	return h
}

// mapFiles lists a process's file-backed mappings from /proc/PID/maps
// (one read per process; the same ranges /proc/PID/map_files names, whose
// links it would take one readlink each to read) and copies the deleted
// ones through their map_files link (within the --max-executables budget,
// once per file).
func mapFiles(ctx context.Context, env *Env, p procIdentity, copied map[[2]uint64]string) ([]snapshot.MappedFile, error) {
	data, _, err := ReadSmall(ctx, env.procPath(p.PID, "maps"), maxMaps)
	if err != nil {
		return nil, err
	}
	regions, _ := ParseMaps(data)
	var out []snapshot.MappedFile
	for _, reg := range regions {
		if !strings.HasPrefix(reg.Path, "/") {
			continue // anonymous, [heap], [stack], [vdso]
		}
		r := snapshot.MappedFile{PID: p.PID, StartTicks: p.StartTicks, Range: fmt.Sprintf("%x-%x", reg.Start, reg.End), Target: reg.Path}
		r.Deleted = strings.HasSuffix(reg.Path, " (deleted)")
		if r.Deleted {
			r.Entry, r.SHA256, r.Error = copyMapped(ctx, env, p, r.Range, reg.Path, copied)
		}
		out = append(out, r)
	}
	return out, nil
}

func copyMapped(ctx context.Context, env *Env, p procIdentity, rng, link string, copied map[[2]uint64]string) (entry, sum, errText string) {
	hostPath := env.procPath(p.PID, "map_files", rng)
	f, info, err := openProcLink(hostPath)
	if err != nil {
		env.Missing(hostPath, info, fmt.Errorf("deleted mapped file %q: %w", link, err))
		return "", "", err.Error()
	}
	defer f.Close()
	key := [2]uint64{info.Dev, info.Inode}
	if e, ok := copied[key]; ok {
		return e, "", ""
	}
	if err := samePID(ctx, env, p); err != nil {
		return "", "", err.Error()
	}
	n := env.TakeBudget(budgetExecutables, env.Opts.MaxExecutables, info.Size)
	if n == 0 && info.Size > 0 {
		err := fmt.Errorf("not copied: the --max-executables budget of %s is spent", FormatSize(env.Opts.MaxExecutables))
		env.Missing(hostPath, info, err)
		return "", "", err.Error()
	}
	info.Link = link
	meta := bundle.EntryMeta{Name: fmt.Sprintf("proc/%d/map_files/%s", p.PID, rng), HostPath: hostPath, Original: info, ReadAt: env.Now().UTC(),
		Note: "deleted file mapped by process " + fmt.Sprint(p.PID)}
	if n < info.Size {
		meta.Truncated = true
		meta.Note += fmt.Sprintf("; cut at %d of %d bytes: the --max-executables budget ran out", n, info.Size)
	}
	rec, err := env.Add(meta, NewStallReader(ctx, io.NewSectionReader(f, 0, info.Size), 0), n)
	if err != nil {
		return "", "", err.Error()
	}
	copied[key] = rec.Name
	return rec.Name, rec.SHA256, rec.Error
}
