package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot is the directory holding the module's go.mod, found from the
// test's working directory (its package directory) upwards.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = up
	}
}

// Shared returns a path in the shared test data beside the checkout
// (RepoRoot/../shared/elem…, or $CORDON_SHARED/elem… for a checkout
// elsewhere, such as a git worktree): real rules, logs and peers' outputs
// that the project reads in place and never copies in. Outside CI a test
// whose data is missing is skipped; in CI it fails.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	base := os.Getenv("CORDON_SHARED")
	if base == "" {
		base = filepath.Join(RepoRoot(t), "..", "shared")
	}
	p := filepath.Join(append([]string{base}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		unavailable(t, "shared test data %s is missing", p)
	}
	return p
}
