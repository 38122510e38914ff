package bundle

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

// makeBundle writes a small bundle with a few entries and a checkpoint
// after each one, and returns its bytes and signing key.
func makeBundle(t testing.TB, recipients ...age.Recipient) ([]byte, minisign.PublicKey) {
	t.Helper()
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{Key: priv, Ephemeral: true, EvidenceID: "test-1", Collector: "test",
		CheckpointBytes: 1, Recipients: recipients})
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 70000)
	_, _ = rand.Read(big)
	for i, content := range [][]byte{[]byte("root:x:0:0:root:/root:/bin/bash\n"), big, []byte("Nov  2 10:24:55 host sshd[1]: Accepted\n")} {
		if _, err := w.AddBytes(EntryMeta{Name: fmt.Sprintf("fs/etc/file%d", i), HostPath: fmt.Sprintf("/etc/file%d", i), Source: "test"}, content); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Add(EntryMeta{Name: "fs/var/log/short", Source: "test"}, strings.NewReader("abc"), 10); err != nil {
		t.Fatal(err)
	}
	w.AddMissing(MissingRecord{HostPath: "/var/log/auth.log", Source: "test", Error: "is a fifo"})
	if _, err := w.Close(Custody{Examiner: "tester"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), pub
}

func TestVerifyIntact(t *testing.T) {
	b, pub := makeBundle(t)
	rep, err := Verify(bytes.NewReader(b), VerifyOptions{})
	if err != nil || rep.Status != StatusIntact || rep.Trust != TrustSelfSigned {
		t.Fatalf("self-signed: status %s trust %s err %v problems %+v", rep.Status, rep.Trust, err, rep.Problems)
	}
	if len(rep.Verified) != 6 || rep.Manifest == nil || len(rep.Missing) != 1 {
		t.Fatalf("verified %d entries, manifest %v, missing %d", len(rep.Verified), rep.Manifest != nil, len(rep.Missing))
	}
	rep, _ = Verify(bytes.NewReader(b), VerifyOptions{PublicKey: &pub})
	if rep.Status != StatusIntact || rep.Trust != TrustTrusted {
		t.Fatalf("with key: %s %s %+v", rep.Status, rep.Trust, rep.Problems)
	}
	other, _, _ := GenerateKey()
	rep, _ = Verify(bytes.NewReader(b), VerifyOptions{PublicKey: &other})
	if rep.Status != StatusFailed || rep.Trust == TrustTrusted {
		t.Fatalf("wrong key verified: %s %s", rep.Status, rep.Trust)
	}
}

// OnEntry receives, while the bundle is verified, the entries WantEntry
// chooses, whole, and only those.
func TestVerifyOnEntryWanted(t *testing.T) {
	b, _ := makeBundle(t)
	got := map[string]string{}
	var mu sync.Mutex
	rep, err := Verify(bytes.NewReader(b), VerifyOptions{
		WantEntry: func(name string, size int64) bool { return name == "fs/etc/file0" || name == "fs/etc/file2" },
		OnEntry: func(name string, size int64, r io.Reader) error {
			data, err := io.ReadAll(r)
			mu.Lock()
			got[name] = string(data)
			mu.Unlock()
			return err
		},
	})
	if err != nil || rep.Status != StatusIntact {
		t.Fatalf("status %s, %v, %+v", rep.Status, err, rep.Problems)
	}
	if len(got) != 2 || got["fs/etc/file0"] != "root:x:0:0:root:/root:/bin/bash\n" || !strings.HasPrefix(got["fs/etc/file2"], "Nov  2") {
		t.Errorf("OnEntry received %q", got)
	}
}

// Every flipped byte must make verification fail. Most flips break a
// signature, the chain or zstd's checksum; the few that land in the
// compressed stream's slack decode to the very same evidence, and only the
// file's own SHA-256 (from the custody form) notices them; a flip that
// makes a block reach past the end of the file is a cut to the decoder, so
// incomplete, vouching only for untouched entries: the test checks all three.
func TestVerifyBitFlips(t *testing.T) {
	b, _ := makeBundle(t)
	want := fmt.Sprintf("%x", sha256.Sum256(b))
	orig := members(t, b)
	origRep, _ := Verify(bytes.NewReader(b), VerifyOptions{})
	origSums := map[string]string{}
	for _, e := range origRep.Verified {
		origSums[e.Name] = e.SHA256
	}
	cutLike := 0
	defer func() { t.Logf("%d flips looked like a cut (incomplete)", cutLike) }()
	step := 1
	if len(b) > 4000 {
		step = len(b) / 4000
	}
	for i := 0; i < len(b); i += step {
		c := bytes.Clone(b)
		c[i] ^= 0x40
		rep, _ := Verify(bytes.NewReader(c), VerifyOptions{ExpectSHA256: []string{want}})
		if rep.Status == StatusIntact {
			t.Fatalf("flip at byte %d of %d still verifies intact against the custody hash", i, len(b))
		}
		rep, _ = Verify(bytes.NewReader(c), VerifyOptions{})
		if rep.Status == StatusIncomplete {
			// A flip that makes the decoder want bytes past the end of the
			// file (a zstd block size) looks exactly like a cut: that is
			// incomplete, and what it still vouches for must be the
			// original, untouched.
			if !strings.Contains(fmt.Sprint(rep.Problems), "cut off") {
				t.Fatalf("flip at byte %d of %d reported as incomplete without a cut: %+v", i, len(b), rep.Problems)
			}
			for _, e := range rep.Verified {
				if origSums[e.Name] != e.SHA256 {
					t.Fatalf("flip at byte %d: incomplete, yet it vouches for %s with hash %s, not the original's", i, e.Name, e.SHA256)
				}
			}
			cutLike++
		}
		if rep.Status == StatusIntact {
			got := members(t, c)
			for k := range orig {
				if k >= len(got) || !bytes.Equal(orig[k].data, got[k].data) || orig[k].hdr.Name != got[k].hdr.Name {
					t.Fatalf("flip at byte %d changes member %d and still verifies intact", i, k)
				}
			}
		}
	}
}

func TestVerifyTruncated(t *testing.T) {
	b, _ := makeBundle(t)
	sawPartial := false
	for cut := 0; cut < len(b); cut += max(1, len(b)/300) {
		rep, _ := Verify(bytes.NewReader(b[:cut]), VerifyOptions{})
		if rep.Status == StatusIntact {
			t.Fatalf("bundle cut at %d of %d verifies intact", cut, len(b))
		}
		// a cut is a clean prefix, never damage
		if rep.Status != StatusIncomplete {
			t.Fatalf("cut at %d: status %s: %+v", cut, rep.Status, rep.Problems)
		}
		if rep.Checkpoints > 0 {
			sawPartial = true
		}
	}
	if !sawPartial {
		t.Fatal("no truncation point verified any checkpoint: checkpoints are not flushed")
	}
}

// An encrypted bundle cut off verifies up to its last checkpoint, less
// the last age chunk (age only hands back authenticated 64 KiB chunks);
// flipped bytes anywhere but in that last chunk fail it.
func TestVerifyEncryptedTruncatedOrFlipped(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	b, _ := makeBundle(t, id.Recipient())
	ids := []age.Identity{id}
	sawPartial := false
	for cut := 0; cut < len(b); cut += max(1, len(b)/200) {
		rep, _ := Verify(bytes.NewReader(b[:cut]), VerifyOptions{Identities: ids})
		if rep.Status == StatusIntact {
			t.Fatalf("encrypted bundle cut at %d of %d verifies intact", cut, len(b))
		}
		sawPartial = sawPartial || rep.Checkpoints > 0
	}
	if !sawPartial {
		t.Fatal("no cut of the encrypted bundle verified any checkpoint")
	}
	lastChunk := len(b) - 64<<10 // a generous bound on where the last chunk starts
	for i := 0; i < len(b); i += max(1, len(b)/300) {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		rep, _ := Verify(bytes.NewReader(c), VerifyOptions{Identities: ids})
		if rep.Status == StatusIntact || (i < lastChunk && rep.Status != StatusFailed) {
			t.Fatalf("flip at %d of %d: status %s", i, len(b), rep.Status)
		}
	}
}

func TestVerifyEncrypted(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := makeBundle(t, id.Recipient())
	if _, err := Verify(bytes.NewReader(b), VerifyOptions{}); err == nil {
		t.Fatal("an encrypted bundle verified without an identity")
	}
	rep, err := Verify(bytes.NewReader(b), VerifyOptions{Identities: []age.Identity{id}})
	if err != nil || rep.Status != StatusIntact || !rep.Encrypted {
		t.Fatalf("%v %s %+v", err, rep.Status, rep.Problems)
	}
}

// The standard tools check a bundle without Cordon: tar, sha256sum, minisign, age.
func TestStandardTools(t *testing.T) {
	tarPath := testenv.NeedTool(t, "tar")
	testenv.NeedTool(t, "zstd")
	testenv.NeedTool(t, "sha256sum")
	testenv.NeedTool(t, "minisign")
	testenv.NeedTool(t, "age")
	dir := t.TempDir()
	id, _ := age.GenerateX25519Identity()
	plain, _ := makeBundle(t)
	enc, _ := makeBundle(t, id.Recipient())
	must := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	os.WriteFile(filepath.Join(dir, "b.cordon"), plain, 0o600)
	if list := must(tarPath, "--zstd", "-tf", "b.cordon"); !strings.Contains(list, "manifest.json") {
		t.Fatalf("tar lists no manifest:\n%s", list)
	}
	x := filepath.Join(dir, "x")
	os.Mkdir(x, 0o700)
	must(tarPath, "--zstd", "-xf", "b.cordon", "-C", x)
	must("sh", "-c", "cd x && sha256sum -c --quiet SHA256SUMS")
	for _, doc := range []string{"manifest.json", "SHA256SUMS", "cordon/checkpoints/000001.json"} {
		must("minisign", "-Vm", filepath.Join(x, doc), "-p", filepath.Join(x, "cordon/cordon.pub"))
	}
	m, _ := os.ReadFile(filepath.Join(x, "manifest.json"))
	os.WriteFile(filepath.Join(x, "manifest.json"), bytes.Replace(m, []byte("tester"), []byte("tesTer"), 1), 0o600)
	if out, err := exec.Command("minisign", "-Vm", filepath.Join(x, "manifest.json"), "-p", filepath.Join(x, "cordon/cordon.pub")).CombinedOutput(); err == nil {
		t.Fatalf("minisign accepted an altered manifest: %s", out)
	}
	os.WriteFile(filepath.Join(dir, "e.cordon.age"), enc, 0o600)
	os.WriteFile(filepath.Join(dir, "id.txt"), []byte(id.String()+"\n"), 0o600)
	must("age", "-d", "-i", "id.txt", "-o", "e.cordon", "e.cordon.age")
	dec, _ := os.ReadFile(filepath.Join(dir, "e.cordon"))
	if rep, _ := Verify(bytes.NewReader(dec), VerifyOptions{}); rep.Status != StatusIntact {
		t.Fatalf("age -d output does not verify: %+v", rep.Problems)
	}
}

func TestVerifyStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	_, priv, _ := GenerateKey()
	w, err := NewWriter(io.Discard, Options{Key: priv, EvidenceID: "big", Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	// 64 MiB through one entry: the writer streams, it does not buffer.
	if _, err := w.Add(EntryMeta{Name: "memory/1/core", Source: "test"}, io.LimitReader(zeroReader{}, 64<<20), 64<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(Custody{}); err != nil {
		t.Fatal(err)
	}
}
