// Package dockerlog reads Docker's json-file container logs: one JSON object
// a line, {"log":"…\n","stream":"stdout","time":"2026-03-17T08:26:01.123456789Z"},
// as the json-file logging driver writes them
// (https://docs.docker.com/engine/logging/drivers/json-file/, moby
// daemon/logger/jsonfilelog). Each line becomes one event; a message the
// daemon split into 16 KiB pieces (a "log" without its final newline) is
// joined again, bounded. The container id comes from the file's path,
// /var/lib/docker/containers/<id>/<id>-json.log.
//
// The "time" is RFC 3339 with nanoseconds in UTC as the daemon writes it;
// the other forms found in such files (no "Z", an offset, a space for the
// "T", fewer digits) are read too, a time without a zone as UTC, and said
// so. A line whose time cannot be read takes the time of the line before
// (the file is in time order), else the file's mtime, and a warning and
// its derivation say so: never year 1 silently.
//
// A line a PostgreSQL server wrote (the official postgres image logs to
// its standard error) is read by formats/pglog, prefix and all, and
// becomes a PostgreSQL event of the container, with its DETAIL and
// continuation lines (records of their own in the file) folded in.
package dockerlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/formats/pglog"
	"github.com/cordon-forensics/cordon/timeline"
)

// Dataset is the event.dataset of Docker log events.
const Dataset = "docker"

// MaxLine bounds one JSON line; MaxMessage bounds a message joined from
// partial lines.
const (
	MaxLine    = 1 << 20
	MaxMessage = 1 << 20
)

// record is one json-file line. Attrs holds the --log-opt labels/env, if any.
type record struct {
	Log    *string           `json:"log"`
	Stream string            `json:"stream"`
	Time   string            `json:"time"`
	Attrs  map[string]string `json:"attrs"`
}

var containerIDRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ContainerID returns the container id named by a json-file log path
// (/var/lib/docker/containers/<id>/<id>-json.log, rotated as .1, .2, …),
// or "" when the path does not have that shape.
func ContainerID(hostPath string) string {
	dir, file := path.Split(hostPath)
	id := path.Base(dir)
	if !containerIDRe.MatchString(id) || !strings.HasPrefix(file, id+"-json.log") {
		return ""
	}
	return id
}

// pending is a message whose pieces are still arriving.
type pending struct {
	msg         strings.Builder
	stream      string
	t           time.Time
	timeNote    string
	line, off   int64
	attrs       map[string]string
	pieces      int
	cut         bool
	firstOrigin string
}

// Parse reads a json-file log from r and hands each event and warning to
// the callbacks. It returns an error only when r itself fails.
func Parse(r io.Reader, o timeline.Origin, event func(timeline.Event), warn func(timeline.Warning)) error {
	id := ContainerID(textio.HostPath(o))
	lr := textio.NewReader(r, MaxLine)
	var p *pending
	pg, err := pglog.NewLines(o, pglog.Options{LinePrefix: o.Settings[SettingPGLogLinePrefix]}, func(ev timeline.Event) {
		if id != "" {
			ev.Container = &timeline.Container{ID: id}
		}
		ev.Labels["container.log"] = "docker json-file"
		event(ev)
	}, warn)
	if err != nil {
		// a log_line_prefix that does not compile: recognise the common forms
		pg, _ = pglog.NewLines(o, pglog.Options{}, event, warn)
	}
	pg.RequireTime = true
	defer pg.Close()
	var last time.Time // the time of the line before
	flush := func() {
		if p == nil {
			return
		}
		text := strings.TrimSuffix(strings.TrimSuffix(p.msg.String(), "\n"), "\r")
		if !p.cut && !strings.Contains(text, "\n") && pg.Take(textio.SafeString(text), p.line, p.off, p.t, "the Docker json-file time of its line") {
			p = nil
			return
		}
		event(makeEvent(p, id, o))
		p = nil
	}
	for {
		b, line, off, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: off, Message: "docker json-file: " + err.Error()})
			if errors.Is(err, textio.ErrLineTooLong) {
				continue
			}
			flush()
			return fmt.Errorf("dockerlog: reading %s: %w", o.Entry, err)
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil || rec.Log == nil {
			msg := "not a json-file record (no \"log\" field)"
			if err != nil {
				msg = "not a json-file record: " + err.Error()
			}
			warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: off, Message: "docker json-file: " + msg})
			continue
		}
		t, tnote, tok := parseTime(rec.Time)
		if !tok {
			switch {
			case !last.IsZero():
				t, tnote = last, "Docker json-file \"time\" unreadable: the time of the line before (the file is in time order)"
			case !o.ModTime.IsZero():
				t, tnote = o.ModTime, "Docker json-file \"time\" unreadable, and no line before: the file's mtime, an upper bound"
			default:
				tnote = "Docker json-file \"time\" unreadable, no line before it and no mtime: no time"
			}
			warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: off, Message: fmt.Sprintf("docker json-file: time %q unreadable: %s", textio.Cut(textio.SafeString(rec.Time), 64), tnote)})
		} else {
			last = t
		}
		if p != nil && p.stream != rec.Stream {
			// a partial message never continues on another stream
			flush()
		}
		if p == nil {
			p = &pending{stream: rec.Stream, t: t, timeNote: tnote, line: line, off: off, attrs: rec.Attrs, firstOrigin: string(b)}
		}
		p.pieces++
		if p.msg.Len()+len(*rec.Log) > MaxMessage {
			if !p.cut {
				warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: off, Message: fmt.Sprintf("docker json-file: message joined from partial lines exceeds %d bytes: cut", MaxMessage)})
			}
			p.cut = true
		} else {
			p.msg.WriteString(*rec.Log)
		}
		// json-file ends every complete message with "\n"; a piece without
		// it is a partial message (moby splits at 16 KiB) continued next line.
		if strings.HasSuffix(*rec.Log, "\n") {
			flush()
		}
	}
	flush()
	return nil
}

func makeEvent(p *pending, id string, o timeline.Origin) timeline.Event {
	msg := strings.TrimSuffix(p.msg.String(), "\n")
	msg = strings.TrimSuffix(msg, "\r")
	msg = textio.SafeString(msg)
	ev := timeline.Event{
		Timestamp: p.t.UTC(),
		Message:   msg,
		Event: timeline.EventFields{
			Kind:     "event",
			Type:     []string{"info"},
			Action:   "container-log",
			Dataset:  Dataset,
			Original: textio.Cut(textio.SafeString(p.firstOrigin), textio.MaxOriginal),
		},
		Labels: map[string]string{"stream": textio.Cut(textio.SafeString(p.stream), 32)},
		Cordon: timeline.Cordon{
			TimeMeaning:    timeline.MeaningLogged,
			TimeDerivation: p.timeNote,
			Provenance:     o.Provenance(p.line, p.off),
		},
	}
	if o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	if id != "" {
		ev.Container = &timeline.Container{ID: id}
	}
	if p.pieces > 1 {
		ev.Labels["partial_pieces"] = fmt.Sprint(p.pieces)
	}
	if p.cut {
		ev.Labels["truncated"] = "true"
	}
	keys := make([]string, 0, len(p.attrs))
	for k := range p.attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(ev.Labels) >= 32 {
			break
		}
		ev.Labels["attr."+textio.Cut(textio.SafeString(k), 64)] = textio.Cut(textio.SafeString(p.attrs[k]), 256)
	}
	return ev
}

// SettingPGLogLinePrefix names, in Origin.Settings, the log_line_prefix of
// a PostgreSQL server whose lines the log may hold.
const SettingPGLogLinePrefix = "postgresql.log_line_prefix"

// timeLayouts are the forms of "time" read besides RFC 3339 with its zone.
var timeLayouts = []struct{ layout, note string }{
	{"2006-01-02T15:04:05.999999999Z0700", "RFC 3339, an offset without a colon"},
	{"2006-01-02T15:04:05.999999999", "RFC 3339 without a zone: read as UTC, the daemon's own"},
	{"2006-01-02 15:04:05.999999999Z07:00", "RFC 3339 with a space for the \"T\""},
	{"2006-01-02 15:04:05.999999999", "RFC 3339 with a space for the \"T\" and no zone: read as UTC, the daemon's own"},
}

// parseTime reads a json-file "time" and says how.
func parseTime(s string) (time.Time, string, bool) {
	const daemon = "Docker json-file \"time\": when the daemon read the line from the container"
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		note := daemon + " (RFC 3339, nanoseconds, UTC)"
		if _, off := t.Zone(); off != 0 {
			note = daemon + " (RFC 3339 with an offset)"
		}
		return t, note, true
	}
	if len(s) < 19 || len(s) > 64 {
		return time.Time{}, "", false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			return t, daemon + " (" + l.note + ")", true
		}
	}
	return time.Time{}, "", false
}

// ParseBytes parses a whole log held in memory into a Result.
func ParseBytes(b []byte, o timeline.Origin) timeline.Result {
	var res timeline.Result
	_ = Parse(bytes.NewReader(b), o,
		func(e timeline.Event) { res.Events = append(res.Events, e) },
		func(w timeline.Warning) { res.Warnings = append(res.Warnings, w) })
	return res
}
