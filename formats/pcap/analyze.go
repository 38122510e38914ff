package pcap

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/cordon-forensics/cordon/timeline"
)

// maxOriginal bounds the raw text copied into an event.
const maxOriginal = 512

type flowKey struct {
	proto    string
	src, dst netip.AddrPort
}

// Flow is one 5-tuple seen in the capture; Src is the side that sent the
// first packet (or the SYN).
type Flow struct {
	Transport             string
	Src, Dst              netip.AddrPort
	First, Last           time.Time
	FirstOffset           int64
	PacketsOut, PacketsIn int64
	BytesOut, BytesIn     int64
	SYN, SYNACK, ACK      bool
	FIN, RST              bool
	CloseTime             time.Time
	Protocol              string
}

// Parse reads a pcap or pcapng capture and returns its events. It never
// panics on bad input: what cannot be read is a warning with its offset.
func Parse(r io.Reader, o timeline.Origin) timeline.Result {
	var res timeline.Result
	warn := func(off int64, msg string) {
		if len(res.Warnings) < MaxWarnings {
			res.Warn(o, 0, off, "%s", msg)
		}
	}
	rd, err := newReader(r, warn)
	if err != nil {
		warn(0, err.Error())
		return res
	}
	a := &analyzer{o: o, flows: map[flowKey]*Flow{}, warn: warn}
	n := 0
	for {
		p, err := rd.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			warn(rd.off, fmt.Sprintf("capture unreadable from here: %v", err))
			break
		}
		if n++; n > MaxPackets {
			warn(p.Offset, fmt.Sprintf("more than %d packets: the rest is not analysed", MaxPackets))
			break
		}
		a.packet(p)
	}
	if a.flowOverflow > 0 {
		warn(0, fmt.Sprintf("%d packets belonged to flows beyond the limit of %d flows: not counted", a.flowOverflow, MaxFlows))
	}
	res.Events = append(a.events, a.flowEvents()...)
	res.Warnings = append(res.Warnings, a.warnings...)
	return res
}

type analyzer struct {
	o            timeline.Origin
	flows        map[flowKey]*Flow
	order        []*Flow
	events       []timeline.Event
	warnings     []timeline.Warning
	warn         func(int64, string)
	flowOverflow int64
}

func (a *analyzer) packet(p Packet) {
	defer func() {
		// gopacket decoders are third-party code fed hostile bytes.
		if r := recover(); r != nil {
			a.warn(p.Offset, fmt.Sprintf("packet decoder failed: %v", r))
		}
	}()
	pkt := gopacket.NewPacket(p.Data, layers.LinkType(p.LinkType), gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	var src, dst netip.Addr
	switch ip := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
	case *layers.IPv6:
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
	default:
		return
	}
	var transport string
	var sport, dport uint16
	var payload []byte
	var tcp *layers.TCP
	switch l := pkt.TransportLayer().(type) {
	case *layers.TCP:
		transport, sport, dport, payload, tcp = "tcp", uint16(l.SrcPort), uint16(l.DstPort), l.Payload, l
	case *layers.UDP:
		transport, sport, dport, payload = "udp", uint16(l.SrcPort), uint16(l.DstPort), l.Payload
	default:
		return
	}
	s, d := netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport)
	f, out := a.flow(transport, s, d, p, tcp)
	if f != nil {
		if out {
			f.PacketsOut++
			f.BytesOut += int64(p.OrigLen)
		} else {
			f.PacketsIn++
			f.BytesIn += int64(p.OrigLen)
		}
		if p.Time.After(f.Last) {
			f.Last = p.Time
		}
		if tcp != nil {
			switch {
			case tcp.SYN && !tcp.ACK:
				f.SYN = true
			case tcp.SYN && tcp.ACK:
				f.SYNACK = true
			case tcp.ACK && f.SYNACK && !f.ACK && out:
				f.ACK = true
			}
			if (tcp.FIN || tcp.RST) && f.CloseTime.IsZero() {
				f.CloseTime = p.Time
			}
			f.FIN = f.FIN || tcp.FIN
			f.RST = f.RST || tcp.RST
		}
	}
	if dns, ok := pkt.Layer(layers.LayerTypeDNS).(*layers.DNS); ok {
		a.dns(p, s, d, transport, dns)
		return
	}
	if len(payload) > 0 {
		a.app(p, s, d, transport, payload, f)
	}
}

// flow finds or makes the flow of a packet; out says the packet goes from
// the flow's Src to its Dst.
func (a *analyzer) flow(transport string, s, d netip.AddrPort, p Packet, tcp *layers.TCP) (*Flow, bool) {
	if f, ok := a.flows[flowKey{transport, s, d}]; ok {
		return f, true
	}
	if f, ok := a.flows[flowKey{transport, d, s}]; ok {
		return f, false
	}
	if len(a.flows) >= MaxFlows {
		a.flowOverflow++
		return nil, false
	}
	src, dst := s, d
	// A SYN-ACK first (capture started mid-handshake): the client is the receiver.
	if tcp != nil && tcp.SYN && tcp.ACK {
		src, dst = d, s
	}
	f := &Flow{Transport: transport, Src: src, Dst: dst, First: p.Time, Last: p.Time, FirstOffset: p.Offset}
	a.flows[flowKey{transport, src, dst}] = f
	a.order = append(a.order, f)
	return f, src == s
}

func (a *analyzer) base(p Packet, s, d netip.AddrPort, transport, proto, action string, meaning timeline.Meaning) timeline.Event {
	return timeline.Event{
		Timestamp:   p.Time,
		Event:       timeline.EventFields{Kind: "event", Category: []string{"network"}, Type: []string{"protocol"}, Action: action, Dataset: "pcap"},
		Source:      &timeline.Endpoint{IP: s.Addr().String(), Port: int(s.Port())},
		Destination: &timeline.Endpoint{IP: d.Addr().String(), Port: int(d.Port())},
		Network:     &timeline.Network{Transport: transport, Protocol: proto},
		Cordon:      timeline.Cordon{TimeMeaning: meaning, Provenance: a.o.Provenance(0, p.Offset)},
	}
}

func (a *analyzer) dns(p Packet, s, d netip.AddrPort, transport string, m *layers.DNS) {
	if len(m.Questions) == 0 {
		return
	}
	q := m.Questions[0]
	name := clean(string(q.Name))
	ev := a.base(p, s, d, transport, "dns", "dns-query", MeaningPacket)
	ev.DNS = &timeline.DNS{Type: "query", QuestionName: name, QuestionType: q.Type.String()}
	if m.QR {
		ev.Event.Action = "dns-answer"
		ev.DNS.Type = "answer"
		for i, an := range m.Answers {
			if i == 32 {
				break
			}
			switch {
			case an.IP != nil:
				ev.DNS.Answers = append(ev.DNS.Answers, an.IP.String())
			case len(an.CNAME) > 0:
				ev.DNS.Answers = append(ev.DNS.Answers, clean(string(an.CNAME)))
			}
		}
		ev.Message = fmt.Sprintf("DNS answer %s %s: %s", name, q.Type, strings.Join(ev.DNS.Answers, ", "))
	} else {
		ev.Message = fmt.Sprintf("DNS query %s %s from %s", name, q.Type, s)
	}
	a.events = append(a.events, ev)
}

var httpMethods = []string{"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT "}

func (a *analyzer) app(p Packet, s, d netip.AddrPort, transport string, payload []byte, f *Flow) {
	for _, m := range httpMethods {
		if bytes.HasPrefix(payload, []byte(m)) {
			a.http(p, s, d, transport, payload, f)
			return
		}
	}
	if transport == "tcp" && len(payload) > 5 && payload[0] == 0x16 && payload[1] == 3 {
		if sni, ok := clientHelloSNI(payload); ok {
			ev := a.base(p, s, d, transport, "tls", "tls-client-hello", MeaningPacket)
			ev.TLS = &timeline.TLS{ServerName: clean(sni)}
			ev.Message = fmt.Sprintf("TLS ClientHello to %s for %q", d, ev.TLS.ServerName)
			a.events = append(a.events, ev)
			setProto(f, "tls")
			return
		}
	}
	if bytes.HasPrefix(bytes.TrimLeft(payload, " \t\r\n"), []byte("{")) {
		a.stratum(p, s, d, transport, payload, f)
		return
	}
	if transport == "tcp" {
		a.postgres(p, s, d, payload, f)
	}
}

func setProto(f *Flow, proto string) {
	if f != nil && f.Protocol == "" {
		f.Protocol = proto
	}
}

func (a *analyzer) http(p Packet, s, d netip.AddrPort, transport string, payload []byte, f *Flow) {
	head := payload
	if i := bytes.Index(head, []byte("\r\n\r\n")); i >= 0 {
		head = head[:i]
	}
	lines := strings.Split(string(head), "\r\n")
	parts := strings.SplitN(lines[0], " ", 3)
	if len(parts) < 2 {
		return
	}
	host := ""
	for _, l := range lines[1:] {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "host") {
			host = clean(strings.TrimSpace(v))
			break
		}
	}
	ev := a.base(p, s, d, transport, "http", "http-request", MeaningPacket)
	ev.HTTP = &timeline.HTTP{Method: clean(parts[0])}
	ev.URL = &timeline.URL{Original: clean(parts[1]), Domain: host}
	ev.Event.Original = clean(lines[0])
	ev.Message = fmt.Sprintf("HTTP %s %s (Host %q) to %s", ev.HTTP.Method, ev.URL.Original, host, d)
	a.events = append(a.events, ev)
	setProto(f, "http")
}

// stratum reads newline-delimited JSON-RPC as miners speak it: Bitcoin-style
// mining.subscribe / mining.authorize (params [user, pass]) and XMRig's
// "login" (params {login, pass, agent}).
func (a *analyzer) stratum(p Packet, s, d netip.AddrPort, transport string, payload []byte, f *Flow) {
	for _, line := range bytes.Split(payload, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var msg struct {
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
		}
		if json.Unmarshal(line, &msg) != nil || msg.Method == "" {
			continue
		}
		var login, agent string
		switch {
		case msg.Method == "login":
			var pr struct {
				Login string `json:"login"`
				Agent string `json:"agent"`
			}
			json.Unmarshal(msg.Params, &pr)
			login, agent = pr.Login, pr.Agent
		case strings.HasPrefix(msg.Method, "mining."):
			var pr []any
			json.Unmarshal(msg.Params, &pr)
			if len(pr) > 0 {
				if v, ok := pr[0].(string); ok {
					if msg.Method == "mining.authorize" {
						login = v
					} else if msg.Method == "mining.subscribe" {
						agent = v
					}
				}
			}
		default:
			continue
		}
		action := "stratum-request"
		if msg.Method == "login" || msg.Method == "mining.authorize" {
			action = "stratum-login"
		}
		ev := a.base(p, s, d, transport, "stratum", action, MeaningPacket)
		ev.Labels = map[string]string{"stratum.method": clean(msg.Method)}
		if login != "" {
			ev.Labels["stratum.login"] = clean(login)
			ev.User = &timeline.User{Name: clean(login)}
		}
		if agent != "" {
			ev.Labels["stratum.agent"] = clean(agent)
		}
		ev.Event.Original = clean(string(line))
		ev.Message = fmt.Sprintf("stratum %s to %s (login %q, agent %q)", clean(msg.Method), d, clean(login), clean(agent))
		a.events = append(a.events, ev)
		setProto(f, "stratum")
	}
}

// postgres recognises a PostgreSQL StartupMessage (protocol 3.0): int32
// length, int32 196608, then NUL-terminated key/value pairs
// (https://www.postgresql.org/docs/current/protocol-message-formats.html).
func (a *analyzer) postgres(p Packet, s, d netip.AddrPort, payload []byte, f *Flow) {
	if len(payload) < 9 {
		return
	}
	l := binary.BigEndian.Uint32(payload)
	if binary.BigEndian.Uint32(payload[4:]) != 196608 || l < 9 || int(l) > len(payload) || l > 10000 {
		return
	}
	kv := strings.Split(string(payload[8:l]), "\x00")
	params := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "" {
			break
		}
		params[clean(kv[i])] = clean(kv[i+1])
	}
	ev := a.base(p, s, d, "tcp", "postgresql", "postgresql-startup", MeaningPacket)
	ev.Event.Category = []string{"network", "database"}
	ev.User = &timeline.User{Name: params["user"]}
	ev.Labels = map[string]string{"postgresql.user": params["user"], "postgresql.database": params["database"]}
	if app := params["application_name"]; app != "" {
		ev.Labels["postgresql.application_name"] = app
	}
	ev.Message = fmt.Sprintf("PostgreSQL startup from %s to %s: user %q database %q", s, d, params["user"], params["database"])
	a.events = append(a.events, ev)
	setProto(f, "postgresql")
}

// clientHelloSNI returns the server_name of a TLS ClientHello in a record
// (RFC 8446 §4.1.2, RFC 6066 §3), bounds-checked at every step.
func clientHelloSNI(b []byte) (string, bool) {
	if len(b) < 9 || b[5] != 1 { // handshake type client_hello
		return "", false
	}
	b = b[9:]
	skip := func(n int) bool {
		if n > len(b) {
			return false
		}
		b = b[n:]
		return true
	}
	u8 := func() (int, bool) {
		if len(b) < 1 {
			return 0, false
		}
		v := int(b[0])
		return v, skip(1)
	}
	u16 := func() (int, bool) {
		if len(b) < 2 {
			return 0, false
		}
		v := int(binary.BigEndian.Uint16(b))
		return v, skip(2)
	}
	if !skip(2 + 32) { // version, random
		return "", false
	}
	n, ok := u8() // session id
	if !ok || !skip(n) {
		return "", false
	}
	if n, ok = u16(); !ok || !skip(n) { // cipher suites
		return "", false
	}
	if n, ok = u8(); !ok || !skip(n) { // compression
		return "", false
	}
	if _, ok = u16(); !ok { // extensions length
		return "", false
	}
	for len(b) >= 4 {
		typ, _ := u16()
		l, _ := u16()
		if l > len(b) {
			return "", false
		}
		ext := b[:l]
		b = b[l:]
		if typ != 0 || len(ext) < 5 {
			continue
		}
		// server_name_list length, name type 0, name length.
		if ext[2] != 0 {
			continue
		}
		nl := int(binary.BigEndian.Uint16(ext[3:]))
		if 5+nl > len(ext) {
			return "", false
		}
		return string(ext[5 : 5+nl]), true
	}
	return "", false
}

// clean makes attacker bytes safe to store and show: invalid UTF-8 and
// control characters are escaped, length is bounded.
func clean(s string) string {
	if len(s) > maxOriginal {
		s = s[:maxOriginal]
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\uFFFD':
			b.WriteString(`\ufffd`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (a *analyzer) flowEvents() []timeline.Event {
	sort.SliceStable(a.order, func(i, j int) bool { return a.order[i].FirstOffset < a.order[j].FirstOffset })
	var out []timeline.Event
	for _, f := range a.order {
		p := Packet{Time: f.First, Offset: f.FirstOffset}
		meaning := timeline.MeaningFirstPacket
		if f.SYN {
			meaning = timeline.MeaningConnOpened
		}
		ev := a.base(p, f.Src, f.Dst, f.Transport, f.Protocol, "flow", meaning)
		ev.Event.Type = []string{"connection"}
		ev.Source.Packets, ev.Source.Bytes = f.PacketsOut, f.BytesOut
		ev.Destination.Packets, ev.Destination.Bytes = f.PacketsIn, f.BytesIn
		ev.Network.Packets = f.PacketsOut + f.PacketsIn
		ev.Network.Bytes = f.BytesOut + f.BytesIn
		ev.Labels = map[string]string{
			"flow.last_packet": f.Last.Format(time.RFC3339Nano),
			"tcp.handshake":    handshake(f),
			"tcp.close":        closeKind(f),
		}
		if f.Transport != "tcp" {
			delete(ev.Labels, "tcp.handshake")
			delete(ev.Labels, "tcp.close")
		}
		ev.Message = fmt.Sprintf("%s flow %s -> %s: %d/%d packets, %d/%d bytes, %s to %s",
			f.Transport, f.Src, f.Dst, f.PacketsOut, f.PacketsIn, f.BytesOut, f.BytesIn,
			f.First.Format(time.RFC3339Nano), f.Last.Format(time.RFC3339Nano))
		out = append(out, ev)
	}
	return out
}

func handshake(f *Flow) string {
	switch {
	case f.SYN && f.SYNACK && f.ACK:
		return "complete"
	case f.SYN && f.SYNACK:
		return "syn,syn-ack"
	case f.SYN:
		return "syn only"
	default:
		return "not seen"
	}
}

func closeKind(f *Flow) string {
	switch {
	case f.RST:
		return "rst"
	case f.FIN:
		return "fin"
	default:
		return "open"
	}
}

// MeaningPacket is the time of a protocol event: when its packet was
// captured (not when the bundle was collected).
const MeaningPacket timeline.Meaning = "packet captured"
