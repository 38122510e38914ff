package eventstore

// sorter.go puts a bundle's events in time order with bounded memory: the
// parsers emit events in the order of their artifacts, a capture or a file
// timeline can hold millions, and the event store and the index want them
// sorted. Events (as JSON) are held up to a memory budget, sorted and
// spilled to zstd-compressed run files in the bundle's build directory; the
// runs are then merged. The sort key makes the order deterministic: time,
// then the entry's place in the bundle, the parser, the order of emission.

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/klauspost/compress/zstd"
)

// DefaultSortMemory is the JSON held in memory before a run is spilled.
const DefaultSortMemory = 128 << 20

// Key orders events: time, then the entry, the parser, the emission.
type Key struct {
	T      int64  // Unix ns, clamped (Nanos)
	Entry  uint32 // the entry's place in the bundle
	Parser uint16 // the parser's place among those of the entry
	N      uint64 // order of emission by that parser on that entry
}

// Compare is -1, 0 or +1 as a sorts before, with or after b.
func (a Key) Compare(b Key) int {
	switch {
	case a.T != b.T:
		return cmpInt(a.T, b.T)
	case a.Entry != b.Entry:
		return cmpInt(a.Entry, b.Entry)
	case a.Parser != b.Parser:
		return cmpInt(a.Parser, b.Parser)
	}
	return cmpInt(a.N, b.N)
}

func cmpInt[T int64 | uint64 | uint32 | uint16](a, b T) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

type sortRec struct {
	k   Key
	off int
	len int
}

// Sorter sorts JSON events by key, spilling sorted runs to its directory.
type Sorter struct {
	dir    string
	limit  int
	arena  []byte
	recs   []sortRec
	runs   []string
	count  int64
	merged bool
}

func NewSorter(dir string, limit int) *Sorter {
	if limit <= 0 {
		limit = DefaultSortMemory
	}
	return &Sorter{dir: dir, limit: limit}
}

// Add holds one event's JSON (copied).
func (s *Sorter) Add(k Key, js []byte) error {
	if s.arena == nil {
		// one allocation: a spill happens before an event could overflow it
		s.arena = make([]byte, 0, s.limit+MaxLine)
	}
	s.recs = append(s.recs, sortRec{k: k, off: len(s.arena), len: len(js)})
	s.arena = append(s.arena, js...)
	s.count++
	if len(s.arena) >= s.limit {
		return s.spill()
	}
	return nil
}

func (s *Sorter) sortRecs() {
	slices.SortFunc(s.recs, func(a, b sortRec) int { return a.k.Compare(b.k) })
}

const runHeader = 8 + 4 + 2 + 8 + 4

// spill writes the held events, sorted, to a new run file.
func (s *Sorter) spill() error {
	if len(s.recs) == 0 {
		return nil
	}
	s.sortRecs()
	path := filepath.Join(s.dir, fmt.Sprintf("run-%04d.zst", len(s.runs)))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
	if err != nil {
		f.Close()
		return err
	}
	bw := bufio.NewWriterSize(zw, 256<<10)
	var hdr [runHeader]byte
	for _, r := range s.recs {
		binary.LittleEndian.PutUint64(hdr[0:], uint64(r.k.T))
		binary.LittleEndian.PutUint32(hdr[8:], r.k.Entry)
		binary.LittleEndian.PutUint16(hdr[12:], r.k.Parser)
		binary.LittleEndian.PutUint64(hdr[14:], r.k.N)
		binary.LittleEndian.PutUint32(hdr[22:], uint32(r.len))
		bw.Write(hdr[:])
		bw.Write(s.arena[r.off : r.off+r.len])
	}
	err = bw.Flush()
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spilling sorted events: %w", err)
	}
	s.runs = append(s.runs, path)
	s.recs = s.recs[:0]
	s.arena = s.arena[:0]
	return nil
}

// Merge calls fn with every event in key order. fn must not keep js.
func (s *Sorter) Merge(fn func(js []byte, t int64) error) error {
	if s.merged {
		return errors.New("sorter merged twice")
	}
	s.merged = true
	if len(s.runs) == 0 {
		s.sortRecs()
		for _, r := range s.recs {
			if err := fn(s.arena[r.off:r.off+r.len], r.k.T); err != nil {
				return err
			}
		}
		s.recs, s.arena = nil, nil
		return nil
	}
	// The runs are read back in order: the arena is no longer needed.
	if err := s.spill(); err != nil {
		return err
	}
	s.recs, s.arena = nil, nil
	h := runHeap{}
	defer func() {
		for _, r := range h {
			r.close()
		}
	}()
	for _, p := range s.runs {
		r, err := openRun(p)
		if err != nil {
			return err
		}
		ok, err := r.next()
		if err != nil {
			r.close()
			return err
		}
		if ok {
			h = append(h, r)
		} else {
			r.close()
		}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		r := h[0]
		if err := fn(r.js, r.k.T); err != nil {
			return err
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h).(*runReader).close()
		}
	}
	return nil
}

// Count returns the number of events added.
func (s *Sorter) Count() int64 { return s.count }

// Remove deletes the run files.
func (s *Sorter) Remove() {
	for _, p := range s.runs {
		os.Remove(p)
	}
}

type runReader struct {
	f  *os.File
	zr *zstd.Decoder
	br *bufio.Reader
	k  Key
	js []byte
}

func openRun(path string) (*runReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(8<<20))
	if err != nil {
		f.Close()
		return nil, err
	}
	return &runReader{f: f, zr: zr, br: bufio.NewReaderSize(zr, 256<<10)}, nil
}

func (r *runReader) next() (bool, error) {
	var hdr [runHeader]byte
	if _, err := io.ReadFull(r.br, hdr[:]); err != nil {
		if err == io.EOF {
			return false, nil
		}
		return false, fmt.Errorf("reading sorted run: %w", err)
	}
	r.k = Key{
		T:      int64(binary.LittleEndian.Uint64(hdr[0:])),
		Entry:  binary.LittleEndian.Uint32(hdr[8:]),
		Parser: binary.LittleEndian.Uint16(hdr[12:]),
		N:      binary.LittleEndian.Uint64(hdr[14:]),
	}
	n := int(binary.LittleEndian.Uint32(hdr[22:]))
	if n > MaxLine {
		return false, fmt.Errorf("sorted run: record of %d bytes", n)
	}
	if cap(r.js) < n {
		r.js = make([]byte, n)
	}
	r.js = r.js[:n]
	if _, err := io.ReadFull(r.br, r.js); err != nil {
		return false, fmt.Errorf("reading sorted run: %w", err)
	}
	return true, nil
}

func (r *runReader) close() {
	r.zr.Close()
	r.f.Close()
}

type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return h[i].k.Compare(h[j].k) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
