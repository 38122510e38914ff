// Package fleet finds what an attacker left on several hosts of a case: the
// same attacker address, mining wallet or pool, recovered executable
// (SHA-256), suspicious command line or SSH key. Each such value seen on
// two hosts or more becomes one Spread, naming every host with its first
// and last sighting, the hosts in the order they were reached, and one
// finding with an ATT&CK technique.
//
// What makes a value the attacker's is judged on the hosts themselves, not
// here: a wallet or pool is one by nature (the miner's strings in memory
// or a binary, or a stratum login on the wire); an executable is one the
// collector recovered because the process running it was suspect (deleted,
// in /tmp, in memory only); a command line is one of a process the
// collector marked suspect, or the program a database was made to run; an
// address is one the correlation of some host named as the attacker's; an
// SSH key is one accepted from such an address. An Observer reads the
// events of the case once (Add) for all but addresses, which are known
// only once the correlation is done: their sightings are given afterwards
// (AddAddress, from a search of the case for each address).
//
// Times are as each host's clock wrote them; when a host's clock offset
// was measured at collection, the order of the hosts uses its times
// corrected by it, and says so.
package fleet

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/formats/indicators"
	"github.com/cordon-forensics/cordon/timeline"
)

// Kind is what a value is.
type Kind string

// The kinds of values followed across hosts.
const (
	Address     Kind = "address"
	Wallet      Kind = "wallet"
	Pool        Kind = "pool"
	Executable  Kind = "executable"
	CommandLine Kind = "command-line"
	SSHKey      Kind = "ssh-key"
)

// Bounds on what an Observer keeps (the rest is counted in Dropped).
const (
	// maxValues bounds the distinct values of one kind.
	maxValues = 20_000
	// maxSources bounds the source addresses remembered per SSH key.
	maxSources = 64
	// maxValueLen cuts a value (a command line) before it is compared.
	maxValueLen = 2048
)

// Sighting is what one host shows of one value.
type Sighting struct {
	Host   string    `json:"host"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	Events int       `json:"events"`
	// ClockOffset is the host's clock offset measured at collection, in
	// seconds (positive: the host ran ahead), when it was measured.
	ClockOffset *float64          `json:"clock_offset_seconds,omitempty"`
	FirstRef    findings.Evidence `json:"first_evidence"`
	LastRef     findings.Evidence `json:"last_evidence"`
	// AsSource and AsDestination say, for an address, on which side of the
	// events it was.
	AsSource      bool `json:"as_source,omitempty"`
	AsDestination bool `json:"as_destination,omitempty"`
}

// corrected is the first sighting on a reference clock, when the host's
// offset is known.
func (s Sighting) corrected() time.Time {
	if s.ClockOffset == nil {
		return s.First
	}
	return s.First.Add(-time.Duration(*s.ClockOffset * float64(time.Second)))
}

// Spread is one value seen on several hosts.
type Spread struct {
	Kind  Kind   `json:"kind"`
	Value string `json:"value"`
	// Why says what made the value the attacker's.
	Why string `json:"why"`
	// Hosts are in the order they were reached: by first sighting
	// (corrected by the clock offset where it was measured), then name.
	Hosts []Sighting `json:"hosts"`
}

// HostNames returns the hosts in the order they were reached.
func (s Spread) HostNames() []string {
	out := make([]string, len(s.Hosts))
	for i, h := range s.Hosts {
		out[i] = h.Host
	}
	return out
}

type key struct {
	kind  Kind
	value string
}

// observation is what was seen of one value.
type observation struct {
	why     string
	hosts   map[string]*Sighting
	sources map[string]bool // SSH keys: the addresses they were accepted from
}

// Observer gathers the values of a case's events, host by host.
type Observer struct {
	hostOf  func(*timeline.Event) string
	offsets map[string]float64
	obs     map[key]*observation
	counts  map[Kind]int
	// Dropped counts sightings not kept because a bound was reached.
	Dropped int
}

// NewObserver returns an Observer. hostOf names the host of an event (""
// for none: the event is not counted); offsets are the hosts' measured
// clock offsets in seconds, by host.
func NewObserver(hostOf func(*timeline.Event) string, offsets map[string]float64) *Observer {
	return &Observer{hostOf: hostOf, offsets: offsets, obs: map[key]*observation{}, counts: map[Kind]int{}}
}

// HostOf is the usual hostOf: the event's host.name.
func HostOf(ev *timeline.Event) string {
	if ev.Host == nil {
		return ""
	}
	return ev.Host.Name
}

// Add reads one event for wallets, pools, executables, command lines and
// SSH keys.
func (o *Observer) Add(ev *timeline.Event) {
	if ev.Labels["cordon.collector"] == "self" {
		return // the collector's own process is no evidence (parsers.SelfLabel)
	}
	switch ev.Event.Dataset {
	case indicators.Dataset:
		kind, value := ev.Labels["indicator.kind"], ev.Labels["indicator.value"]
		switch kind {
		case indicators.KindWallet:
			o.see(ev, Wallet, value, "a mining wallet found "+whereFound(ev))
		case indicators.KindPoolURL, indicators.KindPool, indicators.KindMiningHP:
			o.see(ev, Pool, poolOf(value), "a mining pool found "+whereFound(ev))
		}
	case "executables":
		if ev.File != nil && ev.File.Hash != nil && len(ev.File.Hash.SHA256) == 64 {
			o.see(ev, Executable, strings.ToLower(ev.File.Hash.SHA256), "an executable the collector recovered from a suspect process")
		}
	case "processes":
		if ev.Labels["suspect"] != "" && ev.Process != nil {
			cl := ev.Process.CommandLine
			if cl == "" {
				cl = strings.Join(ev.Process.Args, " ")
			}
			o.see(ev, CommandLine, cl, "the command line of a process the collector marked suspect")
		}
	case "postgresql":
		if p := ev.Labels["postgresql.program"]; p != "" {
			o.see(ev, CommandLine, p, "a program the database was made to run")
		}
	}
	if ev.Network != nil && ev.Network.Protocol == "stratum" {
		if l := ev.Labels["stratum.login"]; l != "" {
			o.see(ev, Wallet, l, "a stratum (mining) login on the wire")
		}
		if d := ev.Destination; d != nil && d.IP != "" && d.Port != 0 {
			o.see(ev, Pool, netip.AddrPortFrom(parseAddr(d.IP), uint16(d.Port)).String(), "a stratum (mining) server on the wire")
		}
	}
	if k := ev.Labels["ssh.key"]; k != "" && ev.Event.Outcome == "success" {
		if ob := o.see(ev, SSHKey, k, ""); ob != nil && ev.Source != nil && ev.Source.IP != "" {
			if ob.sources == nil {
				ob.sources = map[string]bool{}
			}
			if len(ob.sources) < maxSources {
				ob.sources[normAddr(ev.Source.IP)] = true
			}
		}
	}
}

// AddAddress reads one event naming addr (as source.ip or destination.ip).
func (o *Observer) AddAddress(ev *timeline.Event, addr string) {
	ob := o.see(ev, Address, normAddr(addr), "")
	if ob == nil {
		return
	}
	s := ob.hosts[o.hostOf(ev)]
	if s == nil {
		return
	}
	if ev.Source != nil && normAddr(ev.Source.IP) == normAddr(addr) {
		s.AsSource = true
	}
	if ev.Destination != nil && normAddr(ev.Destination.IP) == normAddr(addr) {
		s.AsDestination = true
	}
}

// see records one sighting of value on the event's host.
func (o *Observer) see(ev *timeline.Event, kind Kind, value, why string) *observation {
	value = strings.TrimSpace(value)
	host := o.hostOf(ev)
	if value == "" || host == "" {
		return nil
	}
	if len(value) > maxValueLen {
		value = value[:maxValueLen]
	}
	k := key{kind, value}
	ob := o.obs[k]
	if ob == nil {
		if o.counts[kind] >= maxValues {
			o.Dropped++
			return nil
		}
		o.counts[kind]++
		ob = &observation{why: why, hosts: map[string]*Sighting{}}
		o.obs[k] = ob
	}
	ref := findings.Evidence{Time: ev.Timestamp.UTC().Format("2006-01-02T15:04:05.000000000Z"), Message: cut(ev.Message, 300), Provenance: ev.Cordon.Provenance}
	s := ob.hosts[host]
	if s == nil {
		s = &Sighting{Host: host, First: ev.Timestamp, Last: ev.Timestamp, FirstRef: ref, LastRef: ref}
		if off, ok := o.offsets[host]; ok {
			s.ClockOffset = &off
		}
		ob.hosts[host] = s
	}
	s.Events++
	if ev.Timestamp.Before(s.First) {
		s.First, s.FirstRef = ev.Timestamp, ref
	}
	if !ev.Timestamp.Before(s.Last) {
		s.Last, s.LastRef = ev.Timestamp, ref
	}
	return ob
}

// Spreads returns the values seen on two hosts or more. attackers are the
// addresses the correlation named (address → why); an SSH key counts when
// it was accepted from one of them. The order is total: kind, then the
// number of hosts (most first), then value.
func (o *Observer) Spreads(attackers map[string]string) []Spread {
	norm := map[string]string{}
	for a, why := range attackers {
		norm[normAddr(a)] = why
	}
	var out []Spread
	for k, ob := range o.obs {
		if len(ob.hosts) < 2 {
			continue
		}
		why := ob.why
		switch k.kind {
		case Address:
			why = norm[k.value]
			if why == "" {
				continue
			}
		case SSHKey:
			var from []string
			for a := range ob.sources {
				if norm[a] != "" {
					from = append(from, a)
				}
			}
			if len(from) == 0 {
				continue
			}
			slices.Sort(from)
			why = "an SSH key accepted from the attacker address " + strings.Join(from, ", ")
		}
		sp := Spread{Kind: k.kind, Value: k.value, Why: why}
		for _, s := range ob.hosts {
			sp.Hosts = append(sp.Hosts, *s)
		}
		slices.SortFunc(sp.Hosts, func(a, b Sighting) int {
			if c := a.corrected().Compare(b.corrected()); c != 0 {
				return c
			}
			return cmp.Compare(a.Host, b.Host)
		})
		out = append(out, sp)
	}
	rank := map[Kind]int{Address: 0, SSHKey: 1, Executable: 2, CommandLine: 3, Wallet: 4, Pool: 5}
	slices.SortFunc(out, func(a, b Spread) int {
		if c := cmp.Compare(rank[a.Kind], rank[b.Kind]); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.Hosts), len(a.Hosts)); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
	return out
}

// whereFound says where an indicator was read.
func whereFound(ev *timeline.Event) string {
	if strings.HasSuffix(ev.Cordon.Provenance.Entry, "/core") {
		return "in a process's memory"
	}
	return "in a recovered executable"
}

// poolOf is a pool URL or host:port without its scheme, the host in lower case.
func poolOf(v string) string {
	if i := strings.Index(v, "://"); i >= 0 {
		v = v[i+3:]
	}
	v = strings.TrimSuffix(v, "/")
	return strings.ToLower(v)
}

// parseAddr parses an IP address; an unparsable one is the zero Addr.
func parseAddr(s string) netip.Addr {
	a, _ := netip.ParseAddr(strings.Trim(s, "[]"))
	return a.Unmap()
}

// normAddr is an IP address in its canonical form (as written when it does not parse).
func normAddr(s string) string {
	if a := parseAddr(s); a.IsValid() {
		return a.String()
	}
	return s
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// AddrQuery is the query string that finds the events naming addr, or ""
// when addr is not an IP address (nothing else is ever put in a query).
// It names the address as written, in its canonical form, and an IPv4
// address also as IPv4-mapped IPv6 (as /proc/net/tcp6 shows it).
func AddrQuery(addr string) string {
	a := parseAddr(addr)
	if !a.IsValid() || a.Zone() != "" {
		return ""
	}
	forms := []string{a.String()}
	if raw := strings.Trim(addr, "[]"); raw != a.String() {
		if r, err := netip.ParseAddr(raw); err == nil && r.Zone() == "" {
			forms = append(forms, raw)
		}
	}
	if a.Is4() {
		forms = append(forms, "::ffff:"+a.String())
	}
	var parts []string
	for _, f := range forms {
		parts = append(parts, fmt.Sprintf(`source.ip:"%s" destination.ip:"%s"`, f, f))
	}
	return strings.Join(parts, " ")
}
