package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/internal/safeterm"
	"github.com/cordon-forensics/cordon/timeline"
)

func init() {
	registerVerb[timelineOptions]("timeline", "write a case's events in time order, in a chosen format", timelineHelp)
}

const timelineHelp = `cordon timeline: print the events of a case in time order

Usage:
  cordon timeline --case DIR [--from T] [--to T] [--query Q] [--host H]
                  [--format table|jsonl|csv|timesketch|timesketch-jsonl|l2tcsv|bodyfile] [-o FILE]

Every bundle of the case, merged by time. T is RFC 3339 (2026-11-02T10:24:55Z,
fractions and offsets allowed), "2026-11-02 10:24:55" (UTC) or a date
(--from: its first instant, --to: its last). --query is a Bleve query string
(see cordon search --help); --host matches host.name exactly (repeatable:
any of them; cordon hosts lists them).

Formats:
  table             for a terminal: aligned, one event a line, everything escaped;
                    "!" marks an unverified event (a bundle analyzed with --force)
  jsonl             the events with their ECS field names, one JSON object a line
  csv               common fields for a spreadsheet (formula-like cells get a ')
  timesketch        Timesketch's CSV import (message, datetime, timestamp_desc, …)
  timesketch-jsonl  Timesketch's JSONL import
  l2tcsv            Plaso's log2timeline CSV
  bodyfile          The Sleuth Kit's bodyfile of the file events (mactime -b FILE)

Examples:
  cordon timeline --case IR-031 --from 2026-11-02 --to 2026-11-03
  cordon timeline --case IR-031 --query 'event.category:authentication' --format jsonl
  cordon timeline --case IR-031 --format bodyfile -o body.txt && mactime -b body.txt

Exit codes: 0 written, 2 usage error, no case, or a write error, 130
interrupted (an -o file is not left half-written).
`

type timelineOptions struct {
	caseDir caseOptions
	sel     selectOptions
	output  outputOptions
}

func (o *timelineOptions) addFlags(fs *pflag.FlagSet) {
	o.caseDir.addFlags(fs, "the case directory (cordon analyze --case)")
	o.sel.addFlags(fs, true)
	o.output.addFlags(fs, timeline.Formats, false)
}

func (o *timelineOptions) run(ctx context.Context, std stdio, args []string) error {
	if len(args) != 0 {
		return usageErrorf("unexpected argument %q (a query goes in --query)", args[0])
	}
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
	w, err := o.output.writeEvents(std.out, format, func(write func(*timeline.Event) error) error {
		return c.Events(ctx, q, func(ev timeline.Event) error { return write(&ev) })
	})
	if err != nil {
		return err
	}
	if bw, ok := w.(*timeline.BodyfileWriter); ok && bw.Skipped > 0 {
		fmt.Fprintf(std.err, "cordon timeline: bodyfile: %d events that are not file times left out\n", bw.Skipped)
	}
	warnUnverified(c, std.err)
	return nil
}

// warnUnverified says on standard error which bundles of the case were
// analyzed although they did not verify.
func warnUnverified(c *casestore.Case, stderr io.Writer) {
	for _, b := range c.Bundles() {
		if b.Unverified {
			fmt.Fprintf(stderr, "cordon: WARNING: bundle %s (%s) is %s: its events are unverified\n",
				b.Dir, safeterm.Escape(b.EvidenceID), b.Verification)
		}
	}
}
