// Package imported owns the records cordon import adds to a bundle made
// from another collector's archive (UAC, Cat-Scale): what each archive
// member was and where it went (import/members-NNNNN.jsonl), every hash
// the archive states about itself compared with the bytes
// (import/checks-NNNNN.jsonl), and the lines of the collector's text outputs the
// importer could not read (import/warnings.jsonl); and the pure readers
// and converters the analyzer uses to turn them into timeline events and
// warnings. The importer itself is in importer/.
package imported

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// Entry names and the source the importer gives them.
const (
	MembersPrefix = "import/members-" // + NNNNN.jsonl, 20,000 members each
	ChecksPrefix  = "import/checks-"  // + NNNNN.jsonl, 20,000 checks each
	WarningsEntry = "import/warnings.jsonl"
	Source        = "import"

	// The archive's file timelines, kept raw under these names for the
	// analyzer: UAC's bodyfile/bodyfile.txt (TSK bodyfile) where
	// cordon-collect --bodyfile puts one (collector.ImportsBodyfilePrefix,
	// read by formats/bodytimeline), and Cat-Scale's
	// Misc/*-full-timeline.csv (GNU stat lines).
	BodyfileEntry     = "imports/bodyfile/uac-bodyfile.txt"
	BodyfileSource    = "imports"
	StatTimelineEntry = "filetimeline/imported-stat-timeline.csv"
)

// MembersEntry names the n-th part (from 1) of the members list.
func MembersEntry(n int) string { return fmt.Sprintf("%s%05d.jsonl", MembersPrefix, n) }

// ChecksEntry names the n-th part (from 1) of the checks.
func ChecksEntry(n int) string { return fmt.Sprintf("%s%05d.jsonl", ChecksPrefix, n) }

// IsChecks reports whether an entry is a part of the checks.
func IsChecks(name string) bool {
	return strings.HasPrefix(name, ChecksPrefix) && strings.HasSuffix(name, ".jsonl")
}

// Member is one member of the imported archive, in archive order.
type Member struct {
	// Path is the member's name in the archive; a member of an archive
	// nested in it (Cat-Scale's Logs/*-var-log.tar.gz) is "OUTER!/INNER".
	Path  string    `json:"path"`
	Type  string    `json:"type"` // "file", "dir", "symlink", "hardlink", "char", "block", "fifo", "other"
	Link  string    `json:"link,omitempty"`
	Size  int64     `json:"size"`
	Mode  uint32    `json:"mode"`
	UID   int       `json:"uid"`
	GID   int       `json:"gid"`
	Owner string    `json:"owner,omitempty"`
	Group string    `json:"group,omitempty"`
	Mtime time.Time `json:"mtime,omitzero"`
	// Entry is the bundle entry holding the member's bytes ("" for a
	// member without content, or one whose bytes went into a nested read).
	Entry string `json:"entry,omitempty"`
	// Rule is the layout rule that mapped the member (importer/uac.go, …).
	Rule string `json:"rule,omitempty"`
	// MD5 and SHA1 are computed for members a hash list of the archive may
	// name (executables, recovered binaries, every host file when the
	// archive has a hash list of its own); SHA256 is the entry's.
	MD5    string `json:"md5,omitempty"`
	SHA1   string `json:"sha1,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Check results.
const (
	Match         = "match"
	Mismatch      = "mismatch"
	Missing       = "missing"        // listed by the archive, absent from it
	NotComparable = "not-comparable" // e.g. the copy was capped before the host file ended
	Incomplete    = "incomplete"     // the archive ends early, or is damaged
)

// Check is one comparison of what the archive says about its own bytes
// with the bytes.
type Check struct {
	// Kind: "archive" (the archive file against the acquisition log or a
	// hash the analyst gave), "collected-file" (a file against the
	// collector's own list of what it collected: UAC hash_list.*),
	// "running-process" (a recovered executable against the hash the
	// collector took of /proc/PID/exe), "host-file" (a file against a
	// list of the host's files: UAC hash_executables, Cat-Scale's SHA-1
	// lists), "archive-complete" (the archive read to its end).
	Kind    string `json:"kind"`
	Subject string `json:"subject"` // the archive file, or the member checked
	Entry   string `json:"entry,omitempty"`
	// Algorithm, Expected and Actual: hex digests.
	Algorithm string `json:"algorithm,omitempty"`
	Expected  string `json:"expected,omitempty"`
	Actual    string `json:"actual,omitempty"`
	// Source says where Expected comes from: a file and line.
	Source      string    `json:"source,omitempty"`
	SourceEntry string    `json:"source_entry,omitempty"`
	SourceLine  int64     `json:"source_line,omitempty"`
	Result      string    `json:"result"`
	Note        string    `json:"note,omitempty"`
	At          time.Time `json:"at"` // the importer's clock
}

// Failed reports whether the check found a problem.
func (c Check) Failed() bool {
	return c.Result == Mismatch || c.Result == Missing || c.Result == Incomplete
}

// Warning is one line of import/warnings.jsonl: a record of an archive
// member the importer could not read, at its place in the entry that holds
// the member.
type Warning struct {
	Parser string `json:"parser"`
	timeline.Warning
}

// ReadChecks reads a part of import/checks-NNNNN.jsonl.
func ReadChecks(r io.Reader, o timeline.Origin, warn func(timeline.Warning)) ([]snapshot.Located[Check], error) {
	var out []snapshot.Located[Check]
	err := snapshot.ReadJSONL(r, o, func(c Check, line, off int64) {
		out = append(out, snapshot.Located[Check]{V: c, Line: line, Offset: off})
	}, warn)
	return out, err
}

// MeaningChecked is the time meaning of check events.
const MeaningChecked timeline.Meaning = "checked at import"

// CheckEvents turns the checks into events of dataset "import": an alert
// for each failed one (action import-hash-mismatch, import-file-missing,
// import-archive-incomplete), a plain event for the others.
func CheckEvents(cs []snapshot.Located[Check], o timeline.Origin) timeline.Result {
	var res timeline.Result
	for _, lc := range cs {
		c := lc.V
		if c.At.IsZero() {
			res.Warn(o, lc.Line, lc.Offset, "check of %q has no time: no event", c.Subject)
			continue
		}
		ev := timeline.Event{
			Timestamp: c.At.UTC(),
			Event:     timeline.EventFields{Kind: "event", Category: []string{"file"}, Type: []string{"info"}, Dataset: "import", Outcome: "success"},
			File:      &timeline.File{Path: c.Subject},
			Labels:    map[string]string{"check.kind": c.Kind, "check.result": c.Result},
			Cordon: timeline.Cordon{TimeMeaning: MeaningChecked, TimeDerivation: "the analyst's clock when cordon import compared the hashes",
				Provenance: o.Provenance(lc.Line, lc.Offset)},
		}
		for k, v := range map[string]string{"check.algorithm": c.Algorithm, "check.expected": c.Expected, "check.actual": c.Actual,
			"check.source": c.Source, "check.source_entry": c.SourceEntry, "check.entry": c.Entry, "check.note": c.Note} {
			if v != "" {
				ev.Labels[k] = v
			}
		}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		what := fmt.Sprintf("%s %s", c.Kind, c.Subject)
		switch c.Result {
		case Match:
			ev.Event.Action = "import-hash-verified"
			ev.Message = fmt.Sprintf("%s: %s matches %s (%s)", what, c.Algorithm, c.Source, c.Expected)
		case Mismatch:
			ev.Event.Kind, ev.Event.Outcome, ev.Event.Action = "alert", "failure", "import-hash-mismatch"
			ev.Message = fmt.Sprintf("%s: %s is %s, but %s says %s", what, c.Algorithm, c.Actual, c.Source, c.Expected)
		case Missing:
			ev.Event.Kind, ev.Event.Outcome, ev.Event.Action = "alert", "failure", "import-file-missing"
			ev.Message = fmt.Sprintf("%s: listed by %s, absent from the archive", what, c.Source)
		case Incomplete:
			ev.Event.Kind, ev.Event.Outcome, ev.Event.Action = "alert", "failure", "import-archive-incomplete"
			ev.Message = fmt.Sprintf("%s: %s", what, c.Note)
		default:
			ev.Event.Outcome, ev.Event.Action = "unknown", "import-hash-not-compared"
			ev.Message = fmt.Sprintf("%s: not compared with %s", what, c.Source)
		}
		if c.Note != "" && c.Result != Incomplete {
			ev.Message += " (" + c.Note + ")"
		}
		ev.Message = strings.TrimSpace(ev.Message)
		res.Events = append(res.Events, ev)
	}
	return res
}

// ReadWarnings reads import/warnings.jsonl, handing each warning on.
func ReadWarnings(r io.Reader, o timeline.Origin, fn func(Warning), warn func(timeline.Warning)) error {
	return snapshot.ReadJSONL(r, o, func(w Warning, _, _ int64) { fn(w) }, warn)
}
