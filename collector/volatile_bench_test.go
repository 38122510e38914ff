package collector

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

// BenchmarkVolatileCollect measures a whole volatile collection (network
// state, processes with the hidden-PID probe, sockets, executables, memory,
// host facts) with 100, 1,000 and 3,000 sleeping processes on the host and
// one suspect process of 256 MiB whose binary and memory are dumped. Each
// collection runs in a child process, so that its peak RSS (reported as
// peak-RSS-MiB, from getrusage) is the collector's alone.
func BenchmarkVolatileCollect(b *testing.B) {
	testenv.NeedRoot(b)
	sleep := testenv.NeedTool(b, "sleep")
	helper := helperBinary(b)
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "mysql")
	data, _ := os.ReadFile(helper)
	os.WriteFile(bin, data, 0o755)
	suspect, _ := startReady(b, bin, "alloc", "256")
	os.Remove(bin)
	for _, n := range []int{100, 1000, 3000} {
		b.Run(fmt.Sprintf("procs=%d", n), func(b *testing.B) {
			var cmds []*exec.Cmd
			defer func() {
				for _, c := range cmds {
					c.Process.Kill()
					c.Wait()
				}
			}()
			for i := 0; i < n; i++ {
				c := exec.Command(sleep, "3600")
				if err := c.Start(); err != nil {
					b.Fatalf("starting sleeper %d: %v", i, err)
				}
				cmds = append(cmds, c)
			}
			var peak int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c := exec.Command(self, "-test.run=^TestVolatileCollectChild$", "-test.count=1")
				c.Env = append(os.Environ(), "CORDON_VOLATILE_CHILD_OUT=/dev/null", "CORDON_VOLATILE_CHILD_PIDS="+strconv.Itoa(suspect.Process.Pid))
				if out, err := c.CombinedOutput(); err != nil {
					b.Fatalf("collection: %v\n%s", err, out)
				}
				ru := c.ProcessState.SysUsage().(*syscall.Rusage)
				peak = max(peak, ru.Maxrss) // KiB
			}
			b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
		})
	}
}

// BenchmarkVolatileMemoryDump measures the memory source on one process
// with 1 GiB resident: /proc/PID/mem read, zstd and the bundle's hashing
// included (the output itself is discarded). MB/s is of region bytes
// dumped. "sparse" memory is mostly zeros (one byte set per page), "random"
// is incompressible: real memory lies between.
func BenchmarkVolatileMemoryDump(b *testing.B) {
	testenv.NeedRoot(b)
	helper := helperBinary(b)
	for _, fill := range []string{"sparse", "random"} {
		b.Run("fill="+fill, func(b *testing.B) { volBenchDump(b, helper, fill) })
	}
}

func volBenchDump(b *testing.B, helper, fill string) {
	cmd, _ := startReady(b, helper, "alloc", "1024", fill)
	opts := testOptions()
	opts.TargetPIDs = []int{cmd.Process.Pid}
	opts.MaxMemory = 4 << 30
	opts.MaxMemoryPerProc = 2 << 30
	var dumped int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var sink discardCounter
		st := collectTo(b, &sink, opts, "memory").Sources
		if st[0].Status != "ok" || st[0].Bytes < 1<<30 {
			b.Fatalf("memory source %s, %d bytes: want ok and at least 1 GiB", st[0].Status, st[0].Bytes)
		}
		dumped = st[0].Bytes
		b.ReportMetric(float64(sink.n)/float64(dumped), "compressed/raw")
	}
	b.SetBytes(dumped)
}

type discardCounter struct{ n int64 }

func (d *discardCounter) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }
