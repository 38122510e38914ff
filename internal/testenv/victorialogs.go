package testenv

// victorialogs.go gives tests a real search engine speaking the
// Elasticsearch bulk API: VictoriaLogs, which is not packaged by Debian
// but builds from the Go module proxy. It is built once into a cache
// outside the repository (never a dependency in go.mod) and reused.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// VictoriaLogsVersion is the VictoriaLogs the tests run.
const VictoriaLogsVersion = "v1.52.2"

const victoriaLogsPackage = "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs"

// CacheDir is where tests keep what they build: $CORDON_TEST_CACHE, or
// cordon-tests in the user's cache directory ($HOME/.cache).
func CacheDir() (string, error) {
	if d := os.Getenv("CORDON_TEST_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "cordon-tests"), nil
}

// NeedVictoriaLogs returns the path of the victoria-logs binary, building
// it when it is not in the cache (about 5 minutes on 2 cores):
// CGO_ENABLED=0 go install …/victoria-logs@VictoriaLogsVersion, run outside
// the module. A build that fails skips the test, or fails it in CI.
func NeedVictoriaLogs(t testing.TB) string {
	t.Helper()
	dir, err := CacheDir()
	if err != nil {
		unavailable(t, "no cache directory for VictoriaLogs: %v", err)
	}
	bin := filepath.Join(dir, "victoria-logs-"+VictoriaLogsVersion)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		unavailable(t, "cache directory %s: %v", dir, err)
	}
	// One build at a time across test processes (go test runs packages in parallel).
	lock, err := os.OpenFile(filepath.Join(dir, ".victoria-logs.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		unavailable(t, "cache lock: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		unavailable(t, "cache lock: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin // another process built it while this one waited
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		unavailable(t, "VictoriaLogs is not in %s and the go tool is missing to build it", dir)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		unavailable(t, "cache directory %s: %v", dir, err)
	}
	defer os.RemoveAll(tmp)
	t.Logf("building VictoriaLogs %s into %s (about 5 minutes on 2 cores, once)", VictoriaLogsVersion, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "install", victoriaLogsPackage+"@"+VictoriaLogsVersion)
	cmd.Dir = tmp // outside any module: go.mod is never touched
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOBIN="+tmp, "GOFLAGS=-mod=mod")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		unavailable(t, "building VictoriaLogs %s failed after %v: %v\n%s", VictoriaLogsVersion, time.Since(start).Round(time.Second), err, tail(out.String(), 4000))
	}
	if err := os.Rename(filepath.Join(tmp, "victoria-logs"), bin); err != nil {
		unavailable(t, "installing VictoriaLogs: %v", err)
	}
	t.Logf("built VictoriaLogs in %v", time.Since(start).Round(time.Second))
	return bin
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// VictoriaLogs is a running victoria-logs on loopback.
type VictoriaLogs struct {
	Addr string // 127.0.0.1:PORT, its HTTP port
	URL  string // http://Addr
	Dir  string // its -storageDataPath
	Log  string // the file its output goes to
}

// StartVictoriaLogs starts bin on a free loopback port with its data in a
// new temporary directory, -retentionPeriod=100y (its default, 7 days,
// drops old evidence after acknowledging it) and args, and waits until
// /health answers (30 s at most). Cleanup kills its process group.
func StartVictoriaLogs(t testing.TB, bin string, args ...string) *VictoriaLogs {
	t.Helper()
	dir := t.TempDir()
	vl := &VictoriaLogs{Dir: filepath.Join(dir, "data"), Log: filepath.Join(dir, "victoria-logs.log")}
	logf, err := os.Create(vl.Log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// A port free now may be taken before the server binds it: try again then.
	for try := 0; ; try++ {
		vl.Addr = freePort(t)
		vl.URL = "http://" + vl.Addr
		argv := append([]string{"-httpListenAddr=" + vl.Addr, "-storageDataPath=" + vl.Dir, "-retentionPeriod=100y",
			"-loggerLevel=WARN"}, args...)
		cmd := exec.Command(bin, argv...)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting VictoriaLogs: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		err := waitHealthy(vl.URL, exited, 30*time.Second)
		if err == nil {
			t.Cleanup(stop)
			return vl
		}
		stop()
		log, _ := os.ReadFile(vl.Log)
		if try < 2 && strings.Contains(string(log), "address already in use") {
			continue
		}
		t.Fatalf("VictoriaLogs on %s: %v\n%s", vl.Addr, err, tail(string(log), 4000))
	}
}

// waitHealthy polls URL/health until it answers OK, the process exits, or
// the deadline passes.
func waitHealthy(base string, exited <-chan struct{}, within time.Duration) error {
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(base + "/health")
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d: %q", resp.StatusCode, body)
		}
		select {
		case <-exited:
			return errors.New("exited before answering")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not healthy within %v: %v", within, err)
		}
	}
}

// freePort is a free address of 127.0.0.1 (HOST:PORT).
func freePort(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}
