package collector

import (
	"context"
	"path/filepath"
)

// exposure.go collects what says which services listen to whom:
// PostgreSQL's postgresql.conf and pg_hba.conf (wherever each cluster keeps
// them), Docker's daemon.json, firewall rule files on disk, /etc/hosts and
// resolv.conf.

func init() {
	Register(Source{
		Name:    "exposure",
		Order:   62,
		Help:    "postgresql.conf, pg_hba.conf, Docker daemon.json, firewall rule files (ufw, iptables, nftables), hosts, resolv.conf",
		Collect: collectExposure,
	})
}

var exposurePatterns = []string{
	"/etc/postgresql/*/*/postgresql.conf", "/etc/postgresql/*/*/pg_hba.conf", "/etc/postgresql/*/*/pg_ident.conf",
	"/etc/postgresql/*/*/conf.d/*",
	"/var/lib/postgresql/*/*/postgresql.auto.conf",
	"/var/lib/pgsql/data/postgresql.conf", "/var/lib/pgsql/data/pg_hba.conf", "/var/lib/pgsql/data/postgresql.auto.conf",
	"/var/lib/pgsql/*/data/postgresql.conf", "/var/lib/pgsql/*/data/pg_hba.conf",
	"/etc/docker/daemon.json",
	"/etc/ufw/*", "/etc/default/ufw", "/lib/ufw/*", "/usr/lib/ufw/*",
	"/etc/iptables/rules.v4", "/etc/iptables/rules.v6", "/etc/sysconfig/iptables", "/etc/sysconfig/ip6tables",
	"/etc/nftables.conf", "/etc/nftables.d/*", "/etc/sysconfig/nftables.conf",
	"/etc/hosts", "/etc/resolv.conf", "/etc/hosts.allow", "/etc/hosts.deny", "/etc/nsswitch.conf",
}

func collectExposure(ctx context.Context, env *Env) error {
	n := env.copyPatterns(ctx, exposurePatterns...)
	// A cluster's conf may name its data directory and an hba_file elsewhere.
	for _, c := range postgresConfs(ctx, env) {
		hba := c.hbaFile
		if hba == "" {
			hba = filepath.Join(c.dataDirectory, "pg_hba.conf")
		}
		n += env.copyPatterns(ctx, hba, filepath.Join(c.dataDirectory, "postgresql.auto.conf"))
		if c.identFile != "" {
			n += env.copyPatterns(ctx, c.identFile)
		}
	}
	env.Note("%d files copied", n)
	return ctx.Err()
}
