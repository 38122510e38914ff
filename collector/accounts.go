package collector

import (
	"context"
	"path/filepath"
)

// accounts.go collects accounts and access: who exists, who may become
// root, what they typed, which keys let them in, and how sshd is set up.

func init() {
	Register(Source{
		Name:    "accounts",
		Order:   60,
		Help:    "passwd, group, sudoers, shell histories, authorized_keys, sshd_config (shadow with --shadow)",
		Collect: collectAccounts,
	})
}

// historyFiles are the shell and tool histories looked for in every home.
var historyFiles = []string{
	".bash_history", ".zsh_history", ".zhistory", ".sh_history", ".ash_history",
	".local/share/fish/fish_history", ".history", ".python_history",
	".mysql_history", ".psql_history", ".lesshst", ".viminfo",
}

func collectAccounts(ctx context.Context, env *Env) error {
	n := env.copyPatterns(ctx, "/etc/passwd", "/etc/group", "/etc/sudoers", "/etc/sudoers.d/*",
		"/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/*", "/etc/login.defs", "/etc/security/access.conf")
	if env.Opts.CollectShadow {
		n += env.copyPatterns(ctx, "/etc/shadow", "/etc/gshadow")
	}
	n += copySSHDIncludes(ctx, env)
	for _, home := range env.homeDirs(ctx) {
		for _, h := range historyFiles {
			n += env.copyPatterns(ctx, filepath.Join(home, h))
		}
		n += env.copyPatterns(ctx, filepath.Join(home, ".ssh/authorized_keys"), filepath.Join(home, ".ssh/authorized_keys2"))
	}
	env.Note("%d files copied", n)
	return ctx.Err()
}
