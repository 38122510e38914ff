package attest

import (
	"strings"
	"testing"
	"time"
)

func TestMatchTrusted(t *testing.T) {
	ti := newTrustedIndex()
	ti.add(trustedFile{kind: SourceDir, path: "c1/prog", sha256: "a1"})
	ti.add(trustedFile{kind: SourceDir, path: "c2/prog", sha256: "a2"})
	ti.add(trustedFile{kind: SourceDir, path: "tools/other", sha256: "b", buildID: "beef"})
	ti.add(trustedFile{kind: SourceDeb, pkg: "coreutils_9.1-1_amd64", path: "/bin/ls", sha256: "c"})
	ti.add(trustedFile{kind: SourceMD5Sums, pkg: "procps", path: "/usr/bin/ps", md5: "d"})
	cases := []struct {
		name     string
		item     Item
		wantPath string
		wantBy   string
		ambig    int
	}{
		{"artifact by longest path suffix", Item{Rel: "c2/prog", SHA256: "zz"}, "c2/prog", "path", 0},
		{"same name, the identical copy wins among equals", Item{Path: "/tmp/x/prog", SHA256: "a2"}, "c2/prog", "name", 1},
		{"same name, no identical copy: first by path", Item{Path: "/tmp/x/prog", SHA256: "zz"}, "c1/prog", "name", 1},
		{"build-id over name", Item{Path: "/opt/renamed", BuildID: "beef"}, "tools/other", "build-id", 0},
		{"package path through merged /usr", Item{Path: "/usr/bin/ls", SHA256: "c"}, "/bin/ls", "path", 0},
		{"md5sums path", Item{Path: "/usr/bin/ps", MD5: "e"}, "/usr/bin/ps", "path", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tf, ref, ok := ti.match(&c.item)
			if !ok || tf.path != c.wantPath || ref.MatchedBy != c.wantBy || ref.Ambiguous != c.ambig {
				t.Errorf("got %v %+v, want %s by %s (%d ambiguous)", ok, ref, c.wantPath, c.wantBy, c.ambig)
			}
		})
	}
	if _, _, ok := ti.match(&Item{Path: "/usr/sbin/unknown"}); ok {
		t.Error("matched an unknown program")
	}
}

func TestGoldenBracketing(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
	art := func(rel, commit, builder, verdict string, d int) Item {
		return Item{Kind: KindArtifact, Bundle: "b", Root: "/ws", Rel: rel, Path: "/ws/" + rel, Commit: commit, Builder: builder,
			Verdict: verdict, Time: day(d), TimeFrom: "provenance"}
	}
	items := []Item{
		art("c3/app", "c3", "agent-7", VerdictDiffers, 3),
		art("c1/app", "c1", "agent-7", VerdictIdentical, 1),
		art("c2/app", "c2", "agent-7", VerdictIdentical, 2),
		art("c4/app", "c4", "agent-7", VerdictIdentical, 4), // clean again: still built by the tainted builder
		art("c3/lib.so", "c3", "agent-7", VerdictNoTrusted, 3),
		art("c3/tool", "c3", "agent-9", VerdictDiffers, 3), // another builder, one build only
	}
	gs := golden(items)
	if len(gs) != 1 || gs[0].Program != "app" {
		t.Fatalf("%+v", gs)
	}
	g := gs[0]
	if g.LastGood.Commit != "c2" || g.FirstTainted.Commit != "c3" {
		t.Errorf("last good %+v first tainted %+v", g.LastGood, g.FirstTainted)
	}
	var suspect []string
	for _, p := range g.Suspect {
		suspect = append(suspect, p.Path)
	}
	if strings.Join(suspect, " ") != "c3/app c3/lib.so c4/app" {
		t.Errorf("suspect %v", suspect)
	}
	if !strings.Contains(g.Text, "last known-good: commit c2 (c2/app) built at 2026-11-02T10:00:00Z") ||
		!strings.Contains(g.Text, "first tainted: commit c3") || !strings.Contains(g.Text, "by builder agent-7 is suspect (3 artifacts)") {
		t.Errorf("text %q", g.Text)
	}
}

func TestSuffixScore(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"out/c1/prog", "c1/prog", 2}, {"/usr/bin/ls", "bin/ls", 2}, {"prog", "c1/prog", 1}, {"a/x", "b/y", 0}} {
		if got := suffixScore(c.a, c.b); got != c.want {
			t.Errorf("%s %s: %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestRunningBinaryIsItsBuild: the binary seen running has the bytes of
// the c3 artifact: it takes c3's commit and builder, and the bracketing
// counts that build once.
func TestRunningBinaryIsItsBuild(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
	res := &Result{Items: []Item{
		{Kind: KindArtifact, Bundle: "ci", Root: "/ws", Rel: "c2/app", Path: "/ws/c2/app", SHA256: "22", Commit: "c2", Builder: "b", Verdict: VerdictIdentical, Time: day(2)},
		{Kind: KindArtifact, Bundle: "ci", Root: "/ws", Rel: "c3/app", Path: "/ws/c3/app", SHA256: "33", Commit: "c3", Builder: "b", Verdict: VerdictDiffers, Time: day(3)},
		{Kind: KindExecutable, Bundle: "prod", Path: "/srv/app (deleted)", SHA256: "33", Verdict: VerdictDiffers, Time: day(9), TimeFrom: "observed"},
	}}
	res.linkBuilds()
	if exe := res.Items[2]; exe.Commit != "c3" || exe.Builder != "b" || !strings.Contains(exe.Note, "/ws/c3/app") {
		t.Errorf("executable %+v", exe)
	}
	gs := golden(res.Items)
	if len(gs) != 1 || len(gs[0].Builds) != 2 || gs[0].FirstTainted.Commit != "c3" || gs[0].LastGood.Commit != "c2" {
		t.Errorf("%+v", gs)
	}
}
