package bundle

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"

	"aead.dev/minisign"
	"github.com/klauspost/compress/zstd"
)

type member struct {
	hdr  *tar.Header
	data []byte
}

func members(t *testing.T, b []byte) []member {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var out []member
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		d, _ := io.ReadAll(tr)
		out = append(out, member{h, d})
	}
}

func rebuild(t *testing.T, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range ms {
		h := *m.hdr
		h.Size = int64(len(m.data))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write(m.data)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func index(ms []member, name string) int {
	for i, m := range ms {
		if m.hdr.Name == name {
			return i
		}
	}
	return -1
}

func expectProblem(t *testing.T, b []byte, kind ProblemKind) {
	t.Helper()
	rep, _ := Verify(bytes.NewReader(b), VerifyOptions{})
	if rep.Status == StatusIntact {
		t.Fatalf("verified intact; want a %q problem", kind)
	}
	for _, p := range rep.Problems {
		if p.Kind == kind {
			return
		}
	}
	t.Fatalf("no %q problem in %+v", kind, rep.Problems)
}

// Vectors named by what is wrong with them.
func TestVerifyTamperedBundles(t *testing.T) {
	orig, _ := makeBundle(t)
	ms := members(t, orig)
	a, b := index(ms, "fs/etc/file0"), index(ms, "fs/etc/file2")
	if a < 0 || b < 0 {
		t.Fatal("test bundle lacks its entries")
	}
	t.Run("rebuilt-unchanged-is-intact", func(t *testing.T) {
		rep, _ := Verify(bytes.NewReader(rebuild(t, ms)), VerifyOptions{})
		if rep.Status != StatusIntact {
			t.Fatalf("%+v", rep.Problems)
		}
	})
	t.Run("entry-altered", func(t *testing.T) {
		c := append([]member(nil), ms...)
		c[a] = member{c[a].hdr, []byte("root:x:0:0:root:/root:/bin/sh\n")}
		expectProblem(t, rebuild(t, c), "altered")
	})
	t.Run("entries-reordered", func(t *testing.T) {
		c := append([]member(nil), ms...)
		c[a], c[b] = c[b], c[a]
		rep, _ := Verify(bytes.NewReader(rebuild(t, c)), VerifyOptions{})
		if rep.Status != StatusFailed {
			t.Fatalf("reordered bundle: %s", rep.Status)
		}
	})
	t.Run("entry-duplicated", func(t *testing.T) {
		c := append([]member(nil), ms[:a+1]...)
		c = append(c, ms[a])
		c = append(c, ms[a+1:]...)
		expectProblem(t, rebuild(t, c), "duplicated")
	})
	t.Run("entry-removed", func(t *testing.T) {
		c := append(append([]member(nil), ms[:b]...), ms[b+1:]...)
		expectProblem(t, rebuild(t, c), "missing")
	})
	t.Run("entry-added", func(t *testing.T) {
		extra := member{&tar.Header{Typeflag: tar.TypeReg, Name: "fs/etc/planted", Mode: 0o644}, []byte("planted")}
		c := append(append(append([]member(nil), ms[:b]...), extra), ms[b:]...)
		expectProblem(t, rebuild(t, c), "extra")
	})
	t.Run("signature-forged", func(t *testing.T) {
		_, other, _ := GenerateKey()
		c := append([]member(nil), ms...)
		m := index(c, ManifestName)
		c[m+1] = member{c[m+1].hdr, minisign.Sign(other, c[m].data)}
		expectProblem(t, rebuild(t, c), "signature")
	})
	t.Run("manifest-edited", func(t *testing.T) {
		c := append([]member(nil), ms...)
		m := index(c, ManifestName)
		c[m] = member{c[m].hdr, bytes.Replace(c[m].data, []byte("tester"), []byte("someone"), 1)}
		expectProblem(t, rebuild(t, c), "signature")
	})
	t.Run("tar-slip-names", func(t *testing.T) {
		for _, h := range []*tar.Header{
			{Typeflag: tar.TypeReg, Name: "../../etc/cron.d/evil"},
			{Typeflag: tar.TypeReg, Name: "/etc/passwd"},
			{Typeflag: tar.TypeSymlink, Name: "fs/link", Linkname: "/etc"},
			{Typeflag: tar.TypeLink, Name: "fs/hard", Linkname: "/etc/shadow"},
			{Typeflag: tar.TypeChar, Name: "fs/dev", Devmajor: 1, Devminor: 3},
			{Typeflag: tar.TypeReg, Name: "fs/\x1b]0;pwned\x07"},
		} {
			c := append(append(append([]member(nil), ms[:b]...), member{h, []byte("x")}), ms[b:]...)
			expectProblem(t, rebuild(t, c), "unsafe-member")
		}
	})
	t.Run("trailing-member", func(t *testing.T) {
		extra := member{&tar.Header{Typeflag: tar.TypeReg, Name: "late", Mode: 0o644}, []byte("late")}
		expectProblem(t, rebuild(t, append(append([]member(nil), ms...), extra)), "trailing-data")
	})
}

func TestVerifyZstdBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf, zstd.WithWindowSize(512<<20), zstd.WithSingleSegment(false))
	zw.Write(bytes.Repeat([]byte{0}, 1<<20))
	zw.Close()
	rep, _ := Verify(bytes.NewReader(buf.Bytes()), VerifyOptions{})
	if rep.Status == StatusIntact {
		t.Fatal("a zstd stream with a 512 MiB window verified")
	}
	joined := ""
	for _, p := range rep.Problems {
		joined += p.Detail + "\n"
	}
	if !strings.Contains(joined, "window") && !strings.Contains(joined, "memory") {
		t.Fatalf("the bomb is refused, but not for its window or memory: %s", joined)
	}
}
