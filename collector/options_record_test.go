package collector

import (
	"testing"
	"time"
)

func TestOptionsRecordIsExact(t *testing.T) {
	o := DefaultOptions()
	o.MaxFileSize = 256 << 20
	o.TimelineBudget = 2 * time.Minute
	o.SuspectDirs = []string{"/tmp", "/dir with space"}
	o.TargetPIDs = nil
	got := o.Record()
	for k, want := range map[string]string{
		"MaxFileSize":    "268435456",
		"TimelineBudget": "2m0s",
		"SuspectDirs":    `["/tmp","/dir with space"]`,
		"TargetPIDs":     "[]",
		"Root":           "/",
		"CollectShadow":  "false",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
}
