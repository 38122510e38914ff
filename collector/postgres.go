package collector

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/config"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// postgres.go finds every running PostgreSQL server from /proc, wherever
// its data directory is (a CI job's initdb under /tmp, /srv, a container)
// and copies its configuration and logs: a postmaster is a process whose
// executable is a postgres binary and whose parent's is not. Its data
// directory is its working directory (the postmaster changes to it),
// checked against -D, data_directory and PGDATA; its configuration is
// postgresql.conf (from -c config_file or beside -D) with its include,
// include_if_exists and include_dir files, then postgresql.auto.conf,
// then the command line's -c settings, as the server applies them; its
// logs are the files in log_directory (resolved against the data
// directory), the log files it and its children hold open, and its fds 1
// and 2 (where pg_ctl -l FILE sends them). A postmaster in another mount
// namespace or root (a container) is read through /proc/PID/root with
// RESOLVE_IN_ROOT (rooted.go), and its container id recorded.
//
// Entries are fs/<host path>; logs carry snapshot.PostgresLogNote at the
// start of their note. postgres/clusters.json says what was found.

func init() {
	Register(Source{
		Name:    snapshot.PostgresSource,
		Order:   52,
		Live:    true,
		Budget:  2 * time.Minute,
		Help:    "every running PostgreSQL server found from /proc: its configuration (with includes) and logs wherever they are, inside containers through /proc/PID/root",
		Collect: collectPostgres,
	})
}

const (
	maxPGConf        = 1 << 20 // one configuration file
	maxPGIncludes    = 100     // configuration files per cluster
	maxPGIncludeDeep = 10
	maxPGLogFiles    = 4096 // files copied from one log_directory
)

// pgSettingsRead are the settings whose values in force are recorded.
var pgSettingsRead = []string{"data_directory", "config_file", "hba_file", "ident_file", "logging_collector", "log_destination",
	"log_directory", "log_filename", "log_line_prefix", "log_statement", "listen_addresses", "port"}

func collectPostgres(ctx context.Context, env *Env) error {
	pass := env.volatilePass(ctx)
	if pass.Err != nil {
		return pass.Err
	}
	byPID := map[int]*snapshot.Process{}
	for i := range pass.Procs {
		byPID[pass.Procs[i].PID] = &pass.Procs[i]
	}
	selfMnt := uint64(0)
	if l, err := os.Readlink("/proc/self/ns/mnt"); err == nil {
		selfMnt, _ = bracketInode(l)
	}
	clusters := []snapshot.PostgresCluster{}
	logs := 0
	for i := range pass.Procs {
		p := &pass.Procs[i]
		if p.Status == snapshot.StatusVanished || p.Hidden || !isPostgresExe(p.Exe) {
			continue
		}
		if parent := byPID[p.PPID]; parent != nil && isPostgresExe(parent.Exe) {
			continue // a backend or auxiliary process of a postmaster
		}
		if ctx.Err() != nil {
			env.Errorf("", "PostgreSQL clusters cut by the deadline")
			break
		}
		c := collectCluster(ctx, env, p, pass, byPID, selfMnt)
		for _, f := range c.Files {
			if snapshot.IsLogRole(f.Role) && f.Entry != "" {
				logs++
			}
		}
		clusters = append(clusters, c)
	}
	if _, err := env.AddJSON(snapshot.PostgresClustersEntry, clusters); err != nil {
		return err
	}
	env.Note("%d running PostgreSQL servers, %d log files", len(clusters), logs)
	return nil
}

// isPostgresExe reports whether an exe link names a PostgreSQL server binary.
func isPostgresExe(exe string) bool {
	b := path.Base(strings.TrimSuffix(exe, " (deleted)"))
	return b == "postgres" || b == "postmaster"
}

// pgCommandLine is what a postmaster's argv says (postgres(1)).
type pgCommandLine struct {
	dataDir  string            // -D
	settings map[string]string // -c name=value, --name=value
}

func parsePGCommandLine(argv []string) pgCommandLine {
	c := pgCommandLine{settings: map[string]string{}}
	set := func(kv string) {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			c.settings[strings.ToLower(strings.ReplaceAll(k, "-", "_"))] = v
		}
	}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "-D" && i+1 < len(argv):
			i++
			c.dataDir = argv[i]
		case strings.HasPrefix(a, "-D") && len(a) > 2:
			c.dataDir = a[2:]
		case a == "-c" && i+1 < len(argv):
			i++
			set(argv[i])
		case strings.HasPrefix(a, "-c") && len(a) > 2:
			set(a[2:])
		case strings.HasPrefix(a, "--") && strings.Contains(a, "="):
			set(a[2:])
		}
	}
	return c
}

// environValue returns one variable of a NUL-separated environment.
func environValue(env []byte, name string) string {
	for _, kv := range bytes.Split(env, []byte{0}) {
		if k, v, ok := bytes.Cut(kv, []byte("=")); ok && string(k) == name {
			return string(v)
		}
	}
	return ""
}

// pgResolved is a cluster's settings in force, as the server applies them.
type pgResolved struct {
	values map[string]snapshot.PostgresSetting
}

func (r pgResolved) get(name, def string) string {
	if s, ok := r.values[name]; ok {
		return s.Value
	}
	return def
}

func collectCluster(ctx context.Context, env *Env, p *snapshot.Process, pass *volatilePass, byPID map[int]*snapshot.Process, selfMnt uint64) snapshot.PostgresCluster {
	c := snapshot.PostgresCluster{PID: p.PID, StartTicks: p.StartTicks, Exe: p.Exe, Cmdline: p.Cmdline, ContainerID: p.ContainerID,
		Settings: map[string]snapshot.PostgresSetting{}, Files: []snapshot.PostgresFile{}, ObservedAt: env.Now().UTC()}
	fail := func(format string, a ...any) { c.Errors = append(c.Errors, fmt.Sprintf(format, a...)) }
	id := procIdentity{PID: p.PID, StartTicks: p.StartTicks}
	if err := samePID(ctx, env, id); err != nil {
		fail("%v", err)
		return c
	}
	// The cluster's view of the file system.
	root, prefix := "/", ""
	if mnt := p.Namespaces["mnt"]; mnt != 0 && selfMnt != 0 && mnt != selfMnt || p.Root != "" && p.Root != "/" {
		root = env.procPath(p.PID, "root")
		prefix = root
		c.ReadThrough = prefix
	}
	view, err := openView(root, prefix)
	if err != nil {
		fail("opening the server's root: %v", err)
		return c
	}
	defer view.Close()
	note := func(role string) string {
		n := fmt.Sprintf("%s of the PostgreSQL server of postmaster %d", role, p.PID)
		if snapshot.IsLogRole(role) {
			n = snapshot.PostgresLogNote + " (" + role + ") of postmaster " + strconv.Itoa(p.PID)
		}
		if c.ContainerID != "" {
			n += ", container " + c.ContainerID
		}
		return n
	}
	copied := map[[2]uint64]string{} // dev, inode -> entry: one copy per file
	copyFile := func(role, fpath string) snapshot.PostgresFile {
		f := snapshot.PostgresFile{Role: role, Path: fpath, HostPath: view.HostPath(fpath)}
		info, err := view.Stat(fpath)
		switch {
		case err == nil && info.Type == "dir":
			f.Error = "a directory"
			return f
		case err == nil && info.Type == "file":
			if e, ok := copied[[2]uint64{info.Dev, info.Inode}]; ok {
				f.Entry = e
				return f
			}
		}
		// CopyViewFile records what it cannot copy (absent, a link, a FIFO).
		entry, ok := env.CopyViewFile(ctx, view, fpath, note(role), 0)
		f.Entry = entry
		switch {
		case err != nil:
			f.Error = err.Error()
		case info.Type != "file":
			f.Error = "not a regular file: " + info.Type
		case ok:
			copied[[2]uint64{info.Dev, info.Inode}] = entry
		}
		return f
	}

	// Data directory.
	cl := parsePGCommandLine(p.Cmdline)
	cands := map[string]string{}
	cwd := inView(p.Root, p.Cwd)
	if cwd != "" && !strings.HasSuffix(cwd, " (deleted)") {
		cands["cwd"] = cwd
	}
	if cl.dataDir != "" {
		cands["-D"] = absIn(cwd, cl.dataDir)
	}
	if b, _, err := ReadSmall(ctx, env.procPath(p.PID, "environ"), maxEnviron); err == nil {
		if v := environValue(b, "PGDATA"); v != "" {
			cands["PGDATA"] = absIn(cwd, v)
		}
	} else {
		fail("environ (for PGDATA): %v", err)
	}
	// The configuration: postgresql.conf beside -D (or PGDATA), unless
	// config_file says otherwise.
	confDir := cands["-D"]
	if confDir == "" {
		confDir = cands["PGDATA"]
	}
	if confDir == "" {
		confDir = cands["cwd"]
	}
	res := pgResolved{values: map[string]snapshot.PostgresSetting{}}
	confFile := path.Join(confDir, "postgresql.conf")
	if v, ok := cl.settings["config_file"]; ok {
		confFile = absIn(cwd, v)
	}
	if confDir == "" && cl.settings["config_file"] == "" {
		fail("no data directory: no working directory, -D or PGDATA")
	} else {
		c.ConfigFile = confFile
		files := readPGConf(ctx, env, view, confFile, "postgresql.conf", res, copyFile)
		c.Files = append(c.Files, files...)
	}
	// The data directory: the working directory is the kernel's word; the
	// others are kept when they differ.
	switch {
	case cands["cwd"] != "":
		c.DataDirectory, c.DataDirectoryFrom = cands["cwd"], "cwd"
	case res.get("data_directory", "") != "":
		c.DataDirectory, c.DataDirectoryFrom = absIn(confDir, res.get("data_directory", "")), "data_directory"
	case cands["-D"] != "":
		c.DataDirectory, c.DataDirectoryFrom = cands["-D"], "-D"
	case cands["PGDATA"] != "":
		c.DataDirectory, c.DataDirectoryFrom = cands["PGDATA"], "PGDATA"
	}
	if v := res.get("data_directory", ""); v != "" {
		cands["data_directory"] = absIn(confDir, v)
	}
	for _, v := range cands {
		if v != c.DataDirectory {
			c.DataDirectoryCandidates = cands
			break
		}
	}
	if c.DataDirectory != "" {
		auto := path.Join(c.DataDirectory, "postgresql.auto.conf")
		c.Files = append(c.Files, readPGConf(ctx, env, view, auto, "postgresql.auto.conf", res, copyFile)...)
		for _, n := range []string{"postmaster.opts", "postmaster.pid"} {
			c.Files = append(c.Files, copyFile(n, path.Join(c.DataDirectory, n)))
		}
	}
	for k, v := range cl.settings {
		res.values[k] = snapshot.PostgresSetting{Value: v, From: "command line"}
	}
	for _, n := range pgSettingsRead {
		if s, ok := res.values[n]; ok {
			c.Settings[n] = s
		}
	}
	dataDir := c.DataDirectory
	c.HbaFile = absIn(dataDir, res.get("hba_file", path.Join(dataDir, "pg_hba.conf")))
	c.IdentFile = absIn(dataDir, res.get("ident_file", path.Join(dataDir, "pg_ident.conf")))
	if dataDir != "" {
		c.Files = append(c.Files, copyFile("pg_hba.conf", c.HbaFile), copyFile("pg_ident.conf", c.IdentFile))
	}

	// Logs: the log directory, then what the server holds open.
	c.LogDirectory = absIn(dataDir, res.get("log_directory", config.DefaultLogDirectory))
	if dataDir != "" {
		names, cut, err := view.ReadDir(c.LogDirectory, maxPGLogFiles)
		switch {
		case err != nil && !os.IsNotExist(err):
			fail("listing log_directory %s: %v", c.LogDirectory, err)
		case err == nil:
			if cut {
				fail("log_directory %s holds more than %d files: the rest left out", c.LogDirectory, maxPGLogFiles)
			}
			for _, n := range names {
				if f := copyFile("log", path.Join(c.LogDirectory, n)); f.Error != "a directory" {
					c.Files = append(c.Files, f)
				}
			}
		}
	}
	c.Files = append(c.Files, openLogs(ctx, env, p, pass, byPID, view, copied, note)...)
	return c
}

// inView turns a link the kernel gave (cwd, an fd) into a path of the
// process's own view: a chrooted process's links read as host paths under
// its root, which is stripped.
func inView(root, link string) string {
	if root == "" || root == "/" || !strings.HasPrefix(link, "/") {
		return link
	}
	if link == root {
		return "/"
	}
	if rest, ok := strings.CutPrefix(link, strings.TrimSuffix(root, "/")+"/"); ok {
		return "/" + rest
	}
	return link
}

// absIn makes p absolute against dir (PostgreSQL resolves relative paths
// against the data directory, and the command line's against the working
// directory).
func absIn(dir, p string) string {
	if p == "" || path.IsAbs(p) {
		return p
	}
	return path.Join(dir, p)
}

// readPGConf reads one configuration file and what it includes, in the
// server's order, recording each setting's origin; it copies every file.
func readPGConf(ctx context.Context, env *Env, view *fsView, file, role string, res pgResolved,
	copyFile func(role, path string) snapshot.PostgresFile) []snapshot.PostgresFile {
	var out []snapshot.PostgresFile
	seen := map[string]bool{}
	var visit func(file, role string, depth int, mustExist bool)
	visit = func(file, role string, depth int, mustExist bool) {
		if depth > maxPGIncludeDeep || len(out) >= maxPGIncludes || seen[file] || ctx.Err() != nil {
			return
		}
		seen[file] = true
		if _, err := view.Stat(file); !mustExist && os.IsNotExist(err) {
			return
		}
		f := copyFile(role, file)
		data, _, err := view.ReadFile(ctx, file, maxPGConf)
		if err != nil {
			if f.Error == "" {
				f.Error = err.Error()
			}
			out = append(out, f)
			return
		}
		out = append(out, f)
		conf, _ := config.ParsePostgresqlConf(bytes.NewReader(data))
		// Settings and includes take effect in file order.
		type item struct {
			line int64
			set  *config.PgSetting
			inc  *config.PgInclude
		}
		var items []item
		for _, s := range conf.Settings {
			s := s
			items = append(items, item{line: s.Line, set: &s})
		}
		for i := range conf.Includes {
			items = append(items, item{line: conf.Includes[i].Line, inc: &conf.Includes[i]})
		}
		sort.Slice(items, func(i, j int) bool { return items[i].line < items[j].line })
		for _, it := range items {
			if it.set != nil {
				res.values[it.set.Name] = snapshot.PostgresSetting{Value: it.set.Value, From: fmt.Sprintf("%s:%d", file, it.set.Line)}
				continue
			}
			target := absIn(path.Dir(file), it.inc.Path)
			switch it.inc.Directive {
			case "include":
				visit(target, "include", depth+1, true)
			case "include_if_exists":
				visit(target, "include", depth+1, false)
			case "include_dir":
				names, _, err := view.ReadDir(target, maxPGIncludes)
				if err != nil {
					out = append(out, snapshot.PostgresFile{Role: "include", Path: target, HostPath: view.HostPath(target), Error: err.Error()})
					continue
				}
				for _, n := range names {
					if strings.HasSuffix(n, ".conf") && !strings.HasPrefix(n, ".") {
						visit(path.Join(target, n), "include", depth+1, true)
					}
				}
			}
		}
	}
	visit(file, role, 0, role != "postgresql.auto.conf")
	return out
}

// openLogs copies the server's open logs: fds 1 and 2 of the postmaster
// and its children when they are files (pg_ctl -l FILE), and any *.log,
// *.csv or *.json they hold open. A file reachable
// by its path in the server's view is copied by path; a deleted or
// unreachable one through /proc/PID/fd/N.
func openLogs(ctx context.Context, env *Env, p *snapshot.Process, pass *volatilePass, byPID map[int]*snapshot.Process,
	view *fsView, copied map[[2]uint64]string, note func(string) string) []snapshot.PostgresFile {
	type cand struct {
		role   string
		target string
		held   []string
		pid    int
		fd     int
		start  uint64
	}
	var order []string
	byTarget := map[string]*cand{}
	for _, f := range pass.OpenFiles {
		q := byPID[f.PID]
		if q == nil || f.Error != "" || q.StartTicks != f.StartTicks || f.PID != p.PID && q.PPID != p.PID {
			continue
		}
		t := inView(p.Root, f.Target)
		if !strings.HasPrefix(t, "/") {
			continue // pipe:, socket:, anon_inode:
		}
		clean := strings.TrimSuffix(t, " (deleted)")
		role := ""
		switch {
		// fds 1 and 2 of the postmaster, and of the logging collector,
		// which keeps the ones pg_ctl -l gave while the postmaster's go to
		// its pipe.
		case f.FD == 1 && !strings.HasPrefix(clean, "/dev/"):
			role = "stdout"
		case f.FD == 2 && !strings.HasPrefix(clean, "/dev/"):
			role = "stderr"
		case strings.HasSuffix(clean, ".log") || strings.HasSuffix(clean, ".csv") || strings.HasSuffix(clean, ".json"):
			role = "open-log"
		default:
			continue
		}
		c := byTarget[t]
		if c == nil {
			c = &cand{role: role, target: t, pid: f.PID, fd: f.FD, start: f.StartTicks}
			byTarget[t] = c
			order = append(order, t)
		}
		c.held = append(c.held, fmt.Sprintf("%d/%d", f.PID, f.FD))
	}
	var out []snapshot.PostgresFile
	for _, t := range order {
		if ctx.Err() != nil {
			break
		}
		c := byTarget[t]
		clean := strings.TrimSuffix(t, " (deleted)")
		f := snapshot.PostgresFile{Role: c.role, Path: clean, HeldBy: c.held}
		// What the descriptor points at, to compare with the path.
		fdPath := env.procPath(c.pid, "fd", strconv.Itoa(c.fd))
		fdInfo, err := statFollow(fdPath)
		if err != nil {
			f.Error = err.Error()
			out = append(out, f)
			continue
		}
		key := [2]uint64{fdInfo.Dev, fdInfo.Inode}
		if e, ok := copied[key]; ok {
			f.Entry, f.HostPath = e, view.HostPath(clean)
			out = append(out, f)
			continue
		}
		if pinfo, err := view.Stat(clean); err == nil && t == clean && pinfo.Dev == fdInfo.Dev && pinfo.Inode == fdInfo.Inode {
			f.HostPath = view.HostPath(clean)
			f.Entry, _ = env.CopyViewFile(ctx, view, clean, note(c.role), 0)
		} else {
			// Deleted, rotated away or out of reach: the descriptor still
			// gives the very file.
			f.HostPath = fdPath
			f.Entry, err = copyThroughFD(ctx, env, procIdentity{PID: c.pid, StartTicks: c.start}, c.fd, t, note(c.role))
			if err != nil {
				f.Error = err.Error()
			}
		}
		if f.Entry != "" {
			copied[key] = f.Entry
		}
		out = append(out, f)
	}
	return out
}

// statFollow stats the file a magic link points at (/proc/PID/fd/N).
func statFollow(p string) (*bundle.FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	return &bundle.FileInfo{Type: fileType(st.Mode), Dev: st.Dev, Inode: st.Ino, Size: st.Size}, nil
}

// copyThroughFD copies the file a process holds open on fd, through the
// magic link (it yields a deleted file too), as fs/proc/PID/fd/N, capped
// at --max-file-size; the PID's start time is checked around the open.
func copyThroughFD(ctx context.Context, env *Env, id procIdentity, fd int, link, note string) (string, error) {
	hostPath := env.procPath(id.PID, "fd", strconv.Itoa(fd))
	if !env.claim(hostPath) {
		return bundle.NameFor("fs", hostPath), nil
	}
	if err := samePID(ctx, env, id); err != nil {
		env.Missing(hostPath, nil, err)
		return "", err
	}
	f, info, err := openProcLink(hostPath)
	if err != nil {
		env.Missing(hostPath, info, fmt.Errorf("%s (link %q): %w", note, link, err))
		return "", err
	}
	defer f.Close()
	if err := samePID(ctx, env, id); err != nil {
		env.Missing(hostPath, info, err)
		return "", err
	}
	info.Link = link
	size := info.Size
	meta := bundle.EntryMeta{Name: bundle.NameFor("fs", hostPath), HostPath: hostPath, Original: info, ReadAt: env.Now().UTC(), Note: note}
	if size > env.Opts.MaxFileSize {
		size = env.Opts.MaxFileSize
		meta.Truncated = true
		meta.Note = joinNote(meta.Note, fmt.Sprintf("cut at %d of %d bytes by the size cap", size, info.Size))
	}
	rec, err := env.Add(meta, NewStallReader(ctx, io.NewSectionReader(f, 0, info.Size), 0), size)
	if err != nil {
		return "", err
	}
	return rec.Name, nil
}
