package syslog

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// authBenchLines is the shape of a busy auth.log under a password-guessing
// attack: the sshd and PAM lines of failed attempts, a few logins, sessions,
// sudo and cron. The lines are written the way OpenSSH, Linux-PAM, sudo and
// cron write them (see auth_sources_test.go for where each form comes from).
var authBenchLines = []string{
	"Nov  2 10:24:55 web01 sshd[4242]: Invalid user admin from 203.0.113.7 port 40002",
	"Nov  2 10:24:55 web01 sshd[4242]: pam_unix(sshd:auth): check pass; user unknown",
	"Nov  2 10:24:55 web01 sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7",
	"Nov  2 10:24:57 web01 sshd[4242]: Failed password for invalid user admin from 203.0.113.7 port 40002 ssh2",
	"Nov  2 10:24:58 web01 sshd[4242]: Connection closed by invalid user admin 203.0.113.7 port 40002 [preauth]",
	"Nov  2 10:24:59 web01 sshd[4243]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root",
	"Nov  2 10:25:01 web01 sshd[4243]: Failed password for root from 203.0.113.7 port 40004 ssh2",
	"Nov  2 10:25:02 web01 sshd[4243]: message repeated 2 times: [ Failed password for root from 203.0.113.7 port 40004 ssh2]",
	"Nov  2 10:25:03 web01 sshd[4243]: Received disconnect from 203.0.113.7 port 40004:11: Bye Bye [preauth]",
	"Nov  2 10:25:03 web01 sshd[4243]: Disconnected from authenticating user root 203.0.113.7 port 40004 [preauth]",
	"Nov  2 10:25:03 web01 sshd[4243]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root",
	"Nov  2 10:26:00 web01 sshd[4300]: Accepted publickey for deploy from 198.51.100.4 port 51515 ssh2: ED25519 SHA256:Ab3dEf",
	"Nov  2 10:26:00 web01 sshd[4300]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
	"Nov  2 10:26:00 web01 systemd-logind[611]: New session 42 of user deploy.",
	"Nov  2 10:26:05 web01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl restart app",
	"Nov  2 10:26:05 web01 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid=1000)",
	"Nov  2 10:27:01 web01 CRON[4400]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
	"Nov  2 10:27:01 web01 CRON[4401]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
	"Nov  2 10:27:01 web01 CRON[4400]: pam_unix(cron:session): session closed for user root",
	"Nov  2 10:28:00 web01 sshd[4300]: pam_unix(sshd:session): session closed for user deploy",
}

// BenchmarkAuthLog measures auth-log parsing alone: about 8 MiB of the
// lines above through Parse, events discarded. It reports lines/s of wall
// time and, since the machines it runs on are shared and busy, lines per
// CPU-second of this process (getrusage), which a neighbour's load
// disturbs far less.
func BenchmarkAuthLog(b *testing.B) {
	var sb strings.Builder
	lines := 0
	for sb.Len() < 8<<20 {
		for _, l := range authBenchLines {
			sb.WriteString(l + "\n")
			lines++
		}
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := Parse(strings.NewReader(data), timeline.Origin{Entry: "fs/var/log/auth.log", ModTime: mtime}, Options{}, func(timeline.Event) { n++ }, func(timeline.Warning) {}); err != nil {
			b.Fatal(err)
		}
		if n != lines {
			b.Fatalf("%d events of %d lines", n, lines)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(lines)*float64(b.N)/cpu.Seconds(), "lines/cpu-s")
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
