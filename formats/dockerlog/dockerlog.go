// Package dockerlog reads Docker's json-file container logs: one JSON object
// a line, {"log":"…\n","stream":"stdout","time":"2026-03-17T08:26:01.123456789Z"},
// as the json-file logging driver writes them
// (https://docs.docker.com/engine/logging/drivers/json-file/, moby
// daemon/logger/jsonfilelog). Each line becomes one event; a message the
// daemon split into 16 KiB pieces (a "log" without its final newline) is
// joined again, bounded. The container id comes from the file's path,
// /var/lib/docker/containers/<id>/<id>-json.log.
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
	flush := func() {
		if p == nil {
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
		t, terr := time.Parse(time.RFC3339Nano, rec.Time)
		if terr != nil {
			warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: off, Message: fmt.Sprintf("docker json-file: bad time %q: kept with a zero time", textio.Cut(textio.SafeString(rec.Time), 64))})
		}
		if p != nil && p.stream != rec.Stream {
			// a partial message never continues on another stream
			flush()
		}
		if p == nil {
			p = &pending{stream: rec.Stream, t: t, line: line, off: off, attrs: rec.Attrs, firstOrigin: string(b)}
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
			TimeDerivation: "Docker json-file \"time\": when the daemon read the line from the container (RFC 3339, nanoseconds, UTC)",
			Provenance:     o.Provenance(p.line, p.off),
		},
	}
	if p.t.IsZero() {
		ev.Cordon.TimeDerivation = "Docker json-file line without a readable \"time\": no time"
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

// ParseBytes parses a whole log held in memory into a Result.
func ParseBytes(b []byte, o timeline.Origin) timeline.Result {
	var res timeline.Result
	_ = Parse(bytes.NewReader(b), o,
		func(e timeline.Event) { res.Events = append(res.Events, e) },
		func(w timeline.Warning) { res.Warnings = append(res.Warnings, w) })
	return res
}
