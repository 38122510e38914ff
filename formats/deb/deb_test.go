package deb

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

// buildDeb makes a package with dpkg-deb, the tool Debian builds them with.
func buildDeb(t *testing.T, compression string, files map[string]string) string {
	t.Helper()
	dpkgDeb := testenv.NeedTool(t, "dpkg-deb")
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755)
	os.WriteFile(filepath.Join(root, "DEBIAN", "control"), []byte("Package: cordon-test\nVersion: 1.2-3\nArchitecture: amd64\nMaintainer: t <t@example.org>\nDescription: test\n"), 0o644)
	var sums bytes.Buffer
	for p, body := range files {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		h := md5.Sum([]byte(body))
		sums.WriteString(hex.EncodeToString(h[:]) + "  " + p + "\n")
	}
	os.WriteFile(filepath.Join(root, "DEBIAN", "md5sums"), sums.Bytes(), 0o644)
	out := filepath.Join(t.TempDir(), "cordon-test_1.2-3_amd64.deb")
	if b, err := exec.Command(dpkgDeb, "--root-owner-group", "-Z"+compression, "--build", root, out).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, b)
	}
	return out
}

func TestWalkEveryCompression(t *testing.T) {
	files := map[string]string{"usr/bin/hello": "\x7fELF hello as shipped", "usr/share/doc/cordon-test/README": "doc"}
	for _, comp := range []string{"xz", "gzip", "zstd", "none"} {
		t.Run(comp, func(t *testing.T) {
			p := buildDeb(t, comp, files)
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := map[string]string{}
			info, err := Walk(f, func(info *Info, e Entry, body io.Reader) error {
				if info.Package != "cordon-test" {
					t.Errorf("control not read before data: %+v", info)
				}
				b, err := io.ReadAll(body)
				if e.Type == '0' {
					got[e.Path] = string(b)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got["/usr/bin/hello"] != files["usr/bin/hello"] || got["/usr/share/doc/cordon-test/README"] != "doc" {
				t.Errorf("files %q", got)
			}
			if info.String() != "cordon-test_1.2-3_amd64" || len(info.MD5) != 2 {
				t.Errorf("info %+v", info)
			}
			h := md5.Sum([]byte(files["usr/bin/hello"]))
			if info.MD5["/usr/bin/hello"] != hex.EncodeToString(h[:]) {
				t.Errorf("md5sums %v", info.MD5)
			}
		})
	}
}

func TestDamagedPackages(t *testing.T) {
	good, err := os.ReadFile("testdata/cordon-test_1.2-3_amd64.deb")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"not ar":          []byte("PK\x03\x04 a zip"),
		"cut in a header": good[:40],
		"cut in the data": good[:len(good)-100],
		"bad member size": append([]byte("!<arch>\ndebian-binary   0           0     0     100644  99999999999`\n"), good[8:]...),
		"no data member":  good[:8+60+4],
		"xz dict too big": xzWithDict(t, good, 40),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Walk(bytes.NewReader(b), func(*Info, Entry, io.Reader) error { return nil }); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// xzWithDict returns the package with the dictionary-size byte of its
// data tarball's first xz block set to d.
func xzWithDict(t *testing.T, deb []byte, d byte) []byte {
	b := bytes.Clone(deb)
	i := bytes.Index(b, []byte("data.tar.xz"))
	if i < 0 {
		t.Fatal("seed has no data.tar.xz")
	}
	x := i + 60 + 12 // member body, past the xz stream header
	// block header: size, flags, then filter flags: id 0x21, props size 1, dict byte
	for j := x; j < x+16; j++ {
		if b[j] == 0x21 && b[j+1] == 1 {
			b[j+2] = d
			return b
		}
	}
	t.Fatal("no LZMA2 filter flags found")
	return nil
}
