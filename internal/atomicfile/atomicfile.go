// Package atomicfile replaces a file whole or not at all: the data goes
// to a temporary file beside it, synced, then renamed over it, so a reader
// (or a crash, or an interrupt) sees the old file or the new one, never
// half of one.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data (mode 0600 on a new file: cases hold evidence).
func Write(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if serr := tmp.Sync(); err == nil {
		err = serr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
