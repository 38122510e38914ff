package fleet

import (
	"fmt"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
)

// Rule is what a fleet finding of one kind says: its id, title, severity,
// ATT&CK technique and why it matters. They are Go, not YAML: no rule over
// the events of one host can make them.
type Rule struct {
	ID       string
	Title    string // "%d" (hosts) and "%s" (the value) are filled in
	Severity string
	Attack   findings.Attack
	Why      string
}

// Rules are the fleet findings, by kind. An address gets T1021 when it
// came in (it was the source on some host), T1071 when the hosts only
// reached out to it.
var Rules = map[Kind]Rule{
	Address: {ID: "CORDON-FLEET-001", Title: "The same attacker address on %d hosts: %s", Severity: "high",
		Attack: findings.Attack{ID: "T1021", Name: "Remote Services"},
		Why:    "One address the correlation tied to the attack on one host appears on others: treat every host it reached as compromised, in the order shown, and block it."},
	Wallet: {ID: "CORDON-FLEET-002", Title: "The same mining wallet on %d hosts: %s", Severity: "high",
		Attack: findings.Attack{ID: "T1496", Name: "Resource Hijacking"},
		Why:    "One wallet collects what every host mines: the same intruder, or the same automated campaign, runs the miner on all of them."},
	Pool: {ID: "CORDON-FLEET-003", Title: "The same mining pool on %d hosts: %s", Severity: "high",
		Attack: findings.Attack{ID: "T1496", Name: "Resource Hijacking"},
		Why:    "The hosts mine for the same pool: block it at the egress and look for the miner on every host of the fleet, not only these."},
	Executable: {ID: "CORDON-FLEET-004", Title: "The same recovered executable on %d hosts: sha256 %s", Severity: "high",
		Attack: findings.Attack{ID: "T1570", Name: "Lateral Tool Transfer"},
		Why:    "The identical binary runs from a suspect place on several hosts: it was brought to each of them; search the rest of the fleet for its hash."},
	CommandLine: {ID: "CORDON-FLEET-005", Title: "The same suspicious command line on %d hosts: %s", Severity: "high",
		Attack: findings.Attack{ID: "T1059", Name: "Command and Scripting Interpreter"},
		Why:    "The same command was run on several hosts: one playbook was replayed against each; its first host shows how it began."},
	SSHKey: {ID: "CORDON-FLEET-006", Title: "The same SSH key, used by the attacker, accepted on %d hosts: %s", Severity: "high",
		Attack: findings.Attack{ID: "T1021.004", Name: "Remote Services: SSH"},
		Why:    "A key the attacker logged in with opens several hosts: remove it from every authorized_keys file of the fleet and rotate what it reached."},
}

// maxEvidenceHosts bounds the hosts whose first and last sightings are
// cited as evidence (every host is named in the instances).
const maxEvidenceHosts = 50

// Findings turns spreads into findings: one per value, its instances
// naming every host in the order reached, its evidence the first and last
// sighting on each.
func Findings(spreads []Spread) []findings.Finding {
	var out []findings.Finding
	for _, sp := range spreads {
		r := Rules[sp.Kind]
		f := findings.Finding{RuleID: r.ID, Title: fmt.Sprintf(r.Title, len(sp.Hosts), cut(sp.Value, 200)),
			Severity: r.Severity, Attack: r.Attack, Why: r.Why + " (" + sp.Why + ".)"}
		if sp.Kind == Address && !cameIn(sp) {
			f.Attack = findings.Attack{ID: "T1071", Name: "Application Layer Protocol"}
		}
		f.Instances = append(f.Instances, "hosts in the order reached: "+strings.Join(sp.HostNames(), " → "))
		for i, h := range sp.Hosts {
			line := fmt.Sprintf("%d. %s: first %s, last %s, %d events", i+1, h.Host, stamp(h.First), stamp(h.Last), h.Events)
			if h.ClockOffset != nil {
				line += fmt.Sprintf(" (its clock was %+.3f s off: ordered by %s)", *h.ClockOffset, stamp(h.corrected()))
			}
			f.Instances = append(f.Instances, line)
			if i < maxEvidenceHosts {
				first, last := h.FirstRef, h.LastRef
				first.Message = h.Host + ", first: " + first.Message
				f.Evidence = append(f.Evidence, first)
				if h.Events > 1 && last != h.FirstRef {
					last.Message = h.Host + ", last: " + last.Message
					f.Evidence = append(f.Evidence, last)
				}
			}
		}
		out = append(out, f)
	}
	return out
}

// cameIn reports whether an address was the source of events on some host.
func cameIn(sp Spread) bool {
	for _, h := range sp.Hosts {
		if h.AsSource {
			return true
		}
	}
	return false
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
