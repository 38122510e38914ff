package analyzertest

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/bundletest"
)

// Synthetic writes a bundle of n test-lines events in entries of 50,000 lines,
// each entry in time order but the entries overlapping (as rotated logs of
// several daemons do), over 30 days.
func Synthetic(b testing.TB, dir string, n int) string {
	b.Helper()
	rng := rand.New(rand.NewSource(1))
	ips := make([]string, 5000)
	for i := range ips {
		ips[i] = fmt.Sprintf("%d.%d.%d.%d", 10+rng.Intn(200), rng.Intn(256), rng.Intn(256), 1+rng.Intn(254))
	}
	ips[0] = "203.0.113.7"
	users := make([]string, 200)
	for i := range users {
		users[i] = fmt.Sprintf("user%03d", i)
	}
	users[0] = "deploy"
	exes := []string{"/usr/sbin/sshd", "/usr/bin/sudo", "/usr/sbin/cron", "/usr/lib/postgresql/15/bin/postgres",
		"/usr/bin/bash", "/usr/bin/python3", "/tmp/mysql (deleted)", "/usr/bin/curl", "/usr/sbin/nginx", "/usr/bin/dockerd"}
	dirs := []string{"/etc", "/var/log", "/usr/lib/x86_64-linux-gnu", "/home/deploy", "/tmp", "/var/lib/postgresql/15/main/base/16384"}
	_, priv, err := bundle.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "synthetic.cordon")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w, err := bundle.NewWriter(f, bundle.Options{Key: priv, Ephemeral: true, EvidenceID: "bench", Collector: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	const perEntry = 50_000
	span := 30 * 24 * time.Hour
	var sb strings.Builder
	for e := 0; e*perEntry < n; e++ {
		m := min(perEntry, n-e*perEntry)
		start := T0.Add(time.Duration(rng.Int63n(int64(span / 2))))
		step := span / 2 / time.Duration(m)
		sb.Reset()
		for i := 0; i < m; i++ {
			ts := start.Add(time.Duration(i)*step + time.Duration(rng.Int63n(int64(step)))).Format(time.RFC3339Nano)
			ip, user := ips[rng.Intn(len(ips))], users[rng.Intn(len(users))]
			pid := 1000 + rng.Intn(60000)
			port := 1024 + rng.Intn(64000)
			switch k := rng.Intn(10); {
			case k < 3:
				fmt.Fprintf(&sb, "%s|ssh-login-failed|/usr/sbin/sshd|%d|%s|sshd[%d]: Failed password for invalid user %s from %s port %d ssh2\n", ts, pid, ip, pid, user, ip, port)
			case k < 4:
				fmt.Fprintf(&sb, "%s|ssh-login|/usr/sbin/sshd|%d|%s|sshd[%d]: Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%x\n", ts, pid, ip, pid, user, ip, port, rng.Int63())
			case k < 6:
				exe := exes[rng.Intn(len(exes))]
				fmt.Fprintf(&sb, "%s|process-started|%s|%d||process %d %q started: exe %q, parent %d, command line \"%s -c %d --user %s\"\n", ts, exe, pid, pid, filepath.Base(exe), exe, 1+rng.Intn(pid), exe, rng.Intn(1000), user)
			case k < 8:
				p := fmt.Sprintf("%s/%s-%d.%s", dirs[rng.Intn(len(dirs))], user, rng.Intn(100000), []string{"conf", "log", "so", "sh", "json"}[rng.Intn(5)])
				fmt.Fprintf(&sb, "%s|file-mtime|||||file %s\n", ts, p)
			case k < 9:
				fmt.Fprintf(&sb, "%s|CRON|/usr/sbin/cron|%d||CRON[%d]: (%s) CMD (/usr/local/bin/backup.sh --target %s >/dev/null 2>&1)\n", ts, pid, pid, user, ip)
			default:
				fmt.Fprintf(&sb, "%s|socket-connected|/usr/bin/curl|%d|%s|tcp 10.0.0.5:%d -> %s:3333 ESTABLISHED, held by process %d \"curl\"\n", ts, pid, ip, port, ip, pid)
			}
		}
		name := fmt.Sprintf("%sbench-%04d.log", TestPrefix, e)
		if _, err := w.AddBytes(bundle.EntryMeta{Name: name, HostPath: "/var/log/" + name, Source: "logs",
			Original: &bundle.FileInfo{Type: "file", Mtime: T0.Add(span)}}, []byte(sb.String())); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.Close(bundle.Custody{EvidenceID: "bench", Host: bundle.HostFacts{Hostname: "bench01"}}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// SyntheticAuthLog writes a bundle holding one real-format auth.log of n
// sshd lines (failed and accepted passwords from many addresses, a day of
// them), read by the syslog parser of the real binary.
func SyntheticAuthLog(t testing.TB, dir string, n int) string {
	t.Helper()
	rng := rand.New(rand.NewSource(2))
	var sb strings.Builder
	start := T0.Add(-24 * time.Hour)
	for i := 0; i < n; i++ {
		ts := start.Add(time.Duration(i) * (24 * time.Hour / time.Duration(n)))
		ip := fmt.Sprintf("198.51.%d.%d", rng.Intn(256), 1+rng.Intn(254))
		pid := 1000 + rng.Intn(60000)
		if rng.Intn(10) == 0 {
			fmt.Fprintf(&sb, "%s web01 sshd[%d]: Accepted password for deploy from %s port %d ssh2\n", ts.Format(time.Stamp), pid, ip, 1024+rng.Intn(60000))
		} else {
			fmt.Fprintf(&sb, "%s web01 sshd[%d]: Failed password for invalid user admin%d from %s port %d ssh2\n", ts.Format(time.Stamp), pid, rng.Intn(100), ip, 1024+rng.Intn(60000))
		}
	}
	return bundletest.Write(t, dir, "authlog.cordon", bundletest.Options{Host: "web01", Start: T0},
		bundletest.File("/var/log/auth.log", []byte(sb.String()), T0))
}
