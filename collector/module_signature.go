package collector

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// module_signature.go reads the signature a kernel module file carries at
// its end (scripts/sign-file.c, include/linux/module_signature.h):
//
//	module bytes | PKCS#7 SignedData (DER) | struct module_signature (12 bytes) | "~Module signature appended~\n"
//
// struct module_signature is {u8 algo, hash, id_type, signer_len,
// key_id_len; u8 pad[3]; __be32 sig_len}; id_type 2 is PKCS#7, whose
// SignerInfo names the signing key by its certificate's issuer and serial
// (what modinfo prints as signer and sig_key). A compressed module (.zst,
// .gz) is signed before it is compressed: it is decompressed (bounded)
// first; .xz is not read (no decoder in the collector).

const moduleSigMagic = "~Module signature appended~\n"

// readModuleSignature reads a module file's signature, bounded.
func readModuleSignature(ctx context.Context, path string) snapshot.ModuleSignature {
	var sig snapshot.ModuleSignature
	f, err := OpenRegular(path, nil)
	if err != nil {
		sig.Error = err.Error()
		return sig
	}
	defer f.Close()
	var r io.Reader = NewStallReader(ctx, f, 0)
	switch {
	case strings.HasSuffix(path, ".zst"):
		zr, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(64<<20), zstd.WithDecoderMaxMemory(256<<20), zstd.WithDecoderConcurrency(1))
		if err != nil {
			sig.Error = err.Error()
			return sig
		}
		defer zr.Close()
		r = zr
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(r)
		if err != nil {
			sig.Error = err.Error()
			return sig
		}
		r = zr
	case strings.HasSuffix(path, ".xz"):
		sig.Error = "an .xz module: not decompressed by the collector, signature not read"
		return sig
	}
	data, err := io.ReadAll(io.LimitReader(r, maxModuleFile+1))
	if err != nil {
		sig.Error = err.Error()
		return sig
	}
	if len(data) > maxModuleFile {
		sig.Error = fmt.Sprintf("larger than %d bytes: not read", maxModuleFile)
		return sig
	}
	return parseModuleSignature(data)
}

// parseModuleSignature reads the trailer of a module's bytes. A module
// without one is unsigned (Error says so).
func parseModuleSignature(data []byte) (sig snapshot.ModuleSignature) {
	defer func() {
		if r := recover(); r != nil {
			sig = snapshot.ModuleSignature{Error: fmt.Sprintf("malformed signature: %v", r)}
		}
	}()
	if !bytes.HasSuffix(data, []byte(moduleSigMagic)) {
		sig.Error = "no appended signature"
		return sig
	}
	body := data[:len(data)-len(moduleSigMagic)]
	if len(body) < 12 {
		sig.Error = "signature trailer shorter than struct module_signature"
		return sig
	}
	ms := body[len(body)-12:]
	idType := ms[2]
	sigLen := binary.BigEndian.Uint32(ms[8:])
	body = body[:len(body)-12]
	if uint64(sigLen) > uint64(len(body)) {
		sig.Error = fmt.Sprintf("signature length %d beyond the file", sigLen)
		return sig
	}
	if idType != 2 {
		sig.Error = fmt.Sprintf("signature id type %d, not PKCS#7 (2)", idType)
		return sig
	}
	p7 := body[len(body)-int(sigLen):]
	issuer, serial, digest, err := pkcs7Signer(p7)
	if err != nil {
		sig.Error = "PKCS#7: " + err.Error()
		return sig
	}
	sig.Signer = issuer.CommonName
	if len(issuer.Organization) > 0 {
		sig.SignerOrg = issuer.Organization[0]
	}
	sig.KeyID = strings.ToUpper(hex.EncodeToString(serial))
	sig.HashAlgo = digest
	return sig
}

// digestNames names the digest algorithms of module signatures (RFC 5754, GB/T 32905).
var digestNames = map[string]string{
	"1.3.14.3.2.26":           "sha1",
	"2.16.840.1.101.3.4.2.4":  "sha224",
	"2.16.840.1.101.3.4.2.1":  "sha256",
	"2.16.840.1.101.3.4.2.2":  "sha384",
	"2.16.840.1.101.3.4.2.3":  "sha512",
	"2.16.840.1.101.3.4.2.8":  "sha3-256",
	"2.16.840.1.101.3.4.2.9":  "sha3-384",
	"2.16.840.1.101.3.4.2.10": "sha3-512",
	"1.2.156.10197.1.401":     "sm3",
}

// pkcs7Signer reads the first SignerInfo of a DER ContentInfo holding
// SignedData (RFC 2315 §9): its issuer, serial number and digest algorithm.
func pkcs7Signer(der []byte) (issuer pkix.Name, serial []byte, digest string, err error) {
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if _, err = asn1.Unmarshal(der, &ci); err != nil {
		return
	}
	if !ci.ContentType.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}) {
		err = fmt.Errorf("content type %v, not signedData", ci.ContentType)
		return
	}
	// SignedData: walk its fields, the optional [0] certificates and [1]
	// crls included, to the SET OF SignerInfo, which comes last.
	var sd asn1.RawValue
	if _, err = asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return
	}
	rest := sd.Bytes
	var last asn1.RawValue
	for len(rest) > 0 {
		var v asn1.RawValue
		if rest, err = asn1.Unmarshal(rest, &v); err != nil {
			return
		}
		last = v
	}
	if last.Class != asn1.ClassUniversal || last.Tag != asn1.TagSet {
		err = errors.New("no SignerInfos")
		return
	}
	var si asn1.RawValue
	if _, err = asn1.Unmarshal(last.Bytes, &si); err != nil {
		return
	}
	// SignerInfo ::= SEQUENCE { version, issuerAndSerialNumber
	// SEQUENCE { issuer Name, serialNumber INTEGER }, digestAlgorithm, … }
	fields, err := derFields(si.Bytes, 3)
	if err != nil {
		return
	}
	ias, err := derFields(fields[1].Bytes, 2)
	if err != nil {
		return
	}
	var alg pkix.AlgorithmIdentifier
	if _, err = asn1.Unmarshal(fields[2].FullBytes, &alg); err != nil {
		return
	}
	var rdn pkix.RDNSequence
	if _, err = asn1.Unmarshal(ias[0].FullBytes, &rdn); err != nil {
		return
	}
	issuer.FillFromRDNSequence(&rdn)
	serial = ias[1].Bytes
	digest = digestNames[alg.Algorithm.String()]
	if digest == "" {
		digest = alg.Algorithm.String()
	}
	return issuer, serial, digest, nil
}

// derFields decodes the first n DER elements of b.
func derFields(b []byte, n int) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(out) < n {
		if len(b) == 0 {
			return nil, fmt.Errorf("%d of %d fields", len(out), n)
		}
		var v asn1.RawValue
		var err error
		if b, err = asn1.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
