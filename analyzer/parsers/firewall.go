package parsers

import (
	"fmt"
	"io"
	"strconv"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/config"
	"github.com/cordon-forensics/cordon/timeline"
)

// Firewall rule files (collector source "exposure"): one state event per
// file (dataset "firewall", action "firewall-rules", labels.rules the
// count of filtering rules), which CORDON-EXP-009 reads.
func init() {
	Register(Parser{
		Name:  "firewall",
		Match: func(e bundle.EntryRecord) bool { return config.FirewallKind(e.HostPathBytes()) != "" },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			hp := o.HostPath
			f := config.ParseFirewall(config.FirewallKind(hp), io.LimitReader(r, 64<<20))
			rules := f.Rules
			if f.Kind == "ufw-conf" {
				rules = 0 // the switch, not a rule: ufw's rules are in user.rules
			}
			msg := fmt.Sprintf("firewall file %s (%s): %d filtering rules", hp, f.Kind, rules)
			if f.Kind == "ufw-conf" {
				msg = fmt.Sprintf("ufw configuration %s: enabled=%v", hp, f.UFWOn)
			}
			ev := timeline.Event{Timestamp: o.ModTime.UTC(), Message: msg,
				Event:  timeline.EventFields{Kind: "state", Category: []string{"configuration", "network"}, Type: []string{"info"}, Action: "firewall-rules", Dataset: "firewall"},
				File:   &timeline.File{Path: hp},
				Labels: map[string]string{"rules": strconv.Itoa(rules), "firewall.kind": f.Kind, "ufw.enabled": strconv.FormatBool(f.UFWOn)},
				Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningModified, TimeDerivation: "the firewall file's mtime", Provenance: o.Provenance(0, 0)}}
			if o.Host != "" {
				ev.Host = &timeline.Host{Name: o.Host}
			}
			emit.Event(ev)
			return nil
		},
	})
}
