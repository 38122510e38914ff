package bundle

// secondpass.go is the reader's second pass over a bundle: after Verify
// has checked the whole file, the evidence entries are read again, in
// stream order, each one hashed as it is read and compared with its signed
// record, so that what a parser sees is exactly what was verified (a file
// swapped between the two passes is caught). It reuses Open (decryption,
// bounded zstd).

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
)

// ErrEntryChanged says an entry's bytes differ between the two passes.
var ErrEntryChanged = errors.New("entry differs from the verified one (was the bundle file changed during the analysis?)")

// ErrStreamCut ends the second pass over a forced bundle whose stream is
// damaged or cut: what came before is all there is.
var ErrStreamCut = errors.New("the bundle's stream ends or is damaged here")

// ErrReader wraps failures of the analysis itself (writing the case),
// which are never mistaken for damage in the
var ErrReader = errors.New("analysis failed")

// isControlMember reports whether a tar member is one of the bundle's own
// control documents (checkpoints, manifest, SHA256SUMS, their signatures).
func isControlMember(name string) bool {
	name = strings.TrimSuffix(name, SigSuffix)
	return strings.HasPrefix(name, CheckpointPrefix) || name == ManifestName || name == SumsName
}

// StreamEntry is one evidence entry met in the second pass.
type StreamEntry struct {
	Index  int // place among the evidence entries of the stream
	Name   string
	Size   int64
	Record EntryRecord
	Signed bool // Record comes from a verified checkpoint or the manifest
}

// ReadEntries reads the bundle at r a second time and calls fn with each
// evidence entry (header, public key and control members excluded) and a
// reader of its bytes. Entries with a signed record (signed, usually
// Report.Verified by name) are hashed as read: a difference is
// ErrEntryChanged. Entries without one are passed only when unsigned is
// true (a forced analysis); their record holds what the stream says, and a
// damaged stream then ends the pass with ErrStreamCut. An error fn
// returns wrapping ErrReader is returned as it is.
func ReadEntries(r io.Reader, identities []age.Identity, signed map[string]EntryRecord, unsigned bool,
	fn func(e StreamEntry, rd io.Reader) error) error {
	stream, closeFn, _, err := Open(r, identities)
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
				return fmt.Errorf("%w: %v", ErrStreamCut, err)
			}
			return fmt.Errorf("second pass: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg || ValidName(hdr.Name) != nil || isControlMember(hdr.Name) {
			continue
		}
		index++
		name := hdr.Name
		if name == HeaderName || name == PublicKeyName {
			continue
		}
		rec, ok := signed[name]
		ok = ok && !seen[name] // a duplicated name: only the first is the signed one
		seen[name] = true
		if !ok && !unsigned {
			continue
		}
		e := StreamEntry{Index: index, Name: name, Size: hdr.Size, Record: rec, Signed: ok}
		if !ok {
			e.Record = EntryRecord{Index: index, Name: name, Size: hdr.Size}
		}
		h := sha256.New()
		lr := io.LimitReader(tr, hdr.Size)
		err = fn(e, io.TeeReader(lr, h))
		if _, cerr := io.Copy(h, lr); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			if unsigned && !errors.Is(err, ErrReader) {
				return fmt.Errorf("%w: in %s: %v", ErrStreamCut, name, err)
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		if ok && hex.EncodeToString(h.Sum(nil)) != rec.SHA256 {
			return fmt.Errorf("%s: %w", name, ErrEntryChanged)
		}
	}
}
