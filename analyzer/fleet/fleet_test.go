package fleet

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/indicators"
	"github.com/cordon-forensics/cordon/timeline"
)

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

type sight struct {
	host string
	at   time.Duration
	ev   timeline.Event
}

func on(host string, at time.Duration, ev timeline.Event) sight {
	ev.Host = &timeline.Host{Name: host}
	ev.Timestamp = t0.Add(at)
	ev.Cordon.Provenance = timeline.Provenance{Bundle: "ev-" + host, Entry: "e", Line: int64(at / time.Second)}
	if ev.Message == "" {
		ev.Message = "event on " + host
	}
	return sight{host, at, ev}
}

func wallet(v string) timeline.Event {
	return timeline.Event{Event: timeline.EventFields{Dataset: indicators.Dataset},
		Labels: map[string]string{"indicator.kind": indicators.KindWallet, "indicator.value": v}}
}

func pool(v string) timeline.Event {
	return timeline.Event{Event: timeline.EventFields{Dataset: indicators.Dataset},
		Labels: map[string]string{"indicator.kind": indicators.KindPoolURL, "indicator.value": v}}
}

func exe(sha string) timeline.Event {
	return timeline.Event{Event: timeline.EventFields{Dataset: "executables", Action: "executable-recovered"},
		File: &timeline.File{Path: "/tmp/mysql (deleted)", Hash: &timeline.Hash{SHA256: sha}}}
}

func proc(cmd, suspect string) timeline.Event {
	ev := timeline.Event{Event: timeline.EventFields{Dataset: "processes", Action: "process-started"},
		Process: &timeline.Process{PID: 4242, CommandLine: cmd}, Labels: map[string]string{}}
	if suspect != "" {
		ev.Labels["suspect"] = suspect
	}
	return ev
}

func sshLogin(from, key, outcome string) timeline.Event {
	return timeline.Event{Event: timeline.EventFields{Dataset: "auth", Action: "ssh-login", Outcome: outcome},
		Source: &timeline.Endpoint{IP: from, Port: 50000}, Labels: map[string]string{"ssh.key": key}}
}

func conn(src, dst string) timeline.Event {
	return timeline.Event{Event: timeline.EventFields{Dataset: "auth", Action: "ssh-login", Outcome: "failure"},
		Source: &timeline.Endpoint{IP: src}, Destination: &timeline.Endpoint{IP: dst}}
}

const (
	shaA = "8f2a0c5e1d3b4a6978c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
	keyA = "ED25519 SHA256:attackerKEYxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	keyB = "ED25519 SHA256:adminKEYyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
)

func TestSpreads(t *testing.T) {
	for _, tc := range []struct {
		name      string
		events    []sight
		addresses map[string][]sight // address → events naming it (the search's answer)
		attackers map[string]string
		offsets   map[string]float64
		want      []string // "kind value: host host …" in order
	}{
		{
			name: "a wallet on three hosts, in the order of first sighting",
			events: []sight{
				on("agent03", 3*time.Hour, wallet("4WALLET")),
				on("agent01", 1*time.Hour, wallet("4WALLET")),
				on("agent01", 5*time.Hour, wallet("4WALLET")),
				on("agent02", 2*time.Hour, wallet("4WALLET")),
				on("agent02", 2*time.Hour, wallet("4OTHER")), // one host only
			},
			want: []string{"wallet 4WALLET: agent01 agent02 agent03"},
		},
		{
			name: "pools by URL, scheme and case aside; executables by hash",
			events: []sight{
				on("b", time.Hour, pool("stratum+tcp://POOL.example.net:3333")),
				on("a", 2*time.Hour, pool("pool.example.net:3333")),
				on("a", time.Hour, exe(shaA)),
				on("c", 2*time.Hour, exe(strings.ToUpper(shaA))),
			},
			want: []string{"executable " + shaA + ": a c", "pool pool.example.net:3333: b a"},
		},
		{
			name: "command lines only of suspect processes; the collector's own is never evidence",
			events: []sight{
				on("a", time.Hour, proc("/tmp/mysql -o pool:3333", "exe deleted")),
				on("b", 2*time.Hour, proc("/tmp/mysql -o pool:3333", "exe under /tmp")),
				on("a", time.Hour, proc("/usr/sbin/sshd -D", "")),
				on("b", time.Hour, proc("/usr/sbin/sshd -D", "")),
				on("a", time.Hour, func() timeline.Event {
					ev := proc("/tmp/cordon-collect -o -", "exe under /tmp")
					ev.Labels["cordon.collector"] = "self"
					return ev
				}()),
				on("b", time.Hour, proc("/tmp/cordon-collect -o -", "exe under /tmp")),
			},
			want: []string{"command-line /tmp/mysql -o pool:3333: a b"},
		},
		{
			name: "an address counts only when the correlation named it",
			addresses: map[string][]sight{
				"203.0.113.9":  {on("b", time.Hour, conn("203.0.113.9", "10.0.0.2")), on("a", 2*time.Hour, conn("203.0.113.9", "10.0.0.1"))},
				"198.51.100.1": {on("a", time.Hour, conn("198.51.100.1", "10.0.0.1")), on("b", time.Hour, conn("198.51.100.1", "10.0.0.2"))},
			},
			attackers: map[string]string{"203.0.113.9": "attacker of a thread"},
			want:      []string{"address 203.0.113.9: b a"},
		},
		{
			name: "an SSH key counts when accepted from an attacker address on some host",
			events: []sight{
				on("a", time.Hour, sshLogin("203.0.113.9", keyA, "success")),
				on("b", 2*time.Hour, sshLogin("192.0.2.50", keyA, "success")),
				on("a", time.Hour, sshLogin("192.0.2.10", keyB, "success")),
				on("b", time.Hour, sshLogin("192.0.2.10", keyB, "success")),
				on("c", time.Hour, sshLogin("203.0.113.9", keyA, "failure")), // not accepted: no sighting
			},
			attackers: map[string]string{"203.0.113.9": "x"},
			want:      []string{"ssh-key " + keyA + ": a b"},
		},
		{
			name: "measured clock offsets order the hosts",
			events: []sight{
				on("fast", 2*time.Hour, wallet("4W")), // its clock ran an hour and a half ahead
				on("slow", 1*time.Hour, wallet("4W")),
			},
			offsets: map[string]float64{"fast": 5400},
			want:    []string{"wallet 4W: fast slow"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := NewObserver(HostOf, tc.offsets)
			for _, s := range tc.events {
				o.Add(&s.ev)
			}
			for addr, evs := range tc.addresses {
				for _, s := range evs {
					o.AddAddress(&s.ev, addr)
				}
			}
			var got []string
			for _, sp := range o.Spreads(tc.attackers) {
				got = append(got, string(sp.Kind)+" "+sp.Value+": "+strings.Join(sp.HostNames(), " "))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("spreads:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// A finding names every host in the order reached, with its first and
// last sightings, and cites both as evidence.
func TestFindingsNameTheHostsInOrder(t *testing.T) {
	o := NewObserver(HostOf, map[string]float64{"agent02": -1.5})
	for _, s := range []sight{
		on("agent02", 2*time.Hour, exe(shaA)),
		on("agent01", 1*time.Hour, exe(shaA)),
		on("agent01", 3*time.Hour, exe(shaA)),
	} {
		o.Add(&s.ev)
	}
	fs := Findings(o.Spreads(nil))
	if len(fs) != 1 {
		t.Fatalf("findings %+v", fs)
	}
	f := fs[0]
	if f.RuleID != "CORDON-FLEET-004" || f.Attack.ID != "T1570" || !strings.Contains(f.Title, "2 hosts") || !strings.Contains(f.Title, shaA) {
		t.Errorf("finding %+v", f)
	}
	want := []string{
		"hosts in the order reached: agent01 → agent02",
		"1. agent01: first 2026-11-02T11:00:00Z, last 2026-11-02T13:00:00Z, 2 events",
		"2. agent02: first 2026-11-02T12:00:00Z, last 2026-11-02T12:00:00Z, 1 events (its clock was -1.500 s off: ordered by 2026-11-02T12:00:01.5Z)",
	}
	if strings.Join(f.Instances, "\n") != strings.Join(want, "\n") {
		t.Errorf("instances:\n%s", strings.Join(f.Instances, "\n"))
	}
	if len(f.Evidence) != 3 || !strings.HasPrefix(f.Evidence[0].Message, "agent01, first:") || !strings.HasPrefix(f.Evidence[1].Message, "agent01, last:") ||
		f.Evidence[2].Provenance.Bundle != "ev-agent02" {
		t.Errorf("evidence %+v", f.Evidence)
	}
}

// An address seen only as a destination is something the hosts reached
// out to (T1071), not a way in.
func TestOutboundAddress(t *testing.T) {
	o := NewObserver(HostOf, nil)
	for _, s := range []sight{on("a", time.Hour, conn("10.0.0.1", "198.51.100.20")), on("b", time.Hour, conn("10.0.0.2", "198.51.100.20"))} {
		o.AddAddress(&s.ev, "198.51.100.20")
	}
	fs := Findings(o.Spreads(map[string]string{"198.51.100.20": "pool"}))
	if len(fs) != 1 || fs[0].RuleID != "CORDON-FLEET-001" || fs[0].Attack.ID != "T1071" {
		t.Errorf("findings %+v", fs)
	}
}

func TestBounds(t *testing.T) {
	o := NewObserver(HostOf, nil)
	for i := 0; i < maxValues+10; i++ {
		s := on("a", time.Duration(i), wallet(fmt.Sprintf("4W%d", i)))
		o.Add(&s.ev)
	}
	if o.Dropped == 0 {
		t.Error("no sighting dropped past the bound")
	}
	long := on("a", 0, proc(strings.Repeat("A", 10*maxValueLen), "x"))
	o.Add(&long.ev)
	for k := range o.obs {
		if len(k.value) > maxValueLen {
			t.Errorf("a value of %d bytes kept", len(k.value))
		}
	}
}

func TestAddrQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.9", `source.ip:"203.0.113.9" destination.ip:"203.0.113.9" source.ip:"::ffff:203.0.113.9" destination.ip:"::ffff:203.0.113.9"`},
		{"2001:DB8::1", `source.ip:"2001:db8::1" destination.ip:"2001:db8::1" source.ip:"2001:DB8::1" destination.ip:"2001:DB8::1"`},
		{`1.2.3.4" OR *`, ""},
		{"fe80::1%eth0\"", ""},
		{"web01", ""},
	} {
		if got := AddrQuery(tc.in); got != tc.want {
			t.Errorf("AddrQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
