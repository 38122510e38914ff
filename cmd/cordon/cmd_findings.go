package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/correlate"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/fleet"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/analyzer/report"
	"github.com/cordon-forensics/cordon/internal/clip"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	registerVerb[findingsOptions]("findings", "run the detection rules and the correlation over a case and print what they find", findingsHelp)
	registerVerb[reportOptions]("report", "write the attack chain, findings and chain of custody (HTML, Markdown or JSON)", reportHelp)
}

const findingsHelp = `cordon findings: run the detection rules and the correlation over a case

Usage:
  cordon findings --case DIR [--host H]... [--rules DIR] [--format text|json]
  cordon findings BUNDLE... [--case DIR] [--jobs N] [--pubkey KEY|FILE] [--identity F] [--force] [--format text|json]

With --case alone, the case made by cordon analyze is read, and the
result cordon analyze kept (the rules are not run again unless the case's
bundles or the rules changed). With BUNDLE paths, they are analyzed first
(verified, parsed, indexed) into --case DIR, or into a temporary case
removed at the end, also when interrupted. A bundle that fails
verification is refused unless --force, which marks its events unverified.
A UAC or Cat-Scale archive (.tar.gz) given instead of a bundle is imported
first, as cordon import does (--import-key, else a one-time key).
The rules are the built-in set in analyzer/rules (YAML), plus --rules DIR.
--sigma DIR (repeatable) adds the Sigma rules of DIR (SigmaHQ's rules/linux,
say): their findings are printed apart, one per rule and activity, each
with its rule's author; what of DIR cannot load or cannot match is said
once on standard error (cordon sigma check DIR says it in full).
Then the attack chain is rebuilt from joins across sources and printed
after the findings, its first anomalous event marked.

Across hosts, the same attacker address, mining wallet or pool, recovered
executable (SHA-256), suspicious command line or SSH key seen on several
hosts is one finding (CORDON-FLEET-…) naming every host, with its first
and last sighting, in the order the hosts were reached.

--host narrows the judgement to the events of some hosts (host.name,
repeatable): it is computed for them alone (and kept in the case for next
time), so a rule that counts or a thread sees nothing of the other hosts.

Examples:
  cordon findings --case IR-031
  cordon findings --case IR-031 --host agent07 --host agent12
  cordon findings web01.cordon
  cordon findings uac-web01-linux-20261201144410.tar.gz --import-key analyst-import.key
  cordon findings --case IR-031 --rules ./my-rules --format json
  cordon findings --case IR-031 --sigma ~/sigma/rules/linux

Exit codes: 0 done (with or without findings), 1 a bundle was refused or
could not be analyzed, 2 usage error, 130 interrupted.
`

const reportHelp = `cordon report: write the attack chain, findings and chain of custody

Usage:
  cordon report --case DIR -o report.html [--format html|md|json] [--title NAME] [--generated-at TIME|now] [--host H]...
  cordon report BUNDLE... [--case DIR] -o report.html [--pubkey KEY|FILE] [--force]

One self-contained HTML file (no external fetches, strict
Content-Security-Policy, every piece of evidence escaped), or Markdown, or
JSON: a summary, the attack chain with its first anomalous event, a
timeline picture, the process tree around the suspect processes, the
findings with their evidence, the findings of --sigma rules in a section
of their own with each rule's author, and the chain of custody with every
entry's hash; for a case of several hosts, what the attacker left on
several of them and the order they were reached. --host narrows it to
some hosts, as for cordon findings. The format follows the file name
(.html, .md, .json) unless --format.
The file appears whole or not at all, and is never overwritten. The report
is dated by its evidence (the end of the latest collection), so the same
case gives the same bytes; --generated-at now (or SOURCE_DATE_EPOCH) adds
the time it was made.

Examples:
  cordon report --case IR-031 -o report.html
  cordon report --case IR-031 -o report.md
  cordon report --case IR-031 --sigma ~/sigma/rules/linux -o report.html
  cordon report web01.cordon -o report.html --title IR-031
  cordon report catscale_web01-20261201-1451.tar.gz -o report.html (imported first)

Exit codes: 0 written, 1 a bundle was refused, 2 usage error, 130
interrupted (no report file, no temporary case left).
`

type analysis struct {
	inv     *investigation.Investigation
	bundles []report.Bundle
	notes   []string // for the terminal and the report
	// unverified says, for the terminal, which bundles were forced (the
	// report says it from the bundles' typed records).
	unverified []string
	// sigmaNotes say what of the Sigma rules did not load or cannot match.
	sigmaNotes []string
}

// judgeOptions are what findings and report share: a case, or bundles to
// analyze first, and the rules.
type judgeOptions struct {
	caseDir  caseOptions
	analysis analysisOptions
	rules    ruleOptions
	hosts    hostOptions
}

func (o *judgeOptions) addFlags(fs *pflag.FlagSet) {
	o.caseDir.addFlags(fs, "the case directory (cordon analyze --case); with BUNDLE paths, they are added to it")
	o.analysis.addFlags(fs)
	o.rules.addFlags(fs)
	o.hosts.addFlags(fs)
}

// investigate analyzes the bundles given (into the case, or a temporary
// one removed before it returns), then gets the case's investigation: the
// one cordon analyze kept, or a new one.
func (o *judgeOptions) investigate(ctx context.Context, std stdio, paths []string) (*analysis, error) {
	if len(paths) == 0 && o.caseDir.dir == "" {
		return nil, usageErrorf("--case DIR or BUNDLE... is needed (see --help)")
	}
	rs, sigmaNotes, err := o.rules.load()
	if err != nil {
		return nil, err
	}
	caseDir := o.caseDir.dir
	if caseDir == "" {
		tmp, err := os.MkdirTemp("", "cordon-case-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		caseDir = tmp
	}
	if len(paths) > 0 {
		paths, err = o.analysis.imports.importArchives(ctx, std, paths, filepath.Join(caseDir, "imported"))
		if err != nil {
			return nil, err
		}
		po, err := o.analysis.options(nil)
		if err != nil {
			return nil, err
		}
		var failed error
		_, err = o.analysis.analyzeAll(ctx, stdio{out: io.Discard, err: io.Discard}, caseDir, paths, po, func(r pipeline.Result) {
			if r.Err != nil && failed == nil {
				failed = withCode(exitFailed, fmt.Errorf("%s: %w", r.Path, r.Err))
			}
		})
		if err != nil {
			return nil, err
		}
		if failed != nil {
			return nil, failed
		}
	}
	c, err := casestore.Open(caseDir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	defer c.Close()
	for _, h := range o.hosts.hosts {
		if n, err := c.Count(ctx, casestore.Query{Host: h}); err != nil {
			return nil, err
		} else if n == 0 {
			return nil, usageErrorf("--host %q: no event of the case has this host.name (cordon hosts --case lists the hosts)", h)
		}
	}
	inv, _, err := investigation.GetHosts(ctx, c, rs, o.hosts.hosts)
	if err != nil {
		return nil, err
	}
	a := &analysis{inv: inv, sigmaNotes: sigmaNotes}
	if inv.Hosts != nil {
		a.notes = append(a.notes, fmt.Sprintf("only the events of %s: %d events of %d bundles", strings.Join(inv.Hosts, ", "), inv.Events, len(inv.Bundles)))
	}
	for _, b := range inv.Bundles {
		if b.Unverified {
			a.unverified = append(a.unverified, fmt.Sprintf("UNVERIFIED: %s was %s and analyzed with --force; what rests on it is not covered by a signature", b.Path, b.Verification))
		}
		if im := b.Custody.Import; im != nil {
			a.notes = append(a.notes, importNotes(b.Path, im)...)
		}
		if b.Warnings > 0 || len(b.ParseErrors) > 0 {
			a.notes = append(a.notes, fmt.Sprintf("%s: %d events, %d parser warnings, %d entries the parsers could not read (cordon warnings --case DIR lists them)", b.Path, b.Events, b.Warnings, len(b.ParseErrors)))
		}
		a.bundles = append(a.bundles, reportBundle(b))
	}
	if inv.Chain.Dropped > 0 {
		a.notes = append(a.notes, fmt.Sprintf("the correlation reached its bounds: %d events were not joined", inv.Chain.Dropped))
	}
	return a, nil
}

func reportBundle(cb casestore.CaseBundle) report.Bundle {
	b := report.Bundle{EvidenceID: cb.EvidenceID, Path: cb.Path, SHA256: cb.SHA256, KeyID: cb.KeyID,
		Verification: cb.Verification, Unverified: cb.Unverified, Trust: cb.Trust}.WithCustody(cb.Custody, cb.Entries)
	for _, st := range cb.Settings {
		b.ParserSettings = append(b.ParserSettings, report.Setting{Name: st.Name, Value: st.Value, From: st.From})
	}
	return b
}

type findingsOptions struct {
	judgeOptions
	output outputOptions
}

func (o *findingsOptions) addFlags(fs *pflag.FlagSet) {
	o.judgeOptions.addFlags(fs)
	o.output.addFlags(fs, []string{"text", "json"}, true)
}

func (o *findingsOptions) run(ctx context.Context, std stdio, args []string) error {
	format, err := o.output.chosen()
	if err != nil {
		return err
	}
	a, err := o.investigate(ctx, std, args)
	if err != nil {
		return err
	}
	for _, n := range append(append(a.unverified, a.notes...), a.sigmaNotes...) {
		fmt.Fprintf(std.err, "cordon findings: %s\n", safeterm.Escape(n))
	}
	out, err := o.output.open(std.out)
	if err != nil {
		return err
	}
	defer out.Abort()
	if format == "json" {
		return out.JSON(struct {
			Hosts    []string           `json:"hosts,omitempty"`
			Findings []findings.Finding `json:"findings"`
			Chain    correlate.Result   `json:"attack_chain"`
			Fleet    []fleet.Spread     `json:"fleet,omitempty"`
		}{a.inv.Hosts, a.inv.Findings, a.inv.Chain, a.inv.Fleet})
	}
	own, sig := 0, 0
	for _, f := range a.inv.Findings {
		if f.Origin != "" {
			sig++
			continue
		}
		own++
		fmt.Fprintf(out, "%-8s %s  %s  (%s %s)\n  why: %s\n", strings.ToUpper(f.Severity), f.RuleID,
			safeterm.Escape(f.Title), f.Attack.ID, safeterm.Escape(f.Attack.Name), safeterm.Escape(f.Why))
		printFindingBody(out, f, len(a.inv.Bundles) > 1)
	}
	if own == 0 {
		fmt.Fprintln(out, "no finding")
	}
	if sig > 0 {
		printSigmaFindings(out, a.inv.Findings, len(a.inv.Bundles) > 1)
	}
	printChain(out, a.inv.Chain)
	return out.Commit()
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
				where = s.Evidence[0].Provenance.Where()
			}
			fmt.Fprintf(w, "%s %s  %-28s %s  [%s]\n", mark, s.Time.UTC().Format("2006-01-02T15:04:05.000Z"), s.Stage, clip.Cut(safeterm.Escape(s.Text), 400), safeterm.Escape(where))
		}
		for _, s := range t.RootCause {
			fmt.Fprintf(w, "   root cause: %s\n", clip.Cut(safeterm.Escape(s.Text), 400))
		}
		if t.Golden != "" {
			fmt.Fprintf(w, "   golden point: %s\n", clip.Cut(safeterm.Escape(t.Golden), 600))
		}
	}
}

type reportOptions struct {
	judgeOptions
	output      outputOptions
	title       string
	generatedAt string
}

func (o *reportOptions) addFlags(fs *pflag.FlagSet) {
	o.judgeOptions.addFlags(fs)
	o.output.addFlags(fs, []string{"html", "md", "json"}, false)
	fs.StringVar(&o.title, "title", "", "the case's name in the report (default: the case directory's name)")
	fs.StringVar(&o.generatedAt, "generated-at", "", "state when the report was made: an RFC 3339 time, or \"now\" (default: SOURCE_DATE_EPOCH when set, else not stated, so that the same case gives the same bytes)")
}

// reportTime is the generation time a report states: --generated-at (an
// RFC 3339 time, or "now"), else SOURCE_DATE_EPOCH (seconds since 1970, the
// reproducible-builds convention), else none: the report is then dated by
// its evidence alone and the same case gives the same bytes.
func reportTime(flag, epoch string, now time.Time) (time.Time, error) {
	switch {
	case flag == "now":
		return now, nil
	case flag != "":
		t, err := time.Parse(time.RFC3339, flag)
		if err != nil {
			return time.Time{}, usageErrorf("--generated-at %q: want an RFC 3339 time or \"now\"", flag)
		}
		return t, nil
	case epoch != "":
		n, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, usageErrorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970", epoch)
		}
		return time.Unix(n, 0), nil
	}
	return time.Time{}, nil
}

func (o *reportOptions) run(ctx context.Context, std stdio, args []string) error {
	if o.output.path == "" {
		return usageErrorf("-o FILE is needed (see --help)")
	}
	format, err := o.output.chosen()
	if err != nil {
		return err
	}
	generated, err := reportTime(o.generatedAt, os.Getenv("SOURCE_DATE_EPOCH"), time.Now())
	if err != nil {
		return err
	}
	a, err := o.investigate(ctx, std, args)
	if err != nil {
		return err
	}
	title := o.title
	if title == "" {
		switch {
		case o.caseDir.dir != "":
			title = filepath.Base(filepath.Clean(o.caseDir.dir))
		case len(a.bundles) > 0:
			title = a.bundles[0].EvidenceID
		}
	}
	r := report.Build(title, Version, a.inv.Findings, a.inv.Chain.Threads, a.inv.Chain.Links, a.bundles, generated)
	r.AddFleet(a.inv.Fleet)
	r.Notes = append(r.Notes, a.notes...)
	r.SigmaNotes = a.sigmaNotes
	out, err := o.output.open(std.out)
	if err != nil {
		return err
	}
	defer out.Abort()
	switch format {
	case "json":
		err = report.JSON(out, r)
	case "md":
		err = report.Markdown(out, r)
	default:
		err = report.HTML(out, r)
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
	fmt.Fprintf(std.out, "wrote %s: %d findings, %d attack threads, from %d bundles\n", safeterm.Escape(o.output.path), len(a.inv.Findings), len(a.inv.Chain.Threads), len(a.bundles))
	return nil
}
