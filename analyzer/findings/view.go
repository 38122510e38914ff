package findings

import (
	"encoding/json"
	"strconv"

	"github.com/cordon-forensics/cordon/timeline"
)

// view reads the fields of one event for the rules: Field's fast path
// first, then any other ECS name through the event's JSON form, flattened
// once per event ("a.b.c" → values; an array gives several values, and a
// condition holds if one of them matches; labels keep their keys whole:
// "labels.hba.method" is Labels["hba.method"]).
type view struct {
	ev   *timeline.Event
	flat map[string][]string
}

func (v *view) values(name string) []string {
	if s := Field(v.ev, name); s != "" {
		return []string{s}
	}
	if fastFields[name] {
		return nil
	}
	if v.flat == nil {
		v.flat = flatten(v.ev)
	}
	return v.flat[name]
}

// fastFields are the names Field reads itself: absent there, absent everywhere.
var fastFields = map[string]bool{
	"event.dataset": true, "event.action": true, "event.outcome": true, "event.original": true, "message": true,
	"process.pid": true, "process.name": true, "process.executable": true, "process.command_line": true,
	"process.hash.sha256": true, "process.parent.pid": true, "process.parent.name": true, "process.parent.executable": true,
	"destination.ip": true, "destination.port": true, "source.ip": true, "source.port": true, "user.name": true,
	"file.path": true, "network.transport": true, "network.protocol": true,
}

func flatten(ev *timeline.Event) map[string][]string {
	out := map[string][]string{}
	data, err := json.Marshal(ev)
	if err != nil {
		return out
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return out
	}
	var walk func(prefix string, x any)
	walk = func(prefix string, x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, v := range t {
				if prefix != "" {
					k = prefix + "." + k
				}
				walk(k, v)
			}
		case []any:
			for _, v := range t {
				walk(prefix, v)
			}
		case string:
			out[prefix] = append(out[prefix], t)
		case float64:
			out[prefix] = append(out[prefix], strconv.FormatFloat(t, 'f', -1, 64))
		case bool:
			out[prefix] = append(out[prefix], strconv.FormatBool(t))
		}
	}
	walk("", m)
	return out
}
