package collector

import "context"

// packages.go collects the package managers' own records of what they
// installed, so that the analyzer checks installed binaries against them
// without trusting the host: dpkg's status database and per-package md5sums
// lists, and rpm's database files.

func init() {
	Register(Source{
		Name:    "packages",
		Order:   80,
		Help:    "dpkg status, diversions and md5sums lists, rpm database files",
		Collect: collectPackages,
	})
}

func collectPackages(ctx context.Context, env *Env) error {
	n := env.copyPatterns(ctx, "/var/lib/dpkg/status", "/var/lib/dpkg/diversions", "/var/lib/dpkg/info/*.md5sums")
	// rpm ≥ 4.16 keeps rpmdb.sqlite; older ones Berkeley DB files (Packages, …).
	n += env.copyPatterns(ctx, "/var/lib/rpm/*", "/usr/lib/sysimage/rpm/*")
	env.Note("%d files copied", n)
	return ctx.Err()
}
