package attest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cordon-forensics/cordon/formats/artifacts"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/ctxio"
)

// maxIndex bounds one index entry (executables.jsonl and the like) kept in memory.
const maxIndex = 64 << 20

// BundleInfo is what the result says of one bundle.
type BundleInfo struct {
	Path       string        `json:"path"`
	EvidenceID string        `json:"evidence_id"`
	Host       string        `json:"host"`
	SHA256     string        `json:"sha256"`
	Status     bundle.Status `json:"verification"`
	Trust      bundle.Trust  `json:"trust"`
	KeyID      string        `json:"key_id,omitempty"`
	// Unverified: analyzed with Force although not intact.
	Unverified bool `json:"unverified,omitempty"`
}

// spooled is an entry's bytes copied out of a bundle during verification.
type spooled struct {
	file   string // "" when only hashed
	sha256 string
	md5    string
	size   int64
}

type bundleData struct {
	info    BundleInfo
	files   map[string]spooled // entry → bytes, only those the verification vouches for
	index   map[string][]byte  // index entries, same
	records map[string]bundle.EntryRecord
}

// ErrRefused says a bundle did not verify intact and Force was not set.
var ErrRefused = errors.New("refused")

var indexEntries = map[string]bool{
	snapshot.ExecutablesEntry: true, snapshot.SharedObjectsEntry: true, artifacts.IndexEntry: true, snapshot.BinariesEntry: true,
}

// wantBytes says which entries' bytes are worth copying out: recovered
// executables and mapped objects, and copied artifacts (ELF files and
// provenance kept, the others only hashed, decided on their first bytes).
func wantBytes(name string) bool {
	switch {
	case strings.HasPrefix(name, "proc/") && (strings.HasSuffix(name, "/exe") || strings.Contains(name, "/map_files/")):
		return true
	case strings.HasPrefix(name, artifacts.EntryPrefix+"/") && name != artifacts.IndexEntry:
		return true
	}
	return false
}

// readBundle verifies one bundle and copies the entries attestation needs
// into dir, within the spool budget.
func readBundle(ctx context.Context, path string, o *Options, dir string, budget *int64) (*bundleData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bd := &bundleData{files: map[string]spooled{}, index: map[string][]byte{}, records: map[string]bundle.EntryRecord{}}
	pending := map[string]spooled{}
	indexes := map[string][]byte{}
	n := 0
	vo := o.Verify
	vo.WantEntry = func(name string, size int64) bool {
		return indexEntries[name] && size <= maxIndex || wantBytes(name) && size <= *budget
	}
	vo.OnEntry = func(name string, size int64, r io.Reader) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if indexEntries[name] {
			b, err := io.ReadAll(io.LimitReader(r, maxIndex+1))
			if err == nil && len(b) <= maxIndex {
				indexes[name] = b
			}
			return nil
		}
		if !wantBytes(name) || size > *budget {
			return nil
		}
		head := make([]byte, 4)
		k, _ := io.ReadFull(r, head)
		head = head[:k]
		isELF := bytes.Equal(head, []byte("\x7fELF"))
		if strings.HasPrefix(name, artifacts.EntryPrefix+"/") && !isELF && !artifacts.IsProvenance(name) {
			// Not worth a copy (no diff to make), but its hashes are:
			// dpkg's md5sums lists hold MD5 only.
			h, m := sha256.New(), md5.New()
			w := io.MultiWriter(h, m)
			w.Write(head)
			k, err := io.Copy(w, r)
			if err != nil {
				return fmt.Errorf("hashing %s: %w", name, err)
			}
			pending[name] = spooled{sha256: hex.EncodeToString(h.Sum(nil)), md5: hex.EncodeToString(m.Sum(nil)), size: k + int64(len(head))}
			return nil
		}
		n++
		file := filepath.Join(dir, fmt.Sprintf("e%06d", n))
		out, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("spooling: %w", err)
		}
		h, md := sha256.New(), md5.New()
		w := io.MultiWriter(out, h, md)
		w.Write(head)
		m, err := io.Copy(w, io.LimitReader(r, *budget))
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(file)
			return fmt.Errorf("spooling %s: %w", name, err)
		}
		*budget -= m + int64(len(head))
		pending[name] = spooled{file: file, sha256: hex.EncodeToString(h.Sum(nil)), md5: hex.EncodeToString(md.Sum(nil)), size: m + int64(len(head))}
		return nil
	}
	rep, verr := bundle.Verify(ctxio.Reader(ctx, f), vo)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rep == nil || verr != nil && rep.Entries == 0 {
		return nil, fmt.Errorf("%s: verifying: %w", path, verr)
	}
	abs, _ := filepath.Abs(path)
	bd.info = BundleInfo{Path: abs, EvidenceID: rep.EvidenceID, SHA256: rep.BundleSHA256, Status: rep.Status, Trust: rep.Trust, KeyID: rep.KeyID}
	if rep.Manifest != nil {
		bd.info.Host = rep.Manifest.Custody.Host.Hostname
	}
	if rep.Status != bundle.StatusIntact {
		if !o.Force {
			return nil, fmt.Errorf("%s: %w: the bundle is %s (%d problems; cordon verify lists them); --force attests it anyway, marked unverified",
				path, ErrRefused, rep.Status, len(rep.Problems))
		}
		bd.info.Unverified = true
	}
	for _, r := range rep.Verified {
		bd.records[r.Name] = r
	}
	vouched := func(name, sum string) bool {
		r, ok := bd.records[name]
		return ok && r.SHA256 == sum || o.Force && !ok
	}
	for name, s := range pending {
		if vouched(name, s.sha256) {
			bd.files[name] = s
		}
	}
	for name, b := range indexes {
		h := sha256.Sum256(b)
		if vouched(name, hex.EncodeToString(h[:])) {
			bd.index[name] = b
		}
	}
	return bd, nil
}
