package shellhistory

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cordon-forensics/cordon/timeline"
)

// BenchmarkParse measures bash history commands (with timestamps) parsed a second.
func BenchmarkParse(b *testing.B) {
	var in bytes.Buffer
	const cmds = 100000
	for i := 0; i < cmds; i++ {
		fmt.Fprintf(&in, "#%d\ndocker exec -it ci-postgres psql -U postgres -c 'select %d'\n", 1773735960+i, i)
	}
	o := timeline.Origin{Entry: "fs/home/lxd/.bash_history", ModTime: mtime}
	b.SetBytes(int64(in.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		_ = Parse(bytes.NewReader(in.Bytes()), o, func(timeline.Event) { n++ }, func(timeline.Warning) {})
		if n != cmds {
			b.Fatalf("%d events", n)
		}
	}
	b.ReportMetric(float64(cmds*b.N)/b.Elapsed().Seconds(), "events/s")
}
