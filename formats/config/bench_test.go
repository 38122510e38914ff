package config

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkDpkgStatus measures this machine's dpkg status file read (about
// 850 packages, 19,000 lines here).
func BenchmarkDpkgStatus(b *testing.B) {
	in, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		b.Skip("no dpkg status here")
	}
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		if ps, _ := ParseDpkgStatus(bytes.NewReader(in)); len(ps) == 0 {
			b.Fatal("no package")
		}
	}
}
