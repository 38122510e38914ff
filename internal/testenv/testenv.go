// Package testenv lets tests ask for the real tools they need (tshark,
// minisign, age, PostgreSQL, chromium, sleuthkit) and for root. Outside CI a
// test whose tool is missing is skipped, saying so; with CI=true it fails:
// CI must never pass by skipping. scripts/test installs the tools first.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// unavailable skips the test, or fails it in CI.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true and "+format, args...)
	}
	t.Skipf(format+" (run scripts/test as root to install it)", args...)
}

// NeedTool returns the path of a program the test needs.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		unavailable(t, "%s is not installed", name)
	}
	return p
}

// NeedRoot makes the test need euid 0.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "the test needs root")
	}
}

// Corpus returns the directory of a corpus of real files under the shared
// directory beside the checkout (../shared/corpus/NAME from the module's
// root, found by its go.mod; CORDON_SHARED names another shared directory,
// for a checkout that is not beside it): tests read it in place. Outside
// CI a test whose corpus is missing is skipped; with CI=true it fails.
func Corpus(t testing.TB, name string) string {
	t.Helper()
	if s := os.Getenv("CORDON_SHARED"); s != "" {
		return corpusIn(t, filepath.Join(s, "corpus", name))
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: no go.mod above the test's directory")
		}
		dir = parent
	}
	return corpusIn(t, filepath.Join(dir, "..", "shared", "corpus", name))
}

func corpusIn(t testing.TB, c string) string {
	t.Helper()
	if fi, err := os.Stat(c); err != nil || !fi.IsDir() {
		unavailable(t, "the corpus %s is not there (%v)", c, err)
	}
	return c
}
