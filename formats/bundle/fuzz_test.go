package bundle

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerify feeds arbitrary bytes to the verifier: it must never panic,
// hang or call damaged input intact. Seeds: testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, _ := Verify(bytes.NewReader(b), VerifyOptions{})
		if rep == nil {
			t.Fatal("nil report")
		}
	})
}

// FuzzManifest feeds arbitrary documents to the manifest and checkpoint
// decoders the verifier uses.
func FuzzManifest(f *testing.F) {
	f.Fuzz(func(t *testing.T, doc []byte) {
		var m Manifest
		_ = strictJSON(doc, &m)
		var c Checkpoint
		_ = strictJSON(doc, &c)
	})
}

// TestWriteFuzzSeeds regenerates the seed corpora when CORDON_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("CORDON_WRITE_SEEDS") != "1" {
		t.Skip("set CORDON_WRITE_SEEDS=1 to regenerate the fuzz seeds")
	}
	b, _ := makeBundle(t)
	ms := members(t, b)
	write := func(dir, name string, data []byte) {
		os.MkdirAll(filepath.Join("testdata/fuzz", dir), 0o755)
		os.WriteFile(filepath.Join("testdata/fuzz", dir, name), []byte("go test fuzz v1\n[]byte("+goQuote(data)+")\n"), 0o644)
	}
	write("FuzzVerify", "valid-bundle", b)
	write("FuzzVerify", "truncated-bundle", b[:len(b)/2])
	write("FuzzVerify", "empty", nil)
	write("FuzzManifest", "manifest", ms[index(ms, ManifestName)].data)
	write("FuzzManifest", "checkpoint", ms[index(ms, "cordon/checkpoints/000001.json")].data)
	write("FuzzManifest", "not-json", []byte("{\"entries\": [1,2,"))
}

func goQuote(b []byte) string {
	var s bytes.Buffer
	s.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			s.WriteByte(c)
		default:
			s.WriteString("\\x")
			s.WriteString("0123456789abcdef"[c>>4 : c>>4+1])
			s.WriteString("0123456789abcdef"[c&15 : c&15+1])
		}
	}
	s.WriteByte('"')
	return s.String()
}
