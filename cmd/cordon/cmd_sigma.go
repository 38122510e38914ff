package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer/sigma"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	register(verb{name: "sigma", summary: "check a directory of Sigma rules: what loads and what can match Cordon's events", run: runSigma})
}

const sigmaHelp = `cordon sigma check: what a directory of Sigma rules gives

Usage:
  cordon sigma check DIR... [--json] [--verbose]

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
  cordon sigma check ~/sigma/rules/linux --json

Exit codes: 0 checked (whatever the counts), 2 usage error or a directory
that cannot be read.

Flags:
`

func runSigma(args []string, stdout, stderr io.Writer) int {
	var asJSON, verbose bool
	fs := newFlagSet("sigma", sigmaHelp, stderr)
	fs.BoolVar(&asJSON, "json", false, "print the check as JSON")
	fs.BoolVarP(&verbose, "verbose", "v", false, "also list the applicable rules with fields Cordon lacks")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() < 2 || fs.Arg(0) != "check" {
		fmt.Fprintln(stderr, "cordon sigma: usage: cordon sigma check DIR... (see --help)")
		return exitUsage
	}
	dirs := fs.Args()[1:]
	set, err := sigma.Load(dirs...)
	if err != nil {
		fmt.Fprintf(stderr, "cordon sigma check: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	c := set.Check()
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c); err != nil {
			fmt.Fprintf(stderr, "cordon sigma check: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	printSigmaCheck(stdout, c, verbose)
	return exitOK
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
