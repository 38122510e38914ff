// Package pcap reads packet captures (classic pcap and pcapng) as hostile
// evidence and turns them into timeline events: flows, DNS, HTTP request
// lines, TLS SNI, stratum (miner) logins and PostgreSQL startup messages.
//
// The record readers are Cordon's own, rather than gopacket's pcapgo readers,
// because every event must carry the byte offset of its packet record in the
// entry, and pcapgo's NgReader buffers its input. Formats:
// classic pcap: https://www.tcpdump.org/manpages/pcap-savefile.5.txt;
// pcapng: draft-ietf-opsawg-pcapng (SHB 0x0A0D0D0A, IDB 1, SPB 3, EPB 6, obsolete PB 2).
package pcap

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Limits bound what one capture may cost.
const (
	MaxPackets   = 5_000_000
	MaxFlows     = 100_000
	MaxBlockSize = 16 << 20
	MaxWarnings  = 1000
)

// Packet is one captured packet and where its record starts in the file.
type Packet struct {
	Offset   int64
	Time     time.Time
	LinkType uint16
	Data     []byte
	OrigLen  int
}

type ngIface struct {
	link uint16
	// tsUnit is the length of one timestamp tick.
	tsUnit float64
}

// reader walks packet records.
type reader struct {
	r      *bufio.Reader
	off    int64
	bo     binary.ByteOrder
	ng     bool
	nanos  bool
	link   uint16
	ifaces []ngIface
	warn   func(off int64, msg string)
}

func (rd *reader) read(n int) ([]byte, error) {
	if n < 0 || n > MaxBlockSize {
		return nil, fmt.Errorf("record length %d out of bounds", n)
	}
	// Grow with what is really there: a hostile length must not make us
	// allocate 16 MiB for a 100-byte file.
	b, err := io.ReadAll(io.LimitReader(rd.r, int64(n)))
	k := len(b)
	rd.off += int64(k)
	if err != nil {
		return nil, fmt.Errorf("reading record at offset %d: %w", rd.off-int64(k), err)
	}
	if k == 0 && n > 0 {
		return nil, io.EOF
	}
	if k < n {
		return nil, fmt.Errorf("truncated record (%d of %d bytes): %w", k, n, io.ErrUnexpectedEOF)
	}
	return b, nil
}

// errBadFormat is returned when the file is neither pcap nor pcapng.
var errBadFormat = errors.New("not a pcap or pcapng file")

func newReader(r io.Reader, warn func(int64, string)) (*reader, error) {
	rd := &reader{r: bufio.NewReaderSize(r, 64<<10), warn: warn}
	magic, err := rd.r.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("reading magic: %w", err)
	}
	switch {
	case binary.LittleEndian.Uint32(magic) == 0x0A0D0D0A:
		rd.ng = true
		return rd, nil
	}
	hdr, err := rd.read(24)
	if err != nil {
		return nil, fmt.Errorf("reading pcap header: %w", err)
	}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		switch bo.Uint32(hdr) {
		case 0xa1b2c3d4:
			rd.bo = bo
		case 0xa1b23c4d:
			rd.bo, rd.nanos = bo, true
		}
		if rd.bo != nil {
			rd.link = uint16(rd.bo.Uint32(hdr[20:]))
			return rd, nil
		}
	}
	return nil, errBadFormat
}

// next returns the next packet, io.EOF at the end, or an error after which
// the rest of the file cannot be read (framing lost).
func (rd *reader) next() (Packet, error) {
	if !rd.ng {
		start := rd.off
		h, err := rd.read(16)
		if err != nil {
			return Packet{}, err
		}
		sec, frac := rd.bo.Uint32(h), rd.bo.Uint32(h[4:])
		incl, orig := rd.bo.Uint32(h[8:]), rd.bo.Uint32(h[12:])
		if incl > MaxBlockSize {
			return Packet{}, fmt.Errorf("packet record at offset %d: captured length %d out of bounds", start, incl)
		}
		data, err := rd.read(int(incl))
		if err != nil {
			return Packet{}, err
		}
		ns := int64(frac) * 1000
		if rd.nanos {
			ns = int64(frac)
		}
		return Packet{Offset: start, Time: time.Unix(int64(sec), ns).UTC(), LinkType: rd.link, Data: data, OrigLen: int(orig)}, nil
	}
	for {
		start := rd.off
		h, err := rd.read(8)
		if err != nil {
			return Packet{}, err
		}
		typ := binary.LittleEndian.Uint32(h)
		if typ == 0x0A0D0D0A {
			// Section header: learn the byte order from the magic after the length.
			bom, err := rd.r.Peek(4)
			if err != nil {
				return Packet{}, fmt.Errorf("section header at offset %d: %w", start, err)
			}
			switch {
			case binary.LittleEndian.Uint32(bom) == 0x1A2B3C4D:
				rd.bo = binary.LittleEndian
			case binary.BigEndian.Uint32(bom) == 0x1A2B3C4D:
				rd.bo = binary.BigEndian
			default:
				return Packet{}, fmt.Errorf("section header at offset %d: bad byte-order magic", start)
			}
			rd.ifaces = nil
		}
		if rd.bo == nil {
			return Packet{}, fmt.Errorf("block at offset %d before any section header", start)
		}
		typ = rd.bo.Uint32(h)
		blen := rd.bo.Uint32(h[4:])
		if blen < 12 || blen%4 != 0 || blen > MaxBlockSize {
			return Packet{}, fmt.Errorf("block at offset %d: length %d invalid", start, blen)
		}
		body, err := rd.read(int(blen) - 8)
		if err != nil {
			return Packet{}, fmt.Errorf("block at offset %d: %w", start, err)
		}
		body = body[:len(body)-4] // trailing length
		switch typ {
		case 1: // interface description
			if len(body) < 8 {
				rd.warn(start, "interface description block too short")
				continue
			}
			ifc := ngIface{link: rd.bo.Uint16(body), tsUnit: 1e-6}
			opts := body[8:]
			for len(opts) >= 4 {
				code, l := rd.bo.Uint16(opts), int(rd.bo.Uint16(opts[2:]))
				if code == 0 || 4+l > len(opts) {
					break
				}
				if code == 9 && l >= 1 { // if_tsresol
					v := opts[4]
					if v&0x80 == 0 {
						ifc.tsUnit = math.Pow(10, -float64(v&0x7f))
					} else {
						ifc.tsUnit = math.Pow(2, -float64(v&0x7f))
					}
				}
				opts = opts[4+(l+3)&^3:]
			}
			rd.ifaces = append(rd.ifaces, ifc)
		case 6, 2: // enhanced packet, obsolete packet
			if len(body) < 20 {
				rd.warn(start, "packet block too short")
				continue
			}
			id := int(rd.bo.Uint32(body))
			if typ == 2 {
				id = int(rd.bo.Uint16(body))
			}
			if id < 0 || id >= len(rd.ifaces) {
				rd.warn(start, fmt.Sprintf("packet block names interface %d, which is not described", id))
				continue
			}
			ifc := rd.ifaces[id]
			ts := uint64(rd.bo.Uint32(body[4:]))<<32 | uint64(rd.bo.Uint32(body[8:]))
			caplen, orig := rd.bo.Uint32(body[12:]), rd.bo.Uint32(body[16:])
			if uint64(caplen) > uint64(len(body)-20) {
				rd.warn(start, fmt.Sprintf("packet block: captured length %d exceeds the block", caplen))
				continue
			}
			secs := float64(ts) * ifc.tsUnit
			sec, frac := math.Modf(secs)
			t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
			if ifc.tsUnit == 1e-6 {
				t = time.UnixMicro(int64(ts)).UTC()
			} else if ifc.tsUnit == 1e-9 {
				t = time.Unix(0, int64(ts)).UTC()
			}
			return Packet{Offset: start, Time: t, LinkType: ifc.link, Data: body[20 : 20+caplen], OrigLen: int(orig)}, nil
		case 3: // simple packet: no timestamp
			if len(body) < 4 || len(rd.ifaces) == 0 {
				rd.warn(start, "simple packet block unusable")
				continue
			}
			return Packet{Offset: start, LinkType: rd.ifaces[0].link, Data: body[4:], OrigLen: int(rd.bo.Uint32(body))}, nil
		}
	}
}
