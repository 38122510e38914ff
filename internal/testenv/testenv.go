// Package testenv lets tests ask for the real tools they need (tshark,
// minisign, age, PostgreSQL, chromium, sleuthkit) and for root. Outside CI a
// test whose tool is missing is skipped, saying so; with CI=true it fails:
// CI must never pass by skipping. scripts/test installs the tools first.
package testenv

import (
	"os"
	"os/exec"
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
