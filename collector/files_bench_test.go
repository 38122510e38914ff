package collector

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// filesBenchTree makes a tree of n empty files under dir/tmp (100 files a
// directory, 30 directories a level) and returns the root. Empty files
// take inodes, not blocks: a million of them fit any test disk.
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
		f, err := os.OpenFile(filepath.Join(d, fmt.Sprintf("f%07d.txt", i)), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	return root
}

// BenchmarkFileTimeline measures the file timeline over 300,000 and
// 1,000,000 files: the collection runs in a child process (the benchmark's
// own memory is not the collector's), writing a real bundle (JSONL,
// bodyfile, zstd, hashes) to /dev/null, and its peak RSS is reported from
// getrusage. GNU find -printf with inode, mode, owner, size and times over
// the same tree is the yardstick. Both run on a warm cache (the tree was
// just written). CORDON_BENCH_FILES overrides the sizes (comma-separated).
func BenchmarkFileTimeline(b *testing.B) {
	find := testenv.NeedTool(b, "find")
	sizes := []int{300_000, 1_000_000}
	if v := os.Getenv("CORDON_BENCH_FILES"); v != "" {
		sizes = nil
		for _, s := range splitComma(v) {
			n, err := strconv.Atoi(s)
			if err != nil {
				b.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			root := filesBenchTree(b, n)
			files := float64(n + n/100 + (n+2999)/3000 + 1) // files, directories and the root
			var findTime, ourTime time.Duration
			var peak int64
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
				c := exec.Command(self, "-test.run=^TestFileTimelineChild$", "-test.count=1")
				c.Env = append(os.Environ(), "CORDON_TIMELINE_CHILD_ROOT="+root, "CORDON_TIMELINE_CHILD_FILES="+strconv.Itoa(n))
				if out, err := c.CombinedOutput(); err != nil {
					b.Fatalf("collection: %v\n%s", err, out)
				}
				ourTime += time.Since(t0)
				peak = max(peak, c.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
			}
			b.StopTimer()
			b.ReportMetric(files*float64(b.N)/ourTime.Seconds(), "files/s")
			b.ReportMetric(files*float64(b.N)/findTime.Seconds(), "find-files/s")
			b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
		})
	}
}

// TestFileTimelineChild is the collection BenchmarkFileTimeline runs in a
// process of its own; it does nothing when run directly.
func TestFileTimelineChild(t *testing.T) {
	root := os.Getenv("CORDON_TIMELINE_CHILD_ROOT")
	if root == "" {
		t.Skip("run by BenchmarkFileTimeline")
	}
	n, _ := strconv.Atoi(os.Getenv("CORDON_TIMELINE_CHILD_FILES"))
	ApplyMemoryLimit()
	opts := rootOptions(root)
	opts.TimelineRoots = []string{"/tmp"}
	opts.SuspectDirs = []string{"/nonexistent"} // measure the walk, not hashing
	opts.TimelineMaxFiles = 2 * n
	opts.TimelineBudget = 30 * time.Minute
	st := collectTo(t, io.Discard, opts, "filetimeline").Sources
	if len(st) != 1 || st[0].Status != bundle.SourceOK {
		t.Fatalf("file timeline: %+v", st)
	}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
