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
