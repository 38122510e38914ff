package collector

// sharedobjects.go recovers the shared objects that processes map and
// that an attestation needs: deleted ones, ones outside the package-owned
// library directories, and ones named in /etc/ld.so.preload or a
// process's LD_PRELOAD (MITRE ATT&CK T1574.006). The bytes are read
// through /proc/PID/map_files/START-END, which yields even a deleted file
// while it is mapped, or else through /proc/PID/root/PATH checked to be
// the same inode; each is copied once (device and inode), within the
// --max-executables budget it shares with the executables source.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

func init() {
	Register(Source{
		Name:    "sharedobjects",
		Order:   16,
		Live:    true,
		Budget:  3 * time.Minute,
		Help:    "shared objects mapped that are deleted, outside the package library directories, or preloaded (ld.so.preload, LD_PRELOAD), through /proc/PID/map_files, with ELF facts",
		Collect: collectSharedObjects,
	})
}

// packageLibDirs are where the package manager installs shared objects;
// /usr/local and /opt are the administrator's, not the packages'.
var packageLibDirs = []string{"/lib/", "/lib32/", "/lib64/", "/libx32/", "/usr/lib/", "/usr/lib32/", "/usr/lib64/", "/usr/libx32/", "/usr/libexec/"}

const (
	maxMapsBytes    = 8 << 20
	maxEnvironBytes = 1 << 20
	maxPreloadBytes = 64 << 10
)

// mappedFile is one file of a process's maps, all its lines together.
type mappedFile struct {
	path     string
	dev      string
	inode    uint64
	mappings []string
	first    [2]uint64 // the first mapping's range, for map_files
	exec     bool
}

// parseMappedFiles groups the file-backed lines of /proc/PID/maps
// ("start-end perms offset dev inode path", proc(5)) by file, in the
// order they first appear. Anonymous and pseudo mappings ([heap]…) and
// lines it cannot read are left out.
func parseMappedFiles(data []byte) []mappedFile {
	var out []mappedFile
	index := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		text := sc.Text()
		f := strings.Fields(text)
		if len(f) < 6 || f[4] == "0" {
			continue
		}
		p := afterFields(text, 5)
		if !strings.HasPrefix(p, "/") {
			continue
		}
		a, b, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(a, 16, 64)
		end, err2 := strconv.ParseUint(b, 16, 64)
		ino, err3 := strconv.ParseUint(f[4], 10, 64)
		if !ok || err1 != nil || err2 != nil || err3 != nil || end <= start {
			continue
		}
		key := f[3] + " " + f[4] + " " + p
		i, seen := index[key]
		if !seen {
			i = len(out)
			index[key] = i
			out = append(out, mappedFile{path: p, dev: f[3], inode: ino, first: [2]uint64{start, end}})
		}
		m := &out[i]
		m.mappings = append(m.mappings, f[0]+" "+f[1]+" "+f[2])
		if strings.Contains(f[1], "x") {
			m.exec = true
		}
	}
	return out
}

// parsePreload reads /etc/ld.so.preload: names separated by white space
// or colons (ld.so(8)).
func parsePreload(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ':' || r == ' ' || r == '\t' || r == '\r' }) {
			out = append(out, f)
		}
	}
	return out
}

// preloaded reports whether the mapped path is one of the names (a path,
// or a bare name the dynamic linker searched for).
func preloaded(mapped string, names []string) bool {
	for _, n := range names {
		if n == mapped || !strings.Contains(n, "/") && path.Base(mapped) == n {
			return true
		}
	}
	return false
}

// mapsDev turns maps' "major:minor" (hex) into the statx device number.
func mapsDev(s string) (uint64, bool) {
	a, b, ok := strings.Cut(s, ":")
	ma, err1 := strconv.ParseUint(a, 16, 32)
	mi, err2 := strconv.ParseUint(b, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, false
	}
	return unix.Mkdev(uint32(ma), uint32(mi)), true
}

func collectSharedObjects(ctx context.Context, env *Env) error {
	pass := env.volatilePass(ctx)
	if pass.Err != nil {
		return fmt.Errorf("listing processes: %w", pass.Err)
	}
	procs := pass.identities()
	var hostPreload []string
	if b, err := readHostFile(ctx, env, "/etc/ld.so.preload", maxPreloadBytes); err == nil {
		hostPreload = parsePreload(b)
	} else if !errors.Is(err, os.ErrNotExist) {
		env.Errorf("/etc/ld.so.preload", "%v", err)
	}
	self := os.Getpid()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	seen := map[[2]uint64]string{}
	recorded, copied := 0, 0
	for _, p := range procs {
		if p.PID == self {
			continue
		}
		if ctx.Err() != nil {
			env.Errorf("", "shared objects cut by the deadline")
			break
		}
		if len(env.Opts.TargetPIDs) > 0 && !env.chosen(p, false) {
			continue
		}
		maps, _, err := ReadSmall(ctx, env.procPath(p.PID, "maps"), maxMapsBytes)
		if err != nil {
			continue // vanished, or no ptrace access: the memory source records it for suspects
		}
		var ldPreload string
		if environ, _, err := ReadSmall(ctx, env.procPath(p.PID, "environ"), maxEnvironBytes); err == nil {
			ldPreload = environValue(environ, "LD_PRELOAD")
		}
		envPreload := parsePreload([]byte(ldPreload))
		exe := strings.TrimSuffix(p.Exe, " (deleted)")
		for _, m := range parseMappedFiles(maps) {
			clean := strings.TrimSuffix(m.path, " (deleted)")
			if !m.exec || clean == exe {
				continue
			}
			var reasons []string
			deleted := strings.HasSuffix(m.path, " (deleted)")
			if deleted {
				reasons = append(reasons, snapshot.ReasonDeleted)
			}
			if !underAny(clean, packageLibDirs) {
				reasons = append(reasons, snapshot.ReasonOutsidePkgDir)
			}
			if preloaded(clean, hostPreload) {
				reasons = append(reasons, snapshot.ReasonLdSoPreload)
			}
			if preloaded(clean, envPreload) {
				reasons = append(reasons, snapshot.ReasonLDPreload)
			}
			if len(reasons) == 0 {
				continue
			}
			rec := snapshot.SharedObject{PID: p.PID, StartTicks: p.StartTicks, Comm: p.Comm, Exe: p.Exe, Path: m.path, Deleted: deleted,
				Reasons: reasons, LDPreload: ldPreload, Dev: m.dev, Inode: m.inode, Mappings: m.mappings, ObservedAt: env.Now().UTC()}
			strong := deleted || len(reasons) > 1 || reasons[0] != snapshot.ReasonOutsidePkgDir
			if env.chosen(p, false) || strong {
				if copySharedObject(ctx, env, p, m, &rec, seen) {
					copied++
				}
			} else {
				rec.NotCopied = "the process is not suspect and the object is only outside the package directories (--pid chooses processes)"
			}
			recorded++
			if err := enc.Encode(rec); err != nil {
				return err
			}
		}
	}
	if _, err := env.AddBytes(bundle.EntryMeta{Name: snapshot.SharedObjectsEntry, ReadAt: env.Now().UTC()}, buf.Bytes()); err != nil {
		return err
	}
	env.Note("%d suspect shared objects mapped, %d copied", recorded, copied)
	return nil
}

func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

// copySharedObject reads one mapped file into the bundle and fills rec.
// It reports whether bytes were written.
func copySharedObject(ctx context.Context, env *Env, p procIdentity, m mappedFile, rec *snapshot.SharedObject, seen map[[2]uint64]string) bool {
	dev, ok := mapsDev(m.dev)
	if !ok {
		rec.Error = "maps: bad device field"
		return false
	}
	if prev, ok := seen[[2]uint64{dev, m.inode}]; ok {
		rec.SameAs = prev
		return false
	}
	mapFile := env.procPath(p.PID, "map_files", fmt.Sprintf("%x-%x", m.first[0], m.first[1]))
	var f *os.File
	var info *bundle.FileInfo
	var errs []string
	if err := samePID(ctx, env, p); err != nil {
		rec.Error = err.Error()
		return false
	}
	f, info, err := openProcLink(mapFile)
	if err == nil && (info.Inode != m.inode || info.Dev != dev) {
		f.Close()
		f, err = nil, fmt.Errorf("%s is inode %d, maps says %d: %w", mapFile, info.Inode, m.inode, ErrChanged)
	}
	if err == nil {
		rec.Via = "map_files"
	} else {
		errs = append(errs, err.Error())
		if !rec.Deleted {
			rootPath := env.procPath(p.PID, "root") + m.path
			if info, err = Stat(rootPath); err == nil && info.Inode == m.inode && info.Dev == dev {
				f, err = OpenRegular(rootPath, info)
			} else if err == nil {
				err = fmt.Errorf("%s is another file than the one mapped: %w", rootPath, ErrChanged)
			}
			if err == nil {
				rec.Via = "root"
			} else {
				errs = append(errs, err.Error())
			}
		}
	}
	if f == nil {
		rec.Error = strings.Join(errs, "; ")
		env.Missing(m.path, info, fmt.Errorf("shared object mapped by %d: %s", p.PID, rec.Error))
		return false
	}
	defer f.Close()
	// The fd is of this process's mapping only if the PID was not reused.
	if err := samePID(ctx, env, p); err != nil {
		rec.Error = err.Error()
		return false
	}
	rec.Size = info.Size
	rec.ELF = elfFacts(f, info.Size)
	info.Link = m.path
	name := snapshot.MapFileEntry(int64(p.PID), fmt.Sprintf("%x-%x", m.first[0], m.first[1]))
	r, err := copyExecutable(ctx, env, f, bundle.EntryMeta{Name: name, HostPath: mapFile, Original: info})
	if isBudgetSpent(err) {
		rec.NotCopied = fmt.Sprintf("the --max-executables budget of %s is spent", FormatSize(env.Opts.MaxExecutables))
		env.Missing(m.path, info, fmt.Errorf("shared object mapped by %d: %s", p.PID, rec.NotCopied))
		return false
	}
	if err != nil {
		rec.Error = err.Error()
		return false
	}
	rec.Entry, rec.SHA256, rec.Copied = r.Name, r.SHA256, r.Size
	if r.Error != "" {
		rec.Error = r.Error
	}
	seen[[2]uint64{dev, m.inode}] = r.Name
	return true
}
