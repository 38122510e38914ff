package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"aead.dev/minisign"
	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	registerVerb[keygenOptions]("keygen", "make a minisign key pair for signing bundles", keygenHelp)
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
`

type keygenOptions struct {
	name, pwFile string
	noPassword   bool
}

func (o *keygenOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.name, "output", "o", "", "write NAME.key and NAME.pub")
	fs.StringVar(&o.pwFile, "password-file", "", "encrypt the secret key with the password in FILE")
	fs.BoolVarP(&o.noPassword, "without-password", "W", false, "leave the secret key unencrypted")
}

func (o *keygenOptions) run(_ context.Context, std stdio, args []string) error {
	if o.name == "" || len(args) > 0 || (o.pwFile == "") == !o.noPassword {
		return usageErrorf("-o NAME and one of --password-file or --without-password are needed (see --help)")
	}
	pub, priv, err := bundle.GenerateKey()
	if err != nil {
		return err
	}
	var secret []byte
	if o.noPassword {
		secret, _ = priv.MarshalText()
	} else {
		pw, err := os.ReadFile(o.pwFile)
		if err != nil {
			return err
		}
		if secret, err = minisign.EncryptKey(strings.TrimRight(string(pw), "\r\n"), priv); err != nil {
			return err
		}
	}
	pubTxt, _ := pub.MarshalText()
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{o.name + ".key", secret, 0o600}, {o.name + ".pub", append(pubTxt, '\n'), 0o644}} {
		if err := writeNew(f.path, f.data, f.mode); err != nil {
			return err
		}
	}
	fmt.Fprintf(std.out, "wrote %s.key and %s.pub; fingerprint %s\n", safeterm.Escape(o.name), safeterm.Escape(o.name), bundle.KeyID(pub.ID()))
	return nil
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
