package provenance

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse reads hostile provenance files and verifies them: no panic,
// every statement accounted for.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*")
	if len(seeds) == 0 {
		f.Fatal("no seed files in testdata")
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	keys := []PublicKey{{ID: "k", Alg: "ed25519", key: pub}}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, _ := Parse(b)
		for i := range s {
			s[i].Verify(keys)
			if s[i].Verification == Verified {
				t.Fatal("a random key verified a fuzzed signature")
			}
		}
	})
}
