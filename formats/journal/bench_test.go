package journal

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cordon-forensics/cordon/timeline"
)

// BenchmarkRead measures journal entries read a second from a compact
// file of 50,000 entries of 10 fields (sshd-like; the per-entry fields
// deduplicated as journald does, MESSAGE unique each time).
func BenchmarkRead(b *testing.B) {
	jb := newBuilder(true)
	shared := []uint64{
		jb.field("_COMM=sshd"), jb.field("_EXE=/usr/sbin/sshd"), jb.field("_CMDLINE=sshd: lxd [priv]"),
		jb.field("_UID=0"), jb.field("SYSLOG_IDENTIFIER=sshd"), jb.field("_HOSTNAME=devops-buildagent"),
		jb.field("PRIORITY=6"), jb.field("_SYSTEMD_UNIT=ssh.service"),
	}
	const entries = 50000
	for i := 0; i < entries; i++ {
		msg := jb.field(fmt.Sprintf("MESSAGE=Accepted publickey for lxd from 198.51.100.%d port %d ssh2", i%250, 40000+i%20000))
		pid := jb.field(fmt.Sprintf("_PID=%d", 1000+i))
		jb.entry(uint64(i+1), 1773735971000000+uint64(i)*1000, uint64(i), 1, append([]uint64{msg, pid}, shared...)...)
	}
	file := jb.bytes(0)
	b.SetBytes(int64(len(file)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		_ = Parse(bytes.NewReader(file), origin, func(timeline.Event) { n++ }, func(w timeline.Warning) { b.Fatal(w.Message) })
		if n != entries {
			b.Fatalf("%d events", n)
		}
	}
	b.ReportMetric(float64(entries*b.N)/b.Elapsed().Seconds(), "events/s")
}
