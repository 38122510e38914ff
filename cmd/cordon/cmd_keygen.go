package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"aead.dev/minisign"
	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

func init() {
	register(verb{name: "keygen", summary: "make a minisign key pair for signing bundles", run: runKeygen})
}

const keygenHelp = `cordon keygen: make a signing key pair in minisign's formats

Usage:
  cordon keygen -o NAME [--password-file FILE | --without-password]

Writes NAME.key (secret) and NAME.pub (public); never overwrites. The
responder passes NAME.key to cordon-collect --sign-key (fd:N keeps it off
the suspect disk); the analyst passes NAME.pub to cordon verify --pubkey.
minisign -V reads NAME.pub too.

Examples:
  cordon keygen -o responder --password-file pw.txt
  cordon keygen -o ci-responder --without-password

Exit codes: 0 written, 2 usage error or a file exists.

Flags:
`

func runKeygen(args []string, stdout, stderr io.Writer) int {
	var name, pwFile string
	var noPassword bool
	fs := newFlagSet("keygen", keygenHelp, stderr)
	fs.StringVarP(&name, "output", "o", "", "write NAME.key and NAME.pub")
	fs.StringVar(&pwFile, "password-file", "", "encrypt the secret key with the password in FILE")
	fs.BoolVarP(&noPassword, "without-password", "W", false, "leave the secret key unencrypted")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if name == "" || fs.NArg() > 0 || (pwFile == "") == !noPassword {
		fmt.Fprintln(stderr, "cordon keygen: -o NAME and one of --password-file or --without-password are needed (see --help)")
		return exitUsage
	}
	pub, priv, err := bundle.GenerateKey()
	if err != nil {
		fmt.Fprintf(stderr, "cordon keygen: %v\n", err)
		return exitUsage
	}
	var secret []byte
	if noPassword {
		secret, _ = priv.MarshalText()
	} else {
		pw, err := os.ReadFile(pwFile)
		if err != nil {
			fmt.Fprintf(stderr, "cordon keygen: %v\n", err)
			return exitUsage
		}
		if secret, err = minisign.EncryptKey(strings.TrimRight(string(pw), "\r\n"), priv); err != nil {
			fmt.Fprintf(stderr, "cordon keygen: %v\n", err)
			return exitUsage
		}
	}
	pubTxt, _ := pub.MarshalText()
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{name + ".key", secret, 0o600}, {name + ".pub", append(pubTxt, '\n'), 0o644}} {
		if err := writeNew(f.path, f.data, f.mode); err != nil {
			fmt.Fprintf(stderr, "cordon keygen: %v\n", err)
			return exitUsage
		}
	}
	fmt.Fprintf(stdout, "wrote %s.key and %s.pub; fingerprint %s\n", name, name, bundle.KeyID(pub.ID()))
	return exitOK
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
