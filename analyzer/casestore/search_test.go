package casestore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
)

// TestSearchAcrossManyBundles: Search, which asks the bundles a few at a
// time in the order of their first events and stops early, finds the same
// first events, in the same order, and the same total, as a walk of every
// event; over bundles of several hosts and days that overlap in time, with
// events of different bundles at the same instant.
func TestSearchAcrossManyBundles(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for day := 0; day < 3; day++ {
		for h := 0; h < 4; h++ {
			host := fmt.Sprintf("h%d", h)
			var lines []string
			for i := 0; i < 60; i++ {
				// Every 10 minutes, the same instant on every host; in between, each its own.
				d := time.Duration(day)*24*time.Hour + time.Duration(i)*5*time.Minute
				if i%2 == 1 {
					d += time.Duration(h+1) * time.Second
				}
				action := "ssh-login-failed"
				if i%7 == 0 {
					action = "ssh-login"
				}
				lines = append(lines, fmt.Sprintf("%s|%s||%d|203.0.113.%d|%s day %d line %d", ts(d), action, 100+i, 1+i%3, host, day, i))
			}
			paths = append(paths, writeTestBundle(t, dir, fmt.Sprintf("%s-%d.cordon", host, day), host,
				[]testEntry{{name: testPrefix + "auth", mtime: t0.Add(time.Hour), data: strings.Join(lines, "\n") + "\n"}}))
		}
	}
	caseDir := filepath.Join(dir, "case")
	if _, err := pipeline.AnalyzeBundles(context.Background(), caseDir, paths, pipeline.Options{}, pipeline.Run{Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	c, err := Open(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range []Query{
		{Query: "event.action:ssh-login"},
		{Query: "source.ip:203.0.113.2"},
		{Query: "source.ip:203.0.113.2", Hosts: []string{"h1", "h3"}},
		{From: t0.Add(24*time.Hour + 30*time.Minute), To: t0.Add(26 * time.Hour)},
		{Query: "event.action:ssh-login", From: t0.Add(47 * time.Hour)},
		{Query: "event.action:nothing"},
	} {
		want := collect(t, c, q)
		for _, limit := range []int{0, 1, 7, 50, 1000} {
			total, hits, err := c.Search(context.Background(), q, limit)
			if err != nil {
				t.Fatal(err)
			}
			if int(total) != len(want) {
				t.Errorf("%+v: total %d, want %d", q, total, len(want))
			}
			n := min(limit, len(want))
			if len(hits) != n {
				t.Errorf("%+v limit %d: %d hits, want %d", q, limit, len(hits), n)
				continue
			}
			for i := 0; i < n; i++ {
				if hits[i].Event.Message != want[i].Message || !hits[i].Event.Timestamp.Equal(want[i].Timestamp) {
					t.Errorf("%+v limit %d: hit %d is %q at %v, want %q at %v", q, limit, i, hits[i].Event.Message, hits[i].Event.Timestamp, want[i].Message, want[i].Timestamp)
					break
				}
			}
		}
	}
}
