package sigma

import (
	"testing"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

func sigmaHQ(t testing.TB) string { return testenv.Shared(t, "sigma", "rules-linux") }

// SigmaHQ's 210 Linux rules all load, and every one can match some event
// Cordon has (the README states these counts).
func TestSigmaHQLoads(t *testing.T) {
	set, err := Load(sigmaHQ(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range set.Failures {
		t.Errorf("not parsed: %s: %s", f.File, f.Reason)
	}
	na := 0
	for _, r := range set.Rules {
		if !r.Applicable {
			na++
			t.Logf("not applicable: %s: %s", r.File, r.NotApplicable)
		}
		if r.Author == "" {
			t.Errorf("%s: no author", r.File)
		}
	}
	if set.Files != 210 || len(set.Rules) != 210 || na != 0 {
		t.Errorf("%d files, %d rules, %d not applicable; want 210, 210, 0", set.Files, len(set.Rules), na)
	}
}

func TestSigmaHQCheck(t *testing.T) {
	set, err := Load(sigmaHQ(t))
	if err != nil {
		t.Fatal(err)
	}
	c := set.Check()
	t.Logf("%+v", c.ByLogsource)
	// 28 rules of SigmaHQ's Linux set search keywords: 26 with lists of
	// values (what sigma-go calls keywords and does not evaluate), 2 only
	// with a '|all' map of no field name; the logsources add up to the 210.
	if c.Keyword != 28 || c.Loaded != 210 || c.Applicable != 210 || len(c.NotParsed) != 0 {
		t.Errorf("check: %d keyword rules, %d loaded, %d applicable, %d not parsed", c.Keyword, c.Loaded, c.Applicable, len(c.NotParsed))
	}
	n := 0
	for _, k := range c.ByLogsource {
		n += k
	}
	if n != 210 || c.ByLogsource["product linux, category process_creation"] != 122 || c.ByLogsource["product linux, service auditd"] != 53 {
		t.Errorf("by logsource: %v", c.ByLogsource)
	}
}
