package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/importer"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	registerVerb[importOptions]("import", "turn a UAC or Cat-Scale archive into a bundle signed with the analyst's import key", importHelp)
}

const importHelp = `cordon import: turn another collector's archive into a Cordon bundle

Usage:
  cordon import ARCHIVE -o BUNDLE --key import.key [--password-file F]
                [--layout uac|catscale] [--acquisition-log FILE|-]
                [--expect HASH]... [--case-id ID] [--examiner NAME] [--note TEXT]
                [--format text|json]

Reads a UAC .tar.gz (with its acquisition .log beside it) or a Cat-Scale
.tar.gz once, as a stream (nothing is extracted), keeps every member, and
maps each file to the entry and source cordon-collect would have given it:
host files under fs/, the process and socket listings joined into
proc/processes.jsonl and net/sockets.jsonl, recovered binaries under
proc/PID/exe. cordon analyze, findings and report then read the bundle as
any other; every event from it is marked imported.

Custody is stated as it is, never upgraded. The bundle is signed with the
analyst's import key (cordon keygen), and its custody says:
  "imported from UAC 3.3.0 archive <sha256>, not collected by Cordon,
   no signature from the suspect host"
Every hash the archive states about itself is compared with its bytes and
recorded (import/checks-*.jsonl): UAC's acquisition log (MD5, SHA-1 of the
archive), its hash_list files (-H), hash_running_processes against the
recovered binaries, hash_executables and Cat-Scale's SHA-1 lists against
the host files the archive holds, and --expect (a digest from the custody
form or Cat-Scale's console). A mismatch is reported, never fatal; an
archive that ends early is imported up to where it stops.

Examples:
  cordon keygen -o analyst-import --password-file pw.txt
  cordon import uac-web01-linux-20261201144410.tar.gz -o web01.cordon --key analyst-import.key --password-file pw.txt
  cordon import catscale_web01-20261201-1451.tar.gz -o web01.cordon --key analyst-import.key \
      --expect ff70eab29c10da8640c6b45926edce4caad743a1

Exit codes: 0 imported and every check passed, 1 imported but a check
failed or the archive is incomplete, 2 usage error or unreadable archive
(no bundle written), 130 interrupted (no bundle written).
`

type importOptions struct {
	out, key, pwFile, layout, acqLog string
	caseID, examiner, evidenceID     string
	expect, notes                    []string
	format                           string
}

func (o *importOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.out, "output", "o", "", "write the bundle to FILE (never overwritten; written whole or not at all)")
	fs.StringVar(&o.key, "key", "", "the analyst's import key (minisign secret key, cordon keygen)")
	fs.StringVar(&o.pwFile, "password-file", "", "the import key's password, in FILE")
	fs.StringVar(&o.layout, "layout", "", "the collector: uac or catscale (default: recognised from the archive)")
	fs.StringVar(&o.acqLog, "acquisition-log", "", "UAC's acquisition log (default: ARCHIVE's name with .log; - for none)")
	fs.StringArrayVar(&o.expect, "expect", nil, "a digest of the archive held from elsewhere (MD5, SHA-1 or SHA-256; repeatable)")
	fs.StringVar(&o.caseID, "case-id", "", "case identifier, recorded in the custody")
	fs.StringVar(&o.examiner, "examiner", "", "who imports, recorded in the custody")
	fs.StringArrayVar(&o.notes, "note", nil, "a note for the custody (repeatable)")
	fs.StringVar(&o.evidenceID, "evidence-id", "", "the bundle's evidence id (default: imported-ARCHIVE-TIME-RANDOM)")
	fs.StringVar(&o.format, "format", "text", "the summary printed: text or json")
}

func (o *importOptions) run(ctx context.Context, std stdio, args []string) error {
	if len(args) != 1 || o.out == "" || o.key == "" {
		return usageErrorf("one ARCHIVE, -o BUNDLE and --key are needed (see --help)")
	}
	if o.format != "text" && o.format != "json" {
		return usageErrorf("--format %q: want text or json", o.format)
	}
	archive := args[0]
	key, err := bundle.LoadPrivateKey(o.key, func() (string, error) {
		if o.pwFile == "" {
			return "", errors.New("the import key is encrypted: pass --password-file")
		}
		b, err := os.ReadFile(o.pwFile)
		return strings.TrimRight(string(b), "\r\n"), err
	})
	if err != nil {
		return withCode(exitUsage, err)
	}
	out, err := (&outputOptions{path: o.out}).open(std.out)
	if err != nil {
		return err
	}
	defer out.Abort()
	bw := bufio.NewWriterSize(out, 256<<10)
	res, err := importer.Import(ctx, archive, bw, importer.Options{
		Key: key, EvidenceID: o.evidenceID, CaseID: o.caseID, Examiner: o.examiner, Notes: o.notes, Layout: o.layout,
		AcquisitionLog: o.acqLog, Expect: o.expect, Importer: "cordon " + Version, CommandLine: os.Args,
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("%s: %w", archive, err))
	}
	if err := out.Commit(); err != nil {
		return err
	}
	if o.format == "json" {
		enc := json.NewEncoder(std.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else {
		printImport(std.out, o.out, res)
	}
	if len(res.Failed) > 0 || !res.Import.Complete {
		return withCode(exitFailed, nil)
	}
	return nil
}

func printImport(w io.Writer, out string, res *importer.Result) {
	im := res.Import
	fmt.Fprintf(w, "%s\n", safeterm.Escape(im.Statement))
	fmt.Fprintf(w, "  archive:       %s, %d bytes, %d members\n", safeterm.Escape(im.ArchiveName), im.ArchiveSize, im.Members)
	fmt.Fprintf(w, "  archive MD5:   %s\n  archive SHA-1: %s\n", im.ArchiveMD5, im.ArchiveSHA1)
	if im.AcquisitionLog != "" {
		fmt.Fprintf(w, "  acquisition log: %s (SHA-256 %s)\n", safeterm.Escape(im.AcquisitionLog), im.AcquisitionLogSHA256)
	}
	var counts []string
	for _, k := range []string{"match", "mismatch", "missing", "incomplete", "not-comparable"} {
		if n := im.Checks[k]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(counts) == 0 {
		counts = []string{"none: the archive states no hash of its own that could be compared"}
	}
	fmt.Fprintf(w, "  hash checks:   %s\n", strings.Join(counts, ", "))
	for _, c := range res.Failed {
		fmt.Fprintf(w, "  ! %s %s %s: %s", c.Kind, safeterm.Escape(c.Subject), c.Algorithm, c.Result)
		if c.Expected != "" {
			fmt.Fprintf(w, " (expected %s from %s, found %s)", safeterm.Escape(c.Expected), safeterm.Escape(c.Source), safeterm.Escape(c.Actual))
		}
		if c.Note != "" {
			fmt.Fprintf(w, ": %s", safeterm.Escape(c.Note))
		}
		fmt.Fprintln(w)
	}
	if !im.Complete {
		fmt.Fprintf(w, "  ! incomplete archive: stopped %s\n", safeterm.Escape(im.StoppedAt))
	}
	if res.Warnings > 0 {
		fmt.Fprintf(w, "  %d lines of the collector's text outputs could not be read (import/warnings.jsonl)\n", res.Warnings)
	}
	fmt.Fprintf(w, "bundle %s: %d entries, evidence id %s\n", safeterm.Escape(out), res.Entries, safeterm.Escape(res.EvidenceID))
	fmt.Fprintf(w, "  bundle SHA-256:  %s\n  key fingerprint: %s (the analyst's import key)\n", res.Summary.SHA256, res.Summary.KeyID)
}

// importNotes are what the findings and the report say about a bundle
// cordon import made: its custody as it is, what the archive lacks, and
// whether its own hashes held.
func importNotes(path string, im *bundle.ImportFacts) []string {
	out := []string{fmt.Sprintf("IMPORTED: %s: %s", path, im.Statement)}
	if len(im.NotInArchive) > 0 {
		out = append(out, fmt.Sprintf("%s: not in the archive: %s", path, strings.Join(im.NotInArchive, "; ")))
	}
	if n := im.Checks["mismatch"] + im.Checks["missing"]; n > 0 {
		out = append(out, fmt.Sprintf("%s: %d of the archive's own hashes do not hold (CORDON-IMP-001; import/checks-*.jsonl)", path, n))
	}
	if !im.Complete {
		out = append(out, fmt.Sprintf("%s: the archive is incomplete: the import stopped %s", path, im.StoppedAt))
	}
	return out
}
