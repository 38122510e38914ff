package collector

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// A walk stopped at a bound of its own (here the file count) is not "ok":
// the bundle is partial there, and the status says where it stopped.
func TestWalkStoppedAtItsBoundIsPartial(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"tmp", "etc"} {
		for i := range 5 {
			p := filepath.Join(root, d, "f"+string(rune('a'+i)))
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("x"), 0o644)
		}
	}
	for _, c := range []struct {
		max    int
		status bundle.SourceOutcome
	}{{1000, bundle.SourceOK}, {3, bundle.SourcePartial}} {
		opts := rootOptions(root)
		opts.TimelineRoots = []string{"/tmp", "/etc"}
		opts.TimelineMaxFiles = c.max
		st := collectTo(t, io.Discard, opts, "filetimeline").Sources
		if len(st) != 1 || st[0].Status != c.status {
			t.Fatalf("max %d files: %+v, want %s", c.max, st, c.status)
		}
		if c.status == bundle.SourcePartial && !strings.Contains(st[0].Detail, "max files (3) reached") {
			t.Errorf("the detail does not say where the walk stopped: %q", st[0].Detail)
		}
	}
}
