package parsers

import (
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/dockerlog"
	"github.com/cordon-forensics/cordon/timeline"
)

// Docker json-file container logs (collector source "logs"):
// fs/var/lib/docker/containers/<id>/<id>-json.log and its rotations
// (.1, .2, …; .gz when the daemon compresses them), one event a line.
func init() {
	Register(Parser{
		Name: "docker",
		Match: func(e bundle.EntryRecord) bool {
			return strings.HasPrefix(e.Name, bundle.FileEntry("/var/lib/docker/containers/")) && strings.Contains(path.Base(e.Name), "-json.log")
		},
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			r, done, err := maybeGunzip(r, o, emit)
			if err != nil {
				return err
			}
			defer done()
			return dockerlog.Parse(r, o, emit.Event, emit.Warn)
		},
	})
}

// maxGunzipped bounds what a compressed rotated log may expand to.
const maxGunzipped = 4 << 30

// maybeGunzip returns a reader of the decompressed bytes of a ".gz" entry
// (bounded by maxGunzipped: the rest is a warning), else r itself. Event
// offsets of a compressed entry are offsets in the decompressed stream,
// which the warning of a gz entry does not change: the entry's hash still
// covers the compressed bytes as signed.
func maybeGunzip(r io.Reader, o timeline.Origin, emit Emit) (io.Reader, func(), error) {
	if !strings.HasSuffix(o.Entry, ".gz") {
		return r, func() {}, nil
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("gzip: %w", err)
	}
	zr.Multistream(true)
	lr := &limitWarn{r: zr, n: maxGunzipped, warn: func() {
		emit.Warn(timeline.Warning{Entry: o.Entry, Offset: maxGunzipped,
			Message: fmt.Sprintf("decompressed content over %d bytes: the rest is not read", maxGunzipped)})
	}}
	return lr, func() { zr.Close() }, nil
}

// limitWarn is an io.LimitReader that says when it cut.
type limitWarn struct {
	r    io.Reader
	n    int64
	warn func()
	done bool
}

func (l *limitWarn) Read(p []byte) (int, error) {
	if l.n <= 0 {
		if !l.done {
			l.done = true
			var one [1]byte
			if k, _ := l.r.Read(one[:]); k > 0 {
				l.warn()
			}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}
