package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/sigma"
	"github.com/cordon-forensics/cordon/internal/clip"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	registerVerb[sigmaOptions]("sigma", "check a directory of Sigma rules: what loads and what can match Cordon's events", sigmaHelp)
}

const sigmaHelp = `cordon sigma check: what a directory of Sigma rules gives

Usage:
  cordon sigma check DIR... [--format text|json] [-o FILE] [--verbose]

Every *.yml and *.yaml file under DIR (recursively) is read as a Sigma
rule, as --sigma DIR does for analyze, findings and report. Printed:
  loaded          rules parsed and compiled
  not parsed      files that are no rule Cordon can evaluate, with the reason
                  (aggregations, correlation rules, placeholders, RE2-refused
                  expressions, unknown modifiers, …)
  applicable      rules some Cordon event can match
  not applicable  rules no Cordon event can match, with what they need
                  (a field no event has, a log source Cordon has no events of)
With --verbose, the applicable rules whose tests on some field never hold
(a filter on a field Cordon does not have) are listed too. Which Cordon
events and fields each Sigma log source and field reads is in
analyzer/sigma/MAPPING.md.

Examples:
  cordon sigma check ~/sigma/rules/linux
  cordon sigma check ~/sigma/rules/linux --format json -o check.json

Exit codes: 0 checked (whatever the counts), 2 usage error or a directory
that cannot be read.
`

type sigmaOptions struct {
	output  outputOptions
	verbose bool
}

func (o *sigmaOptions) addFlags(fs *pflag.FlagSet) {
	o.output.addFlags(fs, []string{"text", "json"}, false)
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "also list the applicable rules with fields Cordon lacks")
}

func (o *sigmaOptions) run(_ context.Context, std stdio, args []string) error {
	if len(args) < 2 || args[0] != "check" {
		return usageErrorf("usage: cordon sigma check DIR... (see --help)")
	}
	format, err := o.output.chosen()
	if err != nil {
		return err
	}
	set, err := sigma.Load(args[1:]...)
	if err != nil {
		return withCode(exitUsage, err)
	}
	c := set.Check()
	out, err := o.output.open(std.out)
	if err != nil {
		return err
	}
	defer out.Abort()
	if format == "json" {
		return out.JSON(c)
	}
	printSigmaCheck(out, c, o.verbose)
	return out.Commit()
}

func printSigmaCheck(w io.Writer, c sigma.Check, verbose bool) {
	e := safeterm.Escape
	fmt.Fprintf(w, "rule files      %d\n", c.Files)
	fmt.Fprintf(w, "loaded          %d\n", c.Loaded)
	fmt.Fprintf(w, "not parsed      %d\n", len(c.NotParsed))
	fmt.Fprintf(w, "applicable      %d\n", c.Applicable)
	fmt.Fprintf(w, "not applicable  %d\n", len(c.NotApplicable))
	fmt.Fprintf(w, "keyword rules   %d (full text over message and original)\n", c.Keyword)
	var sources []string
	for s := range c.ByLogsource {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	fmt.Fprintln(w, "\nloaded by logsource:")
	for _, s := range sources {
		fmt.Fprintf(w, "  %4d  %s\n", c.ByLogsource[s], e(s))
	}
	if len(c.NotParsed) > 0 {
		fmt.Fprintln(w, "\nnot parsed:")
		for _, f := range c.NotParsed {
			fmt.Fprintf(w, "  %s: %s\n", e(f.Dir+"/"+f.File), e(f.Reason))
		}
	}
	if len(c.NotApplicable) > 0 {
		fmt.Fprintln(w, "\nnot applicable:")
		for _, r := range c.NotApplicable {
			fmt.Fprintf(w, "  %s (%s): %s\n", e(r.File), e(r.Title), e(r.Note))
		}
	}
	if verbose && len(c.Partly) > 0 {
		fmt.Fprintln(w, "\napplicable, with fields Cordon lacks:")
		for _, r := range c.Partly {
			fmt.Fprintf(w, "  %s (%s): %s\n", e(r.File), e(r.Title), e(r.Note))
		}
	}
}

// printFindingBody prints a finding's instances and evidence, escaped.
func printFindingBody(w io.Writer, f findings.Finding, manyBundles bool) {
	for _, in := range f.Instances {
		fmt.Fprintf(w, "  - %s\n", clip.Cut(safeterm.Escape(in), 400))
	}
	for _, e := range f.Evidence {
		where := e.Provenance.Where()
		if manyBundles {
			where = e.Provenance.Bundle + ": " + where // which host's
		}
		fmt.Fprintf(w, "    %s  %s  %s\n", e.Time, safeterm.Escape(where), clip.Cut(safeterm.Escape(e.Message), 240))
	}
}

// printSigmaFindings prints the findings of Sigma rules apart, each with
// its rule's author (the Detection Rule License requires it with every match).
func printSigmaFindings(w io.Writer, fs []findings.Finding, manyBundles bool) {
	fmt.Fprintln(w, "\nSIGMA RULES (each rule is its author's work, credited as the Detection Rule License requires)")
	for _, f := range fs {
		if f.Origin == "" {
			continue
		}
		fmt.Fprintf(w, "%-8s %s  by %s  [%s]\n", strings.ToUpper(f.Severity), safeterm.Escape(f.Title), safeterm.Escape(f.Author), safeterm.Escape(f.RuleID))
		printFindingBody(w, f, manyBundles)
	}
}
