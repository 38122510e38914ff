package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/timeline"
)

func init() {
	registerVerb[searchOptions]("search", "search a case's events with a Bleve query string", searchHelp)
}

const searchHelp = `cordon search: find events in a case

Usage:
  cordon search --case DIR [--limit N] [--count] [--from T] [--to T] [--host H]...
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

Exit codes: 0 done (with or without matches), 2 usage error, bad query or
no case, 130 interrupted.
`

type searchOptions struct {
	caseDir caseOptions
	sel     selectOptions
	output  outputOptions
	limit   int
	count   bool
}

func (o *searchOptions) addFlags(fs *pflag.FlagSet) {
	o.caseDir.addFlags(fs, "the case directory (cordon analyze --case)")
	o.sel.addFlags(fs, false)
	o.output.addFlags(fs, timeline.Formats, false)
	fs.IntVar(&o.limit, "limit", 100, "print at most N matching events")
	fs.BoolVar(&o.count, "count", false, "print only the number of matching events")
}

func (o *searchOptions) run(ctx context.Context, std stdio, args []string) error {
	if len(args) == 0 {
		return usageErrorf("a QUERY is needed (see --help)")
	}
	o.sel.query = strings.Join(args, " ")
	q, err := o.sel.build()
	if err != nil {
		return err
	}
	format, err := o.output.chosen()
	if err != nil {
		return err
	}
	c, err := o.caseDir.open()
	if err != nil {
		return err
	}
	defer c.Close()
	limit := o.limit
	if o.count {
		limit = 0
	}
	total, hits, err := c.Search(ctx, q, limit)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if o.count {
		fmt.Fprintln(std.out, total)
		return nil
	}
	_, err = o.output.writeEvents(std.out, format, func(write func(*timeline.Event) error) error {
		for i := range hits {
			if err := write(&hits[i].Event); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(std.err, "cordon search: %d matching events, %d shown\n", total, len(hits))
	warnUnverified(c, std.err)
	return nil
}
