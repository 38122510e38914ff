package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/internal/safeterm"
	"github.com/cordon-forensics/cordon/timeline"
)

func init() {
	registerVerb[warningsOptions]("warnings", "list what the parsers could not read in a case's bundles, with where", warningsHelp)
}

const warningsHelp = `cordon warnings: the parsers' warnings of a case

Usage:
  cordon warnings --case DIR [--host H] [--format text|json] [-o FILE]

Every record a parser could not make sense of (a malformed line, a record
that cannot be real, a time it could not anchor) is a warning kept with the
case, with the bundle entry and the line or byte offset it was met at, and
the entries a parser could not read at all. cordon analyze counts them;
this lists them, bundle by bundle, in the order they were met.

Examples:
  cordon warnings --case IR-031
  cordon warnings --case IR-031 --host web01 --format json

Exit codes: 0 listed, 2 usage error or no case, 130 interrupted.
`

type warningsOptions struct {
	caseDir caseOptions
	host    string
	output  outputOptions
}

func (o *warningsOptions) addFlags(fs *pflag.FlagSet) {
	o.caseDir.addFlags(fs, "the case directory (cordon analyze --case)")
	fs.StringVar(&o.host, "host", "", "only the bundles of this host")
	o.output.addFlags(fs, []string{"text", "json"}, false)
}

// warningLine is one warning as --format json writes it (JSON Lines).
type warningLine struct {
	Bundle     string `json:"bundle"`
	EvidenceID string `json:"evidence_id"`
	Host       string `json:"host"`
	Parser     string `json:"parser"`
	Where      string `json:"where"`
	timeline.Warning
}

func (o *warningsOptions) run(ctx context.Context, std stdio, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected argument %q", args[0])
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
	out, err := o.output.open(std.out)
	if err != nil {
		return err
	}
	defer out.Abort()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for _, b := range c.Bundles() {
		if o.host != "" && b.Host() != o.host {
			continue
		}
		for _, pe := range b.ParseErrors {
			if format == "json" {
				err = enc.Encode(warningLine{Bundle: b.Dir, EvidenceID: b.EvidenceID, Host: b.Host(), Parser: "cordon",
					Warning: timeline.Warning{Message: "not parsed: " + pe}})
			} else {
				_, err = fmt.Fprintf(out, "%s  %s  not parsed: %s\n", b.Dir, safeterm.Escape(b.Host()), safeterm.Escape(pe))
			}
			if err != nil {
				return err
			}
		}
	}
	n := 0
	err = c.Warnings(func(b casestore.CaseBundle, parser string, w timeline.Warning) error {
		if o.host != "" && b.Host() != o.host {
			return nil
		}
		if n++; n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		where := timeline.Provenance{Entry: w.Entry, Line: w.Line, Offset: w.Offset}.Where()
		if format == "json" {
			return enc.Encode(warningLine{Bundle: b.Dir, EvidenceID: b.EvidenceID, Host: b.Host(), Parser: parser, Where: where, Warning: w})
		}
		_, err := fmt.Fprintf(out, "%s  %s  %-12s %s  %s\n", b.Dir, safeterm.Escape(b.Host()), safeterm.Escape(parser), safeterm.Escape(where), safeterm.Escape(w.Message))
		return err
	})
	if err != nil {
		return err
	}
	return out.Commit()
}
