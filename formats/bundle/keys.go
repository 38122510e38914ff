package bundle

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"aead.dev/minisign"
)

// maxKeyFile bounds a key file read (a minisign key is under 300 bytes).
const maxKeyFile = 64 << 10

// GenerateKey makes a fresh minisign (ed25519) key pair.
func GenerateKey() (minisign.PublicKey, minisign.PrivateKey, error) {
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return minisign.PublicKey{}, minisign.PrivateKey{}, fmt.Errorf("generating key: %w", err)
	}
	return pub, priv, nil
}

// readKeyFile reads a key from a path, or from an inherited descriptor
// written "fd:N" or "/dev/fd/N", so that a secret key piped in by the
// responder never touches the suspect host's disk.
func readKeyFile(path string) ([]byte, error) {
	var r io.Reader
	switch {
	case strings.HasPrefix(path, "fd:"):
		n, err := strconv.Atoi(strings.TrimPrefix(path, "fd:"))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("key %q: want fd:N", path)
		}
		f := os.NewFile(uintptr(n), path)
		if f == nil {
			return nil, fmt.Errorf("key %q: no such descriptor", path)
		}
		defer f.Close()
		r = f
	default:
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading key: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading key %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("key %s is larger than %d bytes: not a minisign key", path, maxKeyFile)
	}
	return b, nil
}

// LoadPrivateKey reads a minisign secret key file. When the key is
// encrypted, password is asked for it (it may be nil for unencrypted keys).
func LoadPrivateKey(path string, password func() (string, error)) (minisign.PrivateKey, error) {
	b, err := readKeyFile(path)
	if err != nil {
		return minisign.PrivateKey{}, err
	}
	var key minisign.PrivateKey
	if minisign.IsEncrypted(b) {
		if password == nil {
			return key, errors.New("the secret key is encrypted and no password was given")
		}
		pw, err := password()
		if err != nil {
			return key, fmt.Errorf("reading the key's password: %w", err)
		}
		key, err = minisign.DecryptKey(pw, b)
		if err != nil {
			return key, fmt.Errorf("decrypting %s: %w", path, err)
		}
		return key, nil
	}
	if err := key.UnmarshalText(b); err != nil {
		return key, fmt.Errorf("reading %s: %w", path, err)
	}
	return key, nil
}

// LoadPublicKey reads a minisign public key: a .pub file, or the bare
// base64 key as minisign prints it (what a custody form holds).
func LoadPublicKey(pathOrKey string) (minisign.PublicKey, error) {
	var pub minisign.PublicKey
	if err := pub.UnmarshalText([]byte(strings.TrimSpace(pathOrKey))); err == nil {
		return pub, nil
	}
	b, err := readKeyFile(pathOrKey)
	if err != nil {
		return pub, err
	}
	if err := pub.UnmarshalText(b); err != nil {
		return pub, fmt.Errorf("reading public key %s: %w", pathOrKey, err)
	}
	return pub, nil
}

// KeyID formats a key's fingerprint as minisign prints it.
func KeyID(id uint64) string { return fmt.Sprintf("%016X", id) }
