// Package eventstore holds the full events of one analyzed bundle, apart
// from the index (which keeps only what a search needs), and puts them in
// time order with bounded memory first (sorter.go).
package eventstore

// store.go holds the full events of one analyzed bundle, apart from
// the index (which keeps only what a search needs): events.jsonl.zst, the
// events as ECS JSON lines sorted by time, in independent zstd frames of
// storeFrameEvents events, and frames.json, where each frame starts. An
// event's number in this file is its Bleve document id, so a search hit
// costs the decompression of one small frame.
//
// Concatenated zstd frames are one valid zstd stream (RFC 8878, section 3.1):
// `zstd -dc events.jsonl.zst | jq` reads the whole timeline without Cordon.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/klauspost/compress/zstd"
)

const (
	// EventsFile and FramesFile are the store's two files in a bundle's directory.
	EventsFile = eventsFile
	FramesFile = framesFile

	eventsFile       = "events.jsonl.zst"
	framesFile       = "frames.json"
	storeFrameEvents = 256
	// storeFrameBytes closes a frame early when its events are large.
	storeFrameBytes = 1 << 20
	// MaxLine bounds one stored event (the writer refuses larger ones:
	// parsers bound their fields well below it).
	MaxLine = 4 << 20
)

// FrameInfo locates one zstd frame of events.jsonl.zst.
type FrameInfo struct {
	Offset int64 `json:"offset"`
	Length int64 `json:"length"`
	Raw    int64 `json:"raw"`   // decompressed size
	First  int64 `json:"first"` // number of its first event
	Count  int   `json:"count"`
	Start  int64 `json:"start"` // time of its first and last events, Unix ns
	End    int64 `json:"end"`
}

type framesDoc struct {
	Events int64       `json:"events"`
	Frames []FrameInfo `json:"frames"`
}

// Writer writes events.jsonl.zst and frames.json.
type Writer struct {
	dir    string
	f      *os.File
	enc    *zstd.Encoder
	off    int64
	buf    []byte
	out    []byte
	cur    FrameInfo
	n      int64
	frames []FrameInfo
}

func NewWriter(dir string) (*Writer, error) {
	f, err := os.OpenFile(filepath.Join(dir, eventsFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Writer{dir: dir, f: f, enc: enc}, nil
}

// Add appends one event (its JSON, without newline) at time t (Unix ns) and
// returns its number. Events must come in time order.
func (w *Writer) Add(line []byte, t int64) (int64, error) {
	if len(line) > MaxLine {
		return 0, fmt.Errorf("event of %d bytes is larger than the %d stored", len(line), MaxLine)
	}
	if bytes.IndexByte(line, '\n') >= 0 {
		return 0, errors.New("event JSON holds a newline")
	}
	if w.cur.Count == 0 {
		w.cur = FrameInfo{First: w.n, Start: t}
	}
	w.buf = append(w.buf, line...)
	w.buf = append(w.buf, '\n')
	w.cur.Count++
	w.cur.End = t
	n := w.n
	w.n++
	if w.cur.Count >= storeFrameEvents || len(w.buf) >= storeFrameBytes {
		if err := w.flush(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func (w *Writer) flush() error {
	if w.cur.Count == 0 {
		return nil
	}
	w.out = w.enc.EncodeAll(w.buf, w.out[:0])
	if _, err := w.f.Write(w.out); err != nil {
		return fmt.Errorf("writing events: %w", err)
	}
	w.cur.Offset, w.cur.Length, w.cur.Raw = w.off, int64(len(w.out)), int64(len(w.buf))
	w.off += int64(len(w.out))
	w.frames = append(w.frames, w.cur)
	w.cur = FrameInfo{}
	w.buf = w.buf[:0]
	return nil
}

// Close writes the last frame and frames.json, and syncs both.
func (w *Writer) Close() error {
	err := w.flush()
	if serr := w.f.Sync(); err == nil {
		err = serr
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.enc.Close()
	if err != nil {
		return err
	}
	doc, err := json.Marshal(framesDoc{Events: w.n, Frames: w.frames})
	if err != nil {
		return err
	}
	return WriteFileSync(filepath.Join(w.dir, framesFile), doc)
}

// Store reads events.jsonl.zst by frame.
type Store struct {
	f      *os.File
	dec    *zstd.Decoder
	frames []FrameInfo
	events int64
}

func Open(dir string) (*Store, error) {
	data, err := os.ReadFile(filepath.Join(dir, framesFile))
	if err != nil {
		return nil, err
	}
	var doc framesDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", framesFile, err)
	}
	f, err := os.Open(filepath.Join(dir, eventsFile))
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(2*storeFrameBytes+MaxLine))
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Store{f: f, dec: dec, frames: doc.Frames, events: doc.Events}, nil
}

func (s *Store) Close() error {
	s.dec.Close()
	return s.f.Close()
}

// Frame returns the decompressed lines of frame i.
func (s *Store) Frame(i int, buf []byte) ([][]byte, []byte, error) {
	fi := s.frames[i]
	if fi.Length <= 0 || fi.Length > 2*storeFrameBytes+MaxLine {
		return nil, buf, fmt.Errorf("frame %d: bad length %d", i, fi.Length)
	}
	comp := make([]byte, fi.Length)
	if _, err := s.f.ReadAt(comp, fi.Offset); err != nil && !(errors.Is(err, io.EOF) && len(comp) == int(fi.Length)) {
		return nil, buf, fmt.Errorf("reading frame %d: %w", i, err)
	}
	raw, err := s.dec.DecodeAll(comp, buf[:0])
	if err != nil {
		return nil, buf, fmt.Errorf("frame %d: %w", i, err)
	}
	lines := bytes.SplitAfter(raw, []byte{'\n'})
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	if len(lines) != fi.Count {
		return nil, raw, fmt.Errorf("frame %d holds %d events, frames.json says %d", i, len(lines), fi.Count)
	}
	return lines, raw, nil
}

// Len returns the number of events in the store.
func (s *Store) Len() int64 { return s.events }

// Frames returns where each frame starts and what it holds.
func (s *Store) Frames() []FrameInfo { return s.frames }

// FrameOf returns the frame holding event number n.
func (s *Store) FrameOf(n int64) int {
	i := sort.Search(len(s.frames), func(i int) bool { return s.frames[i].First+int64(s.frames[i].Count) > n })
	return i
}

// FrameFrom returns the first frame that may hold an event at or after t.
func (s *Store) FrameFrom(t int64) int {
	return sort.Search(len(s.frames), func(i int) bool { return s.frames[i].End >= t })
}

// WriteFileSync writes a new file and syncs it.
func WriteFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Nanos is t in Unix nanoseconds, clamped to int64 (Go leaves UnixNano
// undefined outside 1678-2262; evidence holds such times).
func Nanos(t time.Time) int64 {
	switch {
	case t.Before(minNanoTime):
		return math.MinInt64
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// FrameReader reads events by number, keeping the last frame it
// decompressed (consecutive numbers cost one decompression a frame).
type FrameReader struct {
	store *Store
	idx   int
	lines [][]byte
	raw   []byte
}

// Line returns the JSON of event number n of s. The slice is valid until
// the next call.
func (fr *FrameReader) Line(s *Store, n int64) ([]byte, error) {
	i := s.FrameOf(n)
	if n < 0 || i >= len(s.frames) {
		return nil, fmt.Errorf("event %d is not in the store (%d events)", n, s.events)
	}
	if err := fr.load(s, i); err != nil {
		return nil, err
	}
	return fr.lines[n-s.frames[i].First], nil
}

// FrameLines returns the lines of frame i of s (valid until the next call).
func (fr *FrameReader) FrameLines(s *Store, i int) ([][]byte, error) {
	if err := fr.load(s, i); err != nil {
		return nil, err
	}
	return fr.lines, nil
}

func (fr *FrameReader) load(s *Store, i int) error {
	if fr.store == s && fr.idx == i && fr.lines != nil {
		return nil
	}
	lines, raw, err := s.Frame(i, fr.raw)
	fr.raw = raw
	if err != nil {
		fr.lines = nil
		return err
	}
	fr.store, fr.idx, fr.lines = s, i, lines
	return nil
}
