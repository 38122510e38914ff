package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/cordon-forensics/cordon/analyzer"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	register(verb{name: "analyze", summary: "verify bundles, parse every artifact into events and index them in a case", run: runAnalyze})
}

const analyzeHelp = `cordon analyze: verify bundles and add their events to a case

Usage:
  cordon analyze BUNDLE... --case DIR [--force] [--pubkey KEY|FILE] [--identity F]

Each bundle is verified first (signatures, chain, every entry's hash); one
that is not intact is refused unless --force, which analyzes it anyway and
marks every one of its events unverified. The entries are then read again,
checked against their signed hashes, parsed into timeline events, sorted by
time, stored (DIR/bundles/b-…/events.jsonl.zst) and indexed with Bleve (one
index per bundle; search and timeline read them together). A case may hold
several bundles: several hosts, or one host collected twice. A bundle
already in the case (same SHA-256) is skipped.

PostgreSQL logs in the stderr format are read with the log_line_prefix
that the collected postgresql.conf (or postgresql.auto.conf) sets, when
the signed files agree; --pg-log-line-prefix overrides it. Lines not in
that form, and logs of clusters that set none, are read whatever their
prefix when it is one of the common forms (a timestamp first, [%p],
%u@%d, key=value pairs, %r).

Parser warnings are kept in the bundle's warnings.jsonl and counted here.

Examples:
  cordon analyze web01.cordon db01.cordon --case IR-031
  cordon analyze web01.cordon --case IR-031 --pubkey responder.pub
  cordon search --case IR-031 '+process.executable:"/tmp/mysql" +event.action:process-started'
  cordon timeline --case IR-031 --from 2026-11-02T10:00:00Z --format timesketch > ir031.csv

Exit codes: 0 every bundle analyzed (or already in the case), 1 a bundle
was refused or could not be analyzed (the others were), 2 usage error.

Flags:
`

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	var vo verifyOptions
	var caseDir string
	var force bool
	var sortMiB int
	var pgPrefix string
	fs := newFlagSet("analyze", analyzeHelp, stderr)
	fs.StringVar(&caseDir, "case", "", "the case directory (created if needed)")
	fs.BoolVar(&force, "force", false, "analyze a bundle that is not intact, marking every event unverified")
	fs.StringVar(&vo.pubkey, "pubkey", "", "the minisign public key the bundles must be signed with (a .pub file or the bare key)")
	fs.StringArrayVar(&vo.identity, "identity", nil, "age identity file to decrypt encrypted bundles (repeatable)")
	fs.IntVar(&sortMiB, "sort-memory", 128, "MiB of events held in memory while sorting, before spilling to the case directory")
	fs.StringVar(&pgPrefix, "pg-log-line-prefix", "", "the PostgreSQL cluster's log_line_prefix (from its postgresql.conf), when its stderr logs use an unusual one")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 || caseDir == "" {
		fmt.Fprintln(stderr, "cordon analyze: BUNDLE... and --case DIR are needed (see --help)")
		return exitUsage
	}
	opts, err := vo.options()
	if err != nil {
		fmt.Fprintf(stderr, "cordon analyze: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code := exitOK
	var events, warnings int64
	done := 0
	for _, path := range fs.Args() {
		bar := newProgress(stderr, path)
		start := time.Now()
		b, err := analyzer.AnalyzeBundle(ctx, caseDir, path, analyzer.AnalyzeOptions{
			Verify: opts, Force: force, Analyzer: "cordon " + Version, Progress: bar.update, SortMemory: sortMiB << 20,
			Settings: parserSettings(pgPrefix),
		})
		bar.finish()
		switch {
		case errors.Is(err, analyzer.ErrAlreadyInCase):
			fmt.Fprintf(stderr, "cordon analyze: %s\n", safeterm.Escape(err.Error()))
			continue
		case err != nil:
			fmt.Fprintf(stderr, "cordon analyze: %s: %s\n", safeterm.Escape(path), safeterm.Escape(err.Error()))
			code = exitFailed
			if ctx.Err() != nil {
				return code
			}
			continue
		}
		done++
		events += b.Events
		warnings += b.Warnings
		printBundleSummary(stdout, b, time.Since(start))
	}
	fmt.Fprintf(stdout, "case %s: %d bundles analyzed now, %d events, %d parser warnings\n",
		safeterm.Escape(caseDir), done, events, warnings)
	return code
}

// parserSettings are the analyst's settings for the parsers.
func parserSettings(pgPrefix string) map[string]string {
	if pgPrefix == "" {
		return nil
	}
	return map[string]string{analyzer.SettingPGLogLinePrefix: pgPrefix}
}

func printBundleSummary(w io.Writer, b *analyzer.CaseBundle, took time.Duration) {
	status := b.Verification + ", " + b.Trust
	if b.Trust == "self-signed" {
		status += " (compare key " + b.KeyID + " with the custody form)"
	}
	if b.Unverified {
		status = "UNVERIFIED (" + b.Verification + ", --force): every event is marked unverified"
	}
	fmt.Fprintf(w, "%s  %s\n  evidence %s, host %s\n  %s\n  %d events, %d parser warnings, %d entries a parser could not read, %s",
		b.Dir, safeterm.Escape(b.Path), safeterm.Escape(b.EvidenceID), safeterm.Escape(b.Host()), status,
		b.Events, b.Warnings, len(b.ParseErrors), took.Round(time.Millisecond))
	if b.Events > 0 && took > 0 {
		fmt.Fprintf(w, " (%.0f events/s)", float64(b.Events)/took.Seconds())
	}
	fmt.Fprintln(w)
	if !b.First.IsZero() {
		fmt.Fprintf(w, "  events from %s to %s\n", b.First.Format(time.RFC3339), b.Last.Format(time.RFC3339))
	}
	for _, st := range b.Settings {
		fmt.Fprintf(w, "  setting %s = %q (from %s)\n", st.Name, safeterm.Escape(st.Value), safeterm.Escape(st.From))
	}
	for _, e := range b.ParseErrors {
		fmt.Fprintf(w, "  not parsed: %s\n", safeterm.Escape(e))
	}
}

// progress shows a progress bar on a terminal, nothing elsewhere.
type progress struct {
	w     io.Writer
	name  string
	on    bool
	phase string
	bar   *progressbar.ProgressBar
}

func newProgress(w io.Writer, name string) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, name: name, on: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progress) update(pr analyzer.Progress) {
	if !p.on {
		return
	}
	if p.phase != pr.Phase {
		p.finish()
		p.phase = pr.Phase
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(fmt.Sprintf("%-7s %s", pr.Phase, safeterm.Escape(p.name))),
			progressbar.OptionThrottle(200 * time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetWidth(30),
		}
		if pr.Phase == "index" {
			opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"))
		} else {
			opts = append(opts, progressbar.OptionShowBytes(true))
		}
		p.bar = progressbar.NewOptions64(pr.Total, opts...)
	}
	_ = p.bar.Set64(pr.Done)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
	p.phase = ""
}
