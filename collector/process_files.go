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
	"sync"
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
	var procs []procIdentity
	for _, p := range pass.identities() {
		if p.Exe != "" { // kernel threads, and exe links the kernel refused (recorded by processes)
			procs = append(procs, p)
		}
	}
	// Processes are read by several workers (as in the first pass); a file
	// run by many processes is hashed once (hashSlots), and credited in
	// PID order to the first of them.
	type result struct {
		hash snapshot.ExeHash
		maps []snapshot.MappedFile
		err  error
		done bool
	}
	results := make([]result, len(procs))
	slots := &hashSlots{m: map[[2]uint64]*hashSlot{}}
	copied := &mappedCopies{m: map[[2]uint64]*copySlot{}}
	eachInParallel(ctx, len(procs), func(i int) {
		r := result{hash: hashExe(ctx, env, procs[i], slots), done: true}
		if !r.hash.Vanished {
			r.maps, r.err = mapFiles(ctx, env, procs[i], copied)
		}
		results[i] = r
	})

	var hbuf, mbuf bytes.Buffer
	henc, menc := json.NewEncoder(&hbuf), json.NewEncoder(&mbuf)
	henc.SetEscapeHTML(false)
	menc.SetEscapeHTML(false)
	firstPID := map[[2]uint64]int{}
	nHashed, vanished, mapRecords, mapDenied := 0, 0, 0, 0
	for i, r := range results {
		if !r.done {
			env.Errorf("", "process files cut by the deadline after %d of %d processes", i, len(procs))
			break
		}
		h := r.hash
		if h.Inode != 0 {
			key := [2]uint64{h.Dev, h.Inode}
			if first, ok := firstPID[key]; ok {
				h.SameAsPID = first
			} else {
				firstPID[key] = h.PID
				if h.SHA256 != "" {
					nHashed++
				}
			}
		}
		if h.Vanished {
			vanished++
		}
		if err := henc.Encode(h); err != nil {
			return err
		}
		if r.err != nil {
			if gone(r.err) {
				vanished++
			} else {
				mapDenied++
			}
			continue
		}
		for _, m := range r.maps {
			if mapRecords >= maxMapFiles {
				env.Errorf("", "more than %d mapped files: the rest left out", maxMapFiles)
				break
			}
			mapRecords++
			if err := menc.Encode(m); err != nil {
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
		nHashed, len(procs), mapRecords, copied.count(), vanished)
	return nil
}

// hashSlots hashes each file (device and inode) once, whatever the number
// of processes and workers that reach it.
type hashSlots struct {
	mu sync.Mutex
	m  map[[2]uint64]*hashSlot
}

type hashSlot struct {
	once   sync.Once
	sum    string
	hashed int64
	err    string
}

func (s *hashSlots) slot(key [2]uint64) *hashSlot {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.m[key]
	if sl == nil {
		sl = &hashSlot{}
		s.m[key] = sl
	}
	return sl
}

// mappedCopies copies each deleted mapped file once.
type mappedCopies struct {
	mu sync.Mutex
	m  map[[2]uint64]*copySlot
}

type copySlot struct {
	once               sync.Once
	entry, sum, errStr string
}

func (c *mappedCopies) slot(key [2]uint64) *copySlot {
	c.mu.Lock()
	defer c.mu.Unlock()
	sl := c.m[key]
	if sl == nil {
		sl = &copySlot{}
		c.m[key] = sl
	}
	return sl
}

func (c *mappedCopies) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.m {
		if s.entry != "" {
			n++
		}
	}
	return n
}

// hashExe hashes the file /proc/PID/exe leads to, once per device and
// inode (slots), within the --exe-hash-max budget.
func hashExe(ctx context.Context, env *Env, p procIdentity, slots *hashSlots) snapshot.ExeHash {
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
	sl := slots.slot([2]uint64{info.Dev, info.Inode})
	sl.once.Do(func() {
		n := env.TakeBudget(budgetExeHashes, env.Opts.ExeHashMax, min(info.Size, binaryMaxBytes))
		sum := sha256.New()
		read, err := io.Copy(sum, io.LimitReader(NewStallReader(ctx, f, 0), n))
		sl.hashed = read
		switch {
		case err != nil:
			sl.err = "hashing: " + err.Error()
		case read < info.Size:
			sl.sum = hex.EncodeToString(sum.Sum(nil))
			sl.err = fmt.Sprintf("hashed %d of %d bytes (per-file cap %d, --exe-hash-max %s)", read, info.Size, int64(binaryMaxBytes), FormatSize(env.Opts.ExeHashMax))
		default:
			sl.sum = hex.EncodeToString(sum.Sum(nil))
		}
	})
	h.SHA256, h.Hashed, h.Error = sl.sum, sl.hashed, sl.err
	return h
}

// mapFiles lists a process's file-backed mappings from /proc/PID/maps
// (one read per process; the same ranges /proc/PID/map_files names, whose
// links it would take one readlink each to read) and copies the deleted
// ones through their map_files link (within the --max-executables budget,
// once per file).
func mapFiles(ctx context.Context, env *Env, p procIdentity, copied *mappedCopies) ([]snapshot.MappedFile, error) {
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
		r.Executable = reg.Path == p.Exe
		if r.Deleted {
			r.Entry, r.SHA256, r.Error = copyMapped(ctx, env, p, r.Range, reg.Path, copied)
		}
		out = append(out, r)
	}
	return out, nil
}

func copyMapped(ctx context.Context, env *Env, p procIdentity, rng, link string, copied *mappedCopies) (entry, sum, errText string) {
	hostPath := env.procPath(p.PID, "map_files", rng)
	f, info, err := openProcLink(hostPath)
	if err != nil {
		env.Missing(hostPath, info, fmt.Errorf("deleted mapped file %q: %w", link, err))
		return "", "", err.Error()
	}
	defer f.Close()
	sl := copied.slot([2]uint64{info.Dev, info.Inode})
	sl.once.Do(func() {
		if err := samePID(ctx, env, p); err != nil {
			sl.errStr = err.Error()
			return
		}
		info.Link = link
		rec, err := copyExecutable(ctx, env, f, bundle.EntryMeta{Name: snapshot.MapFileEntry(int64(p.PID), rng), HostPath: hostPath, Original: info,
			Note: "deleted file mapped by process " + fmt.Sprint(p.PID)})
		if isBudgetSpent(err) {
			env.Missing(hostPath, info, err)
		}
		if err != nil {
			sl.errStr = err.Error()
			return
		}
		sl.entry, sl.sum, sl.errStr = rec.Name, rec.SHA256, rec.Error
	})
	return sl.entry, sl.sum, sl.errStr
}
