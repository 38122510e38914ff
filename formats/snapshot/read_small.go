package snapshot

import (
	"encoding/json"
	"fmt"
	"io"
)

// readSmallJSON reads one JSON document of at most max bytes into v: a
// larger one is refused whole, never cut and half read.
func readSmallJSON(r io.Reader, max int64, what string, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if int64(len(b)) > max {
		return fmt.Errorf("%s larger than %d bytes: not read", what, max)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
