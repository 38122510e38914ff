package elfdiff

import (
	"bytes"
	"testing"
)

// FuzzCompare parses hostile bytes as ELF and compares them with a real
// build and with themselves: no panic, no unbounded work.
func FuzzCompare(f *testing.F) {
	for _, name := range []string{"trusted.elf", "tampered.elf", "tampered-stripped.elf", "lib.so"} {
		f.Add(seed(f, name))
	}
	tb := seed(f, "trusted.elf")
	trusted, err := Parse(bytes.NewReader(tb), int64(len(tb)), Limits{})
	if err != nil {
		f.Fatal(err)
	}
	lim := DefaultLimits
	lim.MaxSectionSize, lim.MaxKept, lim.MaxSymbols = 1<<20, 4<<20, 1<<14
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Parse(bytes.NewReader(b), int64(len(b)), lim)
		if err != nil {
			return
		}
		_ = Compare(trusted, g).Summary()
		_ = Compare(g, trusted).Summary()
		_ = Compare(g, g)
	})
}
