package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func isControlName(name string) bool {
	return strings.HasPrefix(name, bundle.CheckpointPrefix) || name == bundle.ManifestName ||
		name == bundle.SumsName || strings.HasSuffix(name, bundle.SigSuffix)
}

// fsWalk calls fn with the slash-separated name of every regular file under root.
func fsWalk(root *os.Root, fn func(name string)) error {
	return fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			fn(p)
		}
		return nil
	})
}
