package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	registerVerb[analyzeOptions]("analyze", "verify bundles, parse every artifact into events and index them in a case", analyzeHelp)
}

const analyzeHelp = `cordon analyze: verify bundles and add their events to a case

Usage:
  cordon analyze BUNDLE... --case DIR [--jobs N] [--force] [--pubkey KEY|FILE] [--identity F]
  cordon analyze ARCHIVE... --case DIR [--import-key KEY]

A UAC or Cat-Scale archive (.tar.gz) given instead of a bundle is imported
first, as cordon import does, into DIR/imported/NAME.cordon (with
--import-key, else a one-time key: the bundle is then self-signed).

Each bundle is verified first (signatures, chain, every entry's hash); one
that is not intact is refused unless --force, which analyzes it anyway and
marks every one of its events unverified. The entries are then read again,
checked against their signed hashes, parsed into timeline events, sorted by
time, stored (DIR/bundles/b-…/events.jsonl.zst) and indexed with Bleve (one
index per bundle; search and timeline read them together). A case may hold
many bundles: many hosts, or one host collected twice. --jobs bundles are
analyzed at once (default: one per core), sharing --sort-memory and the
cores among them; each appears in the case as soon as it is done, so a
case grows run after run. A bundle already in the case (same SHA-256),
or given twice, is skipped after a fast hash, before verification.

PostgreSQL logs in the stderr format are read with the log_line_prefix
that the collected postgresql.conf (or postgresql.auto.conf) sets, when
the signed files agree; --pg-log-line-prefix overrides it. Lines not in
that form, and logs of clusters that set none, are read whatever their
prefix when it is one of the common forms (a timestamp first, [%p],
%u@%d, key=value pairs, %r).

Parser warnings are kept in the case and counted here; cordon warnings
--case DIR lists them. Then the rules and the correlation run over the
whole case once, and their result is kept in DIR/investigation.json for
cordon findings and cordon report (--rules and --sigma: the rules to keep
it for; findings and report given the same read it back).

Examples:
  cordon analyze web01.cordon db01.cordon --case IR-031
  cordon analyze fleet/*.cordon --case IR-031 --jobs 4
  cordon analyze web01.cordon --case IR-031 --pubkey responder.pub
  cordon analyze web01.cordon --case IR-031 --sigma ~/sigma/rules/linux
  cordon search --case IR-031 '+process.executable:"/tmp/mysql" +event.action:process-started'
  cordon timeline --case IR-031 --from 2026-11-02T10:00:00Z --format timesketch > ir031.csv

Exit codes: 0 every bundle analyzed (or already in the case), 1 a bundle
was refused or could not be analyzed (the others were), 2 usage error,
130 interrupted (the bundles being analyzed are not added; those done are).
`

type analyzeOptions struct {
	analysis analysisOptions
	rules    ruleOptions
	caseDir  caseOptions
}

func (o *analyzeOptions) addFlags(fs *pflag.FlagSet) {
	o.caseDir.addFlags(fs, "the case directory (created if needed)")
	o.analysis.addFlags(fs)
	o.rules.addFlags(fs)
}

func (o *analyzeOptions) run(ctx context.Context, std stdio, args []string) error {
	if len(args) == 0 || o.caseDir.dir == "" {
		return usageErrorf("BUNDLE... and --case DIR are needed (see --help)")
	}
	rs, notes, err := o.rules.load()
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(std.err, "cordon analyze: %s\n", safeterm.Escape(n))
	}
	args, err = o.analysis.imports.importArchives(ctx, std, args, filepath.Join(o.caseDir.dir, "imported"))
	if err != nil {
		return err
	}
	po, err := o.analysis.options(nil)
	if err != nil {
		return err
	}
	var failed error
	var events, warnings int64
	done := 0
	report := func(r pipeline.Result) {
		switch {
		case r.Skipped != "":
			fmt.Fprintf(std.err, "cordon analyze: %s: skipped: %s\n", safeterm.Escape(r.Path), safeterm.Escape(r.Skipped))
		case r.Err != nil:
			fmt.Fprintf(std.err, "cordon analyze: %s: %s\n", safeterm.Escape(r.Path), safeterm.Escape(r.Err.Error()))
			failed = withCode(exitFailed, nil)
		case r.Bundle != nil:
			done++
			events += r.Bundle.Events
			warnings += r.Bundle.Warnings
			printBundleSummary(std.out, r.Bundle, r.Took)
		}
	}
	start := time.Now()
	results, err := o.analysis.analyzeAll(ctx, std, o.caseDir.dir, args, po, report)
	if err != nil {
		return err
	}
	if len(results) > 1 {
		fmt.Fprintf(std.out, "case %s: %d bundles analyzed now in %s, %d events, %d parser warnings (cordon warnings --case lists them)\n",
			safeterm.Escape(o.caseDir.dir), done, time.Since(start).Round(time.Millisecond), events, warnings)
	} else {
		fmt.Fprintf(std.out, "case %s: %d bundles analyzed now, %d events, %d parser warnings (cordon warnings --case lists them)\n",
			safeterm.Escape(o.caseDir.dir), done, events, warnings)
	}
	if done > 0 {
		// The rules and the correlation run once now, over the whole case,
		// so that findings and report read their result.
		c, err := casestore.Open(o.caseDir.dir)
		if err != nil {
			return err
		}
		defer c.Close()
		start := time.Now()
		inv, _, err := investigation.Get(ctx, c, rs)
		if err != nil {
			return fmt.Errorf("investigating the case: %w", err)
		}
		sig := 0
		for _, f := range inv.Findings {
			if f.Origin == "sigma" {
				sig++
			}
		}
		fmt.Fprintf(std.out, "investigated: %d findings (%d of Sigma rules), %d attack threads, %d values on several hosts, over %d events in %s (cordon findings --case shows them)\n",
			len(inv.Findings), sig, len(inv.Chain.Threads), len(inv.Fleet), inv.Events, time.Since(start).Round(time.Millisecond))
	}
	return failed
}

// analyzeAll analyzes the bundles at paths into caseDir, --jobs at a
// time, with a progress bar on a terminal, and tells report what became of
// each, in the order of paths, as soon as it and those before it are
// known. Interrupted, it reports those done and returns the interruption.
func (o *analysisOptions) analyzeAll(ctx context.Context, std stdio, caseDir string, paths []string, po pipeline.Options, report func(pipeline.Result)) ([]pipeline.Result, error) {
	run := pipeline.Run{Jobs: o.jobs}
	var bar *progress
	var bars *bundlesProgress
	if len(paths) == 1 || o.jobs == 1 {
		// One at a time: one bar per bundle, phase by phase.
		cur := -1
		run.Progress = func(i int, p pipeline.Progress) {
			if i != cur {
				if bar != nil {
					bar.finish()
				}
				cur, bar = i, newProgress(std.err, paths[i])
			}
			bar.update(p)
		}
	} else {
		bars = newBundlesProgress(std.err, len(paths))
	}
	printed := 0
	known := make([]bool, len(paths))
	var results []pipeline.Result
	flush := func() {
		for printed < len(paths) && known[printed] {
			report(results[printed])
			printed++
		}
	}
	pending := map[int]pipeline.Result{}
	run.Done = func(i int, r pipeline.Result) {
		if bar != nil {
			bar.finish()
		}
		bars.add()
		pending[i] = r
		known[i] = true
		for printed < len(paths) && known[printed] {
			report(pending[printed])
			delete(pending, printed)
			printed++
		}
	}
	results, err := pipeline.AnalyzeBundles(ctx, caseDir, paths, po, run)
	if bar != nil {
		bar.finish()
	}
	bars.finish()
	flush()
	if err != nil {
		return results, err
	}
	return results, nil
}

func printBundleSummary(w io.Writer, b *casestore.CaseBundle, took time.Duration) {
	status := string(b.Verification) + ", " + string(b.Trust)
	if b.Trust == bundle.TrustSelfSigned {
		status += " (compare key " + b.KeyID + " with the custody form)"
	}
	if b.Unverified {
		status = "UNVERIFIED (" + string(b.Verification) + ", --force): every event is marked unverified"
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

// bundlesProgress counts the bundles done on a terminal, when several are
// analyzed at once.
type bundlesProgress struct {
	bar *progressbar.ProgressBar
}

func newBundlesProgress(w io.Writer, n int) *bundlesProgress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &bundlesProgress{bar: progressbar.NewOptions(n, progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("analyzing"), progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("bundles"), progressbar.OptionShowIts(),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30))}
}

func (p *bundlesProgress) add() {
	if p != nil {
		_ = p.bar.Add(1)
	}
}

func (p *bundlesProgress) finish() {
	if p != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
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

func (p *progress) update(pr pipeline.Progress) {
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
		if pr.Phase == pipeline.PhaseIndex {
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
