package dockerlog

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cordon-forensics/cordon/timeline"
)

// BenchmarkParse measures json-file lines parsed a second (PostgreSQL
// container output: about 150 bytes a line).
func BenchmarkParse(b *testing.B) {
	var in bytes.Buffer
	const lines = 100000
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&in, `{"log":"2026-03-17 08:26:%02d.123 UTC [%d] LOG:  connection received: host=198.51.100.%d port=%d\n","stream":"stderr","time":"2026-03-17T08:26:%02d.123456789Z"}`+"\n", i%60, 1000+i, i%250, 40000+i%20000, i%60)
	}
	b.SetBytes(int64(in.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		_ = Parse(bytes.NewReader(in.Bytes()), origin, func(timeline.Event) { n++ }, func(timeline.Warning) {})
		if n != lines {
			b.Fatalf("%d events", n)
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "events/s")
}
