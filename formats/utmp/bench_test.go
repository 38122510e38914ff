package utmp

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cordon-forensics/cordon/timeline"
)

// BenchmarkParse measures records parsed a second: a wtmp of ssh logins
// and logouts from many addresses, 384-byte records.
func BenchmarkParse(b *testing.B) {
	const records = 100000
	var in bytes.Buffer
	for i := 0; i < records; i++ {
		r := rec{typ: UserProcess, pid: int32(1000 + i), line: fmt.Sprintf("pts/%d", i%50), id: fmt.Sprintf("ts/%d", i%50), user: "deploy",
			host: fmt.Sprintf("198.51.100.%d", i%250), addr: fmt.Sprintf("198.51.100.%d", i%250), sec: t0 + int64(i), usec: int64(i % 1000000)}
		if i%2 == 1 {
			r.typ, r.user, r.host, r.addr = DeadProcess, "", "", ""
		}
		in.Write(r.bytes(b, LittleEndian384))
	}
	b.SetBytes(int64(in.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		_ = Parse(bytes.NewReader(in.Bytes()), wtmpOrigin, func(timeline.Event) { n++ }, func(timeline.Warning) {})
		if n != records {
			b.Fatalf("%d events", n)
		}
	}
	b.ReportMetric(float64(records*b.N)/b.Elapsed().Seconds(), "records/s")
}
