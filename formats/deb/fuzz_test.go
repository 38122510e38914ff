package deb

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// FuzzWalk reads hostile packages: no panic, bounded work.
func FuzzWalk(f *testing.F) {
	b, err := os.ReadFile("testdata/cordon-test_1.2-3_amd64.deb")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Walk(bytes.NewReader(b), func(_ *Info, _ Entry, r io.Reader) error {
			_, err := io.Copy(io.Discard, io.LimitReader(r, 1<<20))
			return err
		})
	})
}
