package main

// options.go holds the option groups several verbs share, so that a flag
// means the same thing everywhere it appears:
//
//	verifyOptions    --pubkey, --identity, --sha256 (every verb that reads bundles)
//	caseOptions      --case
//	analysisOptions  --force, --jobs, --sort-memory, --pg-log-line-prefix, --import-key (verbs that analyze bundles)
//	ruleOptions      --rules, --sigma (verbs that judge a case)
//	selectOptions    --from, --to, --host, --query (verbs that select events)
//	hostOptions      --host (verbs that judge a case: findings, report)
//	outputOptions    -o, --format (every verb that writes a result)

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/index"
	"github.com/cordon-forensics/cordon/analyzer/investigation"
	"github.com/cordon-forensics/cordon/analyzer/parsers"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// verifyOptions say how bundles are verified.
type verifyOptions struct {
	pubkey   string
	identity []string
	sha256   []string
}

func (o *verifyOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.pubkey, "pubkey", "", "the minisign public key the bundles must be signed with (a .pub file or the bare key)")
	fs.StringArrayVar(&o.identity, "identity", nil, "age identity file to decrypt encrypted bundles (repeatable)")
	fs.StringArrayVar(&o.sha256, "sha256", nil, "a bundle SHA-256 from the custody form (repeatable): every bundle must match one of them")
}

func (o *verifyOptions) options() (bundle.VerifyOptions, error) {
	vo := bundle.VerifyOptions{ExpectSHA256: o.sha256}
	for _, s := range o.sha256 {
		if len(s) != 64 || strings.Trim(strings.ToLower(s), "0123456789abcdef") != "" {
			return vo, usageErrorf("--sha256 %q is not a SHA-256 (64 hex digits)", s)
		}
	}
	if o.pubkey != "" {
		pub, err := bundle.LoadPublicKey(o.pubkey)
		if err != nil {
			return vo, withCode(exitUsage, fmt.Errorf("--pubkey: %w", err))
		}
		vo.PublicKey = &pub
	}
	for _, path := range o.identity {
		f, err := os.Open(path)
		if err != nil {
			return vo, withCode(exitUsage, err)
		}
		ids, err := age.ParseIdentities(io.LimitReader(f, 1<<20))
		f.Close()
		if err != nil {
			return vo, withCode(exitUsage, fmt.Errorf("%s: %w", path, err))
		}
		vo.Identities = append(vo.Identities, ids...)
	}
	return vo, nil
}

// caseOptions name the case directory.
type caseOptions struct {
	dir string
}

func (o *caseOptions) addFlags(fs *pflag.FlagSet, what string) {
	fs.StringVar(&o.dir, "case", "", what)
}

// open opens the case read-only.
func (o *caseOptions) open() (*casestore.Case, error) {
	if o.dir == "" {
		return nil, usageErrorf("--case DIR is needed")
	}
	c, err := casestore.Open(o.dir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return c, nil
}

// analysisOptions say how bundles are analyzed into a case.
type analysisOptions struct {
	verify   verifyOptions
	imports  importOptionsGroup // archives of other collectors given as bundles (import_inputs.go)
	force    bool
	jobs     int
	sortMiB  int
	pgPrefix string
}

func (o *analysisOptions) addFlags(fs *pflag.FlagSet) {
	o.verify.addFlags(fs)
	o.imports.addFlags(fs)
	fs.BoolVar(&o.force, "force", false, "analyze a bundle that is not intact, marking every one of its events unverified")
	fs.IntVar(&o.jobs, "jobs", 0, "bundles analyzed at once (default: one per core)")
	fs.IntVar(&o.sortMiB, "sort-memory", 128, "MiB of events held in memory while sorting, before spilling to the case directory (shared by the bundles analyzed at once)")
	fs.StringVar(&o.pgPrefix, "pg-log-line-prefix", "", "the PostgreSQL cluster's log_line_prefix, when its stderr logs use an unusual one (default: from the bundle's signed postgresql.conf)")
}

func (o *analysisOptions) options(progress func(pipeline.Progress)) (pipeline.Options, error) {
	if o.jobs < 0 {
		return pipeline.Options{}, usageErrorf("--jobs %d: want a positive number", o.jobs)
	}
	if o.sortMiB < 0 {
		return pipeline.Options{}, usageErrorf("--sort-memory %d: want a positive number", o.sortMiB)
	}
	vo, err := o.verify.options()
	if err != nil {
		return pipeline.Options{}, err
	}
	po := pipeline.Options{Verify: vo, Force: o.force, Analyzer: "cordon " + Version, Progress: progress, SortMemory: o.sortMiB << 20}
	if o.pgPrefix != "" {
		po.Settings = map[string]string{parsers.SettingPGLogLinePrefix: o.pgPrefix}
	}
	return po, nil
}

// selectOptions select events.
type selectOptions struct {
	from, to, query string
	hosts           []string
}

func (o *selectOptions) addFlags(fs *pflag.FlagSet, withQuery bool) {
	fs.StringVar(&o.from, "from", "", "only events at or after this time (2026-11-02T10:24:55Z, \"2026-11-02 10:24:55\" or 2026-11-02)")
	fs.StringVar(&o.to, "to", "", "only events at or before this time (a bare date: its end)")
	fs.StringArrayVar(&o.hosts, "host", nil, "only events of this host (host.name; repeatable: of any of them)")
	if withQuery {
		fs.StringVar(&o.query, "query", "", "only events this Bleve query string matches")
	}
}

func (o *selectOptions) build() (casestore.Query, error) {
	q := casestore.Query{Query: o.query, Hosts: o.hosts}
	var err error
	if q.From, err = parseWhen(o.from, false); err != nil {
		return q, usageErrorf("--from: %w", err)
	}
	if q.To, err = parseWhen(o.to, true); err != nil {
		return q, usageErrorf("--to: %w", err)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return q, usageErrorf("--to is before --from")
	}
	if err := index.ValidateQuery(q.Query); err != nil {
		return q, withCode(exitUsage, err)
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

// outputOptions say where and in which format a verb writes its result.
type outputOptions struct {
	path    string
	format  string
	formats []string
	json    bool // the deprecated --json: --format json
}

// addFlags adds -o and --format; formats[0] is the default. With
// deprecatedJSON, --json is kept as a spelling of --format json.
func (o *outputOptions) addFlags(fs *pflag.FlagSet, formats []string, deprecatedJSON bool) {
	o.formats = formats
	fs.StringVarP(&o.path, "output", "o", "", "write to FILE (never overwritten; written whole or not at all) instead of standard output")
	fs.StringVar(&o.format, "format", "", "output format: "+strings.Join(formats, ", ")+" (default "+formats[0]+")")
	if deprecatedJSON {
		fs.BoolVar(&o.json, "json", false, "the same as --format json")
		_ = fs.MarkDeprecated("json", "use --format json")
	}
}

// chosen returns the format asked for: --format, else --json, else by the
// output file's extension when it names one of the formats, else the default.
func (o *outputOptions) chosen() (string, error) {
	f := o.format
	if f == "" && o.json {
		f = "json"
	}
	if f == "" && o.path != "" {
		ext := strings.TrimPrefix(filepath.Ext(o.path), ".")
		if ext == "markdown" {
			ext = "md"
		}
		if slices.Contains(o.formats, ext) {
			f = ext
		}
	}
	if f == "" {
		f = o.formats[0]
	}
	if !slices.Contains(o.formats, f) {
		return "", usageErrorf("--format %q: want one of %s", f, strings.Join(o.formats, ", "))
	}
	return f, nil
}

// output is where a verb writes its result: standard output, or a file that
// appears whole under its name when Commit is called, and not at all if the
// verb fails or is interrupted (Abort).
type output struct {
	io.Writer
	path, tmp string
	f         *os.File
}

func (o *outputOptions) open(stdout io.Writer) (*output, error) {
	if o.path == "" || o.path == "-" {
		return &output{Writer: stdout}, nil
	}
	if _, err := os.Lstat(o.path); err == nil {
		return nil, usageErrorf("%s exists: nothing is overwritten", o.path)
	}
	f, err := os.CreateTemp(filepath.Dir(o.path), "."+filepath.Base(o.path)+".tmp-*")
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return &output{Writer: f, path: o.path, tmp: f.Name(), f: f}, nil
}

// Commit publishes the file under its name (never replacing one that
// appeared meanwhile).
func (o *output) Commit() error {
	if o.f == nil {
		return nil
	}
	err := o.f.Sync()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	o.f = nil
	if err == nil {
		if err = os.Link(o.tmp, o.path); errors.Is(err, os.ErrExist) {
			err = fmt.Errorf("%s appeared meanwhile: nothing is overwritten", o.path)
		}
	}
	os.Remove(o.tmp)
	if err != nil {
		return withCode(exitUsage, err)
	}
	return nil
}

// JSON writes v, indented, as the whole output and commits it.
func (o *output) JSON(v any) error {
	enc := json.NewEncoder(o)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return o.Commit()
}

// writeEvents writes, in format, the events produce hands to write, as
// the whole output (to stdout, or -o FILE written whole or not at all);
// it returns the writer, whose counts a verb may report.
func (o *outputOptions) writeEvents(stdout io.Writer, format string, produce func(write func(*timeline.Event) error) error) (timeline.Writer, error) {
	out, err := o.open(stdout)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	w, err := timeline.NewWriter(format, out)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	err = produce(w.Write)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = out.Commit()
	}
	return w, err
}

// Abort removes what was written; it does nothing after Commit.
func (o *output) Abort() {
	if o.f != nil {
		o.f.Close()
		o.f = nil
		os.Remove(o.tmp)
	}
}

// hostOptions narrow a judgement of a case to some of its hosts.
type hostOptions struct {
	hosts []string
}

func (o *hostOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.hosts, "host", nil, "judge only the events of this host (host.name; repeatable); cordon hosts lists them")
}

// ruleOptions choose the rules a case is judged with.
type ruleOptions struct {
	rules []string
	sigma []string
}

func (o *ruleOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.rules, "rules", nil, "a directory of extra rule files (*.yaml), added to the built-in ones (repeatable)")
	fs.StringArrayVar(&o.sigma, "sigma", nil, "a directory of Sigma rules (*.yml, *.yaml, recursively; e.g. SigmaHQ's rules/linux) to judge the case with too (repeatable)")
}

// load loads the rules; notes say once what of the Sigma rules cannot
// load or cannot match, and how many can (cordon sigma check DIR tells the
// same in full).
func (o *ruleOptions) load() (rs investigation.RuleSet, notes []string, err error) {
	if rs, err = investigation.LoadRules(o.rules...); err != nil {
		return rs, nil, withCode(exitUsage, err)
	}
	if err := rs.AddSigma(o.sigma...); err != nil {
		return rs, nil, withCode(exitUsage, err)
	}
	if rs.Sigma != nil {
		notes = append(rs.Sigma.Notes(), fmt.Sprintf("sigma: %d rules loaded from %s, %d applicable, %d not parsed",
			len(rs.Sigma.Rules), strings.Join(o.sigma, ", "), rs.Sigma.Applicable(), len(rs.Sigma.Failures)))
	}
	return rs, notes, nil
}
