package auditd

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cordon-forensics/cordon/timeline"
)

// BenchmarkParse measures audit events (an execve: SYSCALL, EXECVE, CWD,
// 2 PATH, PROCTITLE, EOE, about 1.3 KiB) parsed a second.
func BenchmarkParse(b *testing.B) {
	var in bytes.Buffer
	const events = 20000
	for i := 0; i < events; i++ {
		s := uint64(1000 + i)
		fmt.Fprintf(&in, "type=SYSCALL msg=audit(1773735971.%03d:%d): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c1b0e2a0 a1=55d0c1b0e3c0 a2=55d0c1b0e4f0 a3=8 items=2 ppid=4410 pid=%d auid=4294967295 uid=999 gid=999 euid=999 suid=999 fsuid=999 egid=999 sgid=999 fsgid=999 tty=(none) ses=4294967295 comm=\"sh\" exe=\"/usr/bin/dash\" subj=unconfined key=\"exec\"\n", i%1000, s, 5000+i)
		fmt.Fprintf(&in, "type=EXECVE msg=audit(1773735971.%03d:%d): argc=3 a0=\"sh\" a1=\"-c\" a2=6375726C202D6673534C20687474703A2F2F3230332E302E3131332E372F78207C207368\n", i%1000, s)
		fmt.Fprintf(&in, "type=CWD msg=audit(1773735971.%03d:%d): cwd=\"/var/lib/postgresql/16/main\"\n", i%1000, s)
		fmt.Fprintf(&in, "type=PATH msg=audit(1773735971.%03d:%d): item=0 name=\"/bin/sh\" inode=1310723 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n", i%1000, s)
		fmt.Fprintf(&in, "type=PATH msg=audit(1773735971.%03d:%d): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=1311060 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n", i%1000, s)
		fmt.Fprintf(&in, "type=PROCTITLE msg=audit(1773735971.%03d:%d): proctitle=7368002D63006375726C\n", i%1000, s)
		fmt.Fprintf(&in, "type=EOE msg=audit(1773735971.%03d:%d): \n", i%1000, s)
	}
	b.SetBytes(int64(in.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		_ = Parse(bytes.NewReader(in.Bytes()), origin, func(timeline.Event) { n++ }, func(timeline.Warning) {})
		if n != events {
			b.Fatalf("%d events", n)
		}
	}
	b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
}
