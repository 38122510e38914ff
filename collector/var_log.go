package collector

import (
	"context"
)

// var_log.go copies the rest of /var/log, bounded: web server, mail,
// package manager, cloud agent and application logs the logs source does
// not name (it runs first; what it copied is not copied twice).

func init() {
	Register(Source{
		Name:    "var-log",
		Order:   51,
		Help:    "the rest of /var/log (web servers, mail, dpkg, cloud agents, applications), bounded by --var-log-max",
		Collect: collectVarLog,
	})
}

func collectVarLog(ctx context.Context, env *Env) error {
	st := env.copyBounded(ctx, []string{"/var/log"}, treeCaps{maxBytes: env.Opts.VarLogMax, maxFiles: etcMaxFiles, fileMax: env.Opts.MaxFileSize, flag: "--var-log-max"})
	env.Note("%d more log files copied (%s), %d links not followed, %d not regular files", st.copied, HumanSize(st.bytes), st.links, st.skipped)
	return ctx.Err()
}
