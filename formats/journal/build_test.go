package journal

import (
	"encoding/binary"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// builder writes small journal files by the format document, for tests of
// paths the real tools cannot reach here (LZ4 and XZ objects, damage).
type builder struct {
	compact   bool
	buf       []byte
	tail      uint64
	nObjects  uint64
	nEntries  uint64
	incompat  uint32
	headerLen int
}

func newBuilder(compact bool) *builder {
	b := &builder{compact: compact, headerLen: 272}
	b.buf = make([]byte, b.headerLen)
	copy(b.buf, signature)
	if compact {
		b.incompat |= incompatCompact
	}
	b.incompat |= incompatKeyedHash | incompatCompressedZSTD
	return b
}

func (b *builder) obj(typ, flags byte, body []byte) uint64 {
	for len(b.buf)%8 != 0 {
		b.buf = append(b.buf, 0)
	}
	off := uint64(len(b.buf))
	var h [objHeaderSize]byte
	h[0], h[1] = typ, flags
	binary.LittleEndian.PutUint64(h[8:], uint64(objHeaderSize+len(body)))
	b.buf = append(b.buf, h[:]...)
	b.buf = append(b.buf, body...)
	b.tail = off
	b.nObjects++
	return off
}

// data adds a DATA object holding payload (already compressed if flags say so).
func (b *builder) data(flags byte, payload []byte) uint64 {
	fixed := dataPayloadRegular - objHeaderSize
	if b.compact {
		fixed = dataPayloadCompact - objHeaderSize
	}
	body := make([]byte, fixed, fixed+len(payload))
	return b.obj(objData, flags, append(body, payload...))
}

func (b *builder) field(kv string) uint64 { return b.data(0, []byte(kv)) }

func (b *builder) zstdField(t testing.TB, kv string) uint64 {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return b.data(objCompressedZSTD, enc.EncodeAll([]byte(kv), nil))
}

func (b *builder) entry(seq, realtime, monotonic uint64, boot byte, items ...uint64) uint64 {
	body := make([]byte, entryItems-objHeaderSize)
	le := binary.LittleEndian
	le.PutUint64(body[entrySeqnum-objHeaderSize:], seq)
	le.PutUint64(body[entryRealtime-objHeaderSize:], realtime)
	le.PutUint64(body[entryMonotonic-objHeaderSize:], monotonic)
	for i := 0; i < 16; i++ {
		body[entryBootID-objHeaderSize+i] = boot
	}
	for _, it := range items {
		if b.compact {
			body = le.AppendUint32(body, uint32(it))
		} else {
			body = le.AppendUint64(body, it)
			body = le.AppendUint64(body, 0) // hash: not checked by the reader
		}
	}
	b.nEntries++
	return b.obj(objEntry, 0, body)
}

// bytes finishes the header and returns the file, with slack of zeroed
// arena after the last object as journald leaves it.
func (b *builder) bytes(slack int) []byte {
	out := append([]byte(nil), b.buf...)
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	out = append(out, make([]byte, slack)...)
	le := binary.LittleEndian
	le.PutUint32(out[hdrIncompatibleFlags:], b.incompat)
	out[hdrState] = 0
	le.PutUint64(out[hdrHeaderSize:], uint64(b.headerLen))
	le.PutUint64(out[hdrArenaSize:], uint64(len(out)-b.headerLen))
	le.PutUint64(out[hdrTailObjectOffset:], b.tail)
	le.PutUint64(out[hdrNObjects:], b.nObjects)
	le.PutUint64(out[hdrNEntries:], b.nEntries)
	return out
}

// sample builds a small file: two entries of a miner's watchdog, one
// with a ZSTD field, an LZ4 and an XZ one, an item pointing nowhere, and
// the other object types in between.
func sample(t testing.TB, compact bool) []byte {
	b := newBuilder(compact)
	b.obj(objField, 0, make([]byte, 24+len("MESSAGE")))
	msg := b.field("MESSAGE=Started mysql.service - watchdog.")
	pid := b.field("_PID=4471")
	comm := b.field("_COMM=mysql")
	exe := b.field("_EXE=/tmp/mysql (deleted)")
	cmd := b.zstdField(t, "_CMDLINE=/tmp/mysql -o pool.example:3333 -u wallet --donate-level 0")
	uid := b.field("_UID=999")
	ident := b.field("SYSLOG_IDENTIFIER=systemd")
	host := b.field("_HOSTNAME=devops-buildagent")
	other := b.field("_BOOT_ID=0101")
	b.entry(1, 1773735971204000, 5000000, 1, msg, pid, comm, exe, cmd, uid, ident, host, other)
	b.obj(objEntryArray, 0, make([]byte, 8+8))
	b.obj(objDataHashTable, 0, make([]byte, 16*4))
	msg2 := b.field("MESSAGE=bin\xffary")
	lz := b.data(objCompressedLZ4, []byte{9, 0, 0, 0, 0, 0, 0, 0, 0x90, 'X', '=', '1', '2', '3', '4', '5', '6'})
	xz := b.data(objCompressedXZ, []byte{0xfd, '7', 'z', 'X', 'Z', 0})
	b.obj(42, 0, make([]byte, 8)) // an unknown type, skipped by its size
	b.entry(2, 1773735972000001, 5800000, 1, msg2, pid, lz, xz, 0xdead0)
	return b.bytes(4096)
}
