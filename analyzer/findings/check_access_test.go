package findings

import (
	"testing"
	"unsafe"
)

// A brute force of millions of lines is held whole until the end: each
// attempt must stay small.
func TestBruteForceAttemptIsSmall(t *testing.T) {
	if n := unsafe.Sizeof(bfAttempt{}); n > 32 {
		t.Errorf("bfAttempt is %d bytes, want at most 32", n)
	}
}
