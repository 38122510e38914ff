package collector

import (
	"context"
	"path/filepath"
	"sort"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// accounts.go collects accounts and access: who exists, who may become
// root, what they typed (shell and client histories), which keys let them
// in, and how sshd is set up. Files holding credentials are recorded by
// presence and metadata (accounts/credential_files.json); their contents
// only with --credentials.

func init() {
	Register(Source{
		Name:    "accounts",
		Order:   60,
		Help:    "passwd, group, sudoers, shell and client histories (psql, mysql, python, less, vim, wget, nano, …), authorized_keys, known_hosts, sshd_config; credential files by presence (contents with --credentials; shadow with --shadow)",
		Collect: collectAccounts,
	})
}

// historyFiles are the shell and client histories looked for in every home.
var historyFiles = []string{
	".bash_history", ".zsh_history", ".zhistory", ".sh_history", ".ash_history", ".mksh_history", ".dash_history",
	".local/share/fish/fish_history", ".history", ".python_history",
	".mysql_history", ".psql_history", ".sqlite_history", ".rediscli_history", ".dbshell", ".node_repl_history",
	".lesshst", ".local/state/lesshst", ".local/share/lesshst", ".viminfo", ".wget-hsts",
	".nano_history", ".local/share/nano/search_history", ".local/share/powershell/PSReadLine/ConsoleHost_history.txt",
	".gitconfig", ".config/git/config", ".rhosts",
}

// sshUserFiles are the per-user ssh files other than private keys.
var sshUserFiles = []string{".ssh/authorized_keys", ".ssh/authorized_keys2", ".ssh/known_hosts", ".ssh/rc", ".ssh/config", ".ssh/*.pub"}

// credentialFiles are per-home files whose contents are secrets.
var credentialFiles = map[string]string{
	".git-credentials": "git-credentials", ".config/git/credentials": "git-credentials", ".pgpass": "pgpass",
	".my.cnf": "mysql", ".netrc": "netrc", ".aws/credentials": "aws", ".docker/config.json": "docker",
	".ssh/id_rsa": "ssh-private-key", ".ssh/id_ecdsa": "ssh-private-key", ".ssh/id_ed25519": "ssh-private-key",
	".ssh/id_dsa": "ssh-private-key", ".ssh/id_ecdsa_sk": "ssh-private-key", ".ssh/id_ed25519_sk": "ssh-private-key",
}

func collectAccounts(ctx context.Context, env *Env) error {
	n := env.copyPatterns(ctx, "/etc/passwd", "/etc/group", "/etc/sudoers", "/etc/sudoers.d/*",
		"/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/*", "/etc/login.defs", "/etc/security/access.conf")
	if env.Opts.CollectShadow {
		n += env.copyPatterns(ctx, "/etc/shadow", "/etc/gshadow")
	}
	n += copySSHDIncludes(ctx, env)
	var creds []snapshot.CredentialFile
	// The host's private keys: recorded, not copied, like the users' own.
	for _, pat := range []string{"/etc/ssh/ssh_host_*_key", "/etc/ssl/private/*"} {
		paths, _ := env.fsGlob(pat)
		for _, p := range paths {
			if c, ok := env.credentialFile(ctx, p, "host-private-key"); ok {
				creds = append(creds, c)
			}
		}
	}
	for _, home := range env.homeDirs(ctx) {
		for _, h := range historyFiles {
			n += env.copyPatterns(ctx, filepath.Join(home, h))
		}
		for _, s := range sshUserFiles {
			n += env.copyPatterns(ctx, filepath.Join(home, s))
		}
		names := make([]string, 0, len(credentialFiles))
		for rel := range credentialFiles {
			names = append(names, rel)
		}
		sort.Strings(names)
		for _, rel := range names {
			if c, ok := env.credentialFile(ctx, filepath.Join(home, rel), credentialFiles[rel]); ok {
				creds = append(creds, c)
			}
		}
	}
	if creds == nil {
		creds = []snapshot.CredentialFile{}
	}
	if _, err := env.AddJSON(snapshot.CredentialFilesEntry, creds); err != nil {
		return err
	}
	env.Note("%d files copied, %d credential files found", n, len(creds))
	return ctx.Err()
}

// credentialFile records a credential file's presence and metadata, and
// copies it only with --credentials. Absent files are not recorded.
func (e *Env) credentialFile(ctx context.Context, hostPath, kind string) (snapshot.CredentialFile, bool) {
	info, err := Stat(e.HostPath(hostPath))
	if err != nil {
		return snapshot.CredentialFile{}, false
	}
	c := snapshot.CredentialFile{Path: hostPath, Kind: kind, Type: info.Type, Mode: info.Mode, UID: info.UID, GID: info.GID,
		Size: info.Size, Mtime: info.Mtime, Ctime: info.Ctime}
	if e.Opts.CollectCredentials && info.Type == "file" {
		if e.copyOne(ctx, hostPath, true) {
			c.Entry = bundle.NameFor("fs", hostPath)
		}
	} else {
		e.claim(hostPath) // no other source copies it either
	}
	return c, true
}
