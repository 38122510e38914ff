// Package apthistory reads APT's history log (/var/log/apt/history.log and
// its rotations): one block a transaction, written by apt's
// apt-pkg/deb/dpkgpm.cc (WriteHistoryTag):
//
//	Start-Date: 2019-07-10  16:38:08
//	Commandline: apt-get upgrade --no-install-recommends --assume-yes
//	Requested-By: user (1000)
//	Install: pkg:amd64 (1.2-3), dep:amd64 (4.5, automatic)
//	Upgrade: pkg:amd64 (old, new)
//	Remove: … / Purge: … / Downgrade: … / Reinstall: …
//	Error: Sub-process /usr/bin/dpkg returned an error code (1)
//	End-Date: 2019-07-10  16:38:12
//
// separated by blank lines. Each transaction becomes one event at its
// start, in the host's local time (apt writes local time, without a zone).
// A package installed by hand is how tools and persistence arrive.
package apthistory

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// Dataset is the event.dataset of APT history events.
const Dataset = "apt"

// MaxLine bounds one line (an Install: line lists every package of a
// transaction: a distribution upgrade writes hundreds of kilobytes).
const MaxLine = 4 << 20

// actions are the package lists a transaction may hold, in the order
// they are reported.
var actions = []string{"Install", "Upgrade", "Downgrade", "Reinstall", "Remove", "Purge"}

type transaction struct {
	line, off int64
	fields    map[string]string
	raw       strings.Builder
}

// Parse reads a history log.
func Parse(r io.Reader, o timeline.Origin, event func(timeline.Event), warn func(timeline.Warning)) error {
	loc, zoneKnown := o.Location, o.Location != nil
	if loc == nil {
		loc = time.UTC
	}
	var cur *transaction
	flush := func() {
		if cur == nil {
			return
		}
		if ev, problem := build(cur, o, loc, zoneKnown); problem != "" {
			warn(timeline.Warning{Entry: o.Entry, Line: cur.line, Offset: cur.off, Message: "apt history: " + problem})
		} else {
			event(ev)
		}
		cur = nil
	}
	lr := textio.NewReader(r, MaxLine)
	for {
		b, n, off, err := lr.Next()
		if err == io.EOF {
			flush()
			return nil
		}
		if errors.Is(err, textio.ErrLineTooLong) {
			warn(timeline.Warning{Entry: o.Entry, Line: n, Offset: off, Message: fmt.Sprintf("apt history: line over %d bytes: skipped", MaxLine)})
			continue
		}
		if err != nil {
			flush()
			return fmt.Errorf("apthistory: reading %s: %w", o.Entry, err)
		}
		line := strings.TrimRight(textio.Safe(b), "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		key, value, ok := strings.Cut(line, ": ")
		if !ok || strings.ContainsRune(key, ' ') {
			warn(timeline.Warning{Entry: o.Entry, Line: n, Offset: off, Message: "apt history: not a \"Key: value\" line: " + textio.Cut(line, 200)})
			continue
		}
		if key == "Start-Date" {
			flush()
		}
		if cur == nil {
			cur = &transaction{line: n, off: off, fields: map[string]string{}}
		}
		if len(cur.fields) < 32 {
			cur.fields[key] = value
		}
		if cur.raw.Len() < textio.MaxOriginal {
			cur.raw.WriteString(textio.Cut(line, textio.MaxOriginal) + "\n")
		}
	}
}

// parseDate reads "2019-07-10  16:38:08" (two spaces) in the host's zone.
func parseDate(s string, loc *time.Location) (time.Time, error) {
	return time.ParseInLocation("2006-01-02 15:04:05", strings.Join(strings.Fields(s), " "), loc)
}

func build(tr *transaction, o timeline.Origin, loc *time.Location, zoneKnown bool) (timeline.Event, string) {
	f := tr.fields
	start, err := parseDate(f["Start-Date"], loc)
	if err != nil {
		return timeline.Event{}, fmt.Sprintf("transaction at line %d without a readable Start-Date (%q): not read", tr.line, textio.Cut(f["Start-Date"], 64))
	}
	zone := "local time in " + loc.String()
	if !zoneKnown {
		zone = "local time read as UTC: the host's time zone is unknown"
	}
	ev := timeline.Event{
		Timestamp: start.UTC(),
		Event: timeline.EventFields{Kind: "event", Category: []string{"package"}, Dataset: Dataset, Outcome: "success",
			Original: textio.Cut(strings.TrimSuffix(tr.raw.String(), "\n"), textio.MaxOriginal)},
		Labels: map[string]string{},
		Cordon: timeline.Cordon{TimeMeaning: "package transaction started",
			TimeDerivation: "APT history Start-Date: when apt began the transaction; " + zone,
			Provenance:     o.Provenance(tr.line, tr.off)},
	}
	if o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	var did []string
	for _, a := range actions {
		pkgs, ok := f[a]
		if !ok {
			continue
		}
		did = append(did, strings.ToLower(a))
		ev.Labels["apt."+strings.ToLower(a)] = textio.Cut(pkgs, 64<<10)
		ev.Labels["apt."+strings.ToLower(a)+"_count"] = strconv.Itoa(countPackages(pkgs))
	}
	action := "package-transaction"
	if len(did) > 0 {
		action = "apt-" + did[0]
	}
	ev.Event.Action = action
	switch {
	case len(did) > 0 && (did[0] == "install" || did[0] == "reinstall"):
		ev.Event.Type = []string{"installation"}
	case len(did) > 0 && (did[0] == "remove" || did[0] == "purge"):
		ev.Event.Type = []string{"deletion"}
	default:
		ev.Event.Type = []string{"change"}
	}
	if cmd := f["Commandline"]; cmd != "" {
		ev.Process = &timeline.Process{CommandLine: textio.Cut(cmd, 4096), Name: firstWord(cmd)}
	}
	if by := f["Requested-By"]; by != "" {
		// "user (1000)"
		name, id, _ := strings.Cut(by, " (")
		ev.User = &timeline.User{Name: textio.Cut(name, 256), ID: strings.TrimSuffix(id, ")")}
	}
	if e := f["Error"]; e != "" {
		ev.Event.Outcome = "failure"
		ev.Labels["apt.error"] = textio.Cut(e, 1024)
	}
	if end, err := parseDate(f["End-Date"], loc); err == nil {
		ev.Labels["apt.end"] = end.UTC().Format(time.RFC3339)
	}
	ev.Message = textio.Cut(fmt.Sprintf("apt %s: %s", strings.Join(did, ", "), f["Commandline"]), 4096)
	return ev, ""
}

// countPackages counts "name:arch (versions)" items of a list.
func countPackages(s string) int {
	n, depth := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
				if depth == 0 {
					n++
				}
			}
		}
	}
	return n
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return textio.Cut(f[0], 256)
}
