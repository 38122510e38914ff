package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// Packet capture: pure-Go AF_PACKET (pcapgo.EthernetHandle, no libpcap, so
// cordon-collect stays static), written as consecutive pcapng part entries
// so memory stays bounded and a killed collector keeps the parts already
// signed.

const (
	// captureSnaplen is the per-packet capture length (tcpdump's default).
	captureSnaplen = 262144
	// capturePartSize is the size at which a pcapng part entry is closed.
	capturePartSize = 4 << 20
	// captureBudget names the shared byte budget of --capture-max.
	captureBudget = "capture"
)

func init() {
	Register(Source{
		Name:       "capture",
		Order:      5,
		Live:       true,
		Background: true,
		BudgetOf:   func(o Options) time.Duration { return o.CaptureFor + 30*time.Second },
		Help:       "packet capture (--capture IFACE|any, --capture-for, --capture-max)",
		Collect:    collectCapture,
	})
}

// CaptureStats is what the bundle records about one interface's capture.
type CaptureStats struct {
	Interface string    `json:"interface"`
	Started   time.Time `json:"started"`
	Stopped   time.Time `json:"stopped"`
	Snaplen   int       `json:"snaplen"`
	// DropsOutgoing says a BPF filter dropped PACKET_OUTGOING copies (loopback
	// shows every packet twice otherwise).
	DropsOutgoing bool     `json:"drops_outgoing"`
	Packets       int64    `json:"packets_written"`
	Bytes         int64    `json:"bytes_written"`
	Parts         []string `json:"parts"`
	// KernelPackets and KernelDrops are the socket's TPACKET statistics.
	KernelPackets uint32 `json:"kernel_packets"`
	KernelDrops   uint32 `json:"kernel_drops"`
	// SnapTruncated counts packets longer than the snaplen.
	SnapTruncated int64 `json:"snap_truncated"`
	// Truncated says --capture-max was reached: later packets are not kept.
	Truncated  bool   `json:"truncated"`
	StopReason string `json:"stop_reason"`
	Error      string `json:"error,omitempty"`
}

func collectCapture(ctx context.Context, env *Env) error {
	lead := env.shared.lead
	defer lead.markStarted(nil, nil) // when no capture starts at all
	ifaces, err := captureInterfaces(env.Opts.Capture)
	if err != nil {
		env.Errorf("", "listing interfaces: %v", err)
	}
	if len(ifaces) == 0 {
		return nil
	}
	// The lead begins once every interface's capture is open (or failed).
	var openMu sync.Mutex
	opened := make([]bool, len(ifaces))
	var openWG, wg sync.WaitGroup
	openWG.Add(len(ifaces))
	for i, ifc := range ifaces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := captureOne(ctx, env, ifc, func(ok bool) {
				openMu.Lock()
				opened[i] = ok
				openMu.Unlock()
				openWG.Done()
			})
			if _, err := env.AddJSON(bundle.NameFor("capture", ifc.Name+"-stats.json"), st); err != nil {
				env.Errorf("", "writing capture stats of %q: %v", ifc.Name, err)
			}
		}()
	}
	go func() {
		openWG.Wait()
		var capturing, failed []string
		openMu.Lock()
		for i, ifc := range ifaces {
			if opened[i] {
				capturing = append(capturing, ifc.Name)
			} else {
				failed = append(failed, ifc.Name)
			}
		}
		openMu.Unlock()
		lead.markStarted(capturing, failed)
	}()
	wg.Wait()
	note := fmt.Sprintf("captured on %d interface(s)", len(ifaces))
	if by, after, saved, ok := lead.cutInfo(); ok {
		note += fmt.Sprintf("; the lead ended on %s after %v, the capture's end brought forward by %v",
			by, after.Round(time.Millisecond), saved.Round(time.Millisecond))
	}
	env.Note("%s", note)
	return nil
}

type captureIface struct {
	Name     string
	Loopback bool
}

// captureInterfaces resolves the --capture list; "any" means every interface
// that is up in the collector's network namespace.
func captureInterfaces(names []string) ([]captureIface, error) {
	if len(names) == 0 {
		return nil, nil
	}
	all, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	byName := map[string]net.Interface{}
	for _, i := range all {
		byName[i.Name] = i
	}
	seen := map[string]bool{}
	var out []captureIface
	add := func(name string, i net.Interface) {
		if !seen[name] {
			seen[name] = true
			out = append(out, captureIface{Name: name, Loopback: i.Flags&net.FlagLoopback != 0})
		}
	}
	for _, n := range names {
		if n == "any" {
			for _, i := range all {
				if i.Flags&net.FlagUp != 0 {
					add(i.Name, i)
				}
			}
			continue
		}
		add(n, byName[n]) // an unknown name fails at open, recorded there
	}
	return out, nil
}

// dropOutgoingBPF accepts every packet except the PACKET_OUTGOING copies
// (skb->pkt_type 4, linux/if_packet.h), which on loopback duplicate every
// packet.
func dropOutgoingBPF() ([]bpf.RawInstruction, error) {
	return bpf.Assemble([]bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 4, SkipTrue: 1},
		bpf.RetConstant{Val: 0x40000},
		bpf.RetConstant{Val: 0},
	})
}

// capturePart accumulates one pcapng part in memory (≤ capturePartSize).
type capturePart struct {
	buf bytes.Buffer
	w   *pcapgo.NgWriter
	n   int
}

// captureOne captures on one interface until --capture-for elapses (brought
// forward when the capture lead is cut short), ctx ends, or --capture-max is
// reached; opened is told once whether the capture started.
func captureOne(ctx context.Context, env *Env, ifc captureIface, opened func(ok bool)) CaptureStats {
	st := CaptureStats{Interface: ifc.Name, Started: env.Now().UTC(), Snaplen: captureSnaplen, Parts: []string{}}
	began := time.Now()
	h, err := pcapgo.NewEthernetHandle(ifc.Name)
	if err != nil {
		opened(false)
		if errors.Is(err, os.ErrPermission) || os.Geteuid() != 0 {
			err = fmt.Errorf("%w (packet capture needs CAP_NET_RAW)", err)
		}
		st.Error = err.Error()
		st.StopReason = "not started"
		st.Stopped = env.Now().UTC()
		env.Errorf("", "capture on %q: %v", ifc.Name, err)
		return st
	}
	if err := h.SetCaptureLength(captureSnaplen); err != nil {
		env.Errorf("", "capture on %q: setting snaplen: %v", ifc.Name, err)
	}
	if ifc.Loopback {
		prog, err := dropOutgoingBPF()
		if err == nil {
			err = h.SetBPF(prog)
		}
		if err != nil {
			env.Errorf("", "capture on %q: BPF to drop outgoing copies: %v (packets appear twice)", ifc.Name, err)
		} else {
			st.DropsOutgoing = true
		}
	}

	// Stop by closing the handle: EthernetHandle has no read deadline.
	var once sync.Once
	var reason string
	var mu sync.Mutex
	stop := func(why string) {
		once.Do(func() {
			mu.Lock()
			reason = why
			mu.Unlock()
			if s, err := h.Stats(); err == nil {
				mu.Lock()
				st.KernelPackets, st.KernelDrops = s.Packets, s.Drops
				mu.Unlock()
			}
			h.Close()
		})
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		timer := time.NewTimer(env.Opts.CaptureFor)
		defer timer.Stop()
		why := "--capture-for elapsed"
		cut := env.shared.lead.cut
		for {
			select {
			case <-timer.C:
				stop(why)
				return
			case <-ctx.Done():
				stop("cancelled: " + ctx.Err().Error())
				return
			case <-done:
				return
			case <-cut:
				cut = nil
				by, _, saved, _ := env.shared.lead.cutInfo()
				why = fmt.Sprintf("--capture-for elapsed, brought forward by %v as %s ended the lead early", saved.Round(time.Millisecond), by)
				timer.Reset(max(env.Opts.CaptureFor-saved-time.Since(began), 0))
			}
		}
	}()
	opened(true)

	var part *capturePart
	partNo := 0
	flush := func() {
		if part == nil || part.n == 0 {
			part = nil
			return
		}
		if err := part.w.Flush(); err != nil {
			env.Errorf("", "capture on %q: flushing pcapng: %v", ifc.Name, err)
		}
		name := bundle.NameFor("capture", fmt.Sprintf("%s-%04d.pcapng", ifc.Name, partNo))
		if _, err := env.AddBytes(bundle.EntryMeta{Name: name, Note: fmt.Sprintf("pcapng part %d of the capture on %s", partNo, ifc.Name)}, part.buf.Bytes()); err != nil {
			env.Errorf("", "capture on %q: writing %s: %v", ifc.Name, name, err)
		} else {
			st.Parts = append(st.Parts, name)
		}
		part = nil
	}
	newPart := func() error {
		partNo++
		p := &capturePart{}
		w, err := pcapgo.NewNgWriterInterface(&p.buf, pcapgo.NgInterface{
			Name:       ifc.Name,
			LinkType:   layers.LinkTypeEthernet,
			SnapLength: captureSnaplen,
		}, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "cordon-collect"}})
		if err != nil {
			return err
		}
		p.w = w
		part = p
		return nil
	}

	for {
		data, ci, err := h.ReadPacketData()
		if err != nil {
			mu.Lock()
			r := reason
			mu.Unlock()
			if r == "" {
				// A read error not caused by our stop.
				st.Error = err.Error()
				stop("read error")
			}
			break
		}
		if ci.Length > ci.CaptureLength {
			st.SnapTruncated++
		}
		// pcapng block: 28-byte header + padded data + 4-byte trailer.
		need := int64(32 + (len(data)+3)&^3)
		if got := env.TakeBudget(captureBudget, env.Opts.CaptureMax, need); got < need {
			st.Truncated = true
			stop("--capture-max reached")
			break
		}
		if part == nil {
			if err := newPart(); err != nil {
				st.Error = err.Error()
				stop("pcapng writer error")
				break
			}
		}
		ci.InterfaceIndex = 0 // the part's only interface (see FIELD-NOTES)
		if err := part.w.WritePacket(ci, data); err != nil {
			env.Errorf("", "capture on %q: writing packet: %v", ifc.Name, err)
			continue
		}
		part.n++
		st.Packets++
		st.Bytes += int64(len(data))
		if part.buf.Len() >= capturePartSize {
			flush()
		}
	}
	flush()
	mu.Lock()
	st.StopReason = reason
	mu.Unlock()
	st.Stopped = env.Now().UTC()
	return st
}
