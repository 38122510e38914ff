package collector

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// TestBinaries hashes a root's programs: each regular file once (a hard
// link or a merged-/usr alias is the same file), links and FIFOs never
// read, the hashes those of the bytes, and the budget recorded when hit.
func TestBinaries(t *testing.T) {
	root := t.TempDir()
	write := func(p, data string) {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("usr/bin/ps", "\x7fELF ps binary")
	write("usr/sbin/sshd", "\x7fELF sshd")
	os.Symlink("ps", filepath.Join(root, "usr/bin/pgrep-link"))
	os.Link(filepath.Join(root, "usr/bin/ps"), filepath.Join(root, "usr/sbin/ps-hardlink"))
	syscall.Mkfifo(filepath.Join(root, "usr/bin/fifo"), 0o644)
	os.Symlink("usr/bin", filepath.Join(root, "bin"))

	b, _ := collectRead(t, rootOptions(root), "binaries")
	var recs []snapshot.BinaryRecord
	sc := bufio.NewScanner(bytes.NewReader(b.entries[snapshot.BinariesEntry]))
	for sc.Scan() {
		var r snapshot.BinaryRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want ps and sshd once each: %+v", len(recs), recs)
	}
	for _, r := range recs {
		data, _ := os.ReadFile(filepath.Join(root, r.Path))
		m, s := md5.Sum(data), sha256.Sum256(data)
		if r.MD5 != hex.EncodeToString(m[:]) || r.SHA256 != hex.EncodeToString(s[:]) || r.Size != int64(len(data)) || r.Error != "" {
			t.Errorf("%s: %+v", r.Path, r)
		}
	}

	o := rootOptions(root)
	o.BinariesMax = 1
	b, _ = collectRead(t, o, "binaries")
	if !bytes.Contains(b.entries[snapshot.BinariesEntry], []byte("--binaries-max")) {
		t.Errorf("the budget was not recorded:\n%s", b.entries[snapshot.BinariesEntry])
	}
}
