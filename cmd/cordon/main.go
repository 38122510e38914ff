// Command cordon is the analyst's tool: it verifies, extracts and (later)
// analyzes evidence bundles made by cordon-collect, on a clean workstation.
//
// Each verb lives in cmd_<verb>.go and registers itself in init().
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "0.1.0-dev"

// Exit codes shared by every verb.
const (
	exitOK      = 0 // success; for verify: the bundle is intact
	exitFailed  = 1 // for verify: the bundle failed or is incomplete
	exitUsage   = 2 // bad flags or arguments, or a file could not be read
	exitRefused = 3 // extract refused to write (unsafe name, existing file)
)

type verb struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var verbs = map[string]verb{}

func register(v verb) { verbs[v.name] = v }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
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
		fmt.Fprintf(stderr, "cordon: unknown verb %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return v.run(args[1:], stdout, stderr)
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
	fmt.Fprintf(w, "\nRun cordon VERB --help for a verb's flags, examples and exit codes.\n")
}
