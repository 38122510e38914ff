package bundle

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"syscall"
	"testing"
)

// failingOutput accepts writes until fail is set, then fails them all, as a
// full disk or a closed ssh pipe would.
type failingOutput struct {
	buf  bytes.Buffer
	fail bool
}

var errDiskFull = errors.New("test: no space left on device")

func (f *failingOutput) Write(p []byte) (int, error) {
	if f.fail {
		return 0, errDiskFull
	}
	return f.buf.Write(p)
}

// An error of the bundle's output ends the bundle: Add returns it, later
// calls return it again, and it is never mistaken for an error of the
// evidence being read (which would record a false "read N of M bytes").
func TestAddOutputErrorIsSticky(t *testing.T) {
	_, priv, _ := GenerateKey()
	out := &failingOutput{}
	w, err := NewWriter(out, Options{Key: priv, EvidenceID: "disk-full"})
	if err != nil {
		t.Fatal(err)
	}
	out.fail = true
	data := make([]byte, 8<<20) // several zstd blocks, so the output is written during Add
	_, _ = rand.Read(data)
	rec, err := w.AddBytes(EntryMeta{Name: "memory/1/core", Source: "test"}, data)
	if err == nil {
		err = w.Checkpoint()
	}
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("Add on a failed output: err %v, record %+v", err, rec)
	}
	if rec.Error != "" || rec.Truncated || strings.Contains(err.Error(), "padding") || strings.Contains(err.Error(), "bytes are zero") {
		t.Fatalf("the output's failure was taken for the evidence's: %v, record %+v", err, rec)
	}
	if _, err := w.AddBytes(EntryMeta{Name: "fs/etc/hostname", Source: "test"}, []byte("web01\n")); !errors.Is(err, errDiskFull) {
		t.Fatalf("Add after the output failed: %v", err)
	}
	if _, err := w.Close(Custody{}); err == nil {
		t.Fatal("Close after the output failed succeeded")
	}
}

// eioReader yields some bytes, then fails as a bad disk sector or an
// unreadable /proc page does.
type eioReader struct{ left int }

func (r *eioReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, syscall.EIO
	}
	n := min(len(p), r.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	r.left -= n
	return n, nil
}

// An error of the evidence being read is recorded in the entry (with the
// zero padding it caused), and the bundle goes on and verifies.
func TestAddReadErrorIsRecorded(t *testing.T) {
	pub, priv, _ := GenerateKey()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{Key: priv, EvidenceID: "eio"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := w.Add(EntryMeta{Name: "fs/var/lib/db", Source: "test"}, &eioReader{left: 100}, 1000)
	if err != nil {
		t.Fatalf("a read error was returned as an output error: %v", err)
	}
	if !rec.Truncated || !strings.Contains(rec.Error, "read 100 of 1000 bytes") || !strings.Contains(rec.Error, syscall.EIO.Error()) {
		t.Fatalf("read error not recorded: %+v", rec)
	}
	if _, err := w.Add(EntryMeta{Name: "fs/etc/hostname", Source: "test"}, strings.NewReader("web01\n"), 6); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(Custody{}); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(bytes.NewReader(buf.Bytes()), VerifyOptions{PublicKey: &pub})
	if err != nil || rep.Status != StatusIntact || rep.Trust != TrustTrusted {
		t.Fatalf("%v %s %s %+v", err, rep.Status, rep.Trust, rep.Problems)
	}
	var got *EntryRecord
	for i := range rep.Verified {
		if rep.Verified[i].Name == "fs/var/lib/db" {
			got = &rep.Verified[i]
		}
	}
	if got == nil || !got.Truncated || got.Error != rec.Error || got.Size != 1000 {
		t.Fatalf("the signed record lost the read error: %+v", got)
	}
}

// The zero padding after a read error is real: the entry holds exactly the
// declared size, the bytes read first.
func TestAddPadsShortSource(t *testing.T) {
	_, priv, _ := GenerateKey()
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Options{Key: priv, EvidenceID: "pad"})
	if _, err := w.Add(EntryMeta{Name: "fs/x", Source: "test"}, strings.NewReader("abc"), 5); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(Custody{}); err != nil {
		t.Fatal(err)
	}
	for _, m := range members(t, buf.Bytes()) {
		if m.hdr.Name == "fs/x" && !bytes.Equal(m.data, []byte("abc\x00\x00")) {
			t.Fatalf("padded entry holds %q", m.data)
		}
	}
}
