package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

// TestOwnKeyIsTrusted: a key from cordon keygen, passed to cordon-collect
// through a descriptor and encrypted with a password, makes a bundle that
// verifies as trusted with --pubkey NAME.pub, as self-signed without it,
// and fails with another key. minisign reads the .pub file too.
func TestOwnKeyIsTrusted(t *testing.T) {
	minisignPath := testenv.NeedTool(t, "minisign")
	dir := t.TempDir()
	collect := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon-collect")
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("correct horse\n"), 0o600)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"keygen", "-o", filepath.Join(dir, "responder"), "--password-file", pw}, &out, &errb); code != exitOK {
		t.Fatalf("keygen: %d %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"keygen", "-o", filepath.Join(dir, "responder"), "--without-password"}, &out, &errb); code == exitOK {
		t.Fatal("keygen overwrote an existing key")
	}
	run(context.Background(), []string{"keygen", "-o", filepath.Join(dir, "other"), "--without-password"}, &out, &errb)

	key, _ := os.Open(filepath.Join(dir, "responder.key"))
	defer key.Close()
	b := filepath.Join(dir, "b.cordon")
	cmd := exec.Command(collect, "-o", b, "--only", "hostinfo", "--sign-key", "fd:3", "--sign-key-password-file", pw, "-q")
	cmd.ExtraFiles = []*os.File{key}
	if o, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("cordon-collect --sign-key fd:3: %v\n%s", err, o)
	}
	check := func(want string, wantCode int, args ...string) {
		t.Helper()
		var o, e bytes.Buffer
		code := run(context.Background(), append([]string{"verify", b}, args...), &o, &e)
		if code != wantCode || !bytes.Contains(o.Bytes(), []byte(want)) {
			t.Fatalf("verify %v: code %d, want %d and %q:\n%s%s", args, code, wantCode, want, o.String(), e.String())
		}
	}
	check("trusted: signed by key", exitOK, "--pubkey", filepath.Join(dir, "responder.pub"))
	check("self-signed", exitOK)
	check("wrong-key", exitFailed, "--pubkey", filepath.Join(dir, "other.pub"))

	x := filepath.Join(dir, "x")
	if code := run(context.Background(), []string{"extract", b, "-o", x}, &out, &errb); code != exitOK {
		t.Fatalf("extract: %d", code)
	}
	if o, err := exec.Command(minisignPath, "-Vm", filepath.Join(x, "manifest.json"), "-p", filepath.Join(dir, "responder.pub")).CombinedOutput(); err != nil {
		t.Fatalf("minisign with the keygen .pub: %v\n%s", err, o)
	}
}
