package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/clip"
	"github.com/cordon-forensics/cordon/internal/ctxio"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	registerVerb[verifyCmdOptions]("verify", "check a bundle's signatures, chain and every entry's hash", verifyHelp)
}

const verifyHelp = `cordon verify: check a bundle in one streaming pass

Usage:
  cordon verify BUNDLE... [--pubkey KEY|FILE] [--identity AGE_KEY_FILE] [--sha256 SHA]... [--format text|json]

It checks the signatures of every checkpoint, of manifest.json and of
SHA256SUMS, the chain that binds each entry to the ones before it, and every
entry's SHA-256, and reports missing, extra, duplicated, reordered and
altered entries. Without --pubkey a bundle can only be "self-signed": compare
the fingerprint printed with the one on the custody form. With --sha256
(repeatable: the hashes on the custody forms), each bundle's SHA-256 must
be one of them. With several bundles, each is verified in turn; --format
json prints one JSON document per bundle.

Examples:
  cordon verify web01.cordon
  cordon verify web01.cordon --pubkey responder.pub --sha256 0f85226…
  cordon verify web01.cordon --pubkey RWSauXBtpzKWBNHd8IEu/opG4ude91eYuht4WyaguCDDvKAok/13aeLa
  cordon verify web01.cordon.age --identity analyst.agekey --format json

Exit codes:
  0    every bundle intact (trusted, or self-signed when no --pubkey was given)
  1    a bundle failed or is incomplete
  2    usage error, or a bundle could not be read
  130  interrupted
`

type verifyCmdOptions struct {
	verify verifyOptions
	output outputOptions
}

func (o *verifyCmdOptions) addFlags(fs *pflag.FlagSet) {
	o.verify.addFlags(fs)
	o.output.addFlags(fs, []string{"text", "json"}, true)
}

func (o *verifyCmdOptions) run(ctx context.Context, std stdio, args []string) error {
	if len(args) == 0 {
		return usageErrorf("a BUNDLE is needed (see --help)")
	}
	format, err := o.output.chosen()
	if err != nil {
		return err
	}
	vo, err := o.verify.options()
	if err != nil {
		return err
	}
	out, err := o.output.open(std.out)
	if err != nil {
		return err
	}
	defer out.Abort()
	var result error
	for _, path := range args {
		f, err := os.Open(path)
		if err != nil {
			return withCode(exitUsage, err)
		}
		rep, err := bundle.Verify(ctxio.Reader(ctx, f), vo)
		f.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if format == "json" {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
		} else {
			printReport(out, path, rep)
		}
		switch {
		case err != nil && rep.Entries == 0:
			return withCode(exitUsage, fmt.Errorf("%s: %w", path, err))
		case rep.Status != bundle.StatusIntact && result == nil:
			result = withCode(exitFailed, nil)
		}
	}
	if err := out.Commit(); err != nil {
		return err
	}
	return result
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
		by := ""
		if c.Examiner != "" {
			by = ", by " + safeterm.Escape(c.Examiner)
		}
		fmt.Fprintf(w, "host:        %s (collected %s to %s%s)\n", safeterm.Escape(c.Host.Hostname),
			c.Host.ClockStart.Format("2006-01-02T15:04:05Z"), c.Host.ClockEnd.Format("2006-01-02T15:04:05Z"), by)
		fmt.Fprintf(w, "not collected: %d items; collector errors: %d\n", len(rep.Missing), len(c.Errors))
		if c.Import != nil {
			fmt.Fprintf(w, "imported:    %s\n", safeterm.Escape(clip.Cut(c.Import.Statement, 400)))
		}
		if c.Interrupted != "" {
			fmt.Fprintf(w, "INTERRUPTED: %s\n", safeterm.Escape(clip.Cut(c.Interrupted, 300)))
		}
		var short []string
		for _, s := range c.Sources {
			switch s.Status {
			case bundle.SourceOK, bundle.SourceSkipped, bundle.SourceNoData:
			default:
				short = append(short, fmt.Sprintf("%s (%s)", safeterm.Escape(clip.Cut(s.Name, 80)), safeterm.Escape(clip.Cut(string(s.Status), 40))))
			}
			if len(short) == 40 { // a collector has about thirty sources; a forged manifest any number
				short = append(short, "…")
				break
			}
		}
		if len(short) > 0 {
			fmt.Fprintf(w, "sources not ok: %s\n", strings.Join(short, ", "))
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "PROBLEM %-13s %s: %s\n", p.Kind, safeterm.Escape(p.Name), safeterm.Escape(p.Detail))
	}
}
