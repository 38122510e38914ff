package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
)

// Names of the members the writer adds itself.
const (
	HeaderName       = "cordon/header.json"
	PublicKeyName    = "cordon/cordon.pub"
	CheckpointPrefix = "cordon/checkpoints/"
	ManifestName     = "manifest.json"
	SumsName         = "SHA256SUMS"
	SigSuffix        = ".minisig"
)

// Options configure a Writer.
type Options struct {
	// Key signs the checkpoints and the manifest. Required.
	Key minisign.PrivateKey
	// Ephemeral records that Key was made for this collection only.
	Ephemeral  bool
	EvidenceID string
	CaseID     string
	Collector  string // "cordon-collect 0.1.0"
	// CheckpointBytes and CheckpointInterval: a signed checkpoint is written
	// after the entry that brings the unsigned bytes over CheckpointBytes, or
	// that ends more than CheckpointInterval after the last checkpoint.
	CheckpointBytes    int64         // default 4 MiB
	CheckpointInterval time.Duration // default 2 s
	// Recipients, when any, encrypt the whole stream with age.
	Recipients []age.Recipient
	// EncoderConcurrency bounds the zstd encoder's goroutines (default min(2, GOMAXPROCS)).
	EncoderConcurrency int
	// Now is the clock (default time.Now); tests pin it.
	Now func() time.Time
}

// Summary is what the writer tells once the bundle is complete.
type Summary struct {
	SHA256      string // of every byte written to the output, encryption included
	Bytes       int64  // bytes written to the output
	Entries     int
	Missing     int
	Checkpoints int
	KeyID       string
	PublicKey   string // minisign public key file text
	ChainHead   string
}

// Writer writes a bundle as a stream. It is safe for concurrent use: entries
// are written one at a time, in the order the calls take the lock.
type Writer struct {
	mu    sync.Mutex
	opts  Options
	out   *hashCounter
	enc   io.WriteCloser // age writer or nil
	zw    *zstd.Encoder
	tw    *tar.Writer
	err   error // sticky: the output failed
	chain [32]byte
	index int

	names   map[string]bool
	records []EntryRecord
	missing []MissingRecord

	pending        []EntryRecord
	pendingMissing []MissingRecord
	pendingBytes   int64
	lastCheckpoint time.Time
	checkpoints    int
	prevCheckpoint string

	sums   bytes.Buffer // SHA256SUMS lines, in stream order
	pubTxt []byte
	keyID  string
	closed bool
}

type hashCounter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *hashCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// NewWriter starts a bundle on out and writes its header and public key.
func NewWriter(out io.Writer, opts Options) (*Writer, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CheckpointBytes <= 0 {
		opts.CheckpointBytes = 4 << 20
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = 2 * time.Second
	}
	if opts.EncoderConcurrency <= 0 {
		opts.EncoderConcurrency = min(2, runtime.GOMAXPROCS(0))
	}
	if opts.EvidenceID == "" {
		return nil, errors.New("bundle: an evidence id is required")
	}
	pub, ok := opts.Key.Public().(minisign.PublicKey)
	if !ok || opts.Key.ID() == 0 {
		return nil, errors.New("bundle: a signing key is required")
	}
	pubTxt, _ := pub.MarshalText()
	w := &Writer{
		opts:           opts,
		out:            &hashCounter{w: out, h: sha256.New()},
		chain:          chainSeed,
		names:          map[string]bool{},
		pubTxt:         append(pubTxt, '\n'),
		keyID:          fmt.Sprintf("%016X", pub.ID()),
		lastCheckpoint: opts.Now(),
	}
	var zdst io.Writer = w.out
	if len(opts.Recipients) > 0 {
		enc, err := age.Encrypt(w.out, opts.Recipients...)
		if err != nil {
			return nil, fmt.Errorf("bundle: starting age encryption: %w", err)
		}
		w.enc = enc
		zdst = enc
	}
	zw, err := zstd.NewWriter(zdst,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithWindowSize(4<<20),
		zstd.WithEncoderConcurrency(opts.EncoderConcurrency),
		zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, fmt.Errorf("bundle: starting zstd: %w", err)
	}
	w.zw = zw
	w.tw = tar.NewWriter(zw)

	hdr := Header{
		Format:     FormatName,
		Version:    FormatVersion,
		Created:    opts.Now().UTC(),
		EvidenceID: opts.EvidenceID,
		CaseID:     opts.CaseID,
		Collector:  opts.Collector,
		PublicKey:  pub.String(),
		KeyID:      w.keyID,
		Ephemeral:  opts.Ephemeral,
	}
	hb, _ := json.MarshalIndent(hdr, "", "  ")
	if _, err := w.AddBytes(EntryMeta{Name: HeaderName, Source: SourceBundle}, append(hb, '\n')); err != nil {
		return nil, err
	}
	if _, err := w.AddBytes(EntryMeta{Name: PublicKeyName, Source: SourceBundle}, w.pubTxt); err != nil {
		return nil, err
	}
	if err := w.Checkpoint(); err != nil {
		return nil, err
	}
	return w, nil
}

// KeyID is the fingerprint of the signing key, as minisign prints it.
func (w *Writer) KeyID() string { return w.keyID }

// Err returns the output error that made the writer unusable, if any (a
// disk full, a closed pipe): a caller stops collecting on it.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// AddBytes adds an entry whose content is in memory.
func (w *Writer) AddBytes(meta EntryMeta, data []byte) (EntryRecord, error) {
	return w.Add(meta, bytes.NewReader(data), int64(len(data)))
}

// Add adds an entry of exactly size bytes read from r. If r ends early or
// fails, the rest is zero-filled and the record says so (Error, Truncated);
// if r holds more than size bytes, the record is marked Truncated. Read
// errors are recorded, not returned: the returned error is an output error
// (or a refused name), after which the writer is unusable.
func (w *Writer) Add(meta EntryMeta, r io.Reader, size int64) (EntryRecord, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return EntryRecord{}, w.err
	}
	if w.closed {
		return EntryRecord{}, errors.New("bundle: writer closed")
	}
	if err := ValidName(meta.Name); err != nil {
		return EntryRecord{}, fmt.Errorf("bundle: %w", err)
	}
	if w.names[meta.Name] || reservedName(meta.Name) && meta.Source != SourceBundle {
		return EntryRecord{}, fmt.Errorf("bundle: entry name %q already used or reserved", meta.Name)
	}
	if size < 0 {
		return EntryRecord{}, fmt.Errorf("bundle: negative size for %q", meta.Name)
	}
	if meta.ReadAt.IsZero() {
		meta.ReadAt = w.opts.Now()
	}
	mtime := meta.ReadAt
	if meta.Original != nil && !meta.Original.Mtime.IsZero() {
		mtime = meta.Original.Mtime
	}
	th := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     meta.Name,
		Size:     size,
		Mode:     0o644,
		ModTime:  mtime.UTC().Truncate(time.Second),
		Format:   tar.FormatPAX,
	}
	if len(meta.Name) <= 100 {
		th.Format = tar.FormatUSTAR
	}
	if th.ModTime.Before(time.Unix(0, 0)) || th.ModTime.Year() > 9999 {
		th.ModTime = meta.ReadAt.UTC().Truncate(time.Second)
	}
	if err := w.tw.WriteHeader(th); err != nil {
		w.err = fmt.Errorf("bundle: writing tar header for %q: %w", meta.Name, err)
		return EntryRecord{}, w.err
	}
	h := sha256.New()
	// io.Copy returns the first error of either side. An error of the
	// output (disk full, closed pipe) must end the bundle; an error of the
	// source (a vanished file, EIO) belongs in the entry's record. The
	// output is wrapped so the two are told apart.
	out := &outputWriter{w: w.tw}
	dst := io.MultiWriter(out, h)
	n, rerr := io.Copy(dst, io.LimitReader(r, size))
	if out.err != nil {
		w.err = fmt.Errorf("bundle: writing %q: %w", meta.Name, out.err)
		return EntryRecord{}, w.err
	}
	if n < size {
		if rerr == nil {
			rerr = io.ErrUnexpectedEOF
		}
		msg := fmt.Sprintf("read %d of %d bytes (%v); the remaining %d bytes are zero padding", n, size, rerr, size-n)
		meta.Error = joinErr(meta.Error, msg)
		meta.Truncated = true
		if _, err := io.Copy(dst, io.LimitReader(zeroReader{}, size-n)); err != nil {
			w.err = fmt.Errorf("bundle: padding %q: %w", meta.Name, err)
			return EntryRecord{}, w.err
		}
	} else if rerr != nil {
		meta.Error = joinErr(meta.Error, rerr.Error())
	} else if !meta.Truncated {
		var one [1]byte
		if k, _ := r.Read(one[:]); k > 0 {
			meta.Truncated = true
			meta.Note = joinErr(meta.Note, fmt.Sprintf("source held more than the %d bytes stored", size))
		}
	}
	if err := w.tw.Flush(); err != nil {
		w.err = fmt.Errorf("bundle: finishing %q: %w", meta.Name, err)
		return EntryRecord{}, w.err
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	rec := w.record(meta, size, sum)
	if err := w.maybeCheckpoint(); err != nil {
		return rec, err
	}
	return rec, nil
}

// AddMissing records something that could not be collected.
func (w *Writer) AddMissing(m MissingRecord) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if m.At.IsZero() {
		m.At = w.opts.Now().UTC()
	}
	m.HostPath, m.HostPathHex = hostPathFields(m.HostPath)
	w.missing = append(w.missing, m)
	w.pendingMissing = append(w.pendingMissing, m)
}

func (w *Writer) record(meta EntryMeta, size int64, sum [32]byte) EntryRecord {
	w.chain = nextChain(w.chain, w.index, meta.Name, size, sum, meta.Truncated)
	hp, hpHex := hostPathFields(meta.HostPath)
	rec := EntryRecord{
		Index:       w.index,
		Name:        meta.Name,
		HostPath:    hp,
		HostPathHex: hpHex,
		Source:      meta.Source,
		Size:        size,
		SHA256:      hexSum(sum),
		Truncated:   meta.Truncated,
		Error:       meta.Error,
		Note:        meta.Note,
		ReadAt:      meta.ReadAt.UTC(),
		Original:    meta.Original,
		Chain:       hexSum(w.chain),
	}
	w.index++
	w.names[meta.Name] = true
	w.records = append(w.records, rec)
	w.pending = append(w.pending, rec)
	w.pendingBytes += size
	fmt.Fprintf(&w.sums, "%s  %s\n", rec.SHA256, rec.Name)
	return rec
}

func (w *Writer) maybeCheckpoint() error {
	if w.pendingBytes >= w.opts.CheckpointBytes || w.opts.Now().Sub(w.lastCheckpoint) >= w.opts.CheckpointInterval {
		return w.checkpointLocked()
	}
	return nil
}

// Checkpoint writes a signed checkpoint now, if any entry is unsigned, and
// flushes the stream so that everything before it reaches the output.
func (w *Writer) Checkpoint() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.checkpointLocked()
}

func (w *Writer) checkpointLocked() error {
	if w.err != nil {
		return w.err
	}
	if len(w.pending) == 0 && len(w.pendingMissing) == 0 {
		return nil
	}
	w.checkpoints++
	cp := Checkpoint{
		Format:     FormatName,
		Version:    FormatVersion,
		EvidenceID: w.opts.EvidenceID,
		Seq:        w.checkpoints,
		Written:    w.opts.Now().UTC(),
		Prev:       w.prevCheckpoint,
		Entries:    w.pending,
		Missing:    w.pendingMissing,
		Chain:      hexSum(w.chain),
	}
	doc, _ := json.MarshalIndent(cp, "", "  ")
	doc = append(doc, '\n')
	name := fmt.Sprintf("%s%06d.json", CheckpointPrefix, cp.Seq)
	comment := fmt.Sprintf("cordon checkpoint %d evidence=%s chain=%s entries=%d", cp.Seq, commentSafe(w.opts.EvidenceID), cp.Chain, len(w.records))
	if err := w.writeSigned(name, doc, comment); err != nil {
		return err
	}
	sum := sha256.Sum256(doc)
	w.prevCheckpoint = hexSum(sum)
	w.pending = nil
	w.pendingMissing = nil
	w.pendingBytes = 0
	w.lastCheckpoint = w.opts.Now()
	if err := w.zw.Flush(); err != nil {
		w.err = fmt.Errorf("bundle: flushing: %w", err)
		return w.err
	}
	if f, ok := w.out.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			w.err = fmt.Errorf("bundle: flushing output: %w", err)
			return w.err
		}
	}
	return nil
}

// writeSigned writes a control member and its minisign signature. Control
// members are not chained; they are listed in SHA256SUMS.
func (w *Writer) writeSigned(name string, doc []byte, trustedComment string) error {
	sig := signHashed(w.opts.Key, doc, trustedComment)
	if err := w.writeControl(name, doc); err != nil {
		return err
	}
	return w.writeControl(name+SigSuffix, sig)
}

func (w *Writer) writeControl(name string, data []byte) error {
	th := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: 0o644,
		ModTime: w.opts.Now().UTC().Truncate(time.Second), Format: tar.FormatUSTAR}
	if err := w.tw.WriteHeader(th); err != nil {
		w.err = fmt.Errorf("bundle: writing %s: %w", name, err)
		return w.err
	}
	if _, err := w.tw.Write(data); err != nil {
		w.err = fmt.Errorf("bundle: writing %s: %w", name, err)
		return w.err
	}
	if err := w.tw.Flush(); err != nil {
		w.err = fmt.Errorf("bundle: writing %s: %w", name, err)
		return w.err
	}
	if name != SumsName && name != SumsName+SigSuffix {
		fmt.Fprintf(&w.sums, "%x  %s\n", sha256.Sum256(data), name)
	}
	return nil
}

// Close writes the last checkpoint, manifest.json, SHA256SUMS and their
// signatures, and ends the stream. It does not close out.
func (w *Writer) Close(c Custody) (Summary, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Summary{}, errors.New("bundle: writer already closed")
	}
	w.closed = true
	if err := w.checkpointLocked(); err != nil {
		return Summary{}, err
	}
	if c.EvidenceID == "" {
		c.EvidenceID = w.opts.EvidenceID
	}
	if c.Errors == nil {
		c.Errors = []ErrorRecord{}
	}
	m := Manifest{
		Format:      FormatName,
		Version:     FormatVersion,
		Custody:     c,
		Started:     w.records[0].ReadAt,
		Finished:    w.opts.Now().UTC(),
		Entries:     w.records,
		Missing:     w.missing,
		Checkpoints: w.checkpoints,
		ChainHead:   hexSum(w.chain),
	}
	if m.Missing == nil {
		m.Missing = []MissingRecord{}
	}
	m.Header = w.header()
	doc, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Summary{}, fmt.Errorf("bundle: encoding manifest: %w", err)
	}
	doc = append(doc, '\n')
	comment := fmt.Sprintf("cordon manifest evidence=%s chain=%s entries=%d checkpoints=%d", commentSafe(w.opts.EvidenceID), m.ChainHead, len(w.records), w.checkpoints)
	if err := w.writeSigned(ManifestName, doc, comment); err != nil {
		return Summary{}, err
	}
	sums := w.sums.Bytes()
	if err := w.writeSigned(SumsName, sums, fmt.Sprintf("cordon SHA256SUMS evidence=%s", commentSafe(w.opts.EvidenceID))); err != nil {
		return Summary{}, err
	}
	if err := w.tw.Close(); err != nil {
		return Summary{}, fmt.Errorf("bundle: closing tar: %w", err)
	}
	if err := w.zw.Close(); err != nil {
		return Summary{}, fmt.Errorf("bundle: closing zstd: %w", err)
	}
	if w.enc != nil {
		if err := w.enc.Close(); err != nil {
			return Summary{}, fmt.Errorf("bundle: closing age: %w", err)
		}
	}
	if f, ok := w.out.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return Summary{}, fmt.Errorf("bundle: flushing output: %w", err)
		}
	}
	return Summary{
		SHA256:      fmt.Sprintf("%x", w.out.h.Sum(nil)),
		Bytes:       w.out.n,
		Entries:     len(w.records),
		Missing:     len(w.missing),
		Checkpoints: w.checkpoints,
		KeyID:       w.keyID,
		PublicKey:   string(w.pubTxt),
		ChainHead:   m.ChainHead,
	}, nil
}

func (w *Writer) header() Header {
	pub := w.opts.Key.Public().(minisign.PublicKey)
	return Header{Format: FormatName, Version: FormatVersion, Created: w.records[0].ReadAt,
		EvidenceID: w.opts.EvidenceID, CaseID: w.opts.CaseID, Collector: w.opts.Collector,
		PublicKey: pub.String(), KeyID: w.keyID, Ephemeral: w.opts.Ephemeral}
}

// outputWriter remembers the error of the bundle's output, so that Add can
// tell it from an error of the evidence being read.
type outputWriter struct {
	w   io.Writer
	err error
}

func (o *outputWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	o.err = err
	return n, err
}

func reservedName(name string) bool {
	return strings.HasPrefix(name, "cordon/") || name == ManifestName || name == SumsName ||
		name == ManifestName+SigSuffix || name == SumsName+SigSuffix
}

// signHashed makes a minisign signature of the prehashed (BLAKE2b-512) kind
// that minisign 0.10 and later make by default.
func signHashed(key minisign.PrivateKey, doc []byte, trustedComment string) []byte {
	r := minisign.NewReader(bytes.NewReader(doc))
	_, _ = io.Copy(io.Discard, r)
	return r.SignWithComments(key, trustedComment, "signature from cordon key "+fmt.Sprintf("%016X", key.ID()))
}

// commentSafe keeps a trusted comment on one printable line.
func commentSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			b.WriteByte('?')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
