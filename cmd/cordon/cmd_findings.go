package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer"
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

const findingsHelp = `cordon findings: verify bundles and run the detection rules over their events

Usage:
  cordon findings BUNDLE... [--pubkey KEY|FILE] [--identity F] [--force] [--json]

Each bundle is verified while it is parsed; one that fails verification is
refused, unless --force, which marks the output unverified. The rules are
the built-in set in analyzer/rules (YAML), plus --rules DIR.

Examples:
  cordon findings web01.cordon
  cordon findings web01.cordon --rules ./my-rules --json

Exit codes: 0 done (with or without findings), 2 usage error or a bundle
refused.

Flags:
`

const reportHelp = `cordon report: write the findings and chain of custody

Usage:
  cordon report BUNDLE... -o report.html [--format html|json] [--case NAME]

One self-contained HTML file (no external fetches, strict
Content-Security-Policy, every piece of evidence escaped), or JSON.

Examples:
  cordon report web01.cordon -o report.html --case IR-031

Exit codes: 0 written, 2 usage error or a bundle refused.

Flags:
`

type analysis struct {
	findings []findings.Finding
	bundles  []report.Bundle
	notes    []string
}

type analyzeOptions struct {
	verify verifyOptions
	force  bool
	rules  string
}

func (o *analyzeOptions) addFlags(fs *pflag.FlagSet) {
	o.verify.addFlags(fs)
	fs.BoolVar(&o.force, "force", false, "analyze a bundle that fails verification, marking everything unverified")
	fs.StringVar(&o.rules, "rules", "", "a directory of extra rule files (*.yaml)")
}

func analyzeBundles(paths []string, o analyzeOptions) (*analysis, error) {
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
	vo, err := o.verify.options()
	if err != nil {
		return nil, err
	}
	eng := findings.NewEngine(rs)
	a := &analysis{}
	hashes := map[string]string{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		res, err := analyzer.ParseBundle(f, vo, eng.Add)
		f.Close()
		rep := res.Report
		if rep == nil || (err != nil && rep.Entries == 0) {
			return nil, fmt.Errorf("%s: %v", p, err)
		}
		if rep.Status != bundle.StatusIntact {
			if !o.force {
				return nil, fmt.Errorf("%s is %s (run cordon verify for the problems): refused; --force analyzes it anyway, marked unverified", p, rep.Status)
			}
			a.notes = append(a.notes, fmt.Sprintf("UNVERIFIED: %s is %s; its findings rest on evidence no signature covers", p, rep.Status))
		}
		for _, r := range rep.Verified {
			hashes[rep.EvidenceID+"\x00"+r.Name] = r.SHA256
		}
		if len(res.ParseErrors) > 0 || len(res.Warnings) > 0 {
			a.notes = append(a.notes, fmt.Sprintf("%s: %d events, %d parser warnings, %d entries the parsers could not read", p, res.Events, len(res.Warnings), len(res.ParseErrors)))
		}
		a.bundles = append(a.bundles, reportBundle(p, rep))
	}
	a.findings = eng.Findings()
	for i := range a.findings {
		for j := range a.findings[i].Evidence {
			pv := &a.findings[i].Evidence[j].Provenance
			pv.SHA256 = hashes[pv.Bundle+"\x00"+pv.Entry]
		}
	}
	return a, nil
}

func reportBundle(path string, rep *bundle.Report) report.Bundle {
	b := report.Bundle{EvidenceID: rep.EvidenceID, Path: path, SHA256: rep.BundleSHA256, KeyID: rep.KeyID,
		Verification: rep.Status, Trust: rep.Trust}
	if rep.Trust == bundle.TrustSelfSigned {
		b.Trust = "self-signed: compare fingerprint " + rep.KeyID + " with the custody form"
	}
	if m := rep.Manifest; m != nil {
		c := m.Custody
		b.Examiner, b.Host, b.Start, b.End = c.Examiner, c.Host.Hostname, c.Host.ClockStart, c.Host.ClockEnd
		b.ToolVersion = c.Collector.Name + " " + c.Collector.Version
		if c.Host.ClockOffsetSeconds != nil {
			b.ClockOffset = fmt.Sprintf("%+.3f s against %s", *c.Host.ClockOffsetSeconds, c.Host.ReferenceTime.Format(time.RFC3339))
		} else {
			b.ClockOffset = "not measured (no --reference-time)"
		}
	}
	for _, r := range rep.Verified {
		b.Entries = append(b.Entries, report.Entry{Name: r.Name, SHA256: r.SHA256, Size: r.Size})
	}
	return b
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
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "cordon findings: at least one BUNDLE is needed (see --help)")
		return exitUsage
	}
	a, err := analyzeBundles(fs.Args(), o)
	if err != nil {
		fmt.Fprintf(stderr, "cordon findings: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	for _, n := range a.notes {
		fmt.Fprintf(stderr, "cordon findings: %s\n", safeterm.Escape(n))
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(a.findings)
	} else {
		for _, f := range a.findings {
			fmt.Fprintf(stdout, "%-8s %s  %s  (%s %s)\n  why: %s\n", strings.ToUpper(f.Severity), f.RuleID,
				safeterm.Escape(f.Title), f.Attack.ID, safeterm.Escape(f.Attack.Name), safeterm.Escape(f.Why))
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
		if len(a.findings) == 0 {
			fmt.Fprintln(stdout, "no finding")
		}
	}
	return exitOK
}

func runReport(args []string, stdout, stderr io.Writer) int {
	var o analyzeOptions
	var out, format, caseName string
	fs := newFlagSet("report", reportHelp, stderr)
	o.addFlags(fs)
	fs.StringVarP(&out, "output", "o", "", "write the report to FILE (never overwritten)")
	fs.StringVar(&format, "format", "", "html or json (default: from the file name)")
	fs.StringVar(&caseName, "case", "", "the case's name in the report")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 || out == "" {
		fmt.Fprintln(stderr, "cordon report: BUNDLE... and -o FILE are needed (see --help)")
		return exitUsage
	}
	if format == "" {
		format = "html"
		if strings.HasSuffix(out, ".json") {
			format = "json"
		}
	}
	if format != "html" && format != "json" {
		fmt.Fprintf(stderr, "cordon report: --format %q: want html or json\n", format)
		return exitUsage
	}
	a, err := analyzeBundles(fs.Args(), o)
	if err != nil {
		fmt.Fprintf(stderr, "cordon report: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	if caseName == "" && len(a.bundles) > 0 {
		caseName = a.bundles[0].EvidenceID
	}
	r := report.Build(caseName, Version, a.findings, a.bundles, time.Now())
	r.Summary = append(r.Summary, a.notes...)
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		fmt.Fprintf(stderr, "cordon report: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	if format == "json" {
		err = report.JSON(f, r)
	} else {
		err = report.HTML(f, r)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "cordon report: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	fmt.Fprintf(stdout, "wrote %s: %d findings from %d bundles\n", safeterm.Escape(out), len(a.findings), len(a.bundles))
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
