package snapshot

import "testing"

// The entry names the collector writes are read back to the PID and kind
// the analyzer joins on; anything else is not a process image.
func TestParseImageEntry(t *testing.T) {
	for _, tc := range []struct {
		name string
		pid  int64
		kind ImageKind
		ok   bool
	}{
		{CoreEntry(12), 12, ImageCore, true},
		{ExeEntry(12), 12, ImageExe, true},
		{FDEntry(12, 3), 12, ImageFD, true},
		{MapsEntry(12), 0, "", false},
		{"fs/tmp/12/core", 0, "", false},
		{"memory/x/core", 0, "", false},
		{"memory/-1/core", 0, "", false},
		{"proc/12/fd/x", 0, "", false},
		{"memory/99999999999999999999/core", 0, "", false},
	} {
		pid, kind, ok := ParseImageEntry(tc.name)
		if pid != tc.pid || kind != tc.kind || ok != tc.ok {
			t.Errorf("ParseImageEntry(%q) = %d, %q, %v; want %d, %q, %v", tc.name, pid, kind, ok, tc.pid, tc.kind, tc.ok)
		}
	}
}
