package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"filippo.io/age"
	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	register(verb{name: "verify", summary: "check a bundle's signatures, chain and every entry's hash", run: runVerify})
}

const verifyHelp = `cordon verify: check a bundle in one streaming pass

Usage:
  cordon verify BUNDLE [--pubkey KEY|FILE] [--identity AGE_KEY_FILE] [--json]

It checks the signatures of every checkpoint, of manifest.json and of
SHA256SUMS, the chain that binds each entry to the ones before it, and every
entry's SHA-256, and reports missing, extra, duplicated, reordered and
altered entries. Without --pubkey a bundle can only be "self-signed": compare
the fingerprint printed with the one on the custody form.

Examples:
  cordon verify web01.cordon
  cordon verify web01.cordon --pubkey responder.pub --sha256 0f85226…
  cordon verify web01.cordon --pubkey RWSauXBtpzKWBNHd8IEu/opG4ude91eYuht4WyaguCDDvKAok/13aeLa
  cordon verify web01.cordon.age --identity analyst.agekey --json

Exit codes:
  0  intact (trusted, or self-signed when no --pubkey was given)
  1  failed or incomplete
  2  usage error, or the bundle could not be read

Flags:
`

type verifyOptions struct {
	pubkey   string
	identity []string
	json     bool
	sha256   string
}

func (o *verifyOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.pubkey, "pubkey", "", "the minisign public key the bundle must be signed with (a .pub file or the bare key)")
	fs.StringArrayVar(&o.identity, "identity", nil, "age identity file to decrypt an encrypted bundle (repeatable)")
	fs.StringVar(&o.sha256, "sha256", "", "the bundle's SHA-256 from the custody form: any difference fails")
}

func (o *verifyOptions) options() (bundle.VerifyOptions, error) {
	vo := bundle.VerifyOptions{ExpectSHA256: o.sha256}
	if o.pubkey != "" {
		pub, err := bundle.LoadPublicKey(o.pubkey)
		if err != nil {
			return vo, err
		}
		vo.PublicKey = &pub
	}
	for _, path := range o.identity {
		f, err := os.Open(path)
		if err != nil {
			return vo, err
		}
		ids, err := age.ParseIdentities(io.LimitReader(f, 1<<20))
		f.Close()
		if err != nil {
			return vo, fmt.Errorf("%s: %w", path, err)
		}
		vo.Identities = append(vo.Identities, ids...)
	}
	return vo, nil
}

func newFlagSet(name, help string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, help)
		fmt.Fprint(stderr, fs.FlagUsages())
	}
	return fs
}

func runVerify(args []string, stdout, stderr io.Writer) int {
	var o verifyOptions
	fs := newFlagSet("verify", verifyHelp, stderr)
	o.addFlags(fs)
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "cordon verify: one BUNDLE is needed (see --help)")
		return exitUsage
	}
	vo, err := o.options()
	if err != nil {
		fmt.Fprintf(stderr, "cordon verify: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "cordon verify: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	defer f.Close()
	rep, err := bundle.Verify(f, vo)
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		printReport(stdout, fs.Arg(0), rep)
	}
	if err != nil && rep.Entries == 0 {
		return exitUsage
	}
	if rep.Status != bundle.StatusIntact {
		return exitFailed
	}
	return exitOK
}

func printReport(w io.Writer, path string, rep *bundle.Report) {
	fmt.Fprintf(w, "bundle:      %s\n", safeterm.Escape(path))
	fmt.Fprintf(w, "evidence id: %s\n", safeterm.Escape(rep.EvidenceID))
	fmt.Fprintf(w, "SHA-256:     %s (compare with the custody form, or pass --sha256)\n", rep.BundleSHA256)
	fmt.Fprintf(w, "status:      %s (%d entries seen, %d verified, %d checkpoints verified)\n", rep.Status, rep.Entries, len(rep.Verified), rep.Checkpoints)
	switch rep.Trust {
	case bundle.TrustTrusted:
		fmt.Fprintf(w, "signature:   trusted: signed by key %s, the key you passed\n", rep.KeyID)
	case bundle.TrustSelfSigned:
		fmt.Fprintf(w, "signature:   self-signed: compare fingerprint %s with the custody form\n", rep.KeyID)
		fmt.Fprintf(w, "public key:  %s\n", safeterm.Escape(rep.PublicKey))
	default:
		fmt.Fprintf(w, "signature:   NOT VERIFIED\n")
	}
	if rep.Manifest != nil {
		c := rep.Manifest.Custody
		fmt.Fprintf(w, "host:        %s (collected %s to %s, by %s)\n", safeterm.Escape(c.Host.Hostname),
			c.Host.ClockStart.Format("2006-01-02T15:04:05Z"), c.Host.ClockEnd.Format("2006-01-02T15:04:05Z"), safeterm.Escape(c.Examiner))
		fmt.Fprintf(w, "not collected: %d items; collector errors: %d\n", len(rep.Missing), len(c.Errors))
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "PROBLEM %-13s %s: %s\n", p.Kind, safeterm.Escape(p.Name), safeterm.Escape(p.Detail))
	}
}
