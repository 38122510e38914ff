package main

import (
	"context"
	"testing"

	"github.com/cordon-forensics/cordon/analyzer"
	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/analyzer/sigma"
	"github.com/cordon-forensics/cordon/timeline"
)

// sigmaFindings analyzes a bundle and runs the Sigma rules of dir over it.
func sigmaFindings(t *testing.T, bundle, dir string) []findings.Finding {
	t.Helper()
	ctx := context.Background()
	caseDir := t.TempDir()
	if _, err := analyzer.AnalyzeBundle(ctx, caseDir, bundle, analyzer.AnalyzeOptions{}); err != nil {
		t.Fatal(err)
	}
	c, err := analyzer.OpenCase(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	set, err := sigma.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := sigma.NewEngine(set)
	if err := c.Events(ctx, analyzer.Query{}, func(ev timeline.Event) error { e.Add(&ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return e.Findings()
}
