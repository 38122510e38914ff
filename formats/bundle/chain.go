package bundle

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// chainSeed is the chain value before the first entry.
var chainSeed = sha256.Sum256([]byte("cordon-bundle-v1 chain seed"))

// nextChain binds one entry to every entry before it:
//
//	chain[i] = SHA-256("cordon-chain-v1" || chain[i-1] || u64be(index) ||
//	                   u32be(len(name)) || name || u64be(size) || sha256(content) || truncated)
//
// where truncated is one byte, 1 or 0. Reordering, dropping, inserting or
// altering an entry changes every later chain value.
func nextChain(prev [32]byte, index int, name string, size int64, sum [32]byte, truncated bool) [32]byte {
	h := sha256.New()
	h.Write([]byte("cordon-chain-v1"))
	h.Write(prev[:])
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(index))
	h.Write(b[:])
	binary.BigEndian.PutUint32(b[:4], uint32(len(name)))
	h.Write(b[:4])
	h.Write([]byte(name))
	binary.BigEndian.PutUint64(b[:], uint64(size))
	h.Write(b[:])
	h.Write(sum[:])
	if truncated {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func hexSum(b [32]byte) string { return hex.EncodeToString(b[:]) }
