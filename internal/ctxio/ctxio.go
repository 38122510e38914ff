// Package ctxio makes long reads stop when their context ends: a reader
// that fails its next Read with the context's error, so that a pass over a
// multi-gigabyte bundle stops within one read of an interrupt.
package ctxio

import (
	"context"
	"io"
)

// Reader returns r, failing every Read once ctx is done.
func Reader(ctx context.Context, r io.Reader) io.Reader { return &reader{ctx: ctx, r: r} }

type reader struct {
	ctx context.Context
	r   io.Reader
}

func (c *reader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
