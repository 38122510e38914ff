// Package parsers is the registry of artifact parsers: each parser declares
// which bundle entries it reads (Match), and the pipeline hands it each
// matching entry. Parsers register from init() in files named after the
// artifact they read (syslog.go, utmp.go, …); the parsing itself lives in
// formats/, as pure functions of bytes to events, and these files only
// connect an entry to its parser.
package parsers

import (
	"fmt"
	"io"
	"sort"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// Emit receives the events and warnings a parser produces, one at a time,
// so that large artifacts (a file timeline, a capture) never sit whole in memory.
type Emit struct {
	Event func(timeline.Event)
	Warn  func(timeline.Warning)
}

// Parser reads one kind of bundle entry.
type Parser struct {
	Name string
	// Match reports whether the parser reads this entry (by name, source, …).
	Match func(e bundle.EntryRecord) bool
	// Parse reads the entry's bytes. r is bounded by the entry's signed size.
	// A returned error means the whole entry could not be read; bad records
	// are warnings, not errors.
	Parse func(r io.Reader, o timeline.Origin, emit Emit) error
}

var parsers = map[string]Parser{}

// RegisterParser adds a parser; a duplicate name panics (a programming error).
func Register(p Parser) {
	if _, dup := parsers[p.Name]; dup {
		panic(fmt.Sprintf("analyzer: parser %q registered twice", p.Name))
	}
	parsers[p.Name] = p
}

// All returns the registered parsers sorted by name.
func All() []Parser {
	out := make([]Parser, 0, len(parsers))
	for _, p := range parsers {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// For returns the parsers that read entry e.
func For(e bundle.EntryRecord) []Parser {
	var out []Parser
	for _, p := range All() {
		if p.Match(e) {
			out = append(out, p)
		}
	}
	return out
}

// EmitResult hands a parser's collected Result to emit: the adapter for
// parsers in formats/ that return a whole Result.
func EmitResult(res timeline.Result, emit Emit) {
	for _, e := range res.Events {
		emit.Event(e)
	}
	for _, w := range res.Warnings {
		emit.Warn(w)
	}
}
