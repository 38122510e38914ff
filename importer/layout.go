package importer

import (
	"io"
	"os"
	"regexp"
	"strings"
)

// A Layout is how one collector arranges its archive.
type Layout struct {
	// ID is the --layout name ("uac"); Name is the collector's own name.
	ID, Name string
	// Detect looks at the first member path of the archive and returns the
	// prefix every member path starts with (the collector's root
	// directory, "" for none) and whether the archive is this layout's.
	Detect func(firstPath string) (root string, ok bool)
	// Rules map member paths (relative to the root) to actions, first
	// match wins. A member no rule matches is kept as it is.
	Rules []Rule
	// Nested maps the members of an archive nested in this one (a rule
	// with Kind Nested) the same way; their paths are those inside the
	// nested archive.
	Nested []Rule
	// Lacks says what a Cordon collection holds that this collector never
	// collects, and why (the custody and the report repeat it).
	Lacks []string
}

// Kind is what a rule does with a member.
type Kind int

const (
	// Keep stores the member as it is, under archive/<path>.
	Keep Kind = iota
	// HostFile stores a copy of a host file under fs/<host path>, with the
	// source cordon-collect gives that path (hostfiles.go); HostPath says
	// which path ($1 or ${name} from the pattern). Parse, when set, also
	// reads it.
	HostFile
	// Parse stores the member under archive/<path> and hands its bytes to
	// the parser named Parse (parsers.go).
	Parse
	// Nested reads the member as a .tar.gz of host files, whose members go
	// through the layout's Nested rules.
	Nested
	// Executable stores a binary recovered from a running process under
	// proc/<pid>/exe (source "executables"), as cordon-collect does.
	Executable
	// Entry stores the member under the entry name Entry with Source, for
	// the analyzer parser that reads that name (a bodyfile, a timeline).
	Entry
	// Skip records the member in the members list without storing it:
	// only for members whose bytes are stored elsewhere.
	Skip
)

// Rule maps the members whose path matches Pattern.
type Rule struct {
	Name    string // shown in import/members-*.jsonl
	Pattern string // a regular expression over the whole path (anchored)
	Kind    Kind
	// HostPath is the host path template of a HostFile or Nested rule
	// (regexp.Expand syntax: "/$1", "/${path}").
	HostPath string
	// Parse names the parser of a Parse or HostFile rule.
	Parse string
	// Entry and Source name the entry of an Entry rule; for an Executable
	// rule Entry is a template ("proc/${pid}/exe").
	Entry, Source string

	re *regexp.Regexp
}

// compiled returns the layout with every pattern compiled (anchored);
// a bad pattern is a programming error.
func (l *Layout) compile() {
	for _, rs := range [][]Rule{l.Rules, l.Nested} {
		for i := range rs {
			if rs[i].re == nil {
				rs[i].re = regexp.MustCompile("^(?:" + rs[i].Pattern + ")$")
			}
		}
	}
}

// match finds the rule for a path, and the pattern's submatches.
func match(rules []Rule, p string) (*Rule, []int) {
	for i := range rules {
		if m := rules[i].re.FindStringSubmatchIndex(p); m != nil {
			return &rules[i], m
		}
	}
	return nil, nil
}

// expand fills a template with a rule's submatches.
func (r *Rule) expand(template, p string, m []int) string {
	return string(r.re.ExpandString(nil, template, p, m))
}

// capture returns a named group of the match ("" when absent).
func (r *Rule) capture(name, p string, m []int) string {
	i := r.re.SubexpIndex(name)
	if i < 0 || 2*i+1 >= len(m) || m[2*i] < 0 {
		return ""
	}
	return p[m[2*i]:m[2*i+1]]
}

// Layouts are the collectors cordon import knows, tried in order.
func Layouts() []*Layout {
	return []*Layout{uacLayout(), catscaleLayout()}
}

// LayoutByID returns the layout with the given --layout name.
func LayoutByID(id string) *Layout {
	for _, l := range Layouts() {
		if strings.EqualFold(l.ID, id) {
			return l
		}
	}
	return nil
}

// IsArchive reports whether the file at path is a .tar.gz or a .tar (what
// cordon import reads) rather than a bundle (zstd, or age-encrypted).
func IsArchive(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var b [512]byte
	n, _ := io.ReadFull(f, b[:])
	switch {
	case n >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		return true, nil
	case n >= 262 && string(b[257:262]) == "ustar":
		return true, nil
	}
	return false, nil
}
