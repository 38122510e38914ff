package parsers

import (
	"fmt"
	"io"

	"github.com/cordon-forensics/cordon/timeline"
)

// Run runs a parser; a panic (a parser bug met by hostile bytes) is
// an error for that entry, never the end of the analysis.
func Run(p Parser, r io.Reader, o timeline.Origin, emit Emit) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("parser panicked: %v", x)
		}
	}()
	return p.Parse(r, o, emit)
}
