package parsers

import (
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/pcap"
	"github.com/cordon-forensics/cordon/timeline"
)

// Packet captures (collector source "capture": its pcapng parts and the
// files added with --pcap): flows, DNS, HTTP, TLS SNI, stratum, PostgreSQL
// startup. The reader streams the entry; formats/pcap bounds the rest.
func init() {
	Register(Parser{
		Name: "pcap",
		Match: func(e bundle.EntryRecord) bool {
			n := strings.ToLower(e.Name)
			return strings.HasSuffix(n, ".pcap") || strings.HasSuffix(n, ".pcapng")
		},
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			EmitResult(pcap.Parse(r, o), emit)
			return nil
		},
	})
}
