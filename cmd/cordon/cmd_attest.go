package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer/attest"
	"github.com/cordon-forensics/cordon/analyzer/report"
	"github.com/cordon-forensics/cordon/formats/provenance"
	"github.com/cordon-forensics/cordon/internal/clip"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	registerVerb[attestOptions]("attest", "compare the executables, shared objects and build artifacts in bundles with trusted copies", attestHelp)
}

const attestHelp = `cordon attest: diff what ran and what was built against trusted copies

Usage:
  cordon attest BUNDLE... --trusted PATH... [--trusted-md5sums PATH]
                [--builder-key KEY.pem]... [--pubkey KEY] [--identity F] [--force]
                [--format text|json|html|md] [-o FILE]

Every executable recovered from a process, every suspect shared object
mapped (deleted, outside the package directories, preloaded), every build
artifact collected with cordon-collect --artifacts, and every system program
the binaries source hashed, is compared with a trusted copy: a directory of
trusted rebuilds, a single file, or a Debian package (.deb, read in Go);
--trusted-md5sums adds dpkg md5sums lists (MD5 only: no diff). Copies are
matched by path, build-id or name. Each is identical, differs (for ELF
files: the sections, functions, constructors, libraries, entry point,
interpreter, RPATH/RUNPATH and build-id that changed) or has no trusted copy.

In-toto/SLSA provenance collected beside the artifacts is parsed: each
subject's digest is checked against the artifact, and signatures against
--builder-key (PEM public keys, ed25519 or ECDSA P-256). Keyless Sigstore
signatures need Fulcio and Rekor on the network, which Cordon does not use:
they are reported as not verified. From build times and commits, the golden
point of each program is bracketed: the last build identical to its trusted
rebuild, the first that differs, and what the builder built after it.

--format text (the default) lists the verdicts and diffs; json gives the
whole result; html and md write the report with its "Binary attestation"
section (the format follows -o's extension when it names one).

Examples:
  cordon attest web01.cordon --trusted rebuild/ --trusted pkgs/app_1.4_amd64.deb
  cordon attest ci01.cordon --trusted clean-room/out --builder-key builder.pem -o attest.html
  cordon attest host.cordon --trusted-md5sums /var/lib/dpkg/info --format json

Exit codes: 0 nothing differs and no check failed; 1 something differs, a
provenance check failed, a preloaded object is mapped (any finding above
medium), or a bundle was refused; 2 usage error; 130 interrupted.
`

type attestOptions struct {
	verify      verifyOptions
	force       bool
	trusted     []string
	md5sums     []string
	builderKeys []string
	output      outputOptions
	title       string
}

func (o *attestOptions) addFlags(fs *pflag.FlagSet) {
	o.verify.addFlags(fs)
	fs.BoolVar(&o.force, "force", false, "attest a bundle that is not intact, marking what rests on it unverified")
	fs.StringArrayVar(&o.trusted, "trusted", nil, "a trusted copy: a directory of rebuilds, a file, or a .deb (repeatable)")
	fs.StringArrayVar(&o.md5sums, "trusted-md5sums", nil, "a dpkg md5sums file, or a directory of them such as /var/lib/dpkg/info of a clean machine (repeatable)")
	fs.StringArrayVar(&o.builderKeys, "builder-key", nil, "a PEM public key (ed25519 or ECDSA P-256) that provenance signatures are checked with (repeatable)")
	o.output.addFlags(fs, []string{"text", "json", "html", "md"}, true)
	fs.StringVar(&o.title, "title", "", "the case's name in a report (default: the first bundle's evidence id)")
}

func (o *attestOptions) run(ctx context.Context, std stdio, args []string) error {
	if len(args) == 0 || len(o.trusted)+len(o.md5sums) == 0 {
		return usageErrorf("BUNDLE... and --trusted PATH (or --trusted-md5sums) are needed (see --help)")
	}
	format, err := o.output.chosen()
	if err != nil {
		return err
	}
	vo, err := o.verify.options()
	if err != nil {
		return err
	}
	var keys []provenance.PublicKey
	for _, p := range o.builderKeys {
		b, err := os.ReadFile(p)
		if err != nil {
			return withCode(exitUsage, err)
		}
		k, err := provenance.ParsePublicKeys(b)
		if err != nil {
			return usageErrorf("--builder-key %s: %w", p, err)
		}
		keys = append(keys, k...)
	}
	res, err := attest.Run(ctx, attest.Options{Bundles: args, Verify: vo, Force: o.force, Trusted: o.trusted,
		TrustedMD5Sums: o.md5sums, BuilderKeys: keys})
	if err != nil {
		if errors.Is(err, attest.ErrRefused) {
			return withCode(exitFailed, err)
		}
		return withCode(exitUsage, err)
	}
	defer res.Close()
	out, err := o.output.open(std.out)
	if err != nil {
		return err
	}
	defer out.Abort()
	switch format {
	case "json":
		var b []byte
		if b, err = res.JSON(); err == nil {
			_, err = out.Write(append(b, '\n'))
		}
	case "html", "md":
		err = writeAttestReport(out, res, o.title, format)
	default:
		printAttestation(out, res)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = out.Commit()
	}
	if err != nil {
		return err
	}
	if o.output.path != "" {
		fmt.Fprintf(std.out, "wrote %s: %s\n", safeterm.Escape(o.output.path), res.CountLine())
	}
	if res.Counts[attest.VerdictDiffers] > 0 || len(res.Findings) > 0 && res.Findings[0].Severity != "medium" {
		return &exitError{code: exitFailed}
	}
	return nil
}

func writeAttestReport(w io.Writer, res *attest.Result, title, format string) error {
	if title == "" && len(res.Bundles) > 0 {
		title = res.Bundles[0].EvidenceID
	}
	var bundles []report.Bundle
	for _, b := range res.Bundles {
		bundles = append(bundles, report.Bundle{EvidenceID: b.EvidenceID, Path: b.Path, SHA256: b.SHA256, Verification: b.Status,
			Unverified: b.Unverified, KeyID: b.KeyID, Trust: b.Trust, Host: b.Host})
	}
	r := report.Build(title, Version, res.Findings, nil, nil, bundles, time.Time{})
	r.Attestation = res.Report()
	r.Notes = append(r.Notes, res.Notes...)
	if format == "md" {
		return report.Markdown(w, r)
	}
	return report.HTML(w, r)
}

// printAttestation writes the result for a terminal, every string escaped.
func printAttestation(w io.Writer, res *attest.Result) {
	e := safeterm.Escape
	for _, b := range res.Bundles {
		un := ""
		if b.Unverified {
			un = " UNVERIFIED (--force)"
		}
		fmt.Fprintf(w, "bundle %s (%s): %s, %s%s\n", e(b.EvidenceID), e(b.Host), e(string(b.Status)), e(string(b.Trust)), un)
	}
	for _, t := range res.Trusted {
		what := t.Kind + " " + t.Path
		if t.Package != "" {
			what = "package " + t.Package + " (" + t.Path + ")"
		}
		fmt.Fprintf(w, "trusted %s: %d files\n", e(what), t.Files)
	}
	fmt.Fprintln(w)
	for i := range res.Items {
		it := &res.Items[i]
		if it.Kind == attest.KindProgram && it.Verdict == attest.VerdictIdentical {
			continue // hundreds of system programs: counted below, listed in --json
		}
		fmt.Fprintf(w, "%-16s %-13s %s  [%s]\n", strings.ToUpper(it.Verdict), it.Kind, clip.Cut(e(it.Label()), 300), e(it.Where()))
		if it.Trusted != nil {
			ref := it.Trusted.Kind + " " + it.Trusted.Source
			if it.Trusted.Package != "" {
				ref = "package " + it.Trusted.Package
			}
			amb := ""
			if it.Trusted.Ambiguous > 0 {
				amb = fmt.Sprintf(", %d other candidates", it.Trusted.Ambiguous)
			}
			fmt.Fprintf(w, "    trusted: %s: %s (by %s%s)\n", e(ref), e(it.Trusted.Path), it.Trusted.MatchedBy, amb)
		}
		for _, l := range attest.DiffLines(it.Diff, 30) {
			fmt.Fprintf(w, "    %s\n", clip.Cut(e(l), 400))
		}
		if it.Note != "" {
			fmt.Fprintf(w, "    note: %s\n", clip.Cut(e(it.Note), 400))
		}
		if it.Unverified {
			fmt.Fprintf(w, "    UNVERIFIED: its bundle is not intact (--force)\n")
		}
	}
	if len(res.Statements) > 0 {
		fmt.Fprintln(w, "\nPROVENANCE")
		for _, sc := range res.Statements {
			st := sc.Statement
			fmt.Fprintf(w, "  %s line %d: %s; builder %s, commit %s, finished %s\n", e(sc.File), st.Line, e(st.Verification),
				e(st.BuilderID), e(st.SourceCommit), st.Finished.Format(time.RFC3339))
			for _, s := range sc.Subjects {
				fmt.Fprintf(w, "    subject %s: %s %s\n", e(s.Name), s.Status, e(s.Artifact))
			}
		}
	}
	for _, g := range res.Golden {
		fmt.Fprintf(w, "\nGOLDEN POINT %s: %s\n", e(g.Program), clip.Cut(e(g.Text), 800))
		for _, p := range g.Suspect {
			fmt.Fprintf(w, "    suspect: %s  %s  commit %s  [%s]\n", p.Time.Format(time.RFC3339), e(p.Path), e(p.Commit), p.Verdict)
		}
	}
	if len(res.Findings) > 0 {
		fmt.Fprintln(w)
	}
	for _, f := range res.Findings {
		fmt.Fprintf(w, "%-8s %s  %s  (%s %s)\n", strings.ToUpper(f.Severity), f.RuleID, e(f.Title), f.Attack.ID, e(f.Attack.Name))
		for _, in := range f.Instances {
			fmt.Fprintf(w, "  - %s\n", clip.Cut(e(in), 400))
		}
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", clip.Cut(e(n), 400))
	}
	fmt.Fprintf(w, "\n%s\n", res.CountLine())
}
