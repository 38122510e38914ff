package pcap

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

var t0 = time.Date(2026, 11, 20, 3, 14, 0, 0, time.UTC)

type pkt struct {
	data []byte
	t    time.Time
}

func ipPacket(t *testing.T, src, dst string, tr gopacket.SerializableLayer, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 1, 2, 3, 4, 5}, DstMAC: net.HardwareAddr{0, 1, 2, 3, 4, 6}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	switch l := tr.(type) {
	case *layers.TCP:
		ip.Protocol = layers.IPProtocolTCP
		l.SetNetworkLayerForChecksum(ip)
	case *layers.UDP:
		ip.Protocol = layers.IPProtocolUDP
		l.SetNetworkLayerForChecksum(ip)
	}
	buf := gopacket.NewSerializeBuffer()
	ls := []gopacket.SerializableLayer{eth, ip, tr}
	if payload != nil {
		ls = append(ls, gopacket.Payload(payload))
	}
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

// tcpSession: handshake, one payload from the client, FIN both ways.
func tcpSession(t *testing.T, cli, srv string, cport, sport uint16, payload []byte, at time.Time) []pkt {
	seqC, seqS := uint32(1000), uint32(5000)
	mk := func(fromCli bool, f func(*layers.TCP), data []byte, d time.Duration) pkt {
		l := &layers.TCP{SrcPort: layers.TCPPort(cport), DstPort: layers.TCPPort(sport), Window: 65535}
		s, dd := cli, srv
		if !fromCli {
			l.SrcPort, l.DstPort = layers.TCPPort(sport), layers.TCPPort(cport)
			s, dd = srv, cli
		}
		f(l)
		return pkt{ipPacket(t, s, dd, l, data), at.Add(d)}
	}
	n := uint32(len(payload))
	return []pkt{
		mk(true, func(l *layers.TCP) { l.SYN, l.Seq = true, seqC }, nil, 0),
		mk(false, func(l *layers.TCP) { l.SYN, l.ACK, l.Seq, l.Ack = true, true, seqS, seqC+1 }, nil, time.Millisecond),
		mk(true, func(l *layers.TCP) { l.ACK, l.Seq, l.Ack = true, seqC+1, seqS+1 }, nil, 2*time.Millisecond),
		mk(true, func(l *layers.TCP) { l.ACK, l.PSH, l.Seq, l.Ack = true, true, seqC+1, seqS+1 }, payload, 3*time.Millisecond),
		mk(false, func(l *layers.TCP) { l.ACK, l.Seq, l.Ack = true, seqS+1, seqC+1+n }, nil, 4*time.Millisecond),
		mk(true, func(l *layers.TCP) { l.FIN, l.ACK, l.Seq, l.Ack = true, true, seqC+1+n, seqS+1 }, nil, 5*time.Millisecond),
		mk(false, func(l *layers.TCP) { l.FIN, l.ACK, l.Seq, l.Ack = true, true, seqS+1, seqC+2+n }, nil, 6*time.Millisecond),
		mk(true, func(l *layers.TCP) { l.ACK, l.Seq, l.Ack = true, seqC+2+n, seqS+2 }, nil, 7*time.Millisecond),
	}
}

// clientHello returns a real ClientHello record made by crypto/tls.
func clientHello(t *testing.T, sni string) []byte {
	c, s := net.Pipe()
	go tls.Client(c, &tls.Config{ServerName: sni}).Handshake()
	buf := make([]byte, 1<<14)
	s.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := s.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	s.Close()
	return buf[:n]
}

func pgStartup(user, db string) []byte {
	body := []byte{0, 3, 0, 0}
	for _, kv := range []string{"user", user, "database", db} {
		body = append(append(body, kv...), 0)
	}
	body = append(body, 0)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body)+4)), body...)
}

const stratumLine = `{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A","pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0"}}` + "\n"

func scenario(t *testing.T) []pkt {
	var ps []pkt
	ps = append(ps, tcpSession(t, "203.0.113.7", "10.0.0.5", 40000, 5432, pgStartup("postgres", "postgres"), t0)...)
	q := &layers.DNS{ID: 7, RD: true, Questions: []layers.DNSQuestion{{Name: []byte("pool.example.net"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	qb := gopacket.NewSerializeBuffer()
	if err := q.SerializeTo(qb, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	ps = append(ps, pkt{ipPacket(t, "10.0.0.5", "10.0.0.53", &layers.UDP{SrcPort: 33333, DstPort: 53}, qb.Bytes()), t0.Add(time.Second)})
	an := *q
	an.QR, an.ANCount = true, 1
	an.Answers = []layers.DNSResourceRecord{{Name: []byte("pool.example.net"), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 60, IP: net.ParseIP("198.51.100.9").To4()}}
	ab := gopacket.NewSerializeBuffer()
	if err := an.SerializeTo(ab, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	ps = append(ps, pkt{ipPacket(t, "10.0.0.53", "10.0.0.5", &layers.UDP{SrcPort: 53, DstPort: 33333}, ab.Bytes()), t0.Add(time.Second + time.Millisecond)})
	ps = append(ps, tcpSession(t, "10.0.0.5", "198.51.100.10", 40001, 80, []byte("GET /xmrig.tar.gz HTTP/1.1\r\nHost: dl.example.org\r\nUser-Agent: curl/7.88\r\n\r\n"), t0.Add(2*time.Second))...)
	ps = append(ps, tcpSession(t, "10.0.0.5", "198.51.100.11", 40002, 443, clientHello(t, "api.example.com"), t0.Add(3*time.Second))...)
	ps = append(ps, tcpSession(t, "10.0.0.5", "198.51.100.9", 40003, 3333, []byte(stratumLine), t0.Add(4*time.Second))...)
	return ps
}

func writePcap(t *testing.T, ps []pkt) []byte {
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: p.t, CaptureLength: len(p.data), Length: len(p.data)}, p.data); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func writePcapng(t *testing.T, ps []pkt) []byte {
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriter(&b, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: p.t, CaptureLength: len(p.data), Length: len(p.data)}, p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func find(evs []timeline.Event, action string) []timeline.Event {
	var out []timeline.Event
	for _, e := range evs {
		if e.Event.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func TestParseScenario(t *testing.T) {
	ps := scenario(t)
	for _, format := range []string{"pcap", "pcapng"} {
		t.Run(format, func(t *testing.T) {
			data := writePcap(t, ps)
			if format == "pcapng" {
				data = writePcapng(t, ps)
			}
			o := timeline.Origin{Entry: "capture/x." + format}
			res := Parse(bytes.NewReader(data), o)
			if len(res.Warnings) > 0 {
				t.Fatalf("warnings: %+v", res.Warnings)
			}
			flows := find(res.Events, "flow")
			if len(flows) != 5 {
				t.Fatalf("flows: %d", len(flows))
			}
			pg := flows[0]
			if pg.Source.IP != "203.0.113.7" || pg.Destination.Port != 5432 || pg.Source.Packets != 5 || pg.Destination.Packets != 3 ||
				pg.Labels["tcp.handshake"] != "complete" || pg.Labels["tcp.close"] != "fin" || !pg.Timestamp.Equal(t0) ||
				pg.Cordon.TimeMeaning != timeline.MeaningConnOpened || pg.Network.Protocol != "postgresql" {
				t.Errorf("postgres flow: %+v %+v %+v %+v", pg, pg.Source, pg.Destination, pg.Network)
			}
			if pg.Labels["flow.last_packet"] != t0.Add(7*time.Millisecond).Format(time.RFC3339Nano) {
				t.Errorf("last packet %s", pg.Labels["flow.last_packet"])
			}
			if s := find(res.Events, "postgresql-startup"); len(s) != 1 || s[0].Labels["postgresql.user"] != "postgres" || s[0].Labels["postgresql.database"] != "postgres" {
				t.Errorf("postgres startup: %+v", s)
			}
			if q := find(res.Events, "dns-query"); len(q) != 1 || q[0].DNS.QuestionName != "pool.example.net" {
				t.Errorf("dns query: %+v", q)
			}
			if a := find(res.Events, "dns-answer"); len(a) != 1 || strings.Join(a[0].DNS.Answers, ",") != "198.51.100.9" {
				t.Errorf("dns answer: %+v", a)
			}
			if h := find(res.Events, "http-request"); len(h) != 1 || h[0].HTTP.Method != "GET" || h[0].URL.Domain != "dl.example.org" || h[0].URL.Original != "/xmrig.tar.gz" {
				t.Errorf("http: %+v", h)
			}
			if h := find(res.Events, "tls-client-hello"); len(h) != 1 || h[0].TLS.ServerName != "api.example.com" {
				t.Errorf("tls: %+v", h)
			}
			s := find(res.Events, "stratum-login")
			if len(s) != 1 || !strings.HasPrefix(s[0].Labels["stratum.login"], "44AFFq5k") || !strings.HasPrefix(s[0].Labels["stratum.agent"], "XMRig/6.21.0") || s[0].Destination.Port != 3333 {
				t.Fatalf("stratum: %+v", s)
			}
			// The provenance offset points at the packet's record.
			off := s[0].Cordon.Provenance.Offset
			if off <= 0 || off >= int64(len(data)) || !bytes.Contains(data[off:min(int(off)+2048, len(data))], []byte(`"method":"login"`)) {
				t.Errorf("stratum provenance offset %d does not lead to the packet", off)
			}
		})
	}
}

// TestAgainstTshark checks flow and protocol counts against tshark's reading
// of the same file.
func TestAgainstTshark(t *testing.T) {
	tshark := testenv.NeedTool(t, "tshark")
	f := filepath.Join(t.TempDir(), "s.pcapng")
	data := writePcapng(t, scenario(t))
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	res := Parse(bytes.NewReader(data), timeline.Origin{Entry: "s.pcapng"})
	count := func(filter string, fields ...string) []string {
		args := []string{"-r", f, "-Y", filter, "-T", "fields"}
		for _, fl := range fields {
			args = append(args, "-e", fl)
		}
		out, err := exec.Command(tshark, args...).Output()
		if err != nil {
			t.Fatalf("tshark %q: %v", filter, err)
		}
		return strings.Fields(string(out))
	}
	if got := count("tls.handshake.extensions_server_name", "tls.handshake.extensions_server_name"); len(got) != 1 || got[0] != find(res.Events, "tls-client-hello")[0].TLS.ServerName {
		t.Errorf("tshark SNI %v", got)
	}
	if got := count("http.request", "http.host"); len(got) != 1 || got[0] != find(res.Events, "http-request")[0].URL.Domain {
		t.Errorf("tshark http.host %v", got)
	}
	if got := count("tcp.flags.syn==1 && tcp.flags.ack==0", "frame.number"); len(got) != 4 {
		t.Errorf("tshark SYNs %v", got)
	}
	if got := count("dns.flags.response==0", "dns.qry.name"); len(got) != 1 || got[0] != "pool.example.net" {
		t.Errorf("tshark dns %v", got)
	}
	out, err := exec.Command(tshark, "-r", f, "-q", "-z", "conv,tcp").Output()
	if err != nil {
		t.Fatal(err)
	}
	n := strings.Count(string(out), "<->")
	tcpFlows := 0
	for _, e := range find(res.Events, "flow") {
		if e.Network.Transport == "tcp" {
			tcpFlows++
		}
	}
	if n != tcpFlows {
		t.Errorf("tshark has %d tcp conversations, we have %d", n, tcpFlows)
	}
}

func TestGarbage(t *testing.T) {
	ps := scenario(t)
	good := writePcapng(t, ps)
	cases := map[string][]byte{
		"empty":     {},
		"text":      []byte("hello, this is not a capture\n"),
		"truncated": good[:len(good)-37],
		"badblock":  append(bytes.Clone(good[:len(good)/2]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
		"pcaptrunc": writePcap(t, ps)[:97],
	}
	for name, data := range cases {
		res := Parse(bytes.NewReader(data), timeline.Origin{Entry: name})
		if len(res.Warnings) == 0 {
			t.Errorf("%s: no warning", name)
		}
	}
	// Truncation keeps what came before it.
	res := Parse(bytes.NewReader(good[:len(good)-37]), timeline.Origin{})
	if len(find(res.Events, "postgresql-startup")) != 1 {
		t.Error("truncated capture lost its first packets")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a})
	f.Fuzz(func(t *testing.T, data []byte) {
		Parse(bytes.NewReader(data), timeline.Origin{})
	})
}
