package collector

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

// filesBenchTree makes a tree of n small files under dir/tmp (100 files a
// directory, 30 directories a level) and returns the root.
func filesBenchTree(b *testing.B, n int) string {
	b.Helper()
	root := filepath.Join(b.TempDir(), "root")
	for i := 0; i < n; i++ {
		d := filepath.Join(root, "tmp", fmt.Sprintf("d%03d", i/3000), fmt.Sprintf("e%02d", i/100%30))
		if i%100 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d.txt", i)), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

// BenchmarkFileTimeline300k measures the file timeline over 300,000 files
// (written into a real bundle: JSONL, bodyfile, zstd, hashes) and GNU find
// -printf with inode, mode, owner, size and times over the same tree, as
// the yardstick. Both run on a warm cache (the tree was just written).
func BenchmarkFileTimeline300k(b *testing.B) {
	find := testenv.NeedTool(b, "find")
	const n = 300_000
	root := filesBenchTree(b, n)
	opts := rootOptions(root)
	opts.TimelineRoots = []string{"/tmp"}
	opts.SuspectDirs = []string{"/nonexistent"} // measure the walk, not hashing
	opts.TimelineMaxFiles = 2 * n
	opts.TimelineBudget = 10 * time.Minute
	var findTime, ourTime time.Duration
	records := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		cmd := exec.Command(find, filepath.Join(root, "tmp"), "-printf", "%i %M %u %g %s %A@ %T@ %C@ %B@ %p %l\n")
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		findTime += time.Since(t0)

		t0 = time.Now()
		st := collectTo(b, io.Discard, opts, "filetimeline").Sources
		ourTime += time.Since(t0)
		if len(st) != 1 || st[0].Status != "ok" {
			b.Fatalf("file timeline: %+v", st)
		}
		records = st[0].Entries
	}
	b.StopTimer()
	files := float64(n + n/100 + n/3000 + 1) // files, directories and the root
	b.ReportMetric(files*float64(b.N)/ourTime.Seconds(), "files/s")
	b.ReportMetric(files*float64(b.N)/findTime.Seconds(), "find-files/s")
	b.ReportMetric(float64(records), "entries")
}
