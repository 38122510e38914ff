package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/export"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/internal/safeterm"
	"github.com/cordon-forensics/cordon/timeline"
)

func init() {
	registerVerb[exportOptions]("export", "send a case's events and findings to OpenSearch, Elasticsearch or VictoriaLogs (bulk API)", exportHelp)
}

const exportHelp = `cordon export: send a case's events and findings to a search engine

Usage:
  cordon export --case DIR --to URL [--user NAME --password-file F | --api-key-file F]
                [--ca FILE] [--resume] [--no-template] [--format text|json]

Every event of the case goes to the index cordon-events, and every finding
(the rules and the correlation, as cordon findings prints them) to
cordon-findings, through the Elasticsearch/OpenSearch bulk API (URL/_bulk,
"create" actions). OpenSearch, Elasticsearch and engines speaking the same
API take them; for VictoriaLogs give its /insert/elasticsearch path. Each
document is the event's ECS JSON plus Timesketch's message, datetime and
timestamp_desc; its _id is derived from the evidence it was read from, so
exporting again makes conflicts (counted as already present), not
duplicates. Before the first document, index templates map @timestamp as
date_nanos, addresses as ip, PIDs and ports as keyword and the message as
text (--no-template leaves the mapping to the engine).

Every reply is read item by item: a document the engine rejected or did
not acknowledge makes the export fail, naming the first ones and why.
VictoriaLogs acknowledges documents before dropping those outside its
retention window (7 days unless -retentionPeriod says more), so there the
counts are read back per bundle after the export. 429 and 5xx replies are
retried with backoff. An interrupted export (Ctrl-C, network down, too many
rejections) keeps its place in DIR/exports/; --resume continues it.

Credentials are never taken from the command line: the password from
--password-file or $CORDON_EXPORT_PASSWORD (user: --user or
$CORDON_EXPORT_USER), or an API key (Elasticsearch's encoded form) from
--api-key-file or $CORDON_EXPORT_API_KEY. --ca FILE trusts only the CA
certificates in FILE.

Examples:
  cordon export --case IR-031 --to https://search.corp:9200 --user cordon --password-file pw --ca corp-ca.pem
  CORDON_EXPORT_API_KEY=… cordon export --case IR-031 --to https://search.corp:9200 --resume
  cordon export --case IR-031 --to http://127.0.0.1:9428/insert/elasticsearch

Exit codes: 0 every document is in the engine, 1 the export failed or
is incomplete (the reason is printed; --resume continues an interrupted
one), 2 usage error (flags, credentials, CA file, not a case), 130
interrupted (what the engine acknowledged is recorded: --resume continues).
`

type exportOptions struct {
	caseDir                        caseOptions
	rules                          ruleOptions
	to, eventsIndex, findingsIndex string
	engine                         string
	user, passwordFile, apiKeyFile string
	ca                             string
	noTemplate, resume, noFindings bool
	noReadBack                     bool
	batchDocs, batchMiB, workers   int
	timeout                        time.Duration
	output                         outputOptions
}

func (o *exportOptions) addFlags(fs *pflag.FlagSet) {
	o.caseDir.addFlags(fs, "the case directory (cordon analyze --case)")
	o.rules.addFlags(fs)
	fs.StringVar(&o.to, "to", "", "the engine's bulk API base URL (URL/_bulk is where documents go)")
	fs.StringVar(&o.eventsIndex, "events-index", export.DefaultEventsIndex, "the index of the events")
	fs.StringVar(&o.findingsIndex, "findings-index", export.DefaultFindingsIndex, "the index of the findings")
	fs.StringVar(&o.engine, "engine", "auto", "elasticsearch (also OpenSearch), victorialogs, or auto (VictoriaLogs when the URL ends in /insert/elasticsearch)")
	fs.StringVar(&o.user, "user", "", "basic auth user (or $"+export.EnvUser+"); its password from --password-file or $"+export.EnvPassword)
	fs.StringVar(&o.passwordFile, "password-file", "", "a file holding the password")
	fs.StringVar(&o.apiKeyFile, "api-key-file", "", "a file holding an API key, Elasticsearch's encoded form (or $"+export.EnvAPIKey+")")
	fs.StringVar(&o.ca, "ca", "", "PEM file of the CA certificates to trust, instead of the system's")
	fs.BoolVar(&o.noTemplate, "no-template", false, "do not put the index templates (the engine maps the fields itself)")
	fs.BoolVar(&o.resume, "resume", false, "continue the interrupted export of this case to the same URL and indices")
	fs.BoolVar(&o.noFindings, "no-findings", false, "send the events only")
	fs.BoolVar(&o.noReadBack, "no-read-back", false, "VictoriaLogs: do not count what it holds after the export")
	fs.IntVar(&o.batchDocs, "batch-docs", export.DefaultBatchDocs, "documents per bulk request at most")
	fs.IntVar(&o.batchMiB, "batch-size", export.DefaultBatchBytes>>20, "MiB per bulk request at most (a larger document goes alone)")
	fs.IntVar(&o.workers, "workers", export.DefaultWorkers, "bulk requests in flight")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "the longest one request may take")
	o.output.addFlags(fs, []string{"text", "json"}, false)
}

func (o *exportOptions) run(ctx context.Context, std stdio, args []string) error {
	format, err := o.output.chosen()
	if err != nil {
		return err
	}
	if len(args) != 0 || o.to == "" {
		return usageErrorf("--case DIR and --to URL are needed, and no other argument (see --help)")
	}
	if o.batchDocs <= 0 || o.batchMiB <= 0 || o.batchMiB > 1024 || o.workers <= 0 || o.workers > 64 {
		return usageErrorf("--batch-docs must be positive, --batch-size 1 to 1024 MiB, --workers 1 to 64")
	}
	engine := o.engine
	switch engine {
	case "auto":
		engine = ""
	case export.EngineElasticsearch, export.EngineVictoriaLogs:
	default:
		return usageErrorf("--engine %q: want auto, %s or %s", engine, export.EngineElasticsearch, export.EngineVictoriaLogs)
	}
	u, err := export.CheckURL(o.to)
	if err != nil {
		return withCode(exitUsage, err)
	}
	creds, err := export.LoadCredentials(o.user, o.passwordFile, o.apiKeyFile, os.Getenv)
	if err != nil {
		return withCode(exitUsage, err)
	}
	client, err := export.NewHTTPClient(o.ca, o.timeout)
	if err != nil {
		return withCode(exitUsage, err)
	}
	c, err := o.caseDir.open()
	if err != nil {
		return err
	}
	defer c.Close()
	var total int64
	var shas []string
	for _, b := range c.Bundles() {
		total += b.Events
		shas = append(shas, b.SHA256)
	}
	sort.Strings(shas)

	var fds []findings.Finding
	if !o.noFindings {
		rs, err := investigation.LoadRules(o.rules.rules...)
		if err != nil {
			return withCode(exitUsage, err)
		}
		inv, _, err := investigation.Get(ctx, c, rs)
		if err != nil {
			return withCode(exitFailed, err)
		}
		fds = inv.Findings
	}

	out, err := o.output.open(std.out)
	if err != nil {
		return err
	}
	defer out.Abort()
	bar := newExportProgress(std.err, total)
	opts := export.Options{URL: o.to, EventsIndex: o.eventsIndex, FindingsIndex: o.findingsIndex, Engine: engine,
		Client: client, Credentials: creds, BatchDocs: o.batchDocs, BatchBytes: o.batchMiB << 20, Workers: o.workers,
		NoTemplate: o.noTemplate, Resume: o.resume, Source: strings.Join(shas, ","), NoReadBack: o.noReadBack,
		StatePath: exportStatePath(c.Dir(), o.to, o.eventsIndex, o.findingsIndex), EventsTotal: total, Progress: bar.update}
	fig, err := export.Export(ctx, opts, func(ctx context.Context, fn func(timeline.Event) error) error {
		return c.Events(ctx, casestore.Query{}, fn)
	}, fds)
	bar.finish()
	if fig == nil { // refused before anything was sent
		return withCode(exitUsage, err)
	}
	if format == "json" {
		printExportJSON(out, u, fig, err)
	} else {
		printExportFigures(out, u, fig)
	}
	if cerr := out.Commit(); cerr != nil && err == nil {
		return cerr
	}
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		fmt.Fprintf(std.err, "cordon export: interrupted after %d of %d events; the engine keeps what it acknowledged, and --resume continues from there\n",
			fig.Events.Sent, total)
		return withCode(exitInterrupted, nil)
	case errors.Is(err, export.ErrInterrupted) && !errors.Is(err, export.ErrShortfall):
		return withCode(exitFailed, fmt.Errorf("%w (--resume continues from there)", err))
	}
	return withCode(exitFailed, err)
}

// exportStatePath is where the export of a case to one URL and pair of
// indices keeps its place: DIR/exports/<16 hex digits>.json.
func exportStatePath(caseDir, url, events, findings string) string {
	sum := sha256.Sum256([]byte(url + "\x00" + events + "\x00" + findings))
	return filepath.Join(caseDir, "exports", hex.EncodeToString(sum[:8])+".json")
}

func printExportFigures(w io.Writer, u *url.URL, fig *export.Figures) {
	fmt.Fprintf(w, "export to %s (%s", safeterm.Escape(u.Redacted()), fig.Engine)
	if fig.Template {
		fmt.Fprint(w, ", index templates put")
	}
	fmt.Fprintln(w, ")")
	for _, c := range []struct {
		name string
		c    export.Counts
	}{{"events", fig.Events}, {"findings", fig.Findings}} {
		fmt.Fprintf(w, "  %-9s %d sent, %d created, %d already present, %d rejected, %d unacknowledged\n",
			c.name+":", c.c.Sent, c.c.Created, c.c.Conflicts, c.c.Rejected, c.c.Unacknowledged)
	}
	if fig.Skipped > 0 {
		fmt.Fprintf(w, "  resumed: the first %d events were sent by an earlier run\n", fig.Skipped)
	}
	sent := fig.Events.Sent - fig.Skipped
	fmt.Fprintf(w, "  %d requests (%d retries), %.1f MB, %s", fig.Requests, fig.Retries, float64(fig.Bytes)/1e6, fig.Took.Round(time.Millisecond))
	if sent > 0 && fig.Took > 0 {
		fmt.Fprintf(w, ", %.0f events/s", float64(sent)/fig.Took.Seconds())
	}
	fmt.Fprintln(w)
	if rb := fig.ReadBack; rb != nil {
		if rb.Missing() == 0 {
			fmt.Fprintf(w, "  read back: VictoriaLogs holds every event of %d bundles and %d findings\n", len(rb.Expected), rb.FindingsHeld)
		} else {
			fmt.Fprintf(w, "  read back: %d documents missing: %s\n", rb.Missing(), safeterm.Escape(rb.Summary()))
		}
	}
	for _, r := range fig.Rejections {
		fmt.Fprintf(w, "  not stored: %s %s (%s): status %d: %s\n", safeterm.Escape(r.Index), r.ID, safeterm.Escape(r.Where), r.Status, safeterm.Escape(r.Reason))
	}
}

func printExportJSON(w io.Writer, u *url.URL, fig *export.Figures, err error) {
	out := map[string]any{"url": u.Redacted(), "engine": fig.Engine, "template": fig.Template, "events": fig.Events,
		"findings": fig.Findings, "skipped": fig.Skipped, "requests": fig.Requests, "retries": fig.Retries, "bytes": fig.Bytes,
		"seconds": fig.Took.Seconds(), "rejections": fig.Rejections, "complete": err == nil}
	if fig.ReadBack != nil {
		out["read_back"] = map[string]any{"expected": fig.ReadBack.Expected, "held": fig.ReadBack.Held,
			"findings_expected": fig.ReadBack.FindingsExpected, "findings_held": fig.ReadBack.FindingsHeld}
	}
	if err != nil {
		out["error"] = err.Error()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

// exportProgress shows a progress bar on a terminal, nothing elsewhere.
type exportProgress struct {
	w     io.Writer
	on    bool
	total int64
	phase string
	bar   *progressbar.ProgressBar
}

func newExportProgress(w io.Writer, total int64) *exportProgress {
	f, ok := w.(*os.File)
	return &exportProgress{w: w, total: total, on: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *exportProgress) update(pr export.Progress) {
	if !p.on {
		return
	}
	if p.phase != pr.Phase {
		p.finish()
		p.phase = pr.Phase
		p.bar = progressbar.NewOptions64(pr.Total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(fmt.Sprintf("%-8s", pr.Phase)),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("docs"))
	}
	_ = p.bar.Set64(pr.Done)
}

func (p *exportProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
	p.phase = ""
}
