package textio

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// SpoolInMemory is how much of a stream Rewind keeps in memory before it
// spills the rest to a temporary file.
const SpoolInMemory = 16 << 20

// Rewinder reads a stream twice: a parser that must see a whole file
// before it can say anything about its first line (the years of a syslog
// file) reads it, calls Again, and reads it once more.
type Rewinder struct {
	r      io.Reader
	seeker io.Seeker // r itself, when it can seek
	start  int64

	// spooling: the first pass copies what it reads into mem, then into file
	mem    bytes.Buffer
	file   *os.File
	second io.Reader
	err    error
}

// Rewind returns a Rewinder over r. An io.ReadSeeker (a file, a
// strings.Reader) is read twice in place; any other reader is copied as
// it is read, the first SpoolInMemory bytes in memory and the rest in a
// temporary file that is unlinked as soon as it is made (nothing is left
// behind, whatever happens).
func Rewind(r io.Reader) (*Rewinder, error) {
	if s, ok := r.(io.ReadSeeker); ok {
		if off, err := s.Seek(0, io.SeekCurrent); err == nil {
			return &Rewinder{r: r, seeker: s, start: off}, nil
		}
	}
	return &Rewinder{r: r}, nil
}

// Read reads the current pass.
func (w *Rewinder) Read(p []byte) (int, error) {
	if w.second != nil {
		return w.second.Read(p)
	}
	n, err := w.r.Read(p)
	if n > 0 && w.seeker == nil && w.err == nil {
		w.err = w.keep(p[:n])
	}
	if err == io.EOF && w.err != nil {
		return n, w.err
	}
	return n, err
}

// keep spools bytes of the first pass.
func (w *Rewinder) keep(b []byte) error {
	if w.file == nil && w.mem.Len()+len(b) <= SpoolInMemory {
		w.mem.Write(b)
		return nil
	}
	if w.file == nil {
		f, err := os.CreateTemp("", "cordon-spool-*")
		if err != nil {
			return fmt.Errorf("spooling a log to read it twice: %w", err)
		}
		os.Remove(f.Name()) // unlinked: gone when closed
		w.file = f
	}
	if _, err := w.file.Write(b); err != nil {
		return fmt.Errorf("spooling a log to read it twice: %w", err)
	}
	return nil
}

// Again starts the second pass, from where the first began. The first pass
// must have read to the end.
func (w *Rewinder) Again() error {
	if w.err != nil {
		return w.err
	}
	if w.seeker != nil {
		_, err := w.seeker.Seek(w.start, io.SeekStart)
		return err
	}
	if w.file != nil {
		if _, err := w.file.Seek(0, io.SeekStart); err != nil {
			return err
		}
		w.second = io.MultiReader(bytes.NewReader(w.mem.Bytes()), w.file)
		return nil
	}
	w.second = bytes.NewReader(w.mem.Bytes())
	return nil
}

// Close frees the spool.
func (w *Rewinder) Close() error {
	w.mem = bytes.Buffer{}
	if w.file != nil {
		err := w.file.Close()
		w.file = nil
		return err
	}
	return nil
}
