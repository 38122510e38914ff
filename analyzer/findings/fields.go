package findings

import (
	"strconv"

	"github.com/cordon-forensics/cordon/timeline"
)

// Field returns the value of an ECS-style dotted field of ev ("" when
// absent). This is the one place that says which event fields rules can
// read; rules name fields exactly as the event's JSON form does, and
// "labels.<key>" reads a parser label.
func Field(ev *timeline.Event, name string) string {
	switch name {
	case "event.dataset":
		return ev.Event.Dataset
	case "event.action":
		return ev.Event.Action
	case "event.outcome":
		return ev.Event.Outcome
	case "event.original":
		return ev.Event.Original
	case "message":
		return ev.Message
	}
	if p := ev.Process; p != nil {
		switch name {
		case "process.pid":
			return itoa(p.PID)
		case "process.name":
			return p.Name
		case "process.executable":
			return p.Executable
		case "process.command_line":
			return p.CommandLine
		case "process.hash.sha256":
			if p.Hash != nil {
				return p.Hash.SHA256
			}
		}
		if q := p.Parent; q != nil {
			switch name {
			case "process.parent.pid":
				return itoa(q.PID)
			case "process.parent.name":
				return q.Name
			case "process.parent.executable":
				return q.Executable
			}
		}
	}
	if d := ev.Destination; d != nil {
		switch name {
		case "destination.ip":
			return d.IP
		case "destination.port":
			return itoa(int64(d.Port))
		}
	}
	if s := ev.Source; s != nil {
		switch name {
		case "source.ip":
			return s.IP
		case "source.port":
			return itoa(int64(s.Port))
		}
	}
	if u := ev.User; u != nil && name == "user.name" {
		return u.Name
	}
	if f := ev.File; f != nil && name == "file.path" {
		return f.Path
	}
	if n := ev.Network; n != nil {
		switch name {
		case "network.transport":
			return n.Transport
		case "network.protocol":
			return n.Protocol
		}
	}
	const lp = "labels."
	if len(name) > len(lp) && name[:len(lp)] == lp {
		return ev.Labels[name[len(lp):]]
	}
	return ""
}

func itoa(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
