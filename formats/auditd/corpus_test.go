package auditd

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// TestCorpusEnriched: plaso's audit_enriched.log as its README says: 29
// records; serial 485 an execve with PID 2219, PPID 2176, session 8; the
// translated fields after 0x1d read; and each record type its own action
// (the LOGIN carried by a write(2) is a login, not "syscall-write").
func TestCorpusEnriched(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.Corpus(t, "plaso"), "audit_enriched.log"))
	if err != nil {
		t.Fatal(err)
	}
	res := ParseBytes(b, timeline.Origin{Entry: "fs/var/log/audit/audit.log"})
	if len(res.Warnings) != 0 {
		t.Errorf("warnings %+v", res.Warnings)
	}
	records := 0
	bySerial := map[string]timeline.Event{}
	for _, e := range res.Events {
		n, _ := strconv.Atoi(e.Labels["audit.records"])
		records += n
		bySerial[e.Labels["audit.serial"]] = e
		if e.Event.Action == "syscall-write" {
			t.Errorf("serial %s (%s) read as a write", e.Labels["audit.serial"], e.Labels["audit.record_types"])
		}
	}
	if records != 29 {
		t.Errorf("%d records in %d events, want 29", records, len(res.Events))
	}
	x := bySerial["485"]
	if x.Event.Action != "process-executed" || x.Process.PID != 2219 || x.Process.Parent == nil || x.Process.Parent.PID != 2176 ||
		x.Labels["audit.ses"] != "8" || x.Process.CommandLine != "id" || x.User.Name != "root" || x.Labels["audit.syscall"] != "execve" {
		t.Errorf("serial 485: %s %+v %v", x.Event.Action, x.Process, x.Labels)
	}
	for serial, want := range map[string]struct{ action, user string }{
		"447": {"login-uid-set", "root"},
		"399": {"user-deleted", "specimenuser"},
		"408": {"user-added", "specimenuser"},
		"423": {"user-command", "root"},
		"441": {"user-auth", "root"},
		"444": {"user-acct", "root"},
		"446": {"credentials-acquired", "root"},
		"448": {"user-role-change", "root"},
		"449": {"session-start", "root"},
	} {
		e, ok := bySerial[serial]
		if !ok {
			t.Errorf("no event of serial %s", serial)
			continue
		}
		name := ""
		if e.User != nil {
			name = e.User.Name
		}
		if e.Event.Action != want.action || name != want.user {
			t.Errorf("serial %s (%s): %s user %q, want %s %q", serial, e.Labels["audit.record_types"], e.Event.Action, name, want.action, want.user)
		}
	}
	if l := bySerial["447"]; l.Labels["audit.OLD-AUID"] != "unset" || l.Labels["audit.AUID"] != "root" || l.Labels["audit.ses"] != "7" || l.Cordon.TimeMeaning != timeline.MeaningLogin {
		t.Errorf("LOGIN: %v", l.Labels)
	}
}
