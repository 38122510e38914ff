package collector

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
)

// filetimeline.go walks the timeline roots once and records every file's
// metadata (formats/filetimeline.Record), streamed into the bundle in parts
// so that memory stays bounded whatever the tree holds:
//
//	filetimeline/records-00001.jsonl  one Record per line
//	filetimeline/bodyfile-00001.txt   the same files as a TSK 3.x bodyfile (mactime -b)
//	filetimeline/summary.json         roots, counts, what was left out and why
//
// Symbolic links are recorded (with their target) and never followed; the
// walk stays on each root's file system (as find -xdev) and never enters a
// directory twice (device and inode), so bind-mount loops end.

func init() {
	Register(Source{
		Name:  "filetimeline",
		Order: 90,
		Help:  "metadata of every file under the timeline roots (statx times, birth included), SHA-256 of executables under the temporary directories",
		// The walk stops at --timeline-budget; the rest is for writing out.
		BudgetOf: func(o Options) time.Duration { return o.TimelineBudget + 30*time.Second },
		Collect:  collectFileTimeline,
	})
}

// Entry names of the file timeline.
const (
	TimelinePrefix  = "filetimeline/"
	TimelineSummary = "filetimeline/summary.json"
)

// timelinePartRecords bounds the records held in memory before a part is
// written (about 6 MiB of JSON and 3 MiB of bodyfile at ~300 bytes a record).
const timelinePartRecords = 5_000

// maxLeftOut bounds the list of directories not entered kept in the summary.
const maxLeftOut = 1000

// TimelineSummaryDoc is the content of filetimeline/summary.json.
type TimelineSummaryDoc struct {
	Roots         []string  `json:"roots"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	Records       int       `json:"records"`
	Parts         int       `json:"parts"`
	Hashed        int       `json:"hashed"`
	Errors        int       `json:"errors"`
	MaxFiles      int       `json:"max_files"`
	Budget        string    `json:"budget"`
	Complete      bool      `json:"complete"`
	StopReason    string    `json:"stop_reason,omitempty"` // "max files", "time budget"
	DirsNotListed int       `json:"dirs_not_listed"`       // directories recorded but not entered because the walk stopped
	LeftOut       []string  `json:"left_out,omitempty"`    // the first maxLeftOut of them
	OtherFS       []string  `json:"other_file_systems,omitempty"`
	MissingRoots  []string  `json:"missing_roots,omitempty"`
}

type timelineWalk struct {
	env     *Env
	ctx     context.Context // the walk's budget
	out     context.Context // the source's (for writing out)
	suspect []string
	hashMax int64
	max     int

	jsonBuf, bodyBuf bytes.Buffer
	inPart           int
	sum              TimelineSummaryDoc
	seenDirs         map[[2]uint64]bool
	writeErr         error
}

type pendingDir struct {
	host string // host path
	dev  uint64
}

func collectFileTimeline(ctx context.Context, env *Env) error {
	wctx, cancel := context.WithTimeout(ctx, env.Opts.TimelineBudget)
	defer cancel()
	w := &timelineWalk{env: env, ctx: wctx, out: ctx, hashMax: env.Opts.TimelineHashMax, max: env.Opts.TimelineMaxFiles, seenDirs: map[[2]uint64]bool{}}
	if w.max <= 0 {
		w.max = 1_000_000
	}
	for _, d := range env.Opts.SuspectDirs {
		w.suspect = append(w.suspect, filepath.Clean("/"+d))
	}
	w.sum.Roots = timelineRoots(env.Opts.TimelineRoots)
	w.sum.Started = env.Now().UTC()
	w.sum.MaxFiles = w.max
	w.sum.Budget = env.Opts.TimelineBudget.String()
	var stack []pendingDir
	for i := len(w.sum.Roots) - 1; i >= 0; i-- {
		stack = append(stack, pendingDir{host: w.sum.Roots[i], dev: ^uint64(0)})
	}
	for len(stack) > 0 {
		if w.stop() {
			break
		}
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if d.dev == ^uint64(0) { // a root: record it too
			if env.escapesRoot(d.host) {
				w.sum.MissingRoots = append(w.sum.MissingRoots, d.host)
				env.Missing(d.host, nil, errEscapesRoot)
				continue
			}
			info, err := Stat(env.HostPath(d.host))
			if err != nil {
				w.sum.MissingRoots = append(w.sum.MissingRoots, d.host)
				continue
			}
			if info.Type != "dir" {
				w.emit(fileRecord(d.host, info))
				continue
			}
			w.emit(fileRecord(d.host, info))
			d.dev = info.Dev
		}
		stack = w.listDir(d, stack)
		if w.writeErr != nil {
			return w.writeErr
		}
	}
	if w.stop() && len(stack) > 0 {
		w.sum.DirsNotListed = len(stack)
		for i := len(stack) - 1; i >= 0 && len(w.sum.LeftOut) < maxLeftOut; i-- {
			w.sum.LeftOut = append(w.sum.LeftOut, stack[i].host)
		}
	}
	w.sum.Complete = w.sum.StopReason == ""
	if !w.sum.Complete {
		env.Cut()
	}
	w.flush()
	w.sum.Finished = env.Now().UTC()
	if w.writeErr != nil {
		return w.writeErr
	}
	if _, err := env.AddJSON(TimelineSummary, w.sum); err != nil {
		return err
	}
	env.Note("%d files in %d parts, %d hashed, complete=%v %s", w.sum.Records, w.sum.Parts, w.sum.Hashed, w.sum.Complete, w.sum.StopReason)
	return nil
}

// timelineRoots cleans the roots and drops any root under another one: the
// tree is walked once.
func timelineRoots(in []string) []string {
	var rs []string
	for _, r := range in {
		rs = append(rs, filepath.Clean("/"+r))
	}
	sort.Strings(rs)
	var out []string
	for _, r := range rs {
		nested := false
		for _, o := range out {
			if r == o || o == "/" || strings.HasPrefix(r, o+"/") {
				nested = true
				break
			}
		}
		if !nested {
			out = append(out, r)
		}
	}
	return out
}

// stop reports whether the walk must stop, and records why.
func (w *timelineWalk) stop() bool {
	if w.sum.StopReason != "" {
		return true
	}
	if w.sum.Records >= w.max {
		w.sum.StopReason = fmt.Sprintf("max files (%d) reached", w.max)
		return true
	}
	if w.ctx.Err() != nil {
		w.sum.StopReason = "time budget: " + w.ctx.Err().Error()
		return true
	}
	return false
}

// listDir lists one directory through its own descriptor (openat and statx
// relative to it, so a path swapped mid-walk cannot redirect the walk) and
// pushes its subdirectories.
func (w *timelineWalk) listDir(d pendingDir, stack []pendingDir) []pendingDir {
	local := w.env.HostPath(d.host)
	fd, err := openDirNoFollow(local)
	if err != nil {
		w.emit(filetimeline.Record{Path: d.host, Type: "dir", Error: "listing: " + err.Error()})
		return stack
	}
	dir := os.NewFile(uintptr(fd), local)
	defer dir.Close()
	var subdirs []pendingDir
	for !w.stop() {
		names, err := dir.Readdirnames(1024)
		for _, name := range names {
			if w.stop() {
				break
			}
			host := filepath.Join(d.host, name)
			var st unix.Statx_t
			if err := unix.Statx(fd, name, unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT,
				unix.STATX_BASIC_STATS|unix.STATX_BTIME, &st); err != nil {
				w.emit(filetimeline.Record{Path: host, Error: "statx: " + err.Error()})
				continue
			}
			info := statxInfo(&st)
			rec := fileRecord(host, info)
			switch info.Type {
			case "symlink":
				buf := make([]byte, 4096)
				if n, err := unix.Readlinkat(fd, name, buf); err == nil {
					rec.Link = string(buf[:n])
				} else {
					rec.Error = "readlink: " + err.Error()
				}
			case "dir":
				key := [2]uint64{info.Dev, info.Inode}
				switch {
				case info.Dev != d.dev:
					if len(w.sum.OtherFS) < maxLeftOut {
						w.sum.OtherFS = append(w.sum.OtherFS, host)
					}
				case w.seenDirs[key]:
				default:
					w.seenDirs[key] = true
					subdirs = append(subdirs, pendingDir{host: host, dev: d.dev})
				}
			case "file":
				if w.isSuspect(host) {
					w.hash(fd, name, info, &rec)
				}
			}
			w.emit(rec)
		}
		if err != nil {
			if err != io.EOF {
				w.emit(filetimeline.Record{Path: d.host, Type: "dir", Error: "listing: " + err.Error()})
			}
			break
		}
	}
	// push in reverse so the walk goes in directory order
	for i := len(subdirs) - 1; i >= 0; i-- {
		stack = append(stack, subdirs[i])
	}
	return stack
}

func (w *timelineWalk) isSuspect(host string) bool {
	for _, s := range w.suspect {
		if host == s || strings.HasPrefix(host, s+"/") || s == "/" {
			return true
		}
	}
	return false
}

var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

// hash sets the SHA-256 of an executable or ELF file (opened relative to
// the directory, not following links, without blocking, bounded by the
// hash cap and the stall timeout).
func (w *timelineWalk) hash(dirfd int, name string, info *bundle.FileInfo, rec *filetimeline.Record) {
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY
	fd, err := unix.Openat(dirfd, name, flags|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) {
		fd, err = unix.Openat(dirfd, name, flags, 0)
	}
	if err != nil {
		rec.Error = "open for hash: " + err.Error()
		return
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Ino != info.Inode {
		rec.Error = "file changed before hashing"
		return
	}
	r := NewStallReader(w.ctx, f, 0)
	if info.Mode&0o111 == 0 {
		head := make([]byte, 4)
		n, _ := io.ReadFull(r, head)
		if !bytes.Equal(head[:n], elfMagic) {
			return
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			rec.Error = "seek: " + err.Error()
			return
		}
		r = NewStallReader(w.ctx, f, 0)
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, w.hashMax))
	if err != nil {
		rec.Error = "hash: " + err.Error()
		return
	}
	rec.SHA256 = hex.EncodeToString(h.Sum(nil))
	rec.HashTruncated = n < info.Size
	w.sum.Hashed++
}

// fileRecord is the file timeline's record of a file's metadata (the
// sweep's and the container layers' records extend it).
func fileRecord(host string, info *bundle.FileInfo) filetimeline.Record {
	return filetimeline.Record{Path: host, Inode: info.Inode, Type: info.Type, Mode: info.Mode, UID: info.UID, GID: info.GID,
		Size: info.Size, Atime: info.Atime, Mtime: info.Mtime, Ctime: info.Ctime, Btime: info.Btime, Link: info.Link}
}

// openDirNoFollow opens a directory to list it: never through a final
// link, without updating its access time where the kernel allows it.
func openDirNoFollow(local string) (int, error) {
	flags := unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Open(local, flags|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) {
		fd, err = unix.Open(local, flags, 0)
	}
	return fd, err
}

// emit appends a record to the current part and writes the part out when full.
func (w *timelineWalk) emit(r filetimeline.Record) {
	b, err := json.Marshal(r)
	if err != nil { // cannot happen with these field types; never drop silently
		w.env.Errorf(r.Path, "encoding timeline record: %v", err)
		return
	}
	w.jsonBuf.Write(b)
	w.jsonBuf.WriteByte('\n')
	w.bodyBuf.WriteString(filetimeline.BodyLine(r))
	w.inPart++
	w.sum.Records++
	if r.Error != "" {
		w.sum.Errors++
	}
	if w.inPart >= timelinePartRecords {
		w.flush()
	}
}

func (w *timelineWalk) flush() {
	if w.inPart == 0 || w.writeErr != nil {
		return
	}
	w.sum.Parts++
	note := fmt.Sprintf("file timeline part %d: %d records", w.sum.Parts, w.inPart)
	for _, e := range []struct {
		name string
		buf  *bytes.Buffer
	}{
		{fmt.Sprintf("%srecords-%05d.jsonl", TimelinePrefix, w.sum.Parts), &w.jsonBuf},
		{fmt.Sprintf("%sbodyfile-%05d.txt", TimelinePrefix, w.sum.Parts), &w.bodyBuf},
	} {
		if _, err := w.env.AddBytes(bundle.EntryMeta{Name: e.name, Note: note}, e.buf.Bytes()); err != nil {
			w.writeErr = fmt.Errorf("writing %s: %w", e.name, err)
		}
		e.buf.Reset()
	}
	w.inPart = 0
}
