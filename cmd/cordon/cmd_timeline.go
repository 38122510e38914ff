package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer"
	"github.com/cordon-forensics/cordon/internal/safeterm"
	"github.com/cordon-forensics/cordon/timeline"
)

func init() {
	register(verb{name: "timeline", summary: "print a case's events in time order (table, jsonl, csv, Timesketch, l2tcsv, bodyfile)", run: runTimeline})
}

const timelineHelp = `cordon timeline: print the events of a case in time order

Usage:
  cordon timeline --case DIR [--from T] [--to T] [--query Q] [--host H]
                  [--format table|jsonl|csv|timesketch|timesketch-jsonl|l2tcsv|bodyfile] [-o FILE]

Every bundle of the case, merged by time. T is RFC 3339 (2026-11-02T10:24:55Z,
fractions and offsets allowed), "2026-11-02 10:24:55" (UTC) or a date
(--from: its first instant, --to: its last). --query is a Bleve query string
(see cordon search --help); --host matches host.name exactly.

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

Exit codes: 0 written, 2 usage error, no case, or a write error.

Flags:
`

// selectFlags are the event selection flags of timeline and search.
type selectFlags struct {
	caseDir, from, to, query, host, format, output string
}

func (s *selectFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&s.caseDir, "case", "", "the case directory (cordon analyze --case)")
	fs.StringVar(&s.from, "from", "", "only events at or after this time")
	fs.StringVar(&s.to, "to", "", "only events at or before this time")
	fs.StringVar(&s.host, "host", "", "only events of this host (host.name)")
	fs.StringVar(&s.format, "format", "table", "output format: "+strings.Join(timeline.Formats, ", "))
	fs.StringVarP(&s.output, "output", "o", "", "write to FILE (never overwritten) instead of standard output")
}

func (s *selectFlags) build() (analyzer.Query, error) {
	q := analyzer.Query{Query: s.query, Host: s.host}
	var err error
	if s.caseDir == "" {
		return q, errors.New("--case DIR is needed")
	}
	if q.From, err = parseWhen(s.from, false); err != nil {
		return q, fmt.Errorf("--from: %w", err)
	}
	if q.To, err = parseWhen(s.to, true); err != nil {
		return q, fmt.Errorf("--to: %w", err)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return q, errors.New("--to is before --from")
	}
	if err := analyzer.ValidateQuery(q.Query); err != nil {
		return q, err
	}
	return q, nil
}

// parseWhen reads a time of --from or --to; a bare date is the day's first
// instant, or its last when end is set.
func parseWhen(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want 2026-11-02T10:24:55Z, \"2026-11-02 10:24:55\" or 2026-11-02)", s)
}

// openOutput returns standard output or a new file.
func openOutput(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func runTimeline(args []string, stdout, stderr io.Writer) int {
	var s selectFlags
	fs := newFlagSet("timeline", timelineHelp, stderr)
	s.add(fs)
	fs.StringVar(&s.query, "query", "", "only events this Bleve query string matches")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "cordon timeline: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	if fs.NArg() != 0 {
		return fail(fmt.Errorf("unexpected argument %q (a query goes in --query)", fs.Arg(0)))
	}
	q, err := s.build()
	if err != nil {
		return fail(err)
	}
	c, err := analyzer.OpenCase(s.caseDir)
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	out, closeOut, err := openOutput(s.output, stdout)
	if err != nil {
		return fail(err)
	}
	w, err := timeline.NewWriter(s.format, out)
	if err != nil {
		closeOut()
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	n := 0
	err = c.Events(ctx, q, func(ev timeline.Event) error {
		n++
		return w.Write(&ev)
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	if bw, ok := w.(*timeline.BodyfileWriter); ok && bw.Skipped > 0 {
		fmt.Fprintf(stderr, "cordon timeline: bodyfile: %d events that are not file times left out\n", bw.Skipped)
	}
	warnUnverified(c, stderr)
	return exitOK
}

// warnUnverified says on standard error which bundles of the case were
// analyzed although they did not verify.
func warnUnverified(c *analyzer.Case, stderr io.Writer) {
	for _, b := range c.Bundles() {
		if b.Unverified {
			fmt.Fprintf(stderr, "cordon: WARNING: bundle %s (%s) is %s: its events are unverified\n",
				b.Dir, safeterm.Escape(b.EvidenceID), b.Verification)
		}
	}
}
