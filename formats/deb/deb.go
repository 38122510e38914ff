// Package deb reads Debian binary packages (deb(5)) in Go: the ar archive,
// the control tarball's control and md5sums files, and the files of the
// data tarball, compressed with xz, zstd, gzip or bzip2, or not at all.
// Cordon uses the files of a package the analyst trusts (downloaded from
// the distribution on a clean machine) as trusted copies of the programs
// found on a suspect host.
//
// A .deb is given by the analyst, not taken from the suspect host, yet it
// is read as hostile all the same: member and entry sizes, entry counts
// and the xz dictionary are bounded, and names are cleaned to absolute
// paths that cannot climb out of "/".
package deb

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Bounds on what Walk reads.
const (
	MaxControl     = 16 << 20 // the control tarball, decompressed
	MaxEntries     = 1 << 20  // entries of the data tarball
	MaxXZDict      = 64 << 20 // xz -9 uses 64 MiB
	maxZstdWindow  = 128 << 20
	arHeaderSize   = 60
	maxMemberSize  = 1 << 40
	maxControlFile = 4 << 20
)

// Info is what the control tarball says of a package.
type Info struct {
	Package      string `json:"package"`
	Version      string `json:"version"`
	Architecture string `json:"architecture"`
	// MD5 maps an absolute path to its MD5 (the package's md5sums file).
	MD5 map[string]string `json:"-"`
	// DataCompression is how data.tar was compressed ("xz", "zst", "gz",
	// "bz2", "" for none).
	DataCompression string `json:"data_compression"`
}

// String is "name_version_arch".
func (i Info) String() string { return i.Package + "_" + i.Version + "_" + i.Architecture }

// Entry is one member of the data tarball.
type Entry struct {
	Path string // absolute, cleaned ("/usr/bin/ls")
	Type byte   // tar type flag
	Mode int64
	Size int64
	Link string // symlink or hard-link target
}

// ErrNotDeb is returned for a file that is not an ar archive.
var ErrNotDeb = errors.New("not a Debian package (no ar magic)")

// Walk reads the package from r and calls fn for every entry of the data
// tarball with a reader of its contents (regular files; empty otherwise).
// The control tarball comes first in every .deb dpkg-deb writes, so Info is
// complete when fn is called; it is returned at the end too.
func Walk(r io.Reader, fn func(info *Info, e Entry, body io.Reader) error) (*Info, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != "!<arch>\n" {
		return nil, ErrNotDeb
	}
	info := &Info{MD5: map[string]string{}}
	sawData := false
	for {
		name, size, err := arHeader(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, err
		}
		body := io.LimitReader(br, size)
		switch {
		case name == "debian-binary":
		case strings.HasPrefix(name, "control.tar"):
			if err := readControl(name, body, info); err != nil {
				return info, fmt.Errorf("%s: %w", name, err)
			}
		case strings.HasPrefix(name, "data.tar"):
			sawData = true
			info.DataCompression = strings.TrimPrefix(strings.TrimPrefix(name, "data.tar"), ".")
			if err := walkData(name, body, info, fn); err != nil {
				return info, fmt.Errorf("%s: %w", name, err)
			}
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			return info, fmt.Errorf("%s: %w", name, err)
		}
		if size%2 == 1 {
			if _, err := br.Discard(1); err != nil && err != io.EOF {
				return info, err
			}
		}
	}
	if !sawData {
		return info, errors.New("no data.tar member")
	}
	return info, nil
}

// arHeader reads one 60-byte ar member header (ar(5), System V/GNU form).
func arHeader(br *bufio.Reader) (string, int64, error) {
	h := make([]byte, arHeaderSize)
	n, err := io.ReadFull(br, h)
	if n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
		return "", 0, io.EOF
	}
	if err != nil {
		return "", 0, fmt.Errorf("ar header cut: %w", err)
	}
	if string(h[58:60]) != "`\n" {
		return "", 0, errors.New("ar header: bad terminator")
	}
	name := strings.TrimRight(strings.TrimSpace(string(h[0:16])), "/")
	size, err := strconv.ParseInt(strings.TrimSpace(string(h[48:58])), 10, 64)
	if err != nil || size < 0 || size > maxMemberSize {
		return "", 0, fmt.Errorf("ar member %q: bad size", name)
	}
	return name, size, nil
}

// decompress returns a reader of a member's tarball by its suffix.
func decompress(name string, r io.Reader) (io.Reader, func(), error) {
	switch {
	case strings.HasSuffix(name, ".xz"):
		br := bufio.NewReader(r)
		if err := checkXZDict(br); err != nil {
			return nil, nil, err
		}
		xr, err := xz.ReaderConfig{DictCap: 8 << 20}.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("xz: %w", err)
		}
		return xr, func() {}, nil
	case strings.HasSuffix(name, ".zst"):
		zr, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderMaxMemory(maxZstdWindow), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		return zr, zr.Close, nil
	case strings.HasSuffix(name, ".gz"):
		gr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return gr, func() { gr.Close() }, nil
	case strings.HasSuffix(name, ".bz2"):
		return bzip2.NewReader(r), func() {}, nil
	case strings.HasSuffix(name, ".tar"):
		return r, func() {}, nil
	}
	return nil, nil, fmt.Errorf("compression of %q is not supported", name)
}

// checkXZDict peeks at the first block header of an xz stream and refuses
// an LZMA2 dictionary over MaxXZDict: the decoder would allocate what the
// stream declares (xz file format 1.0.4, §3.1 and §5.3.1).
func checkXZDict(br *bufio.Reader) error {
	head, _ := br.Peek(12 + 1024)
	if len(head) < 13 || string(head[:6]) != "\xfd7zXZ\x00" {
		return errors.New("xz: bad stream header")
	}
	b := head[12:]
	hsize := (int(b[0]) + 1) * 4
	if b[0] == 0 || hsize > len(b) {
		return nil // an index first (empty stream), or a header we cannot see: the decoder judges
	}
	flags := b[1]
	p := 2
	varint := func() (uint64, bool) {
		var v uint64
		for i := 0; i < 9 && p < hsize; i++ {
			c := b[p]
			p++
			v |= uint64(c&0x7f) << (7 * i)
			if c&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	if flags&0x40 != 0 {
		if _, ok := varint(); !ok {
			return errors.New("xz: bad block header")
		}
	}
	if flags&0x80 != 0 {
		if _, ok := varint(); !ok {
			return errors.New("xz: bad block header")
		}
	}
	for i := 0; i <= int(flags&3); i++ {
		id, ok1 := varint()
		psz, ok2 := varint()
		if !ok1 || !ok2 || p+int(psz) > hsize {
			return errors.New("xz: bad filter flags")
		}
		if id == 0x21 && psz >= 1 {
			d := b[p]
			if d > 40 {
				return errors.New("xz: bad LZMA2 dictionary size")
			}
			size := uint64(0xffffffff)
			if d < 40 {
				size = uint64(2|d&1) << (d/2 + 11)
			}
			if size > MaxXZDict {
				return fmt.Errorf("xz: a %d-byte dictionary, more than the %d allowed", size, MaxXZDict)
			}
		}
		p += int(psz)
	}
	return nil
}

func readControl(name string, r io.Reader, info *Info) error {
	dr, closeFn, err := decompress(name, r)
	if err != nil {
		return err
	}
	defer closeFn()
	tr := tar.NewReader(io.LimitReader(dr, MaxControl))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Size > maxControlFile {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxControlFile))
		if err != nil {
			return err
		}
		switch path.Clean("/" + hdr.Name) {
		case "/control":
			parseControl(b, info)
		case "/md5sums":
			parseMD5sums(b, info)
		}
	}
}

func parseControl(b []byte, info *Info) {
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, " ") {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			info.Package = v
		case "Version":
			info.Version = v
		case "Architecture":
			info.Architecture = v
		}
	}
}

// parseMD5sums reads dpkg's "HEX  relative/path" lines.
func parseMD5sums(b []byte, info *Info) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		sum, p, ok := bytes.Cut(line, []byte("  "))
		if !ok || len(sum) != 32 {
			continue
		}
		info.MD5[path.Clean("/"+string(p))] = strings.ToLower(string(sum))
	}
}

func walkData(name string, r io.Reader, info *Info, fn func(*Info, Entry, io.Reader) error) error {
	dr, closeFn, err := decompress(name, r)
	if err != nil {
		return err
	}
	defer closeFn()
	tr := tar.NewReader(dr)
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n >= MaxEntries {
			return fmt.Errorf("more than %d entries", MaxEntries)
		}
		e := Entry{Path: path.Clean("/" + hdr.Name), Type: hdr.Typeflag, Mode: hdr.Mode, Size: hdr.Size, Link: hdr.Linkname}
		body := io.Reader(bytes.NewReader(nil))
		if hdr.Typeflag == tar.TypeReg {
			body = io.LimitReader(tr, hdr.Size)
		}
		if err := fn(info, e, body); err != nil {
			return err
		}
	}
}
