package importer

import "regexp"

// hostSources says which cordon-collect source copies a host path
// (collector/FILES.md): a copied host file keeps the source Cordon would
// have given it, since some analyzer parsers match on it (PostgreSQL logs
// outside /var/log/postgresql are read only from source "logs"). First
// match wins; a path no collector source copies is source "files".
var hostSources = compileSources([][2]string{
	{`/var/log/lastlog`, "logs"},
	{`/var/log/.*`, "logs"},
	{`/(var/)?run/utmp`, "logs"},
	{`/run/log/journal/.*`, "logs"},
	{`/var/lib/docker/containers/[^/]+/[^/]+-json\.log.*`, "logs"},
	{`/var/lib/docker/containers/[^/]+/(config\.v2|hostconfig)\.json`, "containers"},
	{`.*/(pg_log|log)/postgresql-[^/]*`, "logs"},
	{`/etc/(passwd|group|shadow|gshadow|sudoers|login\.defs)`, "accounts"},
	{`/etc/sudoers\.d/.*|/etc/security/access\.conf`, "accounts"},
	{`/etc/ssh/sshd_config(\.d/.*)?`, "accounts"},
	{`/(root|home/[^/]+)/\.(bash_history|zsh_history|sh_history|ash_history|history|python_history|mysql_history|psql_history|lesshst|viminfo)`, "accounts"},
	{`/(root|home/[^/]+)/\.local/share/fish/fish_history`, "accounts"},
	{`/(root|home/[^/]+)/\.ssh/authorized_keys2?`, "accounts"},
	{`/etc/postgresql/.*|/var/lib/postgresql/[^/]+/[^/]+/postgresql\.auto\.conf`, "exposure"},
	{`/var/lib/pgsql/(.*/)?data/(postgresql(\.auto)?\.conf|pg_hba\.conf)`, "exposure"},
	{`/etc/docker/daemon\.json|/etc/ufw/.*|/etc/default/ufw|/(usr/)?lib/ufw/.*`, "exposure"},
	{`/etc/iptables/rules\.v[46]|/etc/sysconfig/ip6?tables|/etc/nftables\.conf|/etc/nftables\.d/.*|/etc/sysconfig/nftables\.conf`, "exposure"},
	{`/etc/(hosts|resolv\.conf|hosts\.allow|hosts\.deny|nsswitch\.conf)`, "exposure"},
	{`/etc/(crontab|anacrontab|cron\.allow|cron\.deny)|/etc/cron\.(d|hourly|daily|weekly|monthly)/.*`, "persistence"},
	{`/var/spool/cron/.*|/var/spool/at/.*`, "persistence"},
	{`/etc/(rc\.local|rc\.d/rc\.local|ld\.so\.preload|profile|bash\.bashrc|bashrc|environment)|/etc/profile\.d/.*`, "persistence"},
	{`/(etc|lib|usr/lib)/udev/rules\.d/.*`, "persistence"},
	{`/etc/systemd/.*|/(usr/)?lib/systemd/system/.*|/run/systemd/(system|transient)/.*`, "persistence"},
	{`/(root|home/[^/]+)/\.config/systemd/.*`, "persistence"},
	{`/(root|home/[^/]+)/\.(bashrc|profile|bash_profile|bash_login|bash_logout|zshrc|zprofile|zshenv|zlogin)`, "persistence"},
	{`/var/lib/dpkg/(status|diversions|info/[^/]+\.md5sums)`, "packages"},
	{`/var/lib/rpm/.*|/usr/lib/sysimage/rpm/.*`, "packages"},
})

type sourceRule struct {
	re     *regexp.Regexp
	source string
}

func compileSources(rs [][2]string) []sourceRule {
	out := make([]sourceRule, len(rs))
	for i, r := range rs {
		out[i] = sourceRule{regexp.MustCompile("^(?:" + r[0] + ")$"), r[1]}
	}
	return out
}

// SourceFiles is the source of a host file no cordon-collect source copies.
const SourceFiles = "files"

// hostSource returns the cordon-collect source of a host path.
func hostSource(p string) string {
	for _, r := range hostSources {
		if r.re.MatchString(p) {
			return r.source
		}
	}
	return SourceFiles
}
