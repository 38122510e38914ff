package journal

// On-disk layout of a systemd journal file, from
// https://systemd.io/JOURNAL_FILE_FORMAT/ (and systemd's
// src/libsystemd/sd-journal/journal-def.h). All integers are little-endian.

// signature opens every journal file.
const signature = "LPKSHHRH"

// Header field offsets.
const (
	hdrCompatibleFlags   = 8
	hdrIncompatibleFlags = 12
	hdrState             = 16
	hdrFileID            = 24
	hdrMachineID         = 40
	hdrTailEntryBootID   = 56
	hdrSeqnumID          = 72
	hdrHeaderSize        = 88
	hdrArenaSize         = 96
	hdrTailObjectOffset  = 136
	hdrNObjects          = 144
	hdrNEntries          = 152
	// minHeader is the smallest header Cordon reads: every field up to
	// n_entries (systemd's first format had 208 bytes and more fields).
	minHeader = 160
	// maxHeader bounds the header size a file may claim (systemd 254 writes 272).
	maxHeader = 1 << 16
)

// Incompatible flags (header.incompatible_flags).
const (
	incompatCompressedXZ   = 1 << 0
	incompatCompressedLZ4  = 1 << 1
	incompatKeyedHash      = 1 << 2
	incompatCompressedZSTD = 1 << 3
	incompatCompact        = 1 << 4
	incompatKnown          = incompatCompressedXZ | incompatCompressedLZ4 | incompatKeyedHash | incompatCompressedZSTD | incompatCompact
)

// Object types (ObjectHeader.type).
const (
	objUnused         = 0
	objData           = 1
	objField          = 2
	objEntry          = 3
	objDataHashTable  = 4
	objFieldHashTable = 5
	objEntryArray     = 6
	objTag            = 7
)

// Object flags (ObjectHeader.flags): how a DATA object's payload is compressed.
const (
	objCompressedXZ   = 1 << 0
	objCompressedLZ4  = 1 << 1
	objCompressedZSTD = 1 << 2
)

// Object layout.
const (
	objHeaderSize = 16 // type u8, flags u8, reserved[6], size le64
	// DataObject: hash, next_hash_offset, next_field_offset, entry_offset,
	// entry_array_offset, n_entries (6 × le64), then in compact files
	// tail_entry_array_offset and tail_entry_array_n_entries (2 × le32).
	dataPayloadRegular = 64
	dataPayloadCompact = 72
	// EntryObject: seqnum, realtime, monotonic (le64), boot_id (16 bytes),
	// xor_hash (le64), then items: {le64 object_offset, le64 hash} in
	// regular files, {le32 object_offset} in compact ones.
	entrySeqnum    = 16
	entryRealtime  = 24
	entryMonotonic = 32
	entryBootID    = 40
	entryItems     = 64
)

func typeName(t byte) string {
	switch t {
	case objUnused:
		return "UNUSED"
	case objData:
		return "DATA"
	case objField:
		return "FIELD"
	case objEntry:
		return "ENTRY"
	case objDataHashTable:
		return "DATA_HASH_TABLE"
	case objFieldHashTable:
		return "FIELD_HASH_TABLE"
	case objEntryArray:
		return "ENTRY_ARRAY"
	case objTag:
		return "TAG"
	}
	return "unknown"
}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }
