package collector

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/utmp"
)

// logs.go collects the host's logs raw, rotated generations included (.1,
// .2.gz, … are copied as they are, never decompressed), plus the sparse
// lastlog in a compact form (see utmp.LastlogEntry).

func init() {
	Register(Source{
		Name:    "logs",
		Order:   50,
		Help:    "system, authentication, audit, journal, login-record, PostgreSQL and Docker container logs (rotated generations raw)",
		Collect: collectLogs,
	})
}

// logPatterns are the host paths of the logs, each with its rotated
// generations (logrotate names them NAME.1, NAME.2.gz, … or NAME-YYYYMMDD).
var logPatterns = []string{
	"/var/log/auth.log*", "/var/log/secure*",
	"/var/log/syslog*", "/var/log/messages*",
	"/var/log/kern.log*",
	"/var/log/audit/audit.log*",
	"/var/log/wtmp*", "/var/log/btmp*", "/run/utmp", "/var/run/utmp",
	"/var/log/postgresql/*",
	"/var/lib/docker/containers/*/*-json.log*",
	"/var/log/apt/history.log*",
}

// Journal files are copied as they are: directories machine-id/ hold
// system.journal, user-UID.journal and their archived @… generations.
var journalDirs = []string{"/var/log/journal", "/run/log/journal"}

func collectLogs(ctx context.Context, env *Env) error {
	n := env.copyPatterns(ctx, logPatterns...)
	for _, d := range journalDirs {
		n += env.copyTree(ctx, d, 2)
	}
	for _, d := range postgresLogDirs(ctx, env) {
		n += env.copyPatterns(ctx, filepath.Join(d, "*"))
	}
	n += copyTimeZoneFiles(ctx, env) // the zone local log times are in
	if err := collectLastlog(ctx, env, "/var/log/lastlog"); err != nil {
		env.Errorf("/var/log/lastlog", "%v", err)
	}
	env.Note("%d log files copied", n)
	return ctx.Err()
}

// postgresConfPatterns are where clusters keep postgresql.conf: Debian's
// /etc/postgresql/VERSION/CLUSTER/, Red Hat's data directory, and Debian's
// data directories (a conf there is possible when built by hand).
var postgresConfPatterns = []string{
	"/etc/postgresql/*/*/postgresql.conf",
	"/var/lib/postgresql/*/*/postgresql.conf",
	"/var/lib/pgsql/data/postgresql.conf",
	"/var/lib/pgsql/*/data/postgresql.conf",
}

// postgresConf is what Cordon reads from one postgresql.conf.
type postgresConf struct {
	path          string // host path of the conf
	dataDirectory string // data_directory, or the conf's own directory
	logDirectory  string // log_directory, absolute (relative to the data directory when relative)
	hbaFile       string // hba_file, absolute, or "" for DATA/pg_hba.conf
	identFile     string
}

// postgresConfs finds and reads the clusters' configuration files (bounded).
func postgresConfs(ctx context.Context, env *Env) []postgresConf {
	var out []postgresConf
	for _, pat := range postgresConfPatterns {
		paths, _ := env.fsGlob(pat)
		for _, p := range paths {
			data, _, err := ReadSmall(ctx, env.HostPath(p), 1<<20)
			if err != nil {
				continue
			}
			c := parsePostgresConf(data)
			c.path = p
			if c.dataDirectory == "" {
				c.dataDirectory = filepath.Dir(p)
			}
			if c.logDirectory == "" {
				c.logDirectory = "log" // PostgreSQL ≥ 10 default; 9.x used pg_log
			}
			if !filepath.IsAbs(c.logDirectory) {
				c.logDirectory = filepath.Join(c.dataDirectory, c.logDirectory)
			}
			out = append(out, c)
		}
	}
	return out
}

// parsePostgresConf reads the settings Cordon needs from postgresql.conf
// (PostgreSQL docs §20.1.2: "name = value", "#" comments, values optionally
// single-quoted; the last occurrence wins).
func parsePostgresConf(data []byte) postgresConf {
	var c postgresConf
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			// "name value" is also accepted by PostgreSQL
			name, value, ok = strings.Cut(line, " ")
			if !ok {
				continue
			}
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if strings.HasPrefix(value, "'") {
			if end := strings.Index(value[1:], "'"); end >= 0 {
				value = value[1 : end+1]
			}
		} else if i := strings.IndexByte(value, '#'); i >= 0 {
			value = strings.TrimSpace(value[:i])
		}
		switch name {
		case "data_directory":
			c.dataDirectory = value
		case "log_directory":
			c.logDirectory = value
		case "hba_file":
			c.hbaFile = value
		case "ident_file":
			c.identFile = value
		}
	}
	return c
}

// postgresLogDirs returns the log directories named by the clusters'
// configuration, plus the defaults of data directories found on disk.
func postgresLogDirs(ctx context.Context, env *Env) []string {
	set := map[string]bool{}
	var out []string
	add := func(d string) {
		if !set[d] {
			set[d] = true
			out = append(out, d)
		}
	}
	for _, c := range postgresConfs(ctx, env) {
		add(c.logDirectory)
	}
	for _, pat := range []string{"/var/lib/postgresql/*/*/log", "/var/lib/postgresql/*/*/pg_log", "/var/lib/pgsql/data/log", "/var/lib/pgsql/*/data/log"} {
		paths, _ := env.fsGlob(pat)
		for _, p := range paths {
			add(p)
		}
	}
	return out
}

// lastlogMaxRecords bounds the compact copy of lastlog (~29 MiB); the
// layout is formats/utmp's (utmp.LastlogEntry).
const lastlogMaxRecords = 100_000

// collectLastlog copies the non-empty records of a lastlog file, visiting
// only its data extents (lseek SEEK_DATA/SEEK_HOLE, lseek(2)); where the
// file system does not support them, the whole file is read record by
// record, which the size cap bounds.
func collectLastlog(ctx context.Context, env *Env, hostPath string) error {
	p := env.HostPath(hostPath)
	info, err := Stat(p)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		env.Missing(hostPath, nil, err)
		return nil
	}
	env.claim(hostPath)
	f, err := OpenRegular(p, info)
	if err != nil {
		env.Missing(hostPath, info, err)
		return nil
	}
	defer f.Close()
	var out []byte
	var note []string
	truncated := false
	records := 0
	rec := make([]byte, utmp.LastlogRecordSize)
	scanned := int64(0)
	fd := int(f.Fd())
	off := int64(0)
	sparse := true
	for off < info.Size && ctx.Err() == nil && !truncated {
		start, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if err != nil {
			if errors.Is(err, unix.ENXIO) { // no data after off
				break
			}
			// SEEK_DATA unsupported: the whole rest is data.
			sparse, start = false, off
		}
		end := info.Size
		if sparse {
			if h, err := unix.Seek(fd, start, unix.SEEK_HOLE); err == nil {
				end = h
			}
		}
		// align to record boundaries
		first := start / utmp.LastlogRecordSize
		for i := first; i*utmp.LastlogRecordSize < end; i++ {
			if ctx.Err() != nil {
				break
			}
			if scanned >= env.Opts.MaxFileSize {
				truncated = true
				note = append(note, fmt.Sprintf("stopped after scanning %d bytes of data (size cap)", scanned))
				break
			}
			n, err := f.ReadAt(rec, i*utmp.LastlogRecordSize)
			scanned += int64(n)
			if n < utmp.LastlogRecordSize {
				if err != nil && err != io.EOF {
					env.Errorf(hostPath, "reading record %d: %v", i, err)
				} else if n > 0 {
					note = append(note, fmt.Sprintf("a partial record of %d bytes at the end", n))
				}
				off = info.Size
				break
			}
			off = (i + 1) * utmp.LastlogRecordSize
			if allZero(rec) {
				continue
			}
			if records >= lastlogMaxRecords {
				truncated = true
				note = append(note, fmt.Sprintf("cut at %d records", lastlogMaxRecords))
				break
			}
			out = utmp.AppendLastlog(out, uint32(i), rec)
			records++
		}
		if !sparse {
			break
		}
	}
	if ctx.Err() != nil {
		truncated = true
		note = append(note, "time budget ran out")
	}
	note = append([]string{fmt.Sprintf("compact lastlog: %d non-empty records of %d bytes, each prefixed by its uint32 LE UID, from a %d-byte file (%d bytes of data read)", records, utmp.LastlogRecordSize, info.Size, scanned)}, note...)
	meta := bundle.EntryMeta{Name: utmp.LastlogEntry, HostPath: hostPath, Original: info, Truncated: truncated, Note: strings.Join(note, "; ")}
	_, err = env.AddBytes(meta, out)
	return err
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
