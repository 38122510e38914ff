// Package shellhistory reads shell history files into "command run" events:
//
//   - bash (~/.bash_history; also sh, ash, mksh histories of the same
//     shape): one command a line, except that a command left incomplete (a
//     trailing backslash, an open quote, a here-document) goes on over the
//     next lines (bashsyntax.go); when HISTTIMEFORMAT was set, bash writes a
//     "#<epoch seconds>" line before each command (bash(1), HISTORY).
//   - zsh (~/.zsh_history, ~/.histfile): plain lines, or with
//     EXTENDED_HISTORY ": <start epoch>:<elapsed seconds>;<command>"
//     (zshoptions(1)); a line ending in a backslash continues on the next;
//     bytes are "metafied" (0x83 then the byte xor 0x20, zsh's Src/utils.c).
//   - fish (~/.local/share/fish/fish_history): "- cmd: …" / "  when: <epoch>".
//
// A command without its own time gets the file's mtime as an upper bound (it
// ran at or before that) and says so in TimeDerivation. The user comes from
// the path: /home/<user>/… or /root/….
package shellhistory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// Dataset is the event.dataset of history events.
const Dataset = "shell-history"

// MaxLine bounds one history line; MaxCommand a command joined from lines.
const (
	MaxLine    = 1 << 20
	MaxCommand = 1 << 20
)

// Shell says which history format a file holds.
type Shell string

// Shells known by their history file names.
const (
	Bash Shell = "bash"
	Zsh  Shell = "zsh"
	Fish Shell = "fish"
)

// ShellFor returns the shell whose history a path names ("" if none).
func ShellFor(hostPath string) Shell {
	switch path.Base(hostPath) {
	case ".bash_history", ".sh_history", ".ash_history", ".mksh_history", ".history":
		return Bash
	case ".zsh_history", ".zhistory", ".histfile":
		return Zsh
	case "fish_history":
		return Fish
	}
	return ""
}

// UserFor returns the user whose home holds hostPath: "root" under /root/,
// <u> under /home/<u>/, else "".
func UserFor(hostPath string) string {
	if strings.HasPrefix(hostPath, "/root/") {
		return "root"
	}
	if rest, ok := strings.CutPrefix(hostPath, "/home/"); ok {
		if u, _, ok := strings.Cut(rest, "/"); ok && u != "" {
			return u
		}
	}
	return ""
}

// command is one history entry being built.
type command struct {
	text      strings.Builder
	line, off int64
	t         time.Time
	hasTime   bool
	elapsed   int64 // zsh extended: seconds, -1 unknown
	sameStamp bool  // bash: another command already used this timestamp
	cut       bool
	raw       string
}

// Parse reads a history file from r. The shell comes from the origin's
// path (ShellFor); an unknown name is read as bash.
func Parse(r io.Reader, o timeline.Origin, event func(timeline.Event), warn func(timeline.Warning)) error {
	hp := textio.HostPath(o)
	shell := ShellFor(hp)
	if shell == "" {
		shell = Bash
	}
	p := &parser{o: o, shell: shell, user: UserFor(hp), event: event, warn: warn}
	lr := textio.NewReader(r, MaxLine)
	for {
		b, line, off, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.warnf(line, off, "%v", err)
			if errors.Is(err, textio.ErrLineTooLong) {
				p.flush() // a cut command: do not glue what follows onto it
				continue
			}
			p.flush()
			return fmt.Errorf("shellhistory: reading %s: %w", o.Entry, err)
		}
		p.index++
		switch shell {
		case Zsh:
			p.zshLine(b, line, off)
		case Fish:
			p.fishLine(b, line, off)
		default:
			p.bashLine(b, line, off)
		}
	}
	p.flush()
	if p.untimed > 0 && o.ModTime.IsZero() {
		p.warnf(0, 0, "%d commands have no time of their own and the file's mtime is unknown: they carry no time", p.untimed)
	}
	return nil
}

type parser struct {
	o       timeline.Origin
	shell   Shell
	user    string
	event   func(timeline.Event)
	warn    func(timeline.Warning)
	cur     *command
	index   int64 // lines read
	seq     int64 // commands emitted
	untimed int

	// bash
	stamp     time.Time
	haveStamp bool
	stampUsed bool
	syntax    bashSyntax
	bashOpen  bool // the current command continues on the next line
	// zsh
	continued bool
}

func (p *parser) warnf(line, off int64, format string, args ...any) {
	p.warn(timeline.Warning{Entry: p.o.Entry, Line: line, Offset: off, Message: p.o.Entry + ": shell history: " + fmt.Sprintf(format, args...)})
}

// bashStamp parses a "#<digits>" line (bash's history comment character
// followed by the epoch; bash itself checks "#" then a digit).
func bashStamp(b []byte) (time.Time, bool) {
	if len(b) < 2 || b[0] != '#' {
		return time.Time{}, false
	}
	s := strings.TrimRight(string(b[1:]), "\r ")
	if len(s) == 0 || len(s) > 12 {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}

func (p *parser) bashLine(b []byte, line, off int64) {
	if p.cur != nil && p.bashOpen {
		// the command of the line before is not complete: this line is part
		// of it (a backslash, an open quote, a here-document; bashsyntax.go)
		p.appendText("\n", b)
		p.appendRaw(b)
		if p.bashOpen = p.syntax.feed(string(b)); !p.bashOpen {
			p.flush()
		}
		return
	}
	if t, ok := bashStamp(b); ok {
		p.flush()
		p.stamp, p.haveStamp, p.stampUsed = t, true, false
		return
	}
	// Otherwise each line is a command, even between two timestamps: bash
	// saves a complete multi-line command on one line unless lithist is
	// set, and a line that is a whole command is one.
	p.flush()
	p.syntax = bashSyntax{}
	p.bashOpen = p.syntax.feed(string(b))
	p.begin(line, off, b)
	if p.haveStamp {
		p.cur.t, p.cur.hasTime = p.stamp, true
		p.cur.sameStamp = p.stampUsed
		p.stampUsed = true
	}
	p.appendText("", b)
}

// unmetafy undoes zsh's metafication of history bytes.
func unmetafy(b []byte) []byte {
	if bytes.IndexByte(b, 0x83) < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == 0x83 && i+1 < len(b) {
			i++
			out = append(out, b[i]^0x20)
			continue
		}
		out = append(out, b[i])
	}
	return out
}

func (p *parser) zshLine(b []byte, line, off int64) {
	b = unmetafy(b)
	if p.continued && p.cur != nil {
		p.continued = false
		text, more := zshContinues(b)
		p.appendText("\n", text)
		p.continued = more
		if !more {
			p.flush()
		}
		return
	}
	p.flush()
	p.begin(line, off, b)
	body := b
	// ": 1700000000:0;command"
	if len(b) > 2 && b[0] == ':' && b[1] == ' ' {
		if semi := bytes.IndexByte(b, ';'); semi > 0 {
			head := string(b[2:semi])
			if start, dur, ok := strings.Cut(head, ":"); ok {
				ts, err1 := strconv.ParseInt(start, 10, 64)
				el, err2 := strconv.ParseInt(dur, 10, 64)
				if err1 == nil && err2 == nil && ts >= 0 && len(start) <= 12 {
					p.cur.t, p.cur.hasTime, p.cur.elapsed = time.Unix(ts, 0).UTC(), true, el
					body = b[semi+1:]
				} else {
					p.warnf(line, off, "malformed extended-history header %q: read as a plain command", textio.Cut(textio.Safe(b[:semi]), 64))
				}
			}
		}
	}
	text, more := zshContinues(body)
	p.appendText("", text)
	p.continued = more
	if !more {
		p.flush()
	}
}

// zshContinues strips the backslash zsh writes before an embedded newline.
func zshContinues(b []byte) ([]byte, bool) {
	if n := len(b); n > 0 && b[n-1] == '\\' {
		return b[:n-1], true
	}
	return b, false
}

func (p *parser) fishLine(b []byte, line, off int64) {
	s := string(b)
	switch {
	case strings.HasPrefix(s, "- cmd: "):
		p.flush()
		p.begin(line, off, b)
		p.appendText("", []byte(fishUnescape(s[len("- cmd: "):])))
	case strings.HasPrefix(s, "  when: ") && p.cur != nil:
		if n, err := strconv.ParseInt(strings.TrimSpace(s[len("  when: "):]), 10, 64); err == nil && n >= 0 {
			p.cur.t, p.cur.hasTime = time.Unix(n, 0).UTC(), true
		} else {
			p.warnf(line, off, "bad fish 'when' value")
		}
	case strings.HasPrefix(s, "  paths:"), strings.HasPrefix(s, "    - "):
		// files the command named: not kept
	case strings.TrimSpace(s) == "":
	default:
		p.warnf(line, off, "unexpected line in a fish history")
	}
}

// fishUnescape undoes fish's "\\" and "\n" escapes in a history command.
func fishUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			case '\\':
				b.WriteByte('\\')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (p *parser) begin(line, off int64, raw []byte) {
	p.cur = &command{line: line, off: off, elapsed: -1, raw: textio.Cut(textio.Safe(raw), textio.MaxOriginal)}
}

// appendRaw adds a line to the command's original text (bounded).
func (p *parser) appendRaw(b []byte) {
	if c := p.cur; len(c.raw) < textio.MaxOriginal {
		c.raw = textio.Cut(c.raw+"\n"+textio.Safe(b), textio.MaxOriginal)
	}
}

func (p *parser) appendText(sep string, b []byte) {
	c := p.cur
	if c.text.Len()+len(sep)+len(b) > MaxCommand {
		c.cut = true
		return
	}
	c.text.WriteString(sep)
	c.text.Write(b)
}

func (p *parser) flush() {
	c := p.cur
	if c == nil {
		return
	}
	p.cur = nil
	p.continued, p.bashOpen = false, false
	cmd := strings.TrimRight(c.text.String(), "\r")
	if strings.TrimSpace(cmd) == "" { // a blank line is no command
		return
	}
	p.seq++
	cmd = textio.SafeString(cmd)
	ev := timeline.Event{
		Message: cmd,
		Event: timeline.EventFields{
			Kind:     "event",
			Category: []string{"process"},
			Type:     []string{"start"},
			Action:   "command-run",
			Dataset:  Dataset,
			Original: c.raw,
		},
		Process: &timeline.Process{CommandLine: cmd, Name: firstWord(cmd)},
		Labels: map[string]string{
			"shell":         string(p.shell),
			"history_index": strconv.FormatInt(p.seq, 10),
		},
		Cordon: timeline.Cordon{
			TimeMeaning: timeline.MeaningCommand,
			Provenance:  p.o.Provenance(c.line, c.off),
		},
	}
	if p.o.Host != "" {
		ev.Host = &timeline.Host{Name: p.o.Host}
	}
	if p.user != "" {
		ev.User = &timeline.User{Name: p.user}
		ev.Process.User = &timeline.User{Name: p.user}
	}
	if c.cut {
		ev.Labels["truncated"] = "true"
	}
	switch {
	case c.hasTime && p.shell == Bash:
		ev.Timestamp = c.t
		ev.Cordon.TimeDerivation = "bash history: the \"#<epoch>\" line before the command (HISTTIMEFORMAT set): when the command was entered, to the second"
		if c.sameStamp {
			ev.Cordon.TimeDerivation = "bash history: the nearest \"#<epoch>\" line before the command; another command already used it, so this one ran at or after that time"
		}
	case c.hasTime && p.shell == Zsh:
		ev.Timestamp = c.t
		ev.Cordon.TimeDerivation = "zsh extended history: \": <start>:<elapsed>;\" start time of the command, to the second"
		ev.Labels["elapsed_seconds"] = strconv.FormatInt(c.elapsed, 10)
	case c.hasTime:
		ev.Timestamp = c.t
		ev.Cordon.TimeDerivation = "fish history: the command's \"when\" time, to the second"
	case !p.o.ModTime.IsZero():
		p.untimed++
		ev.Timestamp = p.o.ModTime.UTC()
		ev.Cordon.TimeMeaning = timeline.MeaningCommand + " (at or before)"
		ev.Cordon.TimeDerivation = "history line without a time: the history file's mtime, an upper bound (the command ran at or before it; history_index gives the order)"
	default:
		p.untimed++
		ev.Cordon.TimeMeaning = timeline.MeaningCommand + " (at or before)"
		ev.Cordon.TimeDerivation = "history line without a time, and the history file's mtime was not known: no time (history_index gives the order)"
	}
	p.event(ev)
}

// firstWord returns the program a command line starts with (after
// variable assignments), for process.name.
func firstWord(cmd string) string {
	for _, f := range strings.Fields(cmd) {
		if strings.Contains(f, "=") && !strings.HasPrefix(f, "=") {
			continue
		}
		if f == "sudo" || f == "nohup" || f == "exec" {
			continue
		}
		return textio.Cut(path.Base(f), 256)
	}
	return ""
}

// ParseBytes parses a whole history held in memory into a Result.
func ParseBytes(b []byte, o timeline.Origin) timeline.Result {
	var res timeline.Result
	_ = Parse(bytes.NewReader(b), o,
		func(e timeline.Event) { res.Events = append(res.Events, e) },
		func(w timeline.Warning) { res.Warnings = append(res.Warnings, w) })
	return res
}
