// Package indicators scans binaries and memory images (a recovered
// executable, an ELF core of a process's memory) for the strings that give
// a miner or an implant away: mining-pool URLs (stratum+tcp://…), Monero
// wallets, stratum JSON-RPC methods, miner names and options, well-known
// pool domains, and host:port pairs on mining ports. The scan streams a
// fixed buffer with an overlap, so a string across two reads is found; it
// reads at most Options.Max bytes; each (kind, value) is reported once per
// entry, at most MaxPerEntry times, with its byte offset.
package indicators

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// Dataset is the event.dataset of indicator events.
const Dataset = "indicators"

// Kinds of indicator.
const (
	KindPoolURL  = "mining pool URL"
	KindWallet   = "Monero wallet"
	KindStratum  = "stratum method"
	KindMiner    = "miner name or option"
	KindPool     = "mining pool domain"
	KindMiningHP = "host:port on a mining port"
)

// MaxPerEntry bounds the indicators reported per entry.
const MaxPerEntry = 100

const (
	chunk   = 1 << 20
	overlap = 512 // longer than any indicator kept
	minRun  = 6
)

// Options tune Scan.
type Options struct {
	// Max bounds the bytes read (0: 2 GiB).
	Max int64
	// PID is the process the bytes belong to; zero: read from the entry's name.
	PID int64
}

// Each pattern has a cheap test a run must pass before the regexp runs:
// most of a memory image is short strings that cannot hold the indicator.
var patterns = []struct {
	kind  string
	might func(s []byte) bool
	re    *regexp.Regexp
}{
	{KindPoolURL, has("://"), regexp.MustCompile(`(?i)\bstratum2?\+(?:tcp|ssl|tls)://[a-z0-9._-]{1,253}(?::\d{1,5})?`)},
	// A Monero address is 95 base58 characters (106 integrated) starting
	// with 4 or 8; alphanumerics are accepted, as wallets in configs and
	// command lines are often mistyped or placeholders, and nothing else in
	// a binary is a 95-character run of them starting so.
	{KindWallet, func(s []byte) bool { return len(s) >= 95 }, regexp.MustCompile(`(?:^|[^0-9A-Za-z])([48][0-9A-Za-z]{94}(?:[0-9A-Za-z]{11})?)(?:$|[^0-9A-Za-z])`)},
	{KindStratum, has(`"method"`), regexp.MustCompile(`"method"\s*:\s*"(?:login|mining\.subscribe|mining\.authorize|mining\.submit|submit|keepalived|getjob)"`)},
	{KindMiner, nil, regexp.MustCompile(`(?i)\bxmrig\b|--donate-level|\bcryptonight\b|\brandomx\b|"algo"\s*:\s*\[?\s*"rx/0"|\bnicehash\b|\bcpuminer\b|\bminerd\b`)},
	{KindPool, has("."), regexp.MustCompile(`(?i)\b(?:[a-z0-9-]+\.)*(?:supportxmr|nanopool|minexmr|hashvault|moneroocean|2miners|f2pool|c3pool|herominers|unmineable|xmrpool|minergate|dwarfpool|monerohash)\.(?:com|org|net|pro|io|eu|me)\b`)},
	{KindMiningHP, has(":"), regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}:(?:3333|4444|5555|7777|14444|45700)\b`)},
}

// Scan reads r and emits one event per indicator found.
func Scan(r io.Reader, o timeline.Origin, opts Options, event func(timeline.Event), warn func(timeline.Warning)) error {
	max := opts.Max
	if max <= 0 {
		max = 2 << 30
	}
	pid := opts.PID
	if pid == 0 {
		pid, _, _ = snapshot.ParseImageEntry(o.Entry)
	}
	seen := map[string]bool{}
	count, dropped := 0, 0
	buf := make([]byte, overlap+chunk)
	carry := 0     // bytes kept from the previous read: a string across two reads is whole in the next
	var base int64 // file offset of buf[0]
	var read int64
	for read < max {
		want := int64(chunk)
		if rem := max - read; rem < want {
			want = rem
		}
		n, err := io.ReadFull(r, buf[carry:carry+int(want)])
		read += int64(n)
		data := buf[:carry+n]
		// The overlap is scanned twice; each (kind, value) is reported once.
		for _, run := range printableRuns(data) {
			s := data[run[0]:run[1]]
			for _, p := range patterns {
				if p.might != nil && !p.might(s) {
					continue
				}
				for _, m := range p.re.FindAllSubmatchIndex(s, 8) {
					if len(m) >= 4 && m[2] >= 0 {
						m = m[2:4] // the pattern's group is the indicator itself
					}
					v := string(s[m[0]:m[1]])
					k := p.kind + "\x00" + v
					if seen[k] {
						continue
					}
					seen[k] = true
					if count >= MaxPerEntry {
						dropped++
						continue
					}
					count++
					event(build(o, p.kind, v, base+int64(run[0]+m[0]), pid))
				}
			}
		}
		if err != nil {
			break
		}
		keep := max64(0, len(data)-overlap)
		carry = copy(buf, data[keep:])
		base += int64(keep)
	}
	if read >= max {
		var one [1]byte
		if n, _ := r.Read(one[:]); n > 0 {
			warn(timeline.Warning{Entry: o.Entry, Offset: max, Message: fmt.Sprintf("scanned the first %d bytes only", max)})
		}
	}
	if dropped > 0 {
		warn(timeline.Warning{Entry: o.Entry, Message: fmt.Sprintf("%d more indicators not reported (at most %d per entry)", dropped, MaxPerEntry)})
	}
	return nil
}

func has(sub string) func([]byte) bool {
	b := []byte(sub)
	return func(s []byte) bool { return bytes.Contains(s, b) }
}

func max64(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func isPrintable(c byte) bool { return c >= 0x20 && c < 0x7f }

// printableRuns returns [start, end) of runs of printable ASCII of at least minRun bytes.
func printableRuns(b []byte) [][2]int {
	var out [][2]int
	start := -1
	for i, c := range b {
		if isPrintable(c) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= minRun {
			out = append(out, [2]int{start, i})
		}
		start = -1
	}
	if start >= 0 && len(b)-start >= minRun {
		out = append(out, [2]int{start, len(b)})
	}
	return out
}

func build(o timeline.Origin, kind, value string, off, pid int64) timeline.Event {
	where := "in " + o.Entry
	switch path.Base(o.Entry) {
	case "core":
		where = fmt.Sprintf("in the memory of PID %d", pid)
	case "exe":
		where = fmt.Sprintf("in the recovered executable of PID %d", pid)
	default:
		if strings.Contains(o.Entry, "/fd/") {
			where = fmt.Sprintf("in the recovered executable of PID %d (%s)", pid, o.Entry)
		}
	}
	at := o.ReadAt
	if at.IsZero() {
		at = o.ModTime
	}
	// value is printable ASCII (see printableRuns); outputs escape it anyway.
	ev := timeline.Event{Timestamp: at.UTC(),
		Message: fmt.Sprintf("%s: %s (%s)", kind, value, where),
		Event:   timeline.EventFields{Kind: "event", Category: []string{"malware"}, Type: []string{"indicator"}, Action: "indicator-found", Dataset: Dataset},
		Labels:  map[string]string{"indicator.kind": kind, "indicator.value": value},
		Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningObserved, TimeDerivation: "when the collector read the memory or the executable",
			Provenance: o.Provenance(0, off)}}
	if pid != 0 {
		ev.Process = &timeline.Process{PID: pid}
	}
	if kind == KindPoolURL || kind == KindMiningHP {
		ev.Event.Category = []string{"malware", "network"}
		hp := value
		if i := strings.Index(hp, "://"); i >= 0 {
			hp = hp[i+3:]
		}
		if h, p, ok := strings.Cut(hp, ":"); ok {
			port, _ := strconv.Atoi(p)
			ep := &timeline.Endpoint{Port: port}
			if isIPv4(h) {
				ep.IP = h
			} else {
				ep.Address = h
			}
			ev.Destination = ep
		}
	}
	if o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	return ev
}

func isIPv4(s string) bool {
	return strings.Count(s, ".") == 3 && strings.Trim(s, "0123456789.") == "" && !bytes.Contains([]byte(s), []byte(".."))
}
