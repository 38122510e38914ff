package analyzertest

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/bundletest"
)

// FleetOptions shape SyntheticFleet.
type FleetOptions struct {
	// Bundles are written over Hosts hosts: bundle i is of host i%Hosts
	// ("agent00", "agent01", …), and a host's k-th bundle holds its k-th
	// day of logs (collected at the end of that day).
	Bundles, Hosts int
	// Each bundle's auth.log holds between MinLines and MaxLines sshd lines
	// (drawn per bundle, reproducibly).
	MinLines, MaxLines int
}

// The synthetic fleet's attacker: an address that brute-forces the root
// password of the first host it reaches on the first day, then logs in to
// the next ones with an SSH key of its own (after a failed password or
// two). Every host also sees the administrators log in with their key from
// the management network (never a fleet finding), and failed passwords
// from many addresses of the Internet.
const (
	FleetAttacker = "203.0.113.66"
	FleetKey      = "ED25519 SHA256:c0rd0nFleetAttackerKeyXXXXXXXXXXXXXXXXXXXXXXX"
	FleetAdminKey = "ED25519 SHA256:c0rd0nFleetAdminKeyYYYYYYYYYYYYYYYYYYYYYYYYYY"
	FleetAdmin    = "10.0.0.5"
)

// Fleet is what SyntheticFleet wrote.
type Fleet struct {
	Paths []string // in order: bundle i at Paths[i]
	Hosts []string // of each bundle
	// Reached are the hosts the attacker reached, in the order it did
	// (not the order of their names), and when.
	Reached   []string
	ReachedAt []time.Time
	// Lines is the number of auth.log lines of each bundle.
	Lines []int
}

// SyntheticFleet writes o.Bundles bundles of several hosts, each holding
// one real-format auth.log read by the syslog parser of the real binary,
// into dir. The attacker reaches every other host on the first day, in an
// order that is not that of their names. Hosts' clocks are offset by up to ±0.8 s (recorded in
// the custody, as --reference-time does).
func SyntheticFleet(t testing.TB, dir string, o FleetOptions) Fleet {
	t.Helper()
	if o.Hosts <= 0 || o.Bundles <= 0 || o.MinLines <= 0 || o.MaxLines < o.MinLines {
		t.Fatalf("SyntheticFleet: bad options %+v", o)
	}
	rng := rand.New(rand.NewSource(16))
	day0 := T0.Truncate(24 * time.Hour)
	// The attacker's round on day 0: every other host, 7 minutes apart.
	var targets []int
	for h := 0; h < o.Hosts; h += 2 {
		targets = append(targets, h)
	}
	// An order that is not the names': by 7h mod Hosts.
	slices.SortStableFunc(targets, func(a, b int) int { return (a*7)%o.Hosts - (b*7)%o.Hosts })
	attackAt := map[int]time.Time{}
	var f Fleet
	for k, h := range targets {
		at := day0.Add(2*time.Hour + time.Duration(k)*7*time.Minute)
		attackAt[h] = at
		f.Reached = append(f.Reached, hostName(h))
		f.ReachedAt = append(f.ReachedAt, at)
	}
	for i := 0; i < o.Bundles; i++ {
		h, d := i%o.Hosts, i/o.Hosts
		host := hostName(h)
		n := o.MinLines + rng.Intn(o.MaxLines-o.MinLines+1)
		start := day0.Add(time.Duration(d) * 24 * time.Hour)
		lines := make([]fleetLine, 0, n+10)
		for j := 0; j < n; j++ {
			ts := start.Add(time.Duration(j) * (24 * time.Hour / time.Duration(n)))
			pid := 1000 + rng.Intn(60000)
			port := 1024 + rng.Intn(60000)
			var msg string
			switch r := rng.Intn(20); {
			case r == 0:
				msg = fmt.Sprintf("sshd[%d]: Accepted publickey for deploy from %s port %d ssh2: %s", pid, FleetAdmin, port, FleetAdminKey)
			case r == 1:
				msg = fmt.Sprintf("sshd[%d]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)", pid)
			default:
				ip := fmt.Sprintf("198.51.%d.%d", 100+rng.Intn(100), 1+rng.Intn(254))
				msg = fmt.Sprintf("sshd[%d]: Failed password for invalid user admin%d from %s port %d ssh2", pid, rng.Intn(100), ip, port)
			}
			lines = append(lines, fleetLine{ts, msg})
		}
		if at, ok := attackAt[h]; ok && d == 0 {
			lines = append(lines, attackLines(at, h == targets[0], rng)...)
		}
		sortLines(lines)
		var sb strings.Builder
		for _, l := range lines {
			fmt.Fprintf(&sb, "%s %s %s\n", l.t.Format(time.Stamp), host, l.msg)
		}
		end := start.Add(24 * time.Hour)
		offset := float64(h%5-2) * 0.4
		path := bundletest.Write(t, dir, fmt.Sprintf("%s-day%d.cordon", host, d),
			bundletest.Options{Host: host, EvidenceID: fmt.Sprintf("ev-%s-day%d", host, d), Start: end, CheckpointBytes: 1 << 20,
				Edit: func(c *bundle.Custody) {
					c.Host.ReferenceTime = end.Add(-time.Duration(offset * float64(time.Second)))
					c.Host.ClockOffsetSeconds = &offset
				}},
			bundletest.File("/var/log/auth.log", []byte(sb.String()), end))
		f.Paths = append(f.Paths, path)
		f.Hosts = append(f.Hosts, host)
		f.Lines = append(f.Lines, len(lines))
	}
	return f
}

type fleetLine struct {
	t   time.Time
	msg string
}

func sortLines(ls []fleetLine) {
	slices.SortStableFunc(ls, func(a, b fleetLine) int { return a.t.Compare(b.t) })
}

// attackLines are the attacker's lines on one host: on the first, a brute
// force of root's password then its key installed and used; on the next,
// a failed password then the key.
func attackLines(at time.Time, first bool, rng *rand.Rand) []fleetLine {
	var out []fleetLine
	pid := 70000 + rng.Intn(1000)
	add := func(d time.Duration, format string, a ...any) {
		out = append(out, fleetLine{at.Add(d), fmt.Sprintf("sshd[%d]: ", pid) + fmt.Sprintf(format, a...)})
		pid++
	}
	if first {
		for k := 0; k < 12; k++ {
			add(time.Duration(k)*2*time.Second, "Failed password for root from %s port %d ssh2", FleetAttacker, 40000+k)
		}
		add(30*time.Second, "Accepted password for root from %s port %d ssh2", FleetAttacker, 40100)
		add(3*time.Minute, "Accepted publickey for root from %s port %d ssh2: %s", FleetAttacker, 40200, FleetKey)
		return out
	}
	add(0, "Failed password for root from %s port %d ssh2", FleetAttacker, 41000)
	add(5*time.Second, "Accepted publickey for root from %s port %d ssh2: %s", FleetAttacker, 41001, FleetKey)
	add(40*time.Minute, "Accepted publickey for root from %s port %d ssh2: %s", FleetAttacker, 41002, FleetKey)
	return out
}

func hostName(h int) string { return fmt.Sprintf("agent%02d", h) }
