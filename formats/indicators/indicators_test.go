package indicators

import (
	"bytes"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

const wallet = "4CordonSampleWa11et1111111111111111111111111111111111111111111111111111111111111111111111111111"

func scan(t testing.TB, data []byte, entry string) ([]timeline.Event, []timeline.Warning) {
	t.Helper()
	var evs []timeline.Event
	var ws []timeline.Warning
	if err := Scan(bytes.NewReader(data), timeline.Origin{Entry: entry}, Options{}, func(e timeline.Event) { evs = append(evs, e) }, func(w timeline.Warning) { ws = append(ws, w) }); err != nil {
		t.Fatal(err)
	}
	return evs, ws
}

func kinds(evs []timeline.Event) map[string]string {
	out := map[string]string{}
	for _, e := range evs {
		out[e.Labels["indicator.kind"]] = e.Labels["indicator.value"]
	}
	return out
}

func TestIndicators(t *testing.T) {
	blob := []byte("\x00\x01junk\x00stratum+tcp://pool.supportxmr.com:3333\x00" + wallet + "\x00" +
		`{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"x","algo":["rx/0"]}}` + "\x00--donate-level=1\x00198.51.100.7:14444\x00")
	evs, ws := scan(t, blob, "memory/4242/core")
	k := kinds(evs)
	for kind, want := range map[string]string{
		KindPoolURL: "stratum+tcp://pool.supportxmr.com:3333", KindWallet: wallet, KindStratum: `"method":"login"`,
		KindMiner: "--donate-level", KindPool: "pool.supportxmr.com", KindMiningHP: "198.51.100.7:14444",
	} {
		if k[kind] != want {
			t.Errorf("%s: %q, want %q", kind, k[kind], want)
		}
	}
	if len(ws) != 0 {
		t.Errorf("warnings %+v", ws)
	}
	for _, e := range evs {
		if e.Process == nil || e.Process.PID != 4242 || !strings.Contains(e.Message, "memory of PID 4242") {
			t.Errorf("event %+v", e)
		}
		if e.Labels["indicator.kind"] == KindPoolURL {
			if e.Destination == nil || e.Destination.Address != "pool.supportxmr.com" || e.Destination.Port != 3333 || e.Cordon.Provenance.Offset != 7 {
				t.Errorf("pool URL event %+v %+v", e.Destination, e.Cordon.Provenance)
			}
		}
	}
	// Nothing in ordinary text and code.
	evs, _ = scan(t, []byte("GNU C Library\x00/usr/lib/x86_64-linux-gnu\x00http://example.org:8080\x00listen 0.0.0.0:5432\x00"), "proc/1/exe")
	if len(evs) != 0 {
		t.Errorf("false indicators: %v", kinds(evs))
	}
}

// TestAcrossReads: an indicator that straddles the scanner's read boundary is found, once, at its offset.
func TestAcrossReads(t *testing.T) {
	for _, at := range []int{chunk - 50, chunk - 1, chunk, chunk + overlap - 10, 3*chunk - 20} {
		data := make([]byte, 4*chunk)
		copy(data[at:], "\x00"+wallet+"\x00")
		evs, _ := scan(t, data, "memory/1/core")
		if len(evs) != 1 || evs[0].Cordon.Provenance.Offset != int64(at+1) {
			t.Errorf("wallet at %d: %d events %+v", at, len(evs), kinds(evs))
		}
	}
}

func TestBoundsAndGarbage(t *testing.T) {
	var b bytes.Buffer
	for i := 0; i < MaxPerEntry+20; i++ {
		b.WriteString("\x00stratum+tcp://10.0.0." + string(rune('a'+i%26)) + strings.Repeat("x", i) + ".example:3333\x00")
	}
	evs, ws := scan(t, b.Bytes(), "memory/1/core")
	if len(evs) != MaxPerEntry || len(ws) != 1 {
		t.Errorf("%d events, %d warnings", len(evs), len(ws))
	}
	junk := make([]byte, 3<<20)
	rand.New(rand.NewSource(1)).Read(junk)
	scan(t, junk, "proc/2/exe")
	var got []timeline.Event
	var warns []timeline.Warning
	Scan(bytes.NewReader(junk), timeline.Origin{Entry: "x"}, Options{Max: 1 << 20}, func(e timeline.Event) { got = append(got, e) }, func(w timeline.Warning) { warns = append(warns, w) })
	if len(warns) != 1 || warns[0].Offset != 1<<20 {
		t.Errorf("the bound was not reported: %+v", warns)
	}
}

// TestSampleMemory scans the miner stand-in's memory and binary in the
// checked-in incident bundle (extracted with tar, as an analyst would).
func TestSampleMemory(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join("..", "..", "samples", "incident.cordon")
	if out, err := exec.Command("tar", "--zstd", "-xf", bundle, "-C", dir, "memory/30344/core", "proc/30143/exe").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	for _, entry := range []string{"memory/30344/core", "proc/30143/exe"} {
		data, err := os.ReadFile(filepath.Join(dir, entry))
		if err != nil {
			t.Fatal(err)
		}
		k := kinds(func() []timeline.Event { e, _ := scan(t, data, entry); return e }())
		if k[KindWallet] != wallet || k[KindPoolURL] != "stratum+tcp://127.0.0.1:3333" {
			t.Errorf("%s: %v", entry, k)
		}
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte("\x00stratum+tcp://pool.example:3333\x00" + wallet))
	f.Add([]byte(strings.Repeat("A", 600) + "\x00xmrig"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Scan(bytes.NewReader(data), timeline.Origin{Entry: "memory/1/core"}, Options{}, func(e timeline.Event) {
			if len(e.Labels["indicator.value"]) > overlap {
				t.Fatalf("indicator of %d bytes", len(e.Labels["indicator.value"]))
			}
		}, func(timeline.Warning) {})
	})
}

func BenchmarkScan(b *testing.B) {
	data := make([]byte, 64<<20)
	rand.New(rand.NewSource(1)).Read(data)
	for i := 0; i < len(data); i += 4096 {
		copy(data[i:], "\x00/usr/lib/x86_64-linux-gnu/libc.so.6 GLIBC_2.34\x00")
	}
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		Scan(bytes.NewReader(data), timeline.Origin{Entry: "memory/1/core"}, Options{}, func(timeline.Event) {}, func(timeline.Warning) {})
	}
}

func TestTimeAndPIDFromEntry(t *testing.T) {
	read := time.Date(2026, 11, 2, 10, 24, 55, 0, time.UTC)
	var evs []timeline.Event
	o := timeline.Origin{Entry: "proc/77/fd/5", ReadAt: read, ModTime: read.Add(-time.Hour)}
	if err := Scan(strings.NewReader("xx stratum+tcp://10.0.0.1:4444 xx"), o, Options{}, func(e timeline.Event) { evs = append(evs, e) }, func(timeline.Warning) {}); err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		t.Fatal("no indicator in a memfd entry")
	}
	for _, e := range evs {
		if !e.Timestamp.Equal(read) || e.Process == nil || e.Process.PID != 77 {
			t.Errorf("event at %v pid %+v, want the read time and PID 77", e.Timestamp, e.Process)
		}
	}
}
