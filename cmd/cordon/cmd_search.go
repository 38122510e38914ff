package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer"
	"github.com/cordon-forensics/cordon/internal/safeterm"
	"github.com/cordon-forensics/cordon/timeline"
)

func init() {
	register(verb{name: "search", summary: "search a case's events with a Bleve query string", run: runSearch})
}

const searchHelp = `cordon search: find events in a case

Usage:
  cordon search --case DIR [--limit N] [--count] [--from T] [--to T] [--host H]
                [--format F] [-o FILE] QUERY

QUERY is a Bleve query string, run over every bundle's index together:
  word "a phrase"          in the message (phrases need the words in order)
  field:value              exact, for keyword fields (event.action:process-started)
  field:"value with space" exact, for a keyword with spaces or slashes
  process.pid:>1000        numeric ranges (>, >=, <, <=)
  @timestamp:>"2026-11-02T10:00:00Z"   time ranges
  +must -mustnot           both may be combined; prefix* and wild?card too
Fields (ECS names): message, event.action, event.category, event.dataset,
event.outcome, host.name, process.pid, process.name, process.executable
(a deleted binary's path is found with or without " (deleted)"),
process.command_line (words), process.parent.pid, process.parent.executable,
user.name, source.ip, source.port, destination.ip, destination.port,
network.transport, network.protocol, file.path, file.name, dns.question_name,
url.domain, tls.server_name, cordon.time_meaning, cordon.provenance.entry,
labels.KEY; the full list is in analyzer/mapping.go.

The first --limit matches are printed in time order, the total on standard
error. cordon timeline --query prints every match.

Examples:
  cordon search --case IR-031 '+process.executable:"/tmp/mysql" +event.action:process-started'
  cordon search --case IR-031 'message:"accepted password" +source.ip:203.0.113.7'
  cordon search --case IR-031 --count 'destination.port:3333'

Exit codes: 0 done (with or without matches), 2 usage error, bad query or no case.

Flags:
`

func runSearch(args []string, stdout, stderr io.Writer) int {
	var s selectFlags
	var limit int
	var count bool
	fs := newFlagSet("search", searchHelp, stderr)
	s.add(fs)
	fs.IntVar(&limit, "limit", 100, "print at most N matching events")
	fs.BoolVar(&count, "count", false, "print only the number of matching events")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "cordon search: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	if fs.NArg() == 0 {
		return fail(errors.New("a QUERY is needed (see --help)"))
	}
	s.query = strings.Join(fs.Args(), " ")
	q, err := s.build()
	if err != nil {
		return fail(err)
	}
	c, err := analyzer.OpenCase(s.caseDir)
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if count {
		limit = 0
	}
	total, hits, err := c.Search(ctx, q, limit)
	if err != nil {
		return fail(err)
	}
	if count {
		fmt.Fprintln(stdout, total)
		return exitOK
	}
	out, closeOut, err := openOutput(s.output, stdout)
	if err != nil {
		return fail(err)
	}
	w, err := timeline.NewWriter(s.format, out)
	if err != nil {
		closeOut()
		return fail(err)
	}
	for i := range hits {
		if err = w.Write(&hits[i].Event); err != nil {
			break
		}
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stderr, "cordon search: %d matching events, %d shown\n", total, len(hits))
	warnUnverified(c, stderr)
	return exitOK
}
