// Package journal reads systemd journal files (*.journal, *.journal~)
// directly, without libsystemd or journalctl: the format is documented at
// https://systemd.io/JOURNAL_FILE_FORMAT/. The file is scanned once, from
// the end of the header, object after object, in file order (journald
// appends an entry's DATA objects before the ENTRY that points at them, so a
// single streaming pass resolves every entry; the entry arrays and hash
// tables, which only speed up lookups, are skipped). Regular and compact
// files are read; ZSTD-compressed DATA objects are decompressed (bounded);
// XZ and LZ4 ones are not (Cordon has no such decoder among its
// dependencies): their fields are counted in a warning and a label instead.
//
// Each ENTRY becomes one event with MESSAGE, _PID, _COMM, _EXE, _CMDLINE,
// _UID, SYSLOG_IDENTIFIER, _HOSTNAME, _SYSTEMD_UNIT, PRIORITY, _TRANSPORT
// and its __REALTIME_TIMESTAMP.
package journal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/formats/syslog"
	"github.com/cordon-forensics/cordon/timeline"
)

// Dataset is the event.dataset of journal events.
const Dataset = "journal"

// Bounds on what a hostile file can make the reader hold.
const (
	// MaxDataObject bounds a DATA object read whole (journald refuses
	// fields over 64 MiB by default, DATA_SIZE_MAX is 768 MiB).
	MaxDataObject = 64 << 20
	// MaxDecompressed bounds a decompressed DATA payload.
	MaxDecompressed = 64 << 20
	// MaxEntryItems bounds the fields of one entry (journald allows 1024
	// fields a message in v252: ENTRY_FIELD_COUNT_MAX).
	MaxEntryItems = 1 << 16
	// MaxValue bounds one kept field value (MESSAGE and the others).
	MaxValue = 64 << 10
	// MaxDataObjects bounds the DATA objects remembered (for 4M objects
	// the offset map takes about 200 MiB; journald rotates at 128 MiB files).
	MaxDataObjects = 4 << 20
	// MaxKeptBytes bounds the kept field values in total.
	MaxKeptBytes = 256 << 20
)

// fields kept from each entry; the others are only counted.
var keptFields = map[string]bool{
	"MESSAGE": true, "_PID": true, "_COMM": true, "_EXE": true, "_CMDLINE": true, "_UID": true,
	"SYSLOG_IDENTIFIER": true, "_HOSTNAME": true, "_SYSTEMD_UNIT": true, "PRIORITY": true,
	"_TRANSPORT": true, "_SOURCE_REALTIME_TIMESTAMP": true, "SYSLOG_PID": true, "_GID": true,
}

// Header is what Cordon reads of a journal file's header.
type Header struct {
	IncompatibleFlags uint32
	CompatibleFlags   uint32
	State             byte // 0 offline, 1 online (being written), 2 archived
	FileID            string
	MachineID         string
	TailEntryBootID   string
	HeaderSize        uint64
	ArenaSize         uint64
	TailObjectOffset  uint64
	NObjects          uint64
	NEntries          uint64
}

// Compact reports whether the file uses compact objects (systemd 252+).
func (h Header) Compact() bool { return h.IncompatibleFlags&incompatCompact != 0 }

// Summary is what one scan of a file found.
type Summary struct {
	Header
	Entries        int // ENTRY objects read
	DataObjects    int // DATA objects met
	CompressedZSTD int // DATA objects with a ZSTD payload (decompressed)
	CompressedLZ4  int // … LZ4 (not decompressed)
	CompressedXZ   int // … XZ (not decompressed)
}

// Entry is one journal entry as read: its times, ids and kept fields.
type Entry struct {
	Offset    int64 // of the ENTRY object in the file
	Seqnum    uint64
	Realtime  uint64 // µs since the epoch, CLOCK_REALTIME
	Monotonic uint64 // µs since boot
	BootID    string
	Fields    map[string]string // kept fields, first occurrence of each
	// Undecoded counts fields whose DATA object is compressed in a way
	// Cordon does not read (XZ, LZ4) or was unreadable.
	Undecoded int
	// Missing counts items that point at no DATA object seen before the entry.
	Missing int
}

// ErrNotJournal is wrapped by the errors for bytes that are not a journal
// file (bad signature, impossible header, cut inside the header).
var ErrNotJournal = errors.New("not a journal file")

// dataRef is what the scan remembers of a DATA object.
type dataRef struct {
	field     string // "" for a field not kept
	value     string
	undecoded bool
}

// scanner is one pass over one file.
type scanner struct {
	o    timeline.Origin
	br   *bufio.Reader
	pos  uint64
	hdr  Header
	sum  Summary
	data map[uint64]dataRef
	kept int
	warn func(timeline.Warning)
	zdec *zstd.Decoder
	buf  []byte
	full bool
}

// Read scans a journal file from r, handing each entry to fn and each
// problem to warn. It returns the header, or an error when the file is not
// a journal file at all (or r fails).
func Read(r io.Reader, o timeline.Origin, fn func(Entry), warn func(timeline.Warning)) (Summary, error) {
	s := &scanner{o: o, br: bufio.NewReaderSize(r, 256<<10), data: map[uint64]dataRef{}, warn: warn}
	defer func() {
		if s.zdec != nil {
			s.zdec.Close()
		}
	}()
	if err := s.readHeader(); err != nil {
		s.sum.Header = s.hdr
		return s.sum, err
	}
	err := s.scan(func(e Entry) {
		s.sum.Entries++
		fn(e)
	})
	s.sum.Header = s.hdr
	if s.sum.CompressedLZ4 > 0 {
		s.warnf(0, "%d DATA objects are LZ4-compressed and were not decompressed (Cordon has no LZ4 decoder): their fields are missing from the entries (label journal.undecoded_fields); read them with journalctl", s.sum.CompressedLZ4)
	}
	if s.sum.CompressedXZ > 0 {
		s.warnf(0, "%d DATA objects are XZ-compressed and were not decompressed (Cordon has no XZ decoder): their fields are missing from the entries (label journal.undecoded_fields); read them with journalctl", s.sum.CompressedXZ)
	}
	return s.sum, err
}

func (s *scanner) warnf(off uint64, format string, args ...any) {
	s.warn(timeline.Warning{Entry: s.o.Entry, Offset: int64(off), Message: "journal: " + fmt.Sprintf(format, args...)})
}

func id128(b []byte) string { return hex.EncodeToString(b[:16]) }

func (s *scanner) readHeader() error {
	head := make([]byte, minHeader)
	n, err := io.ReadFull(s.br, head)
	s.pos += uint64(n)
	if err != nil {
		if n >= 8 && string(head[:8]) == signature {
			return fmt.Errorf("journal: file ends inside its header (%d bytes): %w", n, ErrNotJournal)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("journal: %w (%d bytes, shorter than a header)", ErrNotJournal, n)
		}
		return fmt.Errorf("journal: reading the header: %w", err)
	}
	if string(head[:8]) != signature {
		return fmt.Errorf("journal: %w (signature %q, want %q)", ErrNotJournal, textio.Safe(head[:8]), signature)
	}
	le := binary.LittleEndian
	h := Header{
		CompatibleFlags:   le.Uint32(head[hdrCompatibleFlags:]),
		IncompatibleFlags: le.Uint32(head[hdrIncompatibleFlags:]),
		State:             head[hdrState],
		FileID:            id128(head[hdrFileID:]),
		MachineID:         id128(head[hdrMachineID:]),
		TailEntryBootID:   id128(head[hdrTailEntryBootID:]),
		HeaderSize:        le.Uint64(head[hdrHeaderSize:]),
		ArenaSize:         le.Uint64(head[hdrArenaSize:]),
		TailObjectOffset:  le.Uint64(head[hdrTailObjectOffset:]),
		NObjects:          le.Uint64(head[hdrNObjects:]),
		NEntries:          le.Uint64(head[hdrNEntries:]),
	}
	s.hdr = h
	if h.HeaderSize < minHeader || h.HeaderSize > maxHeader {
		return fmt.Errorf("journal: %w: header size %d outside [%d, %d]", ErrNotJournal, h.HeaderSize, minHeader, maxHeader)
	}
	if unknown := h.IncompatibleFlags &^ incompatKnown; unknown != 0 {
		s.warnf(hdrIncompatibleFlags, "unknown incompatible flags 0x%x: objects may be misread", unknown)
	}
	if h.State == 1 {
		s.warnf(hdrState, "the file was online (being written) when copied: the last objects may be incomplete")
	}
	if _, err := s.br.Discard(int(h.HeaderSize - minHeader)); err != nil {
		if err == io.EOF {
			return fmt.Errorf("journal: file ends inside its %d-byte header: %w", h.HeaderSize, ErrNotJournal)
		}
		return fmt.Errorf("journal: reading the header: %w", err)
	}
	s.pos = h.HeaderSize
	return nil
}

// end of the arena, with overflow clamped.
func (s *scanner) arenaEnd() uint64 {
	e := s.hdr.HeaderSize + s.hdr.ArenaSize
	if e < s.hdr.HeaderSize {
		return ^uint64(0)
	}
	return e
}

func (s *scanner) scan(fn func(Entry)) error {
	var oh [objHeaderSize]byte
	end := s.arenaEnd()
	for {
		// objects start 8-byte aligned: discard the previous one's padding
		if pad := align8(s.pos) - s.pos; pad > 0 {
			if err := s.skip(pad); err != nil {
				if s.pos <= s.hdr.TailObjectOffset && s.hdr.NObjects > 0 {
					s.warnf(s.pos, "file ends at %d, before its last object at %d (a truncated copy?)", s.pos, s.hdr.TailObjectOffset)
				}
				return nil
			}
		}
		if s.pos >= end {
			return nil
		}
		start := s.pos
		if k, err := io.ReadFull(s.br, oh[:]); err != nil {
			s.pos += uint64(k)
			if (err == io.EOF || err == io.ErrUnexpectedEOF) && start <= s.hdr.TailObjectOffset && s.hdr.NObjects > 0 {
				s.warnf(start, "file ends at %d, before its last object at %d (a truncated copy?)", start+uint64(k), s.hdr.TailObjectOffset)
				return nil
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil
			}
			return fmt.Errorf("journal: reading object at %d: %w", start, err)
		}
		s.pos += objHeaderSize
		typ, flags := oh[0], oh[1]
		size := binary.LittleEndian.Uint64(oh[8:])
		if typ == objUnused && size == 0 {
			// the unused rest of the arena (journald preallocates)
			if start <= s.hdr.TailObjectOffset && s.hdr.NObjects > 0 {
				s.warnf(start, "empty space at %d before the last object at %d: objects after it are not read", start, s.hdr.TailObjectOffset)
			}
			return nil
		}
		if size < objHeaderSize || size > end-start {
			s.warnf(start, "object at %d (type %d) has size %d, impossible here: the scan stops (the rest of the file is not read)", start, typ, size)
			return nil
		}
		body := size - objHeaderSize
		var err error
		switch typ {
		case objData:
			err = s.readData(start, flags, body)
		case objEntry:
			var e Entry
			var ok bool
			e, ok, err = s.readEntry(start, body)
			if ok {
				fn(e)
			}
		case objField, objDataHashTable, objFieldHashTable, objEntryArray, objTag:
			err = s.skip(body)
		default:
			s.warnf(start, "object at %d has unknown type %d: skipped by its size", start, typ)
			err = s.skip(body)
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				s.warnf(start, "file ends inside the %s object at %d (a truncated copy?)", typeName(typ), start)
				return nil
			}
			return err
		}
		if start == s.hdr.TailObjectOffset && s.hdr.TailObjectOffset != 0 {
			return nil // the last object journald wrote
		}
	}
}

func (s *scanner) skip(n uint64) error {
	for n > 0 {
		k := n
		if k > 1<<30 {
			k = 1 << 30
		}
		d, err := s.br.Discard(int(k))
		s.pos += uint64(d)
		n -= uint64(d)
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

func (s *scanner) readBody(n uint64) ([]byte, error) {
	if uint64(cap(s.buf)) < n {
		s.buf = make([]byte, n)
	}
	b := s.buf[:n]
	k, err := io.ReadFull(s.br, b)
	s.pos += uint64(k)
	return b, err
}

func (s *scanner) remember(off uint64, ref dataRef) {
	if len(s.data) >= MaxDataObjects || s.kept+len(ref.value) > MaxKeptBytes {
		if !s.full {
			s.warnf(off, "more than %d DATA objects or %d bytes of kept values: later entries lose the fields stored after this point", MaxDataObjects, MaxKeptBytes)
			s.full = true
		}
		return
	}
	s.kept += len(ref.value)
	s.data[off] = ref
}

func (s *scanner) readData(start uint64, flags byte, body uint64) error {
	s.sum.DataObjects++
	payloadAt := uint64(dataPayloadRegular)
	if s.hdr.Compact() {
		payloadAt = dataPayloadCompact
	}
	if body+objHeaderSize < payloadAt {
		s.warnf(start, "DATA object at %d is shorter than its fixed part", start)
		return s.skip(body)
	}
	if body > MaxDataObject {
		s.warnf(start, "DATA object at %d holds %d bytes, over %d: not read", start, body, MaxDataObject)
		s.remember(start, dataRef{undecoded: true})
		return s.skip(body)
	}
	b, err := s.readBody(body)
	if err != nil {
		return err
	}
	payload := b[payloadAt-objHeaderSize:]
	switch {
	case flags&objCompressedZSTD != 0:
		s.sum.CompressedZSTD++
		payload, err = s.unzstd(payload)
		if err != nil {
			s.warnf(start, "DATA object at %d: ZSTD payload does not decompress: %v", start, err)
			s.remember(start, dataRef{undecoded: true})
			return nil
		}
	case flags&objCompressedLZ4 != 0:
		s.sum.CompressedLZ4++
		s.remember(start, dataRef{undecoded: true})
		return nil
	case flags&objCompressedXZ != 0:
		s.sum.CompressedXZ++
		s.remember(start, dataRef{undecoded: true})
		return nil
	}
	eq := bytes.IndexByte(payload, '=')
	if eq <= 0 {
		s.warnf(start, "DATA object at %d holds no FIELD=value", start)
		s.remember(start, dataRef{})
		return nil
	}
	name := string(payload[:eq])
	if !keptFields[name] {
		s.remember(start, dataRef{})
		return nil
	}
	v := payload[eq+1:]
	if len(v) > MaxValue {
		v = v[:MaxValue]
	}
	s.remember(start, dataRef{field: name, value: textio.Safe(v)})
	return nil
}

func (s *scanner) unzstd(p []byte) ([]byte, error) {
	if s.zdec == nil {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxMemory(MaxDecompressed), zstd.WithDecoderMaxWindow(MaxDecompressed))
		if err != nil {
			return nil, err
		}
		s.zdec = d
	}
	return s.zdec.DecodeAll(p, nil)
}

func (s *scanner) readEntry(start uint64, body uint64) (Entry, bool, error) {
	itemSize := uint64(16)
	if s.hdr.Compact() {
		itemSize = 4
	}
	if body+objHeaderSize < entryItems {
		s.warnf(start, "ENTRY object at %d is shorter than its fixed part", start)
		return Entry{}, false, s.skip(body)
	}
	nItems := (body + objHeaderSize - entryItems) / itemSize
	if nItems > MaxEntryItems {
		s.warnf(start, "ENTRY object at %d has %d items, over %d: not read", start, nItems, MaxEntryItems)
		return Entry{}, false, s.skip(body)
	}
	b, err := s.readBody(body)
	if err != nil {
		return Entry{}, false, err
	}
	le := binary.LittleEndian
	at := func(off int) []byte { return b[off-objHeaderSize:] }
	e := Entry{
		Offset:    int64(start),
		Seqnum:    le.Uint64(at(entrySeqnum)),
		Realtime:  le.Uint64(at(entryRealtime)),
		Monotonic: le.Uint64(at(entryMonotonic)),
		BootID:    id128(at(entryBootID)),
		Fields:    map[string]string{},
	}
	items := at(entryItems)
	for i := uint64(0); i < nItems; i++ {
		var off uint64
		if itemSize == 4 {
			off = uint64(le.Uint32(items[i*4:]))
		} else {
			off = le.Uint64(items[i*16:])
		}
		ref, ok := s.data[off]
		switch {
		case !ok:
			e.Missing++
		case ref.undecoded:
			e.Undecoded++
		case ref.field != "":
			if _, dup := e.Fields[ref.field]; !dup {
				e.Fields[ref.field] = ref.value
			}
		}
	}
	if e.Missing > 0 && !s.full {
		s.warnf(start, "ENTRY object at %d: %d of its %d fields point at no DATA object read before it", start, e.Missing, nItems)
	}
	return e, true, nil
}

// EntryEvent turns an entry into a timeline event.
func EntryEvent(e Entry, o timeline.Origin) timeline.Event {
	f := e.Fields
	ev := timeline.Event{
		Timestamp: time.UnixMicro(int64(e.Realtime)).UTC(),
		Message:   f["MESSAGE"],
		Event: timeline.EventFields{
			Kind:    "event",
			Type:    []string{"info"},
			Action:  "journal-entry",
			Dataset: Dataset,
		},
		Labels: map[string]string{
			"journal.seqnum":    strconv.FormatUint(e.Seqnum, 10),
			"journal.boot_id":   e.BootID,
			"journal.monotonic": strconv.FormatUint(e.Monotonic, 10),
		},
		Cordon: timeline.Cordon{
			TimeMeaning:    timeline.MeaningLogged,
			TimeDerivation: "journal entry __REALTIME_TIMESTAMP: journald's CLOCK_REALTIME when it stored the entry, microseconds",
			Provenance:     o.Provenance(0, e.Offset),
		},
	}
	if e.Realtime > uint64(1)<<62 {
		ev.Timestamp = time.Time{}
		ev.Cordon.TimeDerivation = "journal entry with an impossible __REALTIME_TIMESTAMP: no time"
	}
	for k, l := range map[string]string{
		"SYSLOG_IDENTIFIER": "syslog_identifier", "_SYSTEMD_UNIT": "systemd_unit", "PRIORITY": "priority",
		"_TRANSPORT": "transport", "_SOURCE_REALTIME_TIMESTAMP": "source_realtime", "SYSLOG_PID": "syslog_pid",
	} {
		if v, ok := f[k]; ok {
			ev.Labels["journal."+l] = textio.Cut(v, 256)
		}
	}
	if e.Undecoded > 0 {
		ev.Labels["journal.undecoded_fields"] = strconv.Itoa(e.Undecoded)
	}
	if e.Missing > 0 {
		ev.Labels["journal.missing_fields"] = strconv.Itoa(e.Missing)
	}
	host := f["_HOSTNAME"]
	if host == "" {
		host = o.Host
	}
	if host != "" {
		ev.Host = &timeline.Host{Name: textio.Cut(host, 256)}
	}
	p := &timeline.Process{Name: f["_COMM"], Executable: f["_EXE"], CommandLine: f["_CMDLINE"]}
	if pid, err := strconv.ParseInt(f["_PID"], 10, 64); err == nil {
		p.PID = pid
	}
	if uid, ok := f["_UID"]; ok {
		p.User = &timeline.User{ID: textio.Cut(uid, 32)}
		ev.User = &timeline.User{ID: textio.Cut(uid, 32)}
	}
	if p.PID != 0 || p.Name != "" || p.Executable != "" || p.CommandLine != "" {
		ev.Process = p
	}
	if ev.Message == "" && ev.Labels["journal.syslog_identifier"] == "" {
		ev.Message = "(journal entry without MESSAGE)"
	}
	// sshd, sudo, PAM, cron, logind write the same messages to the journal
	// as to auth.log: the same meaning (formats/syslog, auth.go)
	if id, msg := f["SYSLOG_IDENTIFIER"], f["MESSAGE"]; id != "" && msg != "" && len(msg) <= 64<<10 {
		syslog.Interpret(&ev, id, msg)
	}
	var orig strings.Builder
	for _, k := range []string{"SYSLOG_IDENTIFIER", "_PID", "MESSAGE"} {
		if v, ok := f[k]; ok {
			fmt.Fprintf(&orig, "%s=%s\n", k, v)
		}
	}
	ev.Event.Original = textio.Cut(strings.TrimSuffix(orig.String(), "\n"), textio.MaxOriginal)
	return ev
}

// Parse reads a journal file from r into events. Bytes that are not a
// journal file at all are a warning; only a failing r is an error.
func Parse(r io.Reader, o timeline.Origin, event func(timeline.Event), warn func(timeline.Warning)) error {
	_, err := Read(r, o, func(e Entry) { event(EntryEvent(e, o)) }, warn)
	if errors.Is(err, ErrNotJournal) {
		warn(timeline.Warning{Entry: o.Entry, Message: err.Error()})
		return nil
	}
	return err
}

// ParseBytes parses a whole journal file held in memory into a Result.
func ParseBytes(b []byte, o timeline.Origin) timeline.Result {
	var res timeline.Result
	_ = Parse(bytes.NewReader(b), o,
		func(e timeline.Event) { res.Events = append(res.Events, e) },
		func(w timeline.Warning) { res.Warnings = append(res.Warnings, w) })
	return res
}
