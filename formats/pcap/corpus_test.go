package pcap

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// TestCorpusPcap: plaso's test.pcap as the corpus README gives tshark
// 4.0's reading of it: 24 TCP and 37 UDP conversations, 22 DNS queries and
// 12 answers, 13 HTTP requests, 3 TLS SNI, the largest flow 666 packets
// and 687,950 bytes.
func TestCorpusPcap(t *testing.T) {
	f, err := os.Open(filepath.Join(testenv.Corpus(t, "plaso"), "test.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := Parse(f, timeline.Origin{Entry: "capture/files/test.pcap"})
	count := map[string]int{}
	var tcp, udp int
	var maxPackets, maxBytes int64
	for _, e := range res.Events {
		count[e.Event.Action]++
		if e.Event.Action == "flow" {
			switch e.Network.Transport {
			case "tcp":
				tcp++
			case "udp":
				udp++
			}
			if e.Network.Packets > maxPackets {
				maxPackets, maxBytes = e.Network.Packets, e.Network.Bytes
			}
		}
	}
	t.Logf("actions %v", count)
	if tcp != 24 || udp != 37 {
		t.Errorf("conversations: %d TCP, %d UDP; tshark: 24, 37", tcp, udp)
	}
	if count["dns-query"] != 22 || count["dns-answer"] != 12 {
		t.Errorf("DNS: %d queries, %d answers; tshark: 22, 12", count["dns-query"], count["dns-answer"])
	}
	if count["http-request"] != 13 || count["tls-client-hello"] != 3 {
		t.Errorf("HTTP requests %d (13), TLS SNI %d (3)", count["http-request"], count["tls-client-hello"])
	}
	if maxPackets != 666 || maxBytes != 687950 {
		t.Errorf("largest flow %d packets, %d bytes; tshark: 666, 687950", maxPackets, maxBytes)
	}
}
