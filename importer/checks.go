package importer

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/imported"
)

// uacCopyCap is what UAC's deleted.yaml copies of a running binary:
// dd bs=1024 count=20000. A copy of exactly this size may be cut.
const uacCopyCap = 20000 * 1024

// executable stores a binary copied from a running process (UAC's
// proc/PID/recovered_exe, proc/PID/fd/N/recovered_file) where
// cordon-collect puts the same thing: proc/<pid>/exe, proc/<pid>/fd/<n>.
func (r *run) executable(c *memberCtx, rd io.Reader) error {
	pid, err := strconv.Atoi(c.capture("pid"))
	if err != nil {
		return r.store(c, rd, bundle.NameFor("archive", "/"+c.full), imported.Source, "", false)
	}
	fd := -1
	if s := c.capture("fd"); s != "" {
		fd, _ = strconv.Atoi(s)
	}
	name := c.rule.expand(c.rule.Entry, c.path, c.m)
	if err := r.store(c, rd, name, "executables", "", true); err != nil {
		return err
	}
	rec := recovered{pid: pid, fd: fd, entry: c.entry, path: c.full, sha256: c.members.SHA256, md5: c.members.MD5,
		sha1: c.members.SHA1, size: c.hdr.Size, at: c.mtime, err: c.members.Error}
	if fd >= 0 {
		if len(r.procs.fdCopies) < 100_000 {
			r.procs.fdCopies = append(r.procs.fdCopies, rec)
		}
	} else {
		r.procs.recovery[pid] = rec
	}
	return nil
}

// sawListed checks a member against the collector's own list of what it
// collected (UAC hash_list.*), which comes first in the archive.
func (r *run) sawListed(c *memberCtx) {
	if len(r.listed) == 0 || c.nested {
		return
	}
	if r.listedSeen == nil {
		r.listedSeen = map[string]bool{}
	}
	for _, key := range []string{c.path, strings.TrimPrefix(c.path, "/")} {
		ls, ok := r.listed[key]
		if !ok {
			continue
		}
		r.listedSeen[key] = true
		for _, l := range ls {
			actual := map[string]string{"md5": c.members.MD5, "sha1": c.members.SHA1, "sha256": c.members.SHA256}[l.algo]
			res := imported.Match
			if actual != l.hash {
				res = imported.Mismatch
			}
			if c.members.Error != "" {
				res = imported.Incomplete
			}
			r.check(imported.Check{Kind: "collected-file", Subject: c.full, Entry: c.entry, Algorithm: l.algo, Expected: l.hash,
				Actual: actual, Source: fmt.Sprintf("%s line %d", l.source, l.line), SourceEntry: l.source, SourceLine: l.line,
				Result: res, Note: c.members.Error})
		}
		break
	}
}

// listedNotFile records that a listed member is not a regular file: UAC
// -H keeps symbolic links as links, and md5sum hashed their targets on the
// host, which the archive does not hold.
func (r *run) listedNotFile(p string, m imported.Member) {
	ls, ok := r.listed[p]
	if !ok {
		return
	}
	if r.listedSeen == nil {
		r.listedSeen = map[string]bool{}
	}
	r.listedSeen[p] = true
	for _, l := range ls {
		r.check(imported.Check{Kind: "collected-file", Subject: m.Path, Algorithm: l.algo, Expected: l.hash,
			Source: fmt.Sprintf("%s line %d", l.source, l.line), SourceEntry: l.source, SourceLine: l.line, Result: imported.NotComparable,
			Note: fmt.Sprintf("a %s in the archive (to %q): the collector hashed what it pointed to on the host, which the archive does not hold", m.Type, m.Link)})
	}
}

// keepHashes keeps the digests of a host file for the lists of the host's
// files that may come later in the archive.
func (r *run) keepHashes(c *memberCtx, hostPath string) {
	if c.members.MD5 == "" {
		return
	}
	if len(r.hashed) < maxHashed {
		r.hashed["host:"+hostPath] = memberHashes{md5: c.members.MD5, sha1: c.members.SHA1, sha256: c.members.SHA256,
			entry: c.entry, path: c.full, size: c.hdr.Size}
	}
}

// finishChecks compares what is left: files the collector listed and the
// archive lacks, recovered binaries against the digests of the running
// executables, host files against the lists of the host's programs, and
// the archive file against its acquisition log and the analyst's digests.
func (r *run) finishChecks() {
	for _, key := range sortedKeys(r.listed) {
		if r.listedSeen[key] {
			continue
		}
		for _, l := range r.listed[key] {
			r.check(imported.Check{Kind: "collected-file", Subject: key, Algorithm: l.algo, Expected: l.hash,
				Source: fmt.Sprintf("%s line %d", l.source, l.line), SourceEntry: l.source, SourceLine: l.line, Result: imported.Missing})
		}
	}
	pids := make([]int, 0, len(r.procs.recovery))
	for pid := range r.procs.recovery {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	for _, pid := range pids {
		rec := r.procs.recovery[pid]
		hs := r.procs.exeHash[pid]
		for _, algo := range []string{"md5", "sha1", "sha256"} {
			want, ok := hs[algo]
			if !ok {
				continue
			}
			actual := map[string]string{"md5": rec.md5, "sha1": rec.sha1, "sha256": rec.sha256}[algo]
			c := imported.Check{Kind: "running-process", Subject: rec.path, Entry: rec.entry, Algorithm: algo, Expected: want.v,
				Actual: actual, Source: fmt.Sprintf("%s line %d (/proc/%d/exe)", want.entry, want.line, pid),
				SourceEntry: want.entry, SourceLine: want.line, Result: imported.Match}
			switch {
			case actual == want.v:
			case rec.size == uacCopyCap:
				c.Result = imported.NotComparable
				c.Note = "the copy is exactly 20,000 KiB, where UAC's dd stops: the binary may be longer than the copy"
			default:
				c.Result = imported.Mismatch
			}
			r.check(c)
		}
	}
	for _, p := range r.progs {
		h, ok := r.hashed["host:"+p.path]
		if !ok {
			continue
		}
		actual := map[string]string{"md5": h.md5, "sha1": h.sha1, "sha256": h.sha256}[p.algo]
		res := imported.Match
		if actual != p.hash {
			res = imported.Mismatch
		}
		r.check(imported.Check{Kind: "host-file", Subject: h.path, Entry: h.entry, Algorithm: p.algo, Expected: p.hash,
			Actual: actual, Source: fmt.Sprintf("%s line %d (%s)", p.entry, p.line, p.path), SourceEntry: p.entry, SourceLine: p.line,
			Result: res, Note: "the list was made on the host while the collector ran; a file that changed between the copy and the list differs too"})
	}
	r.archiveChecks()
}

// archiveChecks compares the archive file's digests with the acquisition
// log's and with those the analyst gave.
func (r *run) archiveChecks() {
	md5hex, sha1hex, sha256hex := r.in.sums()
	actual := map[string]string{"md5": md5hex, "sha1": sha1hex, "sha256": sha256hex}
	if a := r.acqLog; a != nil && a.err == "" {
		if a.file != "" && a.file != r.archiveName {
			r.check(imported.Check{Kind: "archive", Subject: r.archiveName, Source: a.name, SourceEntry: acqLogEntry,
				Result: imported.NotComparable, Note: fmt.Sprintf("the acquisition log is about %q, not this file's name; its digests are compared all the same", a.file)})
		}
		for _, algo := range []string{"md5", "sha1", "sha256"} {
			want, ok := a.hashes[algo]
			if !ok {
				continue
			}
			res := imported.Match
			if want != actual[algo] {
				res = imported.Mismatch
			}
			r.check(imported.Check{Kind: "archive", Subject: r.archiveName, Algorithm: algo, Expected: want, Actual: actual[algo],
				Source: fmt.Sprintf("%s line %d", a.name, a.lines[algo]), SourceEntry: acqLogEntry, SourceLine: a.lines[algo], Result: res})
		}
	}
	for _, e := range r.opts.Expect {
		e = strings.ToLower(strings.TrimSpace(e))
		algo := map[int]string{32: "md5", 40: "sha1", 64: "sha256"}[len(e)]
		if algo == "" {
			continue
		}
		res := imported.Match
		if e != actual[algo] {
			res = imported.Mismatch
		}
		r.check(imported.Check{Kind: "archive", Subject: r.archiveName, Algorithm: algo, Expected: e, Actual: actual[algo],
			Source: "the digest given to cordon import (--expect)", Result: res})
	}
}

// acqLogEntry is where the acquisition log is kept in the bundle.
const acqLogEntry = "import/acquisition.log"

// hashReader hashes what it reads with MD5 and SHA-1.
func hexSums(b []byte) (string, string) {
	m, s := md5.Sum(b), sha1.Sum(b)
	return hex.EncodeToString(m[:]), hex.EncodeToString(s[:])
}
