package collector

import (
	"context"
	"path/filepath"
)

// persistence.go collects the places a program is made to start again:
// cron, systemd units and timers, rc.local, ld.so.preload, profile scripts,
// udev rules.

func init() {
	Register(Source{
		Name:    "persistence",
		Order:   70,
		Help:    "crontabs, systemd units and timers (system and per-user), rc.local, ld.so.preload, profile scripts, udev rules",
		Collect: collectPersistence,
	})
}

var persistencePatterns = []string{
	"/etc/crontab", "/etc/cron.d/*", "/etc/cron.hourly/*", "/etc/cron.daily/*",
	"/etc/cron.weekly/*", "/etc/cron.monthly/*", "/etc/cron.allow", "/etc/cron.deny", "/etc/anacrontab",
	"/var/spool/cron/*", "/var/spool/cron/crontabs/*", "/var/spool/at/*",
	"/etc/rc.local", "/etc/rc.d/rc.local", "/etc/ld.so.preload",
	"/etc/profile", "/etc/profile.d/*", "/etc/bash.bashrc", "/etc/bashrc", "/etc/environment",
	"/etc/udev/rules.d/*", "/lib/udev/rules.d/*", "/usr/lib/udev/rules.d/*",
}

// systemdDirs hold unit files, drop-ins (*.d/) and wants links (*.wants/).
var systemdDirs = []string{"/etc/systemd", "/lib/systemd/system", "/usr/lib/systemd/system", "/run/systemd/system", "/run/systemd/transient"}

var userPersistenceFiles = []string{".bashrc", ".profile", ".bash_profile", ".bash_login", ".bash_logout", ".zshrc", ".zprofile"}

func collectPersistence(ctx context.Context, env *Env) error {
	n := env.copyPatterns(ctx, persistencePatterns...)
	for _, d := range systemdDirs {
		n += env.copyTree(ctx, d, 3)
	}
	for _, home := range env.homeDirs(ctx) {
		for _, f := range userPersistenceFiles {
			n += env.copyPatterns(ctx, filepath.Join(home, f))
		}
		n += env.copyTree(ctx, filepath.Join(home, ".config/systemd"), 3)
	}
	env.Note("%d files copied", n)
	return ctx.Err()
}
