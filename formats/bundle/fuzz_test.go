package bundle

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	b := seedBundle(t)
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

// seedBundle is a complete bundle small enough (a few KiB) for the fuzzer
// to mutate and minimize quickly: three short entries, a missing item and a
// checkpoint after each entry. (makeBundle's 70 KB random entry made every
// new input take minutes to minimize.)
func seedBundle(t *testing.T) []byte {
	_, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{Key: priv, EvidenceID: "seed", Collector: "test", CheckpointBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, content := range []string{"root:x:0:0:root:/root:/bin/bash\n", "web01\n", "Nov  2 10:24:55 host sshd[1]: Accepted\n"} {
		if _, err := w.AddBytes(EntryMeta{Name: fmt.Sprintf("fs/etc/file%d", i), HostPath: fmt.Sprintf("/etc/file%d", i), Source: "test"}, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	w.AddMissing(MissingRecord{HostPath: "/var/log/auth.log", Source: "test", Error: "is a fifo"})
	if _, err := w.Close(Custody{Examiner: "tester"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
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

// TestFuzzSeedsAreBundles keeps the checked-in seeds honest: the valid seed
// verifies intact and the truncated one as incomplete, so the fuzzer starts
// from inputs that reach the deep checks.
func TestFuzzSeedsAreBundles(t *testing.T) {
	for name, want := range map[string]Status{"valid-bundle": StatusIntact, "truncated-bundle": StatusIncomplete} {
		raw, err := os.ReadFile(filepath.Join("testdata/fuzz/FuzzVerify", name))
		if err != nil {
			t.Fatal(err)
		}
		_, lit, _ := strings.Cut(string(raw), "\n")
		lit = strings.TrimSuffix(strings.TrimSpace(lit), ")")
		b, err := strconv.Unquote(strings.TrimPrefix(lit, "[]byte("))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rep, _ := Verify(strings.NewReader(b), VerifyOptions{}); rep.Status != want {
			t.Errorf("seed %s verifies %s, want %s: %+v", name, rep.Status, want, rep.Problems)
		}
	}
}
