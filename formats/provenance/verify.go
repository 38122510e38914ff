package provenance

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strconv"
)

// PublicKey is a builder's verification key.
type PublicKey struct {
	// ID is the SHA-256 of the key's PKIX DER form, in hex: what reports name.
	ID  string
	Alg string // "ed25519" or "ecdsa-p256"
	key any
}

// ParsePublicKeys reads every PEM "PUBLIC KEY" block (PKIX) of data:
// ed25519 and ECDSA P-256 keys are accepted, others refused by name.
func ParsePublicKeys(data []byte) ([]PublicKey, error) {
	var out []PublicKey
	for len(data) > 0 {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "PUBLIC KEY" {
			continue
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		sum := sha256.Sum256(block.Bytes)
		pk := PublicKey{ID: hex.EncodeToString(sum[:]), key: k}
		switch k := k.(type) {
		case ed25519.PublicKey:
			pk.Alg = "ed25519"
		case *ecdsa.PublicKey:
			if k.Curve != elliptic.P256() {
				return nil, fmt.Errorf("ECDSA key on %s: only P-256 is supported", k.Curve.Params().Name)
			}
			pk.Alg = "ecdsa-p256"
		default:
			return nil, fmt.Errorf("public key of type %T: only ed25519 and ECDSA P-256 are supported", k)
		}
		out = append(out, pk)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM PUBLIC KEY block")
	}
	return out, nil
}

// PAE is DSSE's pre-authentication encoding of a payload: what is signed.
func PAE(payloadType string, payload []byte) []byte {
	b := []byte("DSSEv1 ")
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

func verifyOne(k PublicKey, msg, sig []byte) bool {
	switch key := k.key.(type) {
	case ed25519.PublicKey:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(key, msg, sig)
	case *ecdsa.PublicKey:
		h := sha256.Sum256(msg)
		if ecdsa.VerifyASN1(key, h[:], sig) {
			return true
		}
		// Some signers write r||s raw (IEEE P1363).
		if len(sig) == 64 {
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return ecdsa.Verify(key, h[:], r, s)
		}
	}
	return false
}

// Verify checks the statement's signatures with keys and sets
// Verification: Verified when one signature checks out with one of the
// keys, Failed when none does, and says why when nothing could be checked
// (unsigned, keyless, no key given).
func (s *Statement) Verify(keys []PublicKey) {
	if len(s.sigs) == 0 {
		if s.Form == FormStatement {
			s.Verification = Unsigned
		}
		return
	}
	if len(keys) == 0 {
		return // NoKey or Keyless, set by Parse
	}
	msg := PAE(s.payloadType, s.payload)
	any := false
	for i, sig := range s.sigs {
		s.Signatures[i].Verified, s.Signatures[i].Key = false, ""
		for _, k := range keys {
			if sig != nil && verifyOne(k, msg, sig) {
				s.Signatures[i].Verified, s.Signatures[i].Key = true, k.ID
				any = true
				break
			}
		}
		if !s.Signatures[i].Verified && s.Signatures[i].Error == "" {
			s.Signatures[i].Error = "does not verify with any key given"
		}
	}
	switch {
	case any:
		s.Verification = Verified
	case s.keyless:
		s.Verification = Keyless
	default:
		s.Verification = Failed
	}
}
