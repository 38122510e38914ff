package bundle

import (
	"crypto/rand"
	"encoding/binary"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// halfRandom yields n bytes, alternately 1 MiB of random and 1 MiB of
// zeros (memory dumps and logs sit between the two).
type halfRandom struct {
	n, off int64
	src    *mrand.ChaCha8
}

func (h *halfRandom) Read(p []byte) (int, error) {
	if h.off >= h.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), h.n-h.off, (1<<20)-h.off%(1<<20))]
	if (h.off>>20)%2 == 0 {
		// fresh pseudo-random bytes, so zstd cannot reuse earlier ones
		for i := 0; i+8 <= len(p); i += 8 {
			binary.LittleEndian.PutUint64(p[i:], h.src.Uint64())
		}
	} else {
		clear(p)
	}
	h.off += int64(len(p))
	return len(p), nil
}

func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	var kb int64
	for _, line := range splitLines(b) {
		if len(line) > 6 && string(line[:6]) == "VmHWM:" {
			for _, c := range line[6:] {
				if c >= '0' && c <= '9' {
					kb = kb*10 + int64(c-'0')
				}
			}
		}
	}
	return kb << 10
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, b[start:i])
			start = i + 1
		}
	}
	return out
}

// BenchmarkBundle1GiB writes a 1 GiB bundle (16 entries of 64 MiB) to a
// file, verifies it, and times zstd -dc | sha256sum on the same file.
// Run: go test -run '^$' -bench Bundle1GiB -benchtime 1x ./formats/bundle
func BenchmarkBundle1GiB(b *testing.B) {
	const total = 1 << 30
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	path := filepath.Join(b.TempDir(), "big.cordon")
	for i := 0; i < b.N; i++ {
		_, priv, _ := GenerateKey()
		f, _ := os.Create(path)
		start := time.Now()
		w, err := NewWriter(f, Options{Key: priv, EvidenceID: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		for e := 0; e < 16; e++ {
			if _, err := w.Add(EntryMeta{Name: "memory/" + string(rune('a'+e)) + "/core", Source: "bench"}, &halfRandom{n: total / 16, src: mrand.NewChaCha8(seed)}, total/16); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.Close(Custody{}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		write := time.Since(start)
		runtime.GC()
		rssWrite := peakRSS()
		f, _ = os.Open(path)
		start = time.Now()
		rep, err := Verify(f, VerifyOptions{})
		verify := time.Since(start)
		f.Close()
		if err != nil || rep.Status != StatusIntact {
			b.Fatalf("%v %+v", err, rep.Problems)
		}
		fi, _ := os.Stat(path)
		b.ReportMetric(float64(total)/write.Seconds()/1e6, "write-MB/s")
		b.ReportMetric(float64(total)/verify.Seconds()/1e6, "verify-MB/s")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(rssWrite)/(1<<20), "peak-RSS-after-write-MiB")
		b.ReportMetric(float64(fi.Size())/(1<<20), "bundle-MiB")
		if _, err := exec.LookPath("zstd"); err == nil {
			start = time.Now()
			if out, err := exec.Command("sh", "-c", "zstd -dc "+path+" | sha256sum").CombinedOutput(); err != nil {
				b.Fatalf("%v %s", err, out)
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds()/1e6, "zstd-d+sha256sum-MB/s")
		}
	}
}
