package analyzer

// entries.go is the analyzer's second pass over a bundle: after
// bundle.Verify has checked the whole file, the evidence entries are read
// again, in stream order, each one hashed as it is read and compared with
// its signed record, so that what the parsers see is exactly what was
// verified (a file swapped between the two passes is caught).
// TODO(bundle): swap for the bundle package's own second-pass reader once
// it exists; this one reuses bundle.Open (decryption, bounded zstd).

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// errEntryChanged says an entry's bytes differ between the two passes.
var errEntryChanged = errors.New("entry differs from the verified one (was the bundle file changed during the analysis?)")

// errStreamCut ends the second pass over a forced bundle whose stream is
// damaged or cut: what came before is all there is.
var errStreamCut = errors.New("the bundle's stream ends or is damaged here")

// errAnalysis wraps failures of the analysis itself (writing the case),
// which are never mistaken for damage in the bundle.
var errAnalysis = errors.New("analysis failed")

// isControlMember reports whether a tar member is one of the bundle's own
// control documents (checkpoints, manifest, SHA256SUMS, their signatures).
func isControlMember(name string) bool {
	name = strings.TrimSuffix(name, bundle.SigSuffix)
	return strings.HasPrefix(name, bundle.CheckpointPrefix) || name == bundle.ManifestName || name == bundle.SumsName
}

// streamEntry is one evidence entry met in the second pass.
type streamEntry struct {
	index  int // place among the evidence entries of the stream
	name   string
	size   int64
	record bundle.EntryRecord
	signed bool // record comes from a verified checkpoint or the manifest
}

// readEntries reads the bundle at r and calls fn with each evidence entry
// (header, public key and control members excluded) and a reader of its
// bytes. Entries with a signed record are hashed as read: a difference is
// errEntryChanged. Entries without one are passed only when unsigned is
// true (a forced analysis); their record holds what the stream says.
func readEntries(r io.Reader, identities []age.Identity, signed map[string]bundle.EntryRecord, unsigned bool,
	fn func(e streamEntry, rd io.Reader) error) error {
	stream, closeFn, _, err := bundle.Open(r, identities)
	if err != nil {
		return err
	}
	defer closeFn()
	tr := tar.NewReader(stream)
	seen := map[string]bool{}
	index := -1
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if unsigned {
				return fmt.Errorf("%w: %v", errStreamCut, err)
			}
			return fmt.Errorf("second pass: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg || bundle.ValidName(hdr.Name) != nil || isControlMember(hdr.Name) {
			continue
		}
		index++
		name := hdr.Name
		if name == bundle.HeaderName || name == bundle.PublicKeyName {
			continue
		}
		rec, ok := signed[name]
		ok = ok && !seen[name] // a duplicated name: only the first is the signed one
		seen[name] = true
		if !ok && !unsigned {
			continue
		}
		e := streamEntry{index: index, name: name, size: hdr.Size, record: rec, signed: ok}
		if !ok {
			e.record = bundle.EntryRecord{Index: index, Name: name, Size: hdr.Size}
		}
		h := sha256.New()
		lr := io.LimitReader(tr, hdr.Size)
		err = fn(e, io.TeeReader(lr, h))
		if _, cerr := io.Copy(h, lr); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			if unsigned && !errors.Is(err, errAnalysis) {
				return fmt.Errorf("%w: in %s: %v", errStreamCut, name, err)
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		if ok && hex.EncodeToString(h.Sum(nil)) != rec.SHA256 {
			return fmt.Errorf("%s: %w", name, errEntryChanged)
		}
	}
}
