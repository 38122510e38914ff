package collector

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

func tsharkCount(t *testing.T, tshark, file, filter string) int {
	t.Helper()
	out, err := exec.Command(tshark, "-r", file, "-Y", filter, "-T", "fields", "-e", "frame.number").Output()
	if err != nil {
		t.Fatalf("tshark -Y %q: %v", filter, err)
	}
	return len(strings.Fields(string(out)))
}

func TestCaptureLoopback(t *testing.T) {
	testenv.NeedRoot(t)
	tshark := testenv.NeedTool(t, "tshark")

	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	tport := tl.Addr().(*net.TCPAddr).Port
	uport := uc.LocalAddr().(*net.UDPAddr).Port
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := uc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()

	opts := DefaultOptions()
	opts.Capture = []string{"lo"}
	opts.CaptureFor = time.Minute // stopped by the context below
	sink := &memSink{}
	env := NewEnv(opts, sink).For("capture")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- collectCapture(ctx, env) }()
	// The socket must be open before the traffic starts; there is nothing
	// to observe it by, so give it time (not an assertion).
	time.Sleep(time.Second)

	const nTCP, nUDP = 5, 7
	for i := range nTCP {
		c, err := net.Dial("tcp", tl.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "cordon-capture-test-%d\n", i)
		c.Close()
	}
	u, err := net.Dial("udp", uc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	for i := range nUDP {
		fmt.Fprintf(u, "datagram-%d", i)
	}
	u.Close()
	time.Sleep(time.Second) // let the FIN exchanges finish
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if errs := env.Errors(); len(errs) > 0 {
		t.Fatalf("errors: %+v", errs)
	}

	dir := t.TempDir()
	var parts []string
	for name, data := range sink.entries {
		if strings.HasSuffix(name, ".pcapng") {
			p := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			parts = append(parts, p)
		}
	}
	if len(parts) != 1 {
		t.Fatalf("want one pcapng part, got %d: %v", len(parts), parts)
	}
	stats, ok := sink.entries["capture/lo-stats.json"]
	if !ok {
		t.Fatalf("no stats entry; entries: %v", sink.entries)
	}
	if !bytes.Contains(stats, []byte(`"drops_outgoing": true`)) || !bytes.Contains(stats, []byte(`"stop_reason": "cancelled`)) {
		t.Errorf("stats: %s", stats)
	}
	f := parts[0]
	tp := strconv.Itoa(tport)
	if n := tsharkCount(t, tshark, f, "udp.port=="+strconv.Itoa(uport)); n != nUDP {
		t.Errorf("udp packets: got %d, want %d", n, nUDP)
	}
	if n := tsharkCount(t, tshark, f, "tcp.port=="+tp+" && tcp.flags.syn==1 && tcp.flags.ack==0"); n != nTCP {
		t.Errorf("SYNs: got %d, want %d", n, nTCP)
	}
	if n := tsharkCount(t, tshark, f, "tcp.port=="+tp+" && tcp.flags.syn==1 && tcp.flags.ack==1"); n != nTCP {
		t.Errorf("SYN-ACKs: got %d, want %d", n, nTCP)
	}
	if n := tsharkCount(t, tshark, f, "tcp.port=="+tp+" && tcp.len>0"); n != nTCP {
		t.Errorf("payload segments: got %d, want %d", n, nTCP)
	}
	if n := tsharkCount(t, tshark, f, "tcp.port=="+tp+" && (tcp.analysis.retransmission || tcp.analysis.duplicate_ack || tcp.analysis.spurious_retransmission)"); n != 0 {
		t.Errorf("%d duplicated TCP packets", n)
	}
	out, err := exec.Command(tshark, "-r", f, "-q", "-z", "conv,tcp").Output()
	if err != nil {
		t.Fatal(err)
	}
	convs := 0
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "127.0.0.1:"+tp+" ") {
			convs++
		}
	}
	if convs != nTCP {
		t.Errorf("conv,tcp: %d conversations on port %s, want %d:\n%s", convs, tp, nTCP, out)
	}
}

func TestCaptureUnknownInterface(t *testing.T) {
	opts := DefaultOptions()
	opts.Capture = []string{"cordon-no-such-if0"}
	opts.CaptureFor = time.Second
	sink := &memSink{}
	env := NewEnv(opts, sink).For("capture")
	if err := collectCapture(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if len(env.Errors()) == 0 {
		t.Fatal("no error recorded for a capture that could not start")
	}
	if st := sink.entries["capture/cordon-no-such-if0-stats.json"]; !bytes.Contains(st, []byte(`"not started"`)) {
		t.Fatalf("stats: %s", st)
	}
}
