package attest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cordon-forensics/cordon/formats/deb"
	"github.com/cordon-forensics/cordon/formats/elfdiff"
)

// Kinds of trusted source.
const (
	SourceDir     = "directory"
	SourceFile    = "file"
	SourceDeb     = "deb"
	SourceMD5Sums = "md5sums"
)

// TrustedSource is one --trusted (or --trusted-md5sums) path.
type TrustedSource struct {
	Path    string `json:"path"`
	Kind    string `json:"kind"`
	Package string `json:"package,omitempty"`
	Files   int    `json:"files"`
	Error   string `json:"error,omitempty"`
}

// trustedFile is one trusted copy.
type trustedFile struct {
	source  string // the --trusted path
	kind    string
	pkg     string
	path    string // absolute for debs and md5sums, relative (slash) for directories, base name for files
	sha256  string // "" for md5sums entries
	md5     string
	buildID string
	file    string // where its bytes are on disk ("" for md5sums)
}

// TrustedRef names the trusted copy an item was compared with.
type TrustedRef struct {
	Source    string `json:"source"`
	Kind      string `json:"kind"`
	Package   string `json:"package,omitempty"`
	Path      string `json:"path"`
	SHA256    string `json:"sha256,omitempty"`
	MD5       string `json:"md5,omitempty"`
	MatchedBy string `json:"matched_by"` // "path", "build-id", "name"
	// Ambiguous counts the other trusted copies that matched as well.
	Ambiguous int `json:"ambiguous,omitempty"`
}

type trustedIndex struct {
	files   []trustedFile
	byBase  map[string][]int
	byPath  map[string][]int // absolute paths (debs, md5sums)
	byBuild map[string][]int
	sources []TrustedSource
	spooled int
}

// maxTrustedFile bounds one trusted file read whole for hashing and diffing.
const maxTrustedFile = 1 << 30

func newTrustedIndex() *trustedIndex {
	return &trustedIndex{byBase: map[string][]int{}, byPath: map[string][]int{}, byBuild: map[string][]int{}}
}

func (ti *trustedIndex) add(tf trustedFile) {
	i := len(ti.files)
	ti.files = append(ti.files, tf)
	ti.byBase[path.Base(tf.path)] = append(ti.byBase[path.Base(tf.path)], i)
	if strings.HasPrefix(tf.path, "/") {
		for _, p := range usrAliases(tf.path) {
			ti.byPath[p] = append(ti.byPath[p], i)
		}
	}
	if tf.buildID != "" {
		ti.byBuild[tf.buildID] = append(ti.byBuild[tf.buildID], i)
	}
}

// usrAliases gives a path and its merged-/usr twin (/bin/ls and
// /usr/bin/ls are one file on a merged system, and dpkg lists either).
func usrAliases(p string) []string {
	for _, d := range []string{"/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/"} {
		if strings.HasPrefix(p, d) {
			return []string{p, "/usr" + p}
		}
		if strings.HasPrefix(p, "/usr"+d) {
			return []string{p, strings.TrimPrefix(p, "/usr")}
		}
	}
	return []string{p}
}

// hashELF hashes a trusted file and reads its build-id.
func hashELF(p string) (sha, md5sum, buildID string, err error) {
	f, err := os.Open(p)
	if err != nil {
		return "", "", "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", "", "", err
	}
	if st.Size() > maxTrustedFile {
		return "", "", "", fmt.Errorf("%d bytes: larger than %d", st.Size(), maxTrustedFile)
	}
	h, m := sha256.New(), md5.New()
	if _, err := io.Copy(io.MultiWriter(h, m), f); err != nil {
		return "", "", "", err
	}
	return hex.EncodeToString(h.Sum(nil)), hex.EncodeToString(m.Sum(nil)), buildIDOf(f, st.Size()), nil
}

func buildIDOf(r io.ReaderAt, size int64) string {
	lim := elfdiff.DefaultLimits
	lim.MaxKept = 0
	lim.MaxSymbols = 1
	if f, err := elfdiff.Parse(r, size, lim); err == nil {
		return f.BuildID
	}
	return ""
}

// loadTrusted indexes every trusted source. ELF files inside .debs are
// copied into dir (they are diffed later); others are only hashed.
func loadTrusted(ctx context.Context, paths, md5sums []string, dir string) (*trustedIndex, error) {
	ti := newTrustedIndex()
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("--trusted %s: %w", p, err)
		}
		src := TrustedSource{Path: p}
		switch {
		case st.IsDir():
			src.Kind = SourceDir
			err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				rel, _ := filepath.Rel(p, q)
				sha, m, bid, herr := hashELF(q)
				if herr != nil {
					return nil
				}
				ti.add(trustedFile{source: p, kind: SourceDir, path: filepath.ToSlash(rel), sha256: sha, md5: m, buildID: bid, file: q})
				src.Files++
				return nil
			})
		case isDeb(p):
			src.Kind = SourceDeb
			src.Files, src.Package, err = ti.addDeb(ctx, p, dir)
		default:
			src.Kind = SourceFile
			sha, m, bid, herr := hashELF(p)
			if herr != nil {
				return nil, fmt.Errorf("--trusted %s: %w", p, herr)
			}
			ti.add(trustedFile{source: p, kind: SourceFile, path: filepath.Base(p), sha256: sha, md5: m, buildID: bid, file: p})
			src.Files = 1
		}
		if err != nil {
			return nil, fmt.Errorf("--trusted %s: %w", p, err)
		}
		ti.sources = append(ti.sources, src)
	}
	for _, p := range md5sums {
		n, err := ti.addMD5Sums(p)
		if err != nil {
			return nil, fmt.Errorf("--trusted-md5sums %s: %w", p, err)
		}
		ti.sources = append(ti.sources, TrustedSource{Path: p, Kind: SourceMD5Sums, Files: n})
	}
	return ti, nil
}

func isDeb(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 8)
	n, _ := io.ReadFull(f, b)
	return string(b[:n]) == "!<arch>\n"
}

func (ti *trustedIndex) addDeb(ctx context.Context, p, dir string) (int, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	count := 0
	info, err := deb.Walk(f, func(info *deb.Info, e deb.Entry, body io.Reader) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.Type != '0' && e.Type != 0 {
			return nil
		}
		if e.Size > maxTrustedFile {
			return nil
		}
		h, m := sha256.New(), md5.New()
		br := bufio.NewReader(body)
		head, _ := br.Peek(4)
		tf := trustedFile{source: p, kind: SourceDeb, pkg: info.String(), path: e.Path}
		if bytes.Equal(head, []byte("\x7fELF")) {
			ti.spooled++
			file := filepath.Join(dir, fmt.Sprintf("t%06d", ti.spooled))
			out, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.MultiWriter(out, h, m), br)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			tf.file = file
			if g, err := os.Open(file); err == nil {
				tf.buildID = buildIDOf(g, e.Size)
				g.Close()
			}
		} else if _, err := io.Copy(io.MultiWriter(h, m), br); err != nil {
			return err
		}
		tf.sha256, tf.md5 = hex.EncodeToString(h.Sum(nil)), hex.EncodeToString(m.Sum(nil))
		ti.add(tf)
		count++
		return nil
	})
	if err != nil {
		return count, "", err
	}
	return count, info.String(), nil
}

// addMD5Sums reads dpkg md5sums lists: a file, or every *.md5sums file of
// a directory (/var/lib/dpkg/info).
func (ti *trustedIndex) addMD5Sums(p string) (int, error) {
	st, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	files := []string{p}
	if st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(p, "*.md5sums"))
		sort.Strings(files)
	}
	n := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return n, err
		}
		pkg := strings.TrimSuffix(filepath.Base(file), ".md5sums")
		for _, line := range bytes.Split(b, []byte("\n")) {
			sum, rel, ok := bytes.Cut(line, []byte("  "))
			if !ok || len(sum) != 32 {
				continue
			}
			ti.add(trustedFile{source: p, kind: SourceMD5Sums, pkg: pkg, path: path.Clean("/" + string(rel)), md5: strings.ToLower(string(sum))})
			n++
		}
	}
	return n, nil
}

// match finds the trusted copy of an item: the same absolute path (a
// package's file), else the same build-id, else the longest common path
// suffix (a directory of rebuilds laid out like the build's output), else
// the same name. Among equals, one with the same content wins, then the
// first by path.
func (ti *trustedIndex) match(it *Item) (*trustedFile, TrustedRef, bool) {
	type cand struct {
		i     int
		score int
		by    string
	}
	var cands []cand
	seen := map[int]bool{}
	push := func(i, score int, by string) {
		if !seen[i] {
			seen[i] = true
			cands = append(cands, cand{i, score, by})
		}
	}
	if strings.HasPrefix(it.Path, "/") {
		for _, p := range usrAliases(strings.TrimSuffix(it.Path, " (deleted)")) {
			for _, i := range ti.byPath[p] {
				push(i, 1000, "path")
			}
		}
	}
	if it.BuildID != "" {
		for _, i := range ti.byBuild[it.BuildID] {
			push(i, 500, "build-id")
		}
	}
	name := it.matchPath()
	for _, i := range ti.byBase[path.Base(name)] {
		push(i, suffixScore(name, ti.files[i].path), "name")
	}
	if len(cands) == 0 {
		return nil, TrustedRef{}, false
	}
	same := func(c cand) bool {
		tf := ti.files[c.i]
		return tf.sha256 != "" && tf.sha256 == it.SHA256 || tf.sha256 == "" && tf.md5 != "" && tf.md5 == it.MD5
	}
	sort.SliceStable(cands, func(a, b int) bool {
		ca, cb := cands[a], cands[b]
		if ca.score != cb.score {
			return ca.score > cb.score
		}
		if same(ca) != same(cb) {
			return same(ca)
		}
		return ti.files[ca.i].path < ti.files[cb.i].path
	})
	best := cands[0]
	tf := &ti.files[best.i]
	by := best.by
	if by == "name" && best.score > 1 {
		by = "path"
	}
	ref := TrustedRef{Source: tf.source, Kind: tf.kind, Package: tf.pkg, Path: tf.path, SHA256: tf.sha256, MD5: tf.md5, MatchedBy: by}
	for _, c := range cands[1:] {
		if c.score == best.score {
			ref.Ambiguous++
		}
	}
	return tf, ref, true
}

// suffixScore counts the trailing path components two paths share.
func suffixScore(a, b string) int {
	pa, pb := strings.Split(strings.Trim(a, "/"), "/"), strings.Split(strings.Trim(b, "/"), "/")
	n := 0
	for n < len(pa) && n < len(pb) && pa[len(pa)-1-n] == pb[len(pb)-1-n] {
		n++
	}
	return n
}
