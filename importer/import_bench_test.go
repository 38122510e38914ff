package importer_test

// The import's figures on a real archive of this machine (issue 15): UAC's
// ir_triage profile (or Cat-Scale) run here as root, then, each in a child
// process so that its peak RSS is its own (getrusage of the child):
//
//   - tar -xzf of the archive into a temporary directory (the yardstick:
//     what an analyst does first by hand);
//   - cordon import of the archive into a bundle (import key from
//     cordon keygen --without-password);
//   - cordon analyze of the bundle into a case (which runs the
//     investigation once), then cordon findings --case.
//
// Wall time, CPU time (user+system of the child, which a busy machine
// inflates less), peak RSS; the archive's size and members (tar-members:
// its own; import-members: with those of the archives it holds, as cordon
// import counts them), the bundle's size, the events. Root; UAC's
// ir_triage takes about 4 minutes on a quiet machine, Cat-Scale about one
// (46 minutes and 7 with the load average at 5-20). The analyze
// step may take longer than both (Cat-Scale's timeline of the whole file
// system: 1.7 million events). -v prints every step in full:
//
//	go test -v -run '^$' -bench ImportUAC -benchtime 1x -timeout 2h ./importer
//	go test -v -run '^$' -bench ImportCatScale -benchtime 1x -timeout 2h ./importer
//
// CORDON_UAC_ARCHIVE=FILE (a uac-*.tar.gz, its .log beside it) or
// CORDON_CATSCALE_ARCHIVE=FILE reuses an archive instead of making one (no
// root needed then); CORDON_BENCH_KEEP=DIR leaves the archive made in DIR,
// for the next run. CORDON_SHARED names the shared data outside the main
// checkout (a worktree).

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

func BenchmarkImportUAC(b *testing.B) {
	benchImport(b, "uac", "CORDON_UAC_ARCHIVE")
}

func BenchmarkImportCatScale(b *testing.B) {
	benchImport(b, "catscale", "CORDON_CATSCALE_ARCHIVE")
}

func benchImport(b *testing.B, peer, env string) {
	testenv.NeedTool(b, "tar")
	archive := os.Getenv(env)
	if archive == "" {
		archive = makePeerArchive(b, peer)
	} else if _, err := os.Stat(archive); err != nil {
		b.Fatalf("%s: %v", env, err)
	}
	members, err := countMembers(archive)
	if err != nil {
		b.Fatalf("%s: %v", archive, err)
	}
	fi, err := os.Stat(archive)
	if err != nil {
		b.Fatal(err)
	}
	work := b.TempDir()
	cordon := filepath.Join(work, "cordon")
	if out, err := exec.Command("go", "build", "-o", cordon, "github.com/cordon-forensics/cordon/cmd/cordon").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	if _, out, err := child(cordon, "keygen", "-o", filepath.Join(work, "k"), "--without-password"); err != nil {
		b.Fatalf("keygen: %v\n%s", err, out)
	}
	b.Logf("%s: %.1f MiB, %d members; %s", filepath.Base(archive), mib(fi.Size()), members, machineLoad())

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.ReportMetric(mib(fi.Size()), "archive-MiB")
		b.ReportMetric(float64(members), "tar-members")
		dir := filepath.Join(work, strconv.Itoa(i))
		x := filepath.Join(dir, "x")
		if err := os.MkdirAll(x, 0o700); err != nil {
			b.Fatal(err)
		}
		// (a) the yardstick
		m, out, err := child("tar", "-xzf", archive, "-C", x)
		if err != nil {
			b.Logf("tar -xzf: %v\n%s", err, out) // what tar could not recreate does not stop the figure
		}
		report(b, "tar", m)
		b.Logf("tar -xzf: %s; extracted %.1f MiB; %s", m, mib(dirSize(x)), machineLoad())
		os.RemoveAll(x)

		// (b) the import
		bundlePath := filepath.Join(dir, "b.cordon")
		m, out, err = child(cordon, "import", archive, "-o", bundlePath, "--key", filepath.Join(work, "k.key"))
		if _, serr := os.Stat(bundlePath); serr != nil {
			b.Fatalf("cordon import wrote no bundle: %v\n%s", err, out)
		}
		if err != nil { // exit 1: a check failed or the archive is incomplete; the bundle is whole
			b.Logf("cordon import: %v (a check failed or the archive is incomplete)", err)
		}
		report(b, "import", m)
		// cordon import counts the members of archives within the archive too (Cat-Scale's)
		if im := regexp.MustCompile(`bytes, (\d+) members`).FindStringSubmatch(string(out)); im != nil {
			n, _ := strconv.ParseFloat(im[1], 64)
			b.ReportMetric(n, "import-members")
		}
		bfi, _ := os.Stat(bundlePath)
		b.ReportMetric(mib(bfi.Size()), "bundle-MiB")
		b.Logf("cordon import: %s; bundle %.1f MiB; %s\n%s", m, mib(bfi.Size()), machineLoad(), summaryLines(out, "archive:", "hash checks:", "lines of", "entries"))

		// (c) analyze into a case, then the findings of the case
		caseDir := filepath.Join(dir, "case")
		m, out, err = child(cordon, "analyze", bundlePath, "--case", caseDir)
		if err != nil {
			b.Fatalf("cordon analyze: %v\n%s", err, out)
		}
		report(b, "analyze", m)
		ev := regexp.MustCompile(`(\d+) events, (\d+) parser warnings`).FindStringSubmatch(string(out))
		if ev == nil {
			b.Fatalf("cordon analyze said no event count:\n%s", out)
		}
		events, _ := strconv.ParseFloat(ev[1], 64)
		b.ReportMetric(events, "events")
		b.ReportMetric(events/m.cpu.Seconds(), "analyze-events/cpu-s")
		b.Logf("cordon analyze: %s; %s events (%s parser warnings), case %.1f MiB; %s\n%s", m, ev[1], ev[2], mib(dirSize(caseDir)), machineLoad(), summaryLines(out, "investigated:"))

		m, out, err = childOut(true, cordon, "findings", "--case", caseDir, "--format", "json")
		if err != nil {
			b.Fatalf("cordon findings --case: %v\n%s", err, out)
		}
		report(b, "findings", m)
		var f struct {
			Findings []json.RawMessage `json:"findings"`
		}
		if err := json.Unmarshal(out, &f); err != nil {
			b.Fatalf("cordon findings --format json: %v", err)
		}
		b.Logf("cordon findings --case: %s; %d findings; %s", m, len(f.Findings), machineLoad())
		os.RemoveAll(dir)
	}
}

// makePeerArchive runs the collector (a copy of ../shared/peers/PEER, it
// writes beside itself) on this machine as root and returns its archive.
func makePeerArchive(b *testing.B, peer string) string {
	b.Helper()
	testenv.NeedRoot(b)
	src := sharedDir(b, "peers", peer)
	work, err := os.MkdirTemp("/var/tmp", "cordon-bench-"+peer+"-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(work) })
	if out, err := exec.Command("cp", "-r", src, filepath.Join(work, peer)).CombinedOutput(); err != nil {
		b.Fatalf("copying %s: %v\n%s", peer, err, out)
	}
	if out, err := exec.Command("chmod", "-R", "u+w", filepath.Join(work, peer)).CombinedOutput(); err != nil {
		b.Fatalf("chmod: %v\n%s", err, out)
	}
	outDir := filepath.Join(work, "out")
	if err := os.Mkdir(outDir, 0o700); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	var pattern string
	switch peer {
	case "uac":
		cmd = exec.CommandContext(ctx, "./uac", "-p", "ir_triage", outDir)
		pattern = filepath.Join(outDir, "uac-*.tar.gz")
	case "catscale":
		cmd = exec.CommandContext(ctx, "./Cat-Scale.sh")
		pattern = filepath.Join(work, peer, "catscale_*.tar.gz")
	default:
		b.Fatalf("no collector %q", peer)
	}
	cmd.Dir = filepath.Join(work, peer)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", peer, err, out.String())
	}
	found, _ := filepath.Glob(pattern)
	if len(found) != 1 {
		b.Fatalf("%s made %d archives (%s), want 1\n%s", peer, len(found), pattern, out.String())
	}
	archive := found[0]
	b.Logf("%s made %s in %v (%s)", peer, filepath.Base(archive), time.Since(start).Round(time.Second), machineLoad())
	if keep := os.Getenv("CORDON_BENCH_KEEP"); keep != "" {
		kept := filepath.Join(keep, filepath.Base(archive))
		for _, p := range []string{archive, strings.TrimSuffix(archive, ".tar.gz") + ".log"} {
			if _, err := os.Stat(p); err != nil {
				continue // Cat-Scale writes no log beside its archive
			}
			if out, err := exec.Command("cp", p, keep).CombinedOutput(); err != nil {
				b.Fatalf("CORDON_BENCH_KEEP: %v\n%s", err, out)
			}
		}
		b.Logf("kept: %s=%s reuses it", map[string]string{"uac": "CORDON_UAC_ARCHIVE", "catscale": "CORDON_CATSCALE_ARCHIVE"}[peer], kept)
	}
	return archive
}

// measured is what a child process took.
type measured struct {
	wall, cpu time.Duration
	peakRSS   int64 // bytes
}

func (m measured) String() string {
	return fmt.Sprintf("wall %v, CPU %v, peak RSS %.1f MiB", m.wall.Round(time.Millisecond), m.cpu.Round(time.Millisecond), mib(m.peakRSS))
}

// child runs a program and returns its wall time, CPU time and peak RSS
// (its own rusage), and its standard output (and error, after it unless
// stdoutOnly).
func child(name string, args ...string) (measured, []byte, error) {
	return childOut(false, name, args...)
}

func childOut(stdoutOnly bool, name string, args ...string) (measured, []byte, error) {
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	m := measured{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			m.peakRSS = ru.Maxrss << 10 // kilobytes on Linux
		}
	}
	if err != nil {
		err = fmt.Errorf("%s: %w: %s", name, err, bytes.TrimSpace(stderr.Bytes()))
	}
	if stdoutOnly {
		return m, stdout.Bytes(), err
	}
	return m, append(stdout.Bytes(), stderr.Bytes()...), err
}

func report(b *testing.B, name string, m measured) {
	b.ReportMetric(m.wall.Seconds(), name+"-s")
	b.ReportMetric(m.cpu.Seconds(), name+"-cpu-s")
	b.ReportMetric(mib(m.peakRSS), name+"-peakRSS-MiB")
}

// countMembers counts the archive's tar headers (gzip'ed or not).
func countMembers(archive string) (int, error) {
	f, err := os.Open(archive)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var r io.Reader = f
	if zr, err := gzip.NewReader(f); err == nil {
		r = zr
	} else if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	tr := tar.NewReader(r)
	n := 0
	for {
		_, err := tr.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// machineLoad says how busy the machine was: the figures of a shared
// machine mean little without it.
func machineLoad() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "load average unknown"
	}
	return fmt.Sprintf("load average %s %s %s", f[0], f[1], f[2])
}

// summaryLines keeps the lines of out that hold one of the words.
func summaryLines(out []byte, words ...string) string {
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				keep = append(keep, "  "+strings.TrimSpace(l))
				break
			}
		}
	}
	return strings.Join(keep, "\n")
}
