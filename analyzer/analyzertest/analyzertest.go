package analyzertest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/timeline"
)

// Analyze analyzes the bundles into a new case under a temporary
// directory, opens it and closes it when the test ends.
func Analyze(t testing.TB, o pipeline.Options, bundles ...string) *casestore.Case {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "case")
	for _, p := range bundles {
		if _, err := pipeline.AnalyzeBundle(context.Background(), dir, p, o); err != nil {
			t.Fatalf("analyzing %s: %v", p, err)
		}
	}
	c, err := casestore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Events returns every event q selects in the case, in time order.
func Events(t testing.TB, c *casestore.Case, q casestore.Query) []timeline.Event {
	t.Helper()
	var out []timeline.Event
	if err := c.Events(context.Background(), q, func(ev timeline.Event) error {
		out = append(out, ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
