package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"aead.dev/minisign"
	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
)

// Bounds on what a reader accepts from a bundle: the zstd window and
// decoder memory (a zstd bomb gets a clear error), and the size of the
// signed control documents it holds in memory.
const (
	MaxDecoderWindow = 64 << 20
	MaxDecoderMemory = 256 << 20
	MaxHeaderSize    = 64 << 10
	MaxControlSize   = 256 << 20
	MaxSignatureSize = 4 << 10
)

// Status is the outcome of a verification.
type Status string

// Statuses of a verification.
const (
	StatusIntact     Status = "intact"     // every entry, checkpoint, the manifest and SHA256SUMS check out
	StatusIncomplete Status = "incomplete" // a clean prefix: verified up to the last checkpoint, then cut off
	StatusFailed     Status = "failed"     // something was altered, added, removed, reordered or forged
)

// Trust says whose signature a verified bundle carries.
type Trust string

// Trust levels.
const (
	TrustTrusted    Trust = "trusted"     // signed by the key the analyst passed
	TrustSelfSigned Trust = "self-signed" // signed by the key the bundle names: compare its fingerprint with the custody form
	TrustNone       Trust = "none"        // no valid signature at all
)

// ProblemKind names what is wrong with a bundle.
type ProblemKind string

// Kinds of problems.
const (
	ProblemAltered      ProblemKind = "altered"       // bytes differ from what was signed
	ProblemMissing      ProblemKind = "missing"       // a signed entry is not in the stream
	ProblemExtra        ProblemKind = "extra"         // a member no signature covers
	ProblemDuplicated   ProblemKind = "duplicated"    // a name seen twice
	ProblemReordered    ProblemKind = "reordered"     // entries out of their signed order
	ProblemSignature    ProblemKind = "signature"     // a signature that does not verify
	ProblemWrongKey     ProblemKind = "wrong-key"     // signed, but not with the key the analyst passed
	ProblemTruncated    ProblemKind = "truncated"     // the stream ends early
	ProblemMalformed    ProblemKind = "malformed"     // a member that cannot be read as what it should be
	ProblemTrailingData ProblemKind = "trailing-data" // members or bytes after the end of the bundle
	ProblemUnsafeMember ProblemKind = "unsafe-member" // a name or member type that must never be written out
)

// Problem is one thing wrong with a bundle.
type Problem struct {
	Kind   ProblemKind `json:"kind"`
	Name   string      `json:"name,omitempty"`
	Detail string      `json:"detail"`
}

// Report is the outcome of Verify.
type Report struct {
	Status      Status          `json:"status"`
	Trust       Trust           `json:"trust"`
	KeyID       string          `json:"key_id,omitempty"`
	PublicKey   string          `json:"public_key,omitempty"`
	EvidenceID  string          `json:"evidence_id,omitempty"`
	Encrypted   bool            `json:"encrypted"`
	Header      *Header         `json:"header,omitempty"`
	Manifest    *Manifest       `json:"-"`
	Checkpoints int             `json:"checkpoints_verified"`
	Members     int             `json:"members"`
	Entries     int             `json:"entries_seen"`
	Verified    []EntryRecord   `json:"-"` // entries covered by a verified checkpoint or the manifest
	Missing     []MissingRecord `json:"-"`
	Problems    []Problem       `json:"problems"`
	// ManifestSHA256 is the hash of manifest.json, when it was seen.
	ManifestSHA256 string `json:"manifest_sha256,omitempty"`
	// BundleSHA256 is the SHA-256 of the bundle file as read: what the
	// collector printed for the custody form.
	BundleSHA256 string `json:"bundle_sha256"`
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// PublicKey, when set, is the key the analyst trusts: the bundle is
	// "trusted" only if it is signed with it.
	PublicKey *minisign.PublicKey
	// Identities decrypt an age-encrypted bundle.
	Identities []age.Identity
	// OnEntry, when set, receives each evidence entry's bytes as they stream
	// (before the checkpoint that covers it is read: callers that act on
	// content must wait for the Report). An error stops the verification.
	OnEntry func(name string, size int64, r io.Reader) error
	// WantEntry, when set, chooses the entries OnEntry receives; the others
	// are only hashed (no copy through OnEntry's pipe).
	WantEntry func(name string, size int64) bool
	// OnControl, when set, receives each control member (checkpoints,
	// manifest, SHA256SUMS and their signatures) whole.
	OnControl func(name string, data []byte) error
	// ExpectSHA256, when not empty, holds the SHA-256s from the custody
	// forms: the bundle's must be one of them. The compressed stream has
	// slack (bytes that decode to the same content): only the file's own
	// hash notices a change there.
	ExpectSHA256 []string
}

func (r *Report) problem(kind ProblemKind, name, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Kind: kind, Name: name, Detail: fmt.Sprintf(format, args...)})
}

// Open returns the decompressed tar stream of a bundle, decrypting it first
// when it is age-encrypted, with the decoder bounded.
func Open(r io.Reader, identities []age.Identity) (io.Reader, func(), bool, error) {
	br := bufio.NewReader(r)
	encrypted := false
	if head, _ := br.Peek(len("age-encryption.org/v1")); string(head) == "age-encryption.org/v1" {
		encrypted = true
		if len(identities) == 0 {
			return nil, nil, true, errors.New("the bundle is age-encrypted: pass --identity")
		}
		dr, err := age.Decrypt(br, identities...)
		if err != nil {
			return nil, nil, true, fmt.Errorf("decrypting: %w", err)
		}
		br = bufio.NewReader(dr)
	}
	zr, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(MaxDecoderWindow),
		zstd.WithDecoderMaxMemory(MaxDecoderMemory), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, nil, encrypted, fmt.Errorf("starting zstd: %w", err)
	}
	return zr, zr.Close, encrypted, nil
}

type seenEntry struct {
	name  string
	size  int64
	sum   string
	trunc bool
	chain string
}

// Verify checks a bundle in one streaming pass: every entry's SHA-256, the
// chain, every checkpoint's and the manifest's signature and contents, and
// SHA256SUMS. It reports every problem it finds rather than stopping at the
// first. The error is for I/O the caller must see (it is also a problem).
func Verify(in io.Reader, opts VerifyOptions) (*Report, error) {
	rep := &Report{Trust: TrustNone, Problems: []Problem{}}
	fileHash := sha256.New()
	raw := &eofReader{r: in}
	in = io.TeeReader(raw, fileHash)
	defer func() {
		// read what is left so the file hash covers the whole file
		_, _ = io.Copy(io.Discard, in)
		rep.BundleSHA256 = hex.EncodeToString(fileHash.Sum(nil))
		if len(opts.ExpectSHA256) > 0 && !slices.ContainsFunc(opts.ExpectSHA256, func(s string) bool { return strings.EqualFold(s, rep.BundleSHA256) }) {
			given := make([]string, len(opts.ExpectSHA256))
			for i, s := range opts.ExpectSHA256 {
				given[i] = safeName(s)
			}
			rep.problem(ProblemAltered, "", "the bundle's SHA-256 %s is not the custody form's (%s)", rep.BundleSHA256, strings.Join(given, ", "))
			rep.Status = StatusFailed
			if rep.Trust == TrustTrusted {
				rep.Trust = TrustNone
			}
		}
	}()
	stream, closeFn, enc, err := Open(in, opts.Identities)
	rep.Encrypted = enc
	if err != nil {
		rep.Status = StatusFailed
		rep.problem(ProblemMalformed, "", "%v", err)
		return rep, err
	}
	defer closeFn()
	// The decompressed stream's clean end tells a cut bundle (its single
	// zstd frame unfinished: the decoder fails) from an altered one whose
	// frame is whole but whose tar is not.
	dec := &eofReader{r: stream}
	v := &verifier{rep: rep, opts: opts, raw: raw, dec: dec, chain: chainSeed, names: map[string]bool{}, sums: map[string]string{}}
	v.run(tar.NewReader(dec), dec)
	v.finish()
	return rep, nil
}

type verifier struct {
	rep      *Report
	opts     VerifyOptions
	raw      *eofReader
	dec      *eofReader // the decompressed tar stream
	pub      *minisign.PublicKey
	chain    [32]byte
	index    int
	names    map[string]bool
	all      []seenEntry // every evidence entry in stream order
	pending  []seenEntry // since the last verified checkpoint
	sums     map[string]string
	order    []string // every member name, for SHA256SUMS
	seq      int
	prevCP   string
	manifest bool
	sumsOK   bool
	ended    bool // SHA256SUMS.minisig seen
	cut      bool
}

func (v *verifier) run(tr *tar.Reader, stream io.Reader) {
	var held struct {
		name string
		doc  []byte
	}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			v.readFailed("", err)
			return
		}
		v.rep.Members++
		name := hdr.Name
		if hdr.Typeflag != tar.TypeReg {
			v.rep.problem(ProblemUnsafeMember, safeName(name), "member of tar type %q: bundles hold regular files only", hdr.Typeflag)
			continue
		}
		if err := ValidName(name); err != nil {
			v.rep.problem(ProblemUnsafeMember, safeName(name), "%v", err)
			continue
		}
		if v.ended {
			v.rep.problem(ProblemTrailingData, name, "member after SHA256SUMS.minisig")
		}
		if held.name != "" && name != held.name+SigSuffix {
			v.rep.problem(ProblemSignature, held.name, "not followed by its signature")
			held.name = ""
		}
		switch {
		case strings.HasSuffix(name, SigSuffix) && isControl(strings.TrimSuffix(name, SigSuffix)):
			sig, err := readBounded(tr, hdr.Size, MaxSignatureSize)
			if err != nil {
				v.readFailed(name, err)
				return
			}
			v.member(name, sig)
			if held.name != strings.TrimSuffix(name, SigSuffix) {
				v.rep.problem(ProblemExtra, name, "signature without its document")
				continue
			}
			v.control(held.name, held.doc, sig)
			held.name = ""
			if name == SumsName+SigSuffix {
				v.ended = true
			}
		case isControl(name):
			doc, err := readBounded(tr, hdr.Size, MaxControlSize)
			if err != nil {
				v.readFailed(name, err)
				return
			}
			v.member(name, doc)
			held.name, held.doc = name, doc
		default:
			if !v.entry(tr, hdr) {
				return
			}
		}
	}
	// Anything in the decompressed stream after the tar end marker.
	// The rest is read to its end so that the zstd frame checksum (and age's
	// authentication) is checked too: they cover the tar padding.
	n, err := io.Copy(io.Discard, io.LimitReader(stream, 1<<20))
	if n > 0 && !v.cut {
		v.rep.problem(ProblemTrailingData, "", "%d bytes after the end of the tar stream", n)
	}
	if err != nil && !v.cut {
		v.cut = true
		if v.truncation(err) {
			v.rep.problem(ProblemTruncated, "", "the bundle ends after the tar stream but before the end of the zstd frame, whose checksum is unchecked: %v", err)
		} else {
			v.rep.problem(ProblemMalformed, "", "the compressed stream is damaged after the tar end: %v", err)
		}
	}
}

// readFailed records why the stream could not be read on. Only a stream
// that really ends early is "truncated" (a clean prefix: the status is
// incomplete); a decoding error anywhere else is damage, and the status is
// failed, so that an altered bundle is never passed off as one that was
// merely cut off.
func (v *verifier) readFailed(name string, err error) {
	v.cut = true
	switch {
	case v.truncation(err) && err == io.ErrUnexpectedEOF:
		v.rep.problem(ProblemTruncated, name, "the bundle ends here, cut off inside a member")
		return
	case v.truncation(err):
		v.rep.problem(ProblemTruncated, name, "the bundle ends here: cut off, or its last encrypted chunk (64 KiB) was altered; age cannot tell which: %v", err)
		return
	}
	v.rep.problem(ProblemMalformed, name, "the stream is damaged: %v", err)
}

// truncation tells a stream cut off from a damaged one: the input was read
// to its end and the decoders failed for want of bytes. The bundle is one
// zstd frame: when its decoder ended cleanly the frame was whole, and a
// tar cut short inside it was altered, not cut. An age-encrypted
// stream cut inside its last chunk fails that chunk's authentication, which
// age reports as it would an alteration of those last 64 KiB: at the very
// end of the input it is taken as a cut, since every earlier chunk was
// authenticated (and the manifest is missing either way).
func (v *verifier) truncation(err error) bool {
	if !v.raw.eof || v.dec.eof {
		return false // more input, or a compressed stream that ended whole
	}
	if err == io.ErrUnexpectedEOF {
		return true
	}
	return v.rep.Encrypted && strings.Contains(err.Error(), "failed to decrypt and authenticate payload chunk")
}

func (v *verifier) member(name string, data []byte) {
	v.sums[name] = fmt.Sprintf("%x", sha256.Sum256(data))
	v.order = append(v.order, name)
	if v.opts.OnControl != nil {
		if err := v.opts.OnControl(name, data); err != nil {
			v.rep.problem(ProblemMalformed, name, "handling member: %v", err)
		}
	}
}

func (v *verifier) entry(tr *tar.Reader, hdr *tar.Header) bool {
	name := hdr.Name
	if v.names[name] {
		v.rep.problem(ProblemDuplicated, name, "entry name seen twice")
	}
	v.names[name] = true
	h := sha256.New()
	var data []byte
	var src io.Reader = tr
	if v.index == 0 {
		if name != HeaderName {
			v.rep.problem(ProblemMalformed, name, "first member is not %s", HeaderName)
		}
		b, err := readBounded(tr, hdr.Size, MaxHeaderSize)
		if err != nil {
			v.readFailed(name, err)
			return false
		}
		data = b
		src = bytes.NewReader(b)
	}
	var err error
	if v.opts.OnEntry != nil && (v.opts.WantEntry == nil || v.opts.WantEntry(name, hdr.Size)) {
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			e := v.opts.OnEntry(name, hdr.Size, pr)
			_, _ = io.Copy(io.Discard, pr) // the callback may stop early
			done <- e
		}()
		_, err = io.Copy(io.MultiWriter(h, pw), src)
		pw.CloseWithError(err)
		if cerr := <-done; cerr != nil && err == nil {
			v.rep.problem(ProblemMalformed, name, "reading entry: %v", cerr)
			return false
		}
	} else {
		_, err = io.Copy(h, src)
	}
	if err != nil {
		v.readFailed(name, err)
		return false
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	if v.index == 0 {
		v.header(data)
	}
	// Truncation is part of the chain, but only the signed record says it:
	// chain with false here, and compare against the records below.
	v.chain = nextChain(v.chain, v.index, name, hdr.Size, sum, false)
	e := seenEntry{name: name, size: hdr.Size, sum: hexSum(sum), chain: hexSum(v.chain)}
	v.index++
	v.rep.Entries++
	v.all = append(v.all, e)
	v.pending = append(v.pending, e)
	v.sums[name] = e.sum
	v.order = append(v.order, name)
	return true
}

func (v *verifier) header(data []byte) {
	var hdr Header
	if err := json.Unmarshal(data, &hdr); err != nil {
		v.rep.problem(ProblemMalformed, HeaderName, "not JSON: %v", err)
		return
	}
	if hdr.Format != FormatName || hdr.Version != FormatVersion {
		v.rep.problem(ProblemMalformed, HeaderName, "format %q version %d: this reader knows %s version %d", safeName(hdr.Format), hdr.Version, FormatName, FormatVersion)
		return
	}
	v.rep.Header = &hdr
	v.rep.EvidenceID = hdr.EvidenceID
	var pub minisign.PublicKey
	if err := pub.UnmarshalText([]byte(hdr.PublicKey)); err != nil {
		v.rep.problem(ProblemSignature, HeaderName, "the header's public key is unreadable: %v", err)
		return
	}
	v.rep.KeyID = KeyID(pub.ID())
	v.rep.PublicKey = hdr.PublicKey
	if v.opts.PublicKey != nil {
		if !v.opts.PublicKey.Equal(pub) {
			v.rep.problem(ProblemWrongKey, HeaderName, "signed by key %s, not by the key passed (%s)", KeyID(pub.ID()), KeyID(v.opts.PublicKey.ID()))
			v.pub = v.opts.PublicKey // check every signature against the trusted key: all will fail
			return
		}
	}
	v.pub = &pub
}

func (v *verifier) checkSig(name string, doc, sig []byte) bool {
	if v.pub == nil {
		v.rep.problem(ProblemSignature, name, "no usable public key to check the signature with")
		return false
	}
	r := minisign.NewReader(bytes.NewReader(doc))
	_, _ = io.Copy(io.Discard, r)
	if !r.Verify(*v.pub, sig) {
		v.rep.problem(ProblemSignature, name, "signature does not verify with key %s", KeyID(v.pub.ID()))
		return false
	}
	return true
}

func (v *verifier) control(name string, doc, sig []byte) {
	ok := v.checkSig(name, doc, sig)
	switch {
	case strings.HasPrefix(name, CheckpointPrefix):
		var cp Checkpoint
		if err := strictJSON(doc, &cp); err != nil {
			v.rep.problem(ProblemMalformed, name, "%v", err)
			return
		}
		v.seq++
		if cp.Seq != v.seq {
			v.rep.problem(ProblemReordered, name, "checkpoint %d where %d was expected", cp.Seq, v.seq)
		}
		if cp.Prev != v.prevCP {
			v.rep.problem(ProblemReordered, name, "does not follow the previous checkpoint")
		}
		v.prevCP = v.sums[name]
		if v.compare(name, cp.Entries, v.pending) && ok {
			v.rep.Checkpoints++
			v.rep.Verified = append(v.rep.Verified, cp.Entries...)
			v.rep.Missing = append(v.rep.Missing, cp.Missing...)
		}
		v.pending = nil
	case name == ManifestName:
		v.manifest = true
		v.rep.ManifestSHA256 = v.sums[name]
		var m Manifest
		if err := strictJSON(doc, &m); err != nil {
			v.rep.problem(ProblemMalformed, name, "%v", err)
			return
		}
		if len(v.pending) > 0 {
			v.rep.problem(ProblemExtra, v.pending[0].name, "%d entries after the last checkpoint", len(v.pending))
		}
		if v.compare(name, m.Entries, v.all) && ok {
			v.rep.Manifest = &m
			v.rep.Verified = m.Entries
			v.rep.Missing = m.Missing
		}
		if m.Checkpoints != v.seq {
			v.rep.problem(ProblemMissing, name, "the manifest counts %d checkpoints, the stream holds %d", m.Checkpoints, v.seq)
		}
	case name == SumsName:
		if !ok {
			return
		}
		v.sumsOK = true
		listed := map[string]bool{}
		for i, line := range strings.Split(strings.TrimSuffix(string(doc), "\n"), "\n") {
			sum, file, found := strings.Cut(line, "  ")
			if !found {
				v.rep.problem(ProblemMalformed, name, "line %d is not 'HASH  NAME'", i+1)
				continue
			}
			listed[file] = true
			if got, seen := v.sums[file]; !seen {
				v.rep.problem(ProblemMissing, safeName(file), "listed in SHA256SUMS but not in the stream")
			} else if got != sum {
				v.rep.problem(ProblemAltered, safeName(file), "SHA-256 differs from SHA256SUMS")
			}
		}
		for _, n := range v.order {
			if !listed[n] && n != SumsName && n != SumsName+SigSuffix {
				v.rep.problem(ProblemExtra, n, "in the stream but not in SHA256SUMS")
			}
		}
	}
}

// compare checks signed records against the entries seen, in order.
func (v *verifier) compare(doc string, recs []EntryRecord, seen []seenEntry) bool {
	ok := true
	byName := map[string]seenEntry{}
	for _, s := range seen {
		byName[s.name] = s
	}
	signed := map[string]bool{}
	for i, r := range recs {
		signed[r.Name] = true
		s, found := byName[r.Name]
		switch {
		case !found:
			v.rep.problem(ProblemMissing, safeName(r.Name), "listed in %s but not in the stream", doc)
			ok = false
			continue
		case i >= len(seen) || seen[i].name != r.Name:
			v.rep.problem(ProblemReordered, r.Name, "not at the place %s gives it", doc)
			ok = false
		}
		if s.sum != r.SHA256 || s.size != r.Size {
			v.rep.problem(ProblemAltered, r.Name, "SHA-256 or size differs from %s", doc)
			ok = false
		}
		if r.Truncated {
			// re-derive the chain value the writer made for a truncated entry
			continue
		}
	}
	for _, s := range seen {
		if !signed[s.name] {
			v.rep.problem(ProblemExtra, s.name, "in the stream but not in %s", doc)
			ok = false
		}
	}
	if ok && !v.chainMatches(recs) {
		v.rep.problem(ProblemAltered, doc, "the chain recomputed from the stream differs from %s", doc)
		ok = false
	}
	return ok
}

// chainMatches recomputes the chain over the signed records (which carry
// the truncation flags) and compares it with each record's chain value.
func (v *verifier) chainMatches(recs []EntryRecord) bool {
	if len(recs) == 0 {
		return true
	}
	prev := chainSeed
	if recs[0].Index > 0 {
		// start from the chain value of the entry before, as verified earlier
		idx := recs[0].Index - 1
		found := false
		for _, r := range v.rep.Verified {
			if r.Index == idx {
				b, err := hex.DecodeString(r.Chain)
				if err != nil || len(b) != 32 {
					return false
				}
				copy(prev[:], b)
				found = true
			}
		}
		if !found {
			return false
		}
	}
	for i, r := range recs {
		sum, err := hex.DecodeString(r.SHA256)
		if err != nil || len(sum) != 32 || r.Index != recs[0].Index+i {
			return false
		}
		var s [32]byte
		copy(s[:], sum)
		prev = nextChain(prev, r.Index, r.Name, r.Size, s, r.Truncated)
		if hexSum(prev) != r.Chain {
			return false
		}
	}
	return true
}

func (v *verifier) finish() {
	rep := v.rep
	if !v.manifest || !v.sumsOK || !v.ended {
		if !v.cut {
			rep.problem(ProblemTruncated, "", "the bundle ends before its manifest and SHA256SUMS")
		}
		rep.problem(ProblemTruncated, "", "incomplete: verified up to checkpoint %d (%d entries); %d later entries are not covered by any signature",
			rep.Checkpoints, len(rep.Verified), len(v.all)-len(rep.Verified))
	}
	failed := false
	for _, p := range rep.Problems {
		if p.Kind != ProblemTruncated {
			failed = true
		}
	}
	switch {
	case failed:
		rep.Status = StatusFailed
	case !v.manifest || !v.sumsOK || !v.ended || v.cut:
		rep.Status = StatusIncomplete
	default:
		rep.Status = StatusIntact
	}
	switch {
	case rep.Checkpoints == 0 && rep.Manifest == nil:
		rep.Trust = TrustNone
	case v.opts.PublicKey != nil && !failed:
		rep.Trust = TrustTrusted
	case v.opts.PublicKey != nil:
		rep.Trust = TrustNone
	default:
		rep.Trust = TrustSelfSigned
	}
}

// eofReader notes whether its reader has reported the end of the input.
type eofReader struct {
	r   io.Reader
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.eof = true
	}
	return n, err
}

func isControl(name string) bool {
	return strings.HasPrefix(name, CheckpointPrefix) || name == ManifestName || name == SumsName
}

func readBounded(r io.Reader, size, max int64) ([]byte, error) {
	if size > max {
		return nil, fmt.Errorf("member of %d bytes is larger than the %d allowed", size, max)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// strictJSON decodes a signed document, refusing unknown fields and trailing data.
func strictJSON(doc []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not a valid document: %w", err)
	}
	if dec.More() {
		return errors.New("trailing data after the document")
	}
	return nil
}

// safeName quotes a name that failed ValidName, for reports.
func safeName(s string) string {
	if len(s) > 256 {
		s = s[:256]
	}
	return fmt.Sprintf("%q", s)
}
