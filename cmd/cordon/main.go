// Command cordon is the analyst's tool: it verifies, extracts and analyzes
// evidence bundles made by cordon-collect, on a clean workstation.
//
// Each verb lives in cmd_<verb>.go: an options struct whose addFlags adds
// its flags (option groups shared by several verbs are in options.go), and
// a run function that returns an error. main owns the rest, once for every
// verb: the signal-aware context, flag parsing and --help, turning errors
// into escaped messages and documented exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/internal/safeterm"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "0.1.0-dev"

// Exit codes shared by every verb.
const (
	exitOK          = 0   // success; for verify: the bundle is intact
	exitFailed      = 1   // a bundle failed verification, is incomplete, or was refused
	exitUsage       = 2   // bad flags or arguments, or a file could not be read or written
	exitRefused     = 3   // extract refused to write (unsafe name, existing file)
	exitInterrupted = 130 // interrupted (SIGINT, SIGTERM): nothing half-done is left behind
)

const exitCodesHelp = `Exit codes of every verb: 0 done, 1 a bundle failed verification or was
refused, 2 usage error or a file could not be read or written, 3 extract
refused to write, 130 interrupted (SIGINT or SIGTERM; nothing half-written,
no temporary case and no lock is left behind).`

// stdio is where a verb writes.
type stdio struct {
	out, err io.Writer
}

// verb is one cordon verb.
type verb struct {
	name    string
	summary string
	help    string // usage, examples and exit codes, shown before the flags
	// setup adds the verb's flags to fs and returns how to run it with the
	// arguments left after the flags.
	setup func(fs *pflag.FlagSet) func(ctx context.Context, std stdio, args []string) error
}

var verbs = map[string]verb{}

// options is what every verb's options struct is: its flags, and how it runs.
type options interface {
	addFlags(fs *pflag.FlagSet)
	run(ctx context.Context, std stdio, args []string) error
}

// registerVerb registers a verb whose options are a T.
func registerVerb[T any, P interface {
	*T
	options
}](name, summary, help string) {
	register(verb{name: name, summary: summary, help: help, setup: func(fs *pflag.FlagSet) func(context.Context, stdio, []string) error {
		o := P(new(T))
		o.addFlags(fs)
		return o.run
	}})
}

func register(v verb) {
	if _, dup := verbs[v.name]; dup {
		panic("cordon: verb " + v.name + " registered twice")
	}
	verbs[v.name] = v
}

// exitError carries an exit code with its error; a nil err prints nothing
// (the verb has said what there was to say).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is a usage error (exit code 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// withCode gives err an exit code (err may be nil: a quiet exit).
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// softMemoryLimit is the Go heap the garbage collector aims to stay under
// (GOMEMLIMIT overrides it): without it, a large case's peak is about twice
// its live heap.
const softMemoryLimit = 768 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs one verb and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "version" {
		fmt.Fprintf(stdout, "cordon %s\n", Version)
		return exitOK
	}
	v, ok := verbs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cordon: unknown verb %q\n\n", safeterm.Escape(args[0]))
		usage(stderr)
		return exitUsage
	}
	fs := pflag.NewFlagSet(v.name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = true
	runVerb := v.setup(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, v.help)
		fmt.Fprint(stderr, "\nFlags:\n")
		fmt.Fprint(stderr, fs.FlagUsages())
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	err := runVerb(ctx, stdio{out: stdout, err: stderr}, fs.Args())
	return exitCodeFor(ctx, v.name, err, stderr)
}

// exitCodeFor prints a verb's error, escaped, and returns its exit code.
func exitCodeFor(ctx context.Context, name string, err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		var quiet *exitError
		if errors.As(err, &quiet) && quiet.code == exitInterrupted && quiet.err == nil {
			return exitInterrupted // the verb said what it left behind (export: where to resume)
		}
		fmt.Fprintf(stderr, "cordon %s: interrupted; nothing half-done was left behind\n", name)
		return exitInterrupted
	}
	code := exitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintf(stderr, "cordon %s: %s\n", name, safeterm.Escape(err.Error()))
	return code
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "cordon: verify and analyze evidence bundles made by cordon-collect\n\nUsage:\n  cordon VERB [flags] ARGS\n\nVerbs:\n")
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, verbs[n].summary)
	}
	fmt.Fprintf(w, "\nRun cordon VERB --help for a verb's flags and examples.\n\n%s\n", exitCodesHelp)
}
