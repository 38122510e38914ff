package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer"
	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/report"
	"github.com/cordon-forensics/cordon/analyzer/rules"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	register(verb{name: "findings", summary: "verify bundles and print what the detection rules find in them", run: runFindings})
	register(verb{name: "report", summary: "verify bundles and write the findings and chain of custody as HTML or JSON", run: runReport})
}

const findingsHelp = `cordon findings: run the detection rules and the correlation over a case

Usage:
  cordon findings --case DIR [--rules DIR] [--json]
  cordon findings BUNDLE... [--case DIR] [--pubkey KEY|FILE] [--identity F] [--force] [--json]

With --case alone, the case made by cordon analyze is read. With BUNDLE
paths, they are analyzed first (verified, parsed, indexed) into --case DIR,
or into a temporary case removed at the end. A bundle that fails
verification is refused unless --force, which marks its events unverified.
The rules are the built-in set in analyzer/rules (YAML), plus --rules DIR.
Then the attack chain is rebuilt from joins across sources and printed
after the findings, its first anomalous event marked.

Examples:
  cordon findings --case IR-031
  cordon findings web01.cordon
  cordon findings --case IR-031 --rules ./my-rules --json

Exit codes: 0 done (with or without findings), 1 a bundle was refused or
could not be analyzed, 2 usage error.

Flags:
`

const reportHelp = `cordon report: write the attack chain, findings and chain of custody

Usage:
  cordon report --case DIR -o report.html [--format html|md|json] [--title NAME]
  cordon report BUNDLE... [--case DIR] -o report.html

One self-contained HTML file (no external fetches, strict
Content-Security-Policy, every piece of evidence escaped), or Markdown, or
JSON: a summary, the attack chain with its first anomalous event, a
timeline picture, the process tree around the suspect processes, the
findings with their evidence, and the chain of custody with every entry's
hash. The format follows the file name (.html, .md, .json) unless --format.

Examples:
  cordon report --case IR-031 -o report.html
  cordon report --case IR-031 -o report.md
  cordon report web01.cordon -o report.html --title IR-031

Exit codes: 0 written, 1 a bundle was refused, 2 usage error.

Flags:
`

type analysis struct {
	inv     *analyzer.Investigation
	bundles []report.Bundle
	notes   []string
}

type analyzeOptions struct {
	verify   verifyOptions
	force    bool
	rules    string
	caseDir  string
	pgPrefix string
}

func (o *analyzeOptions) addFlags(fs *pflag.FlagSet) {
	o.verify.addFlags(fs)
	fs.BoolVar(&o.force, "force", false, "analyze a bundle that fails verification, marking everything unverified")
	fs.StringVar(&o.rules, "rules", "", "a directory of extra rule files (*.yaml)")
	fs.StringVar(&o.caseDir, "case", "", "the case directory (cordon analyze --case); with BUNDLE paths, they are added to it")
	fs.StringVar(&o.pgPrefix, "pg-log-line-prefix", "", "with BUNDLE paths: the PostgreSQL cluster's log_line_prefix (see cordon analyze --help)")
}

// errRefused marks a bundle refused by verification: exit code 1.
var errRefused = errors.New("refused")

// investigate analyzes the bundles given (into the case, or a temporary
// one), then runs the rules and the correlation over the whole case.
func investigate(paths []string, o analyzeOptions) (*analysis, error) {
	rs, err := findings.LoadRules(rules.FS)
	if err != nil {
		return nil, fmt.Errorf("built-in rules: %w", err)
	}
	if o.rules != "" {
		extra, err := findings.LoadRules(os.DirFS(o.rules))
		if err != nil {
			return nil, fmt.Errorf("--rules %s: %w", o.rules, err)
		}
		rs = append(rs, extra...)
	}
	ctx := context.Background()
	caseDir := o.caseDir
	if caseDir == "" {
		tmp, err := os.MkdirTemp("", "cordon-case-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		caseDir = tmp
	}
	if len(paths) > 0 {
		vo, err := o.verify.options()
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			_, err := analyzer.AnalyzeBundle(ctx, caseDir, p, analyzer.AnalyzeOptions{Verify: vo, Force: o.force, Analyzer: "cordon " + Version, Settings: parserSettings(o.pgPrefix)})
			switch {
			case errors.Is(err, analyzer.ErrAlreadyInCase):
			case errors.Is(err, analyzer.ErrRefused):
				return nil, fmt.Errorf("%s: %w (%v)", p, errRefused, err)
			case err != nil:
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	c, err := analyzer.OpenCase(caseDir)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	inv, err := analyzer.Investigate(ctx, c, rs)
	if err != nil {
		return nil, err
	}
	a := &analysis{inv: inv}
	for _, b := range inv.Bundles {
		if b.Unverified {
			a.notes = append(a.notes, fmt.Sprintf("UNVERIFIED: %s was %s and analyzed with --force; what rests on it is not covered by a signature", b.Path, b.Verification))
		}
		if im := b.Custody.Import; im != nil {
			a.notes = append(a.notes, importNotes(b.Path, im)...)
		}
		if b.Warnings > 0 || len(b.ParseErrors) > 0 {
			a.notes = append(a.notes, fmt.Sprintf("%s: %d events, %d parser warnings, %d entries the parsers could not read (cordon analyze lists them)", b.Path, b.Events, b.Warnings, len(b.ParseErrors)))
		}
		a.bundles = append(a.bundles, reportBundle(b))
	}
	if inv.Chain.Dropped > 0 {
		a.notes = append(a.notes, fmt.Sprintf("the correlation reached its bounds: %d events were not joined", inv.Chain.Dropped))
	}
	return a, nil
}

func reportBundle(cb analyzer.CaseBundle) report.Bundle {
	b := report.Bundle{EvidenceID: cb.EvidenceID, Path: cb.Path, SHA256: cb.SHA256, KeyID: cb.KeyID,
		Verification: cb.Verification, Trust: cb.Trust}
	if cb.Unverified {
		b.Verification += " (analyzed with --force: UNVERIFIED)"
	}
	if cb.Trust == bundle.TrustSelfSigned {
		b.Trust = "self-signed: compare fingerprint " + cb.KeyID + " with the custody form"
	}
	c := cb.Custody
	b.Examiner, b.Host, b.Start, b.End = c.Examiner, c.Host.Hostname, c.Host.ClockStart, c.Host.ClockEnd
	b.ToolVersion = c.Collector.Name + " " + c.Collector.Version
	if c.Host.ClockOffsetSeconds != nil {
		b.ClockOffset = fmt.Sprintf("%+.3f s against %s", *c.Host.ClockOffsetSeconds, c.Host.ReferenceTime.Format(time.RFC3339))
	} else {
		b.ClockOffset = "not measured (no --reference-time)"
	}
	for _, st := range cb.Settings {
		b.ParserSettings = append(b.ParserSettings, fmt.Sprintf("%s = %q (from %s)", st.Name, st.Value, st.From))
	}
	for _, r := range cb.Entries {
		b.Entries = append(b.Entries, report.Entry{Name: r.Name, SHA256: r.SHA256, Size: r.Size})
	}
	return b
}

func exitFor(err error) int {
	if errors.Is(err, errRefused) {
		return exitFailed
	}
	return exitUsage
}

func runFindings(args []string, stdout, stderr io.Writer) int {
	var o analyzeOptions
	var asJSON bool
	fs := newFlagSet("findings", findingsHelp, stderr)
	o.addFlags(fs)
	fs.BoolVar(&asJSON, "json", false, "print the findings as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 && o.caseDir == "" {
		fmt.Fprintln(stderr, "cordon findings: --case DIR or BUNDLE... is needed (see --help)")
		return exitUsage
	}
	a, err := investigate(fs.Args(), o)
	if err != nil {
		fmt.Fprintf(stderr, "cordon findings: %s\n", safeterm.Escape(err.Error()))
		return exitFor(err)
	}
	for _, n := range a.notes {
		fmt.Fprintf(stderr, "cordon findings: %s\n", safeterm.Escape(n))
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Findings []findings.Finding `json:"findings"`
			Chain    correlate.Result   `json:"attack_chain"`
		}{a.inv.Findings, a.inv.Chain})
	} else {
		for _, f := range a.inv.Findings {
			fmt.Fprintf(stdout, "%-8s %s  %s  (%s %s)\n  why: %s\n", strings.ToUpper(f.Severity), f.RuleID,
				safeterm.Escape(f.Title), f.Attack.ID, safeterm.Escape(f.Attack.Name), safeterm.Escape(f.Why))
			for _, in := range f.Instances {
				fmt.Fprintf(stdout, "  - %s\n", short(safeterm.Escape(in), 400))
			}
			for _, e := range f.Evidence {
				where := e.Provenance.Entry
				if e.Provenance.Line > 0 {
					where += fmt.Sprintf(":%d", e.Provenance.Line)
				} else {
					where += fmt.Sprintf("@%d", e.Provenance.Offset)
				}
				fmt.Fprintf(stdout, "    %s  %s  %s\n", e.Time, safeterm.Escape(where), short(safeterm.Escape(e.Message), 240))
			}
		}
		if len(a.inv.Findings) == 0 {
			fmt.Fprintln(stdout, "no finding")
		}
		printChain(stdout, a.inv.Chain)
	}
	return exitOK
}

// printChain prints the attack threads, escaped for a terminal.
func printChain(w io.Writer, ch correlate.Result) {
	for i, t := range ch.Threads {
		if i == 3 {
			fmt.Fprintf(w, "\n(%d more threads: cordon report shows them all)\n", len(ch.Threads)-i)
			break
		}
		label := "ATTACK CHAIN"
		if i > 0 {
			label = fmt.Sprintf("THREAD %d", i+1)
		}
		fmt.Fprintf(w, "\n%s: %s\n", label, safeterm.Escape(t.Title))
		for _, s := range t.Steps {
			mark := "  "
			if s.First {
				mark = "=>"
			}
			where := ""
			if len(s.Evidence) > 0 {
				e := s.Evidence[0]
				where = e.Provenance.Entry
				if e.Provenance.Line > 0 {
					where += fmt.Sprintf(":%d", e.Provenance.Line)
				} else {
					where += fmt.Sprintf("@%d", e.Provenance.Offset)
				}
			}
			fmt.Fprintf(w, "%s %s  %-28s %s  [%s]\n", mark, s.Time.UTC().Format("2006-01-02T15:04:05.000Z"), s.Stage, short(safeterm.Escape(s.Text), 400), safeterm.Escape(where))
		}
		for _, s := range t.RootCause {
			fmt.Fprintf(w, "   root cause: %s\n", short(safeterm.Escape(s.Text), 400))
		}
		if t.Golden != "" {
			fmt.Fprintf(w, "   golden point: %s\n", short(safeterm.Escape(t.Golden), 600))
		}
	}
}

func runReport(args []string, stdout, stderr io.Writer) int {
	var o analyzeOptions
	var out, format, caseName string
	fs := newFlagSet("report", reportHelp, stderr)
	o.addFlags(fs)
	fs.StringVarP(&out, "output", "o", "", "write the report to FILE (never overwritten)")
	fs.StringVar(&format, "format", "", "html, md or json (default: from the file name)")
	fs.StringVar(&caseName, "title", "", "the case's name in the report (default: the case directory's name)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if (fs.NArg() == 0 && o.caseDir == "") || out == "" {
		fmt.Fprintln(stderr, "cordon report: --case DIR or BUNDLE..., and -o FILE, are needed (see --help)")
		return exitUsage
	}
	if format == "" {
		switch {
		case strings.HasSuffix(out, ".json"):
			format = "json"
		case strings.HasSuffix(out, ".md"):
			format = "md"
		default:
			format = "html"
		}
	}
	if format != "html" && format != "json" && format != "md" {
		fmt.Fprintf(stderr, "cordon report: --format %q: want html, md or json\n", format)
		return exitUsage
	}
	a, err := investigate(fs.Args(), o)
	if err != nil {
		fmt.Fprintf(stderr, "cordon report: %s\n", safeterm.Escape(err.Error()))
		return exitFor(err)
	}
	if caseName == "" {
		switch {
		case o.caseDir != "":
			caseName = filepath.Base(filepath.Clean(o.caseDir))
		case len(a.bundles) > 0:
			caseName = a.bundles[0].EvidenceID
		}
	}
	r := report.Build(caseName, Version, a.inv.Findings, a.inv.Chain.Threads, a.inv.Chain.Links, a.bundles, time.Now())
	r.Notes = append(r.Notes, a.notes...)
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		fmt.Fprintf(stderr, "cordon report: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	switch format {
	case "json":
		err = report.JSON(f, r)
	case "md":
		err = report.Markdown(f, r)
	default:
		err = report.HTML(f, r)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "cordon report: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	fmt.Fprintf(stdout, "wrote %s: %d findings, %d attack threads, from %d bundles\n", safeterm.Escape(out), len(a.inv.Findings), len(a.inv.Chain.Threads), len(a.bundles))
	return exitOK
}

// short cuts an escaped line for a terminal (the JSON and the report keep it whole).
func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
