package importer

// archive.go reads the archive as a stream: the file hashed as it is read,
// gzip and tar, the members one by one through the layout's rules into
// bundle entries, archives nested in it, and where it stops when cut.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/imported"
	"github.com/cordon-forensics/cordon/timeline"
)

// open starts reading the archive (gzip or plain tar) and reads the first
// member's header.
func (r *run) open() (*tar.Reader, *tar.Header, error) {
	br := bufio.NewReader(r.in)
	magic, _ := br.Peek(2)
	var src io.Reader = br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w (%v)", r.archive, ErrNotArchive, err)
		}
		gz.Multistream(true)
		r.gz, src = gz, gz
	}
	tr := tar.NewReader(src)
	hdr, err := tr.Next()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w (%v)", r.archive, ErrNotArchive, err)
	}
	return tr, hdr, nil
}

// chooseLayout finds the layout from the first members: their names (a
// directory carries no bytes, so the directories an archive starts with
// are read ahead, at most 64, until a name tells), or --layout.
func (r *run) chooseLayout(tr *tar.Reader, first *tar.Header) ([]*tar.Header, error) {
	hdrs := []*tar.Header{first}
	if r.opts.Layout != "" {
		l := LayoutByID(r.opts.Layout)
		if l == nil {
			return nil, fmt.Errorf("--layout %q: %w", r.opts.Layout, ErrUnknownLayout)
		}
		root, _ := l.Detect(cleanMemberPath(first.Name))
		r.layout, r.root = l, root
	}
	for r.layout == nil {
		name := cleanMemberPath(hdrs[len(hdrs)-1].Name)
		for _, l := range Layouts() {
			if root, ok := l.Detect(name); ok {
				r.layout, r.root = l, root
				break
			}
		}
		if r.layout != nil {
			break
		}
		last := hdrs[len(hdrs)-1]
		if last.Typeflag != tar.TypeDir || len(hdrs) >= 64 {
			return nil, fmt.Errorf("%s (first member %q): %w", r.archive, cut(safe(cleanMemberPath(first.Name)), 200), ErrUnknownLayout)
		}
		next, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("%s (first member %q): %w", r.archive, cut(safe(cleanMemberPath(first.Name)), 200), ErrUnknownLayout)
		}
		hdrs = append(hdrs, next)
	}
	r.layout.compile()
	r.collector.name = r.layout.Name
	return hdrs, nil
}

// walk reads every member, those read ahead first.
func (r *run) walk(tr *tar.Reader, ahead []*tar.Header) error {
	r.complete = true
	n := 0
	for _, hdr := range ahead[:len(ahead)-1] {
		n++
		if err := r.member(hdr, tr, "", r.layout.Rules); err != nil { // directories: no bytes
			return err
		}
	}
	hdr := ahead[len(ahead)-1]
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		n++
		if err := r.member(hdr, tr, "", r.layout.Rules); err != nil {
			return err
		}
		next, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			r.stop(fmt.Sprintf("after member %d (%s), at byte %d of %d of the archive file: %v",
				n, cut(safe(cleanMemberPath(hdr.Name)), 200), r.in.n, r.in.total, err))
			return nil
		}
		hdr = next
	}
}

// stop records that the archive could not be read to its end.
func (r *run) stop(where string) {
	r.complete = false
	r.stopped = where
	r.check(imported.Check{Kind: "archive-complete", Subject: r.archiveName, Result: imported.Incomplete,
		Note: "the archive ends early or is damaged: the import stopped " + where + "; everything before is imported"})
	r.errors = append(r.errors, bundle.ErrorRecord{At: r.opts.Now().UTC(), Source: "import", HostPath: r.archiveName,
		Error: "archive incomplete: stopped " + where})
}

// cleanMemberPath drops "./" and leading "/" from a tar name.
func cleanMemberPath(p string) string {
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	return strings.TrimLeft(p, "/")
}

// memberCtx is one member being read.
type memberCtx struct {
	hdr     *tar.Header
	path    string // relative to the layout's root (inner path for a nested member)
	full    string // as recorded: the archive path, "OUTER!/INNER" for a nested one
	rule    *Rule
	m       []int
	entry   string // the bundle entry that holds it
	mtime   time.Time
	nested  bool
	members *imported.Member
}

func (c *memberCtx) capture(name string) string { return c.rule.capture(name, c.path, c.m) }

// member reads one member with the given rules.
func (r *run) member(hdr *tar.Header, rd io.Reader, outer string, rules []Rule) error {
	raw := cleanMemberPath(hdr.Name)
	p := raw
	if outer == "" && r.root != "" {
		p = strings.TrimPrefix(strings.TrimPrefix(raw, r.root), "/")
	}
	full := raw
	if outer != "" {
		full = outer + "!/" + raw
	}
	mem := imported.Member{Path: safe(full), Type: memberType(hdr.Typeflag), Link: safe(hdr.Linkname),
		Size: hdr.Size, Mode: uint32(hdr.Mode & 0o7777), UID: hdr.Uid, GID: hdr.Gid, Owner: safe(hdr.Uname),
		Group: safe(hdr.Gname), Mtime: hdr.ModTime.UTC()}
	if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA {
		if outer == "" {
			r.listedNotFile(p, mem)
		}
		r.addMember(mem)
		return nil
	}
	c := &memberCtx{hdr: hdr, path: p, full: full, mtime: hdr.ModTime.UTC(), nested: outer != "", members: &mem}
	if outer == "" && !c.mtime.IsZero() {
		if r.earliest.IsZero() || c.mtime.Before(r.earliest) {
			r.earliest = c.mtime
		}
		if c.mtime.After(r.latest) {
			r.latest = c.mtime
		}
	}
	c.rule, c.m = match(rules, p)
	if c.rule == nil {
		c.rule = &Rule{Name: "kept", Kind: Keep}
	}
	mem.Rule = c.rule.Name
	var err error
	switch c.rule.Kind {
	case HostFile:
		err = r.hostFile(c, rd)
	case Parse:
		err = r.parsed(c, rd, bundle.NameFor("archive", "/"+full), imported.Source)
	case Nested:
		err = r.nested(c, rd)
	case Executable:
		err = r.executable(c, rd)
	case Entry:
		err = r.store(c, rd, c.rule.Entry, c.rule.Source, "", false)
	case Skip:
	default:
		err = r.store(c, rd, bundle.NameFor("archive", "/"+full), imported.Source, "", false)
	}
	if err != nil {
		return err
	}
	r.addMember(mem)
	return nil
}

func memberType(t byte) string {
	switch t {
	case tar.TypeReg, tar.TypeRegA:
		return "file"
	case tar.TypeDir:
		return "dir"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar:
		return "char"
	case tar.TypeBlock:
		return "block"
	case tar.TypeFifo:
		return "fifo"
	}
	return "other"
}

// entryName returns name, or another free name when it is taken (a host
// path given twice: Cat-Scale's two /etc archives overlap).
func (r *run) entryName(name, full string) string {
	if !r.names[name] {
		return name
	}
	alt := bundle.NameFor("archive", "/"+full)
	for i := 2; r.names[alt]; i++ {
		alt = bundle.NameFor("archive", fmt.Sprintf("/%s~%d", full, i))
	}
	return alt
}

// store copies the member into an entry, hashing it with MD5 and SHA-1
// as well when withHashes.
func (r *run) store(c *memberCtx, rd io.Reader, name, source, hostPath string, withHashes bool) error {
	name = r.entryName(name, c.full)
	note := "archive member " + c.full
	if hostPath != "" && name != bundle.NameFor("fs", hostPath) {
		note += fmt.Sprintf("; stored under this name because %s was already used by another member", bundle.NameFor("fs", hostPath))
	}
	meta := bundle.EntryMeta{Name: name, HostPath: hostPath, Source: source, Original: fileInfo(c.hdr), Note: note}
	// the collector listed what it collected (UAC -H): every member is checked
	withHashes = withHashes || len(r.listed) > 0 && !c.nested
	var mh, sh hash.Hash
	src := rd
	if withHashes {
		mh, sh = md5.New(), sha1.New()
		src = io.TeeReader(rd, io.MultiWriter(mh, sh))
	}
	rec, err := r.w.Add(meta, src, c.hdr.Size)
	if err != nil {
		return err
	}
	r.names[name] = true
	c.entry = name
	c.members.Entry, c.members.SHA256 = name, rec.SHA256
	if rec.Error != "" {
		c.members.Error = rec.Error
	}
	if withHashes {
		c.members.MD5, c.members.SHA1 = hex.EncodeToString(mh.Sum(nil)), hex.EncodeToString(sh.Sum(nil))
		r.sawListed(c)
	}
	return nil
}

// storeBytes stores a member already read whole.
func (r *run) storeBytes(c *memberCtx, data []byte, name, source, hostPath string) error {
	return r.store(c, bytes.NewReader(data), name, source, hostPath, false)
}

// fileInfo is the tar header's account of the original file. Only the
// mtime is in every tar; atime and ctime only in PAX or GNU headers that
// carry them (zero otherwise: unknown).
func fileInfo(h *tar.Header) *bundle.FileInfo {
	fi := &bundle.FileInfo{Type: "file", Mode: uint32(h.Mode & 0o7777), UID: uint32(max(h.Uid, 0)), GID: uint32(max(h.Gid, 0)),
		Size: h.Size, Mtime: h.ModTime.UTC()}
	if !h.AccessTime.IsZero() {
		fi.Atime = h.AccessTime.UTC()
	}
	if !h.ChangeTime.IsZero() {
		fi.Ctime = h.ChangeTime.UTC()
	}
	return fi
}

// hostFile stores a copy of a host file under fs/, and parses it when the
// rule says so.
func (r *run) hostFile(c *memberCtx, rd io.Reader) error {
	hp := c.rule.expand(c.rule.HostPath, c.path, c.m)
	if hp == "" || hp[0] != '/' {
		hp = "/" + hp
	}
	source := hostSource(hp)
	if strings.HasPrefix(hp, "/var/lib/dpkg/info/") && strings.HasSuffix(hp, ".md5sums") {
		r.sawMd5sums = true
	}
	// MD5 and SHA-1 when a list may name the file: executables, and every
	// collected file when the collector listed what it collected
	withHashes := c.hdr.Mode&0o111 != 0
	if c.rule.Parse != "" && c.hdr.Size <= MaxParsed {
		data, err := io.ReadAll(io.LimitReader(rd, c.hdr.Size))
		if err != nil {
			// the stream broke inside the member: store what was read (the
			// record says where it stopped); the walk then stops at the next header
			return r.store(c, io.MultiReader(bytes.NewReader(data), errReader{err}), bundle.NameFor("fs", hp), source, hp, withHashes)
		}
		if err := r.store(c, bytes.NewReader(data), bundle.NameFor("fs", hp), source, hp, withHashes); err != nil {
			return err
		}
		r.parse(c, data)
	} else if err := r.store(c, rd, bundle.NameFor("fs", hp), source, hp, withHashes); err != nil {
		return err
	}
	r.keepHashes(c, hp)
	return nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// parsed stores a member under name and hands its bytes to the rule's parser.
func (r *run) parsed(c *memberCtx, rd io.Reader, name, source string) error {
	if c.hdr.Size > MaxParsed {
		r.warn(c.rule.Parse, timeline.Warning{Entry: r.entryName(name, c.full),
			Message: fmt.Sprintf("%d bytes, more than the %d read for parsing: kept, not parsed", c.hdr.Size, MaxParsed)})
		return r.store(c, rd, name, source, "", false)
	}
	data, rerr := io.ReadAll(io.LimitReader(rd, c.hdr.Size))
	src := io.Reader(bytes.NewReader(data))
	if rerr != nil {
		src = io.MultiReader(src, errReader{rerr})
	}
	if err := r.store(c, src, name, source, "", false); err != nil {
		return err
	}
	if rerr == nil {
		r.parse(c, data)
	}
	return nil
}

// parse runs the rule's parser on a member's bytes; a panic is a warning.
func (r *run) parse(c *memberCtx, data []byte) {
	p := parsers[c.rule.Parse]
	if p == nil {
		panic("importer: no parser " + c.rule.Parse) // a layout table names an unknown parser
	}
	defer func() {
		if v := recover(); v != nil {
			r.warn(c.rule.Parse, timeline.Warning{Entry: c.entry, Message: fmt.Sprintf("parser failed: %v", v)})
		}
	}()
	p(r, c, data)
}

// nested reads a member that is itself a .tar.gz of host files.
func (r *run) nested(c *memberCtx, rd io.Reader) error {
	mh, sh, s2 := md5.New(), sha1.New(), sha256.New()
	cr := &countReader{r: io.TeeReader(rd, io.MultiWriter(mh, sh, s2))}
	defer func() {
		_, _ = io.Copy(io.Discard, cr)
		c.members.MD5, c.members.SHA1 = hex.EncodeToString(mh.Sum(nil)), hex.EncodeToString(sh.Sum(nil))
		c.members.SHA256 = hex.EncodeToString(s2.Sum(nil))
		c.members.Entry = ""
	}()
	fail := func(err error) {
		r.check(imported.Check{Kind: "archive-complete", Subject: c.full, Result: imported.Incomplete,
			Note: fmt.Sprintf("the nested archive could not be read to its end (at byte %d of %d): %v; what came before is imported", cr.n, c.hdr.Size, err)})
	}
	if c.hdr.Size == 0 {
		return nil
	}
	gz, err := gzip.NewReader(cr)
	if err != nil {
		fail(err)
		return nil
	}
	tr := tar.NewReader(gz)
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			fail(err)
			return nil
		}
		if err := r.member(h, tr, c.full, r.layout.Nested); err != nil {
			return err
		}
	}
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// finishArchiveHashes reads the rest of the file, so its hashes cover it whole.
func (r *run) finishArchiveHashes() {
	if r.gz != nil && r.complete {
		// the gzip trailer (CRC-32, length) is checked when the stream ends
		if _, err := io.Copy(io.Discard, r.gz); err != nil {
			r.stop(fmt.Sprintf("after the tar stream ended, in the gzip stream (at byte %d of %d): %v", r.in.n, r.in.total, err))
		}
	}
	_, _ = io.Copy(io.Discard, r.in)
}

// hashingReader hashes and counts every byte of the archive file read.
type hashingReader struct {
	r                 io.Reader
	md5, sha1, sha256 hash.Hash
	n, total          int64
	last              int64
	progress          func(done, total int64)
}

func newHashingReader(r io.Reader, total int64, progress func(int64, int64)) *hashingReader {
	return &hashingReader{r: r, md5: md5.New(), sha1: sha1.New(), sha256: sha256.New(), total: total, progress: progress}
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if n > 0 {
		h.md5.Write(p[:n])
		h.sha1.Write(p[:n])
		h.sha256.Write(p[:n])
		h.n += int64(n)
		if h.progress != nil && (h.n-h.last >= 4<<20 || err != nil) {
			h.last = h.n
			h.progress(h.n, h.total)
		}
	}
	return n, err
}

func (h *hashingReader) sums() (md5hex, sha1hex, sha256hex string) {
	return hex.EncodeToString(h.md5.Sum(nil)), hex.EncodeToString(h.sha1.Sum(nil)), hex.EncodeToString(h.sha256.Sum(nil))
}
