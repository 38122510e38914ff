package attest

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// Point is one build of a program in the bracketing.
type Point struct {
	Path     string    `json:"path"`
	Bundle   string    `json:"bundle"`
	Commit   string    `json:"commit,omitempty"`
	Builder  string    `json:"builder,omitempty"`
	Time     time.Time `json:"time,omitzero"`
	TimeFrom string    `json:"time_from,omitempty"`
	Verdict  string    `json:"verdict"`
}

func (p Point) describe() string {
	s := p.Path
	if p.Commit != "" {
		s = "commit " + p.Commit + " (" + p.Path + ")"
	}
	if !p.Time.IsZero() {
		s += " built at " + p.Time.UTC().Format(time.RFC3339)
		switch p.TimeFrom {
		case "mtime":
			s += " (by its mtime: no provenance)"
		case "observed":
			s += " (when it was seen running)"
		}
	}
	return s
}

// Golden is the bracketing of one program's builds: the last one
// identical to its trusted rebuild, the first that differs, and what the
// same builder built from then on.
type Golden struct {
	Program      string  `json:"program"`
	Builds       []Point `json:"builds"`
	LastGood     *Point  `json:"last_known_good,omitempty"`
	FirstTainted *Point  `json:"first_tainted,omitempty"`
	// Suspect is everything built by the first tainted build's builder
	// (or, without provenance, under the same artifacts directory) at or
	// after its time, whatever its verdict.
	Suspect []Point `json:"suspect,omitempty"`
	Text    string  `json:"text"`
}

func pointOf(it *Item) Point {
	return Point{Path: it.matchPath(), Bundle: it.Bundle, Commit: it.Commit, Builder: it.Builder, Time: it.Time, TimeFrom: it.TimeFrom, Verdict: it.Verdict}
}

// golden brackets every program that has several builds or a differing one.
func golden(items []Item) []Golden {
	groups := map[string][]*Item{}
	for i := range items {
		it := &items[i]
		if it.Kind != KindArtifact && it.Kind != KindExecutable {
			continue
		}
		if it.Verdict != VerdictIdentical && it.Verdict != VerdictDiffers {
			continue
		}
		name := path.Base(it.matchPath())
		groups[name] = append(groups[name], it)
	}
	// A running binary with the bytes of an artifact is that build, not
	// another one: keep one item per content, the artifact first.
	for name, g := range groups {
		sort.SliceStable(g, func(i, j int) bool { return kindOrder(g[i].Kind) > kindOrder(g[j].Kind) })
		seen := map[string]bool{}
		kept := g[:0]
		for _, it := range g {
			if it.SHA256 != "" && seen[it.SHA256] {
				continue
			}
			seen[it.SHA256] = true
			kept = append(kept, it)
		}
		groups[name] = kept
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Golden
	for _, name := range names {
		g := groups[name]
		// One build alone brackets nothing.
		if len(g) < 2 {
			continue
		}
		sort.SliceStable(g, func(i, j int) bool {
			a, b := g[i], g[j]
			if !a.Time.Equal(b.Time) {
				return a.Time.Before(b.Time)
			}
			if a.Commit != b.Commit {
				return a.Commit < b.Commit
			}
			return a.matchPath() < b.matchPath()
		})
		gp := Golden{Program: name}
		tainted := -1
		for i, it := range g {
			gp.Builds = append(gp.Builds, pointOf(it))
			if tainted < 0 && it.Verdict == VerdictDiffers {
				tainted = i
			}
		}
		limit := len(g)
		if tainted >= 0 {
			limit = tainted
			p := gp.Builds[tainted]
			gp.FirstTainted = &p
		}
		for i := limit - 1; i >= 0; i-- {
			if g[i].Verdict == VerdictIdentical {
				p := gp.Builds[i]
				gp.LastGood = &p
				break
			}
		}
		if tainted >= 0 {
			gp.Suspect = suspectAfter(items, g[tainted])
		}
		gp.Text = gp.text()
		out = append(out, gp)
	}
	return out
}

// suspectAfter lists what the tainted build's builder built at or after it.
func suspectAfter(items []Item, t *Item) []Point {
	var out []Point
	for i := range items {
		it := &items[i]
		if it.Kind != KindArtifact && it.Kind != KindExecutable || it.Time.Before(t.Time) {
			continue
		}
		same := t.Builder != "" && it.Builder == t.Builder ||
			t.Builder == "" && it.Kind == KindArtifact && it.Bundle == t.Bundle && it.Root == t.Root
		if same {
			out = append(out, pointOf(it))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].Path < out[j].Path
	})
	return out
}

func (g Golden) text() string {
	var parts []string
	if g.LastGood != nil {
		parts = append(parts, "last known-good: "+g.LastGood.describe())
	} else if g.FirstTainted != nil {
		parts = append(parts, "no known-good build of "+g.Program+" among those collected")
	}
	if g.FirstTainted != nil {
		parts = append(parts, "first tainted: "+g.FirstTainted.describe())
		who := "this builder"
		if g.FirstTainted.Builder != "" {
			who = "builder " + g.FirstTainted.Builder
		} else {
			who = "the same pipeline (same artifacts directory; no provenance names the builder)"
		}
		when := "it"
		if !g.FirstTainted.Time.IsZero() {
			when = g.FirstTainted.Time.UTC().Format(time.RFC3339)
		}
		parts = append(parts, fmt.Sprintf("everything built from %s on by %s is suspect (%d artifacts)", when, who, len(g.Suspect)))
	} else {
		parts = append(parts, fmt.Sprintf("none of the %d builds of %s differs from its trusted rebuild", len(g.Builds), g.Program))
	}
	return strings.Join(parts, "; ")
}
