package config

import (
	"strings"
	"testing"
)

// debianSshd is shaped like Debian 12's /etc/ssh/sshd_config, with the
// two lines the sibling machines of the incident had changed.
const debianSshd = `
# This is the sshd server system-wide configuration file.  See
# sshd_config(5) for more information.

Include /etc/ssh/sshd_config.d/*.conf

#Port 22
#AddressFamily any
#ListenAddress 0.0.0.0

PermitRootLogin yes
#StrictModes yes
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem	sftp	/usr/lib/openssh/sftp-server

Match User deploy
	PasswordAuthentication yes
	ForceCommand "internal-sftp -d /srv"
`

func parseSshd(t *testing.T, s string) *SshdConfig {
	t.Helper()
	c, ws := ParseSshdConfig(strings.NewReader(s))
	if len(ws) != 0 {
		t.Errorf("warnings: %+v", ws)
	}
	return c
}

func TestSshd(t *testing.T) {
	main := parseSshd(t, debianSshd)
	dropIn := parseSshd(t, "PasswordAuthentication no\nPort=2222\nPermitRootLogin=prohibit-password\n")
	other := parseSshd(t, "Port 22\n")
	files := map[string]*SshdConfig{
		"/etc/ssh/sshd_config":                 main,
		"/etc/ssh/sshd_config.d/50-cloud.conf": dropIn,
		"/etc/ssh/sshd_config.d/90-more.conf":  other,
		"/etc/ssh/sshd_config.d/not-included":  parseSshd(t, "PermitRootLogin no\n"),
	}
	opts, missing := FlattenSshd("/etc/ssh/sshd_config", files)
	if len(missing) != 0 {
		t.Errorf("missing %v", missing)
	}
	// the drop-in is read first: its values win (first obtained value)
	if got := PermitRootLogin(opts); got != "prohibit-password" {
		t.Errorf("PermitRootLogin = %q", got)
	}
	if got := PasswordAuthentication(opts); got != "no" {
		t.Errorf("PasswordAuthentication = %q", got)
	}
	if got := SshdPorts(opts); strings.Join(got, ",") != "2222,22" {
		t.Errorf("ports %v", got)
	}
	// alone, the main file says yes
	if got := PermitRootLogin(main.Options); got != "yes" {
		t.Errorf("main file alone: PermitRootLogin = %q", got)
	}
	if got := PasswordAuthentication(main.Options); got != "yes" {
		t.Errorf("a Match block must not count for the global value (default yes), got %q", got)
	}
	var fc SshdOption
	for _, o := range main.Options {
		if o.Keyword == "forcecommand" {
			fc = o
		}
	}
	if fc.Match != "User deploy" || len(fc.Args) != 1 || fc.Args[0] != "internal-sftp -d /srv" || fc.Line != 22 {
		t.Errorf("ForceCommand: %+v", fc)
	}
	if got := SshdPorts(nil); len(got) != 1 || got[0] != "22" {
		t.Errorf("default port %v", got)
	}
	// a missing include and a self-including file end
	loop := parseSshd(t, strings.Repeat("Include /etc/ssh/loop\n", 50)+"Port 1\n")
	opts, missing = FlattenSshd("/etc/ssh/loop", map[string]*SshdConfig{"/etc/ssh/loop": loop, "/etc/ssh/sshd_config": parseSshd(t, "Include nothere/*.conf\n")})
	if len(opts) == 0 {
		t.Error("self-including file gave no option")
	}
	if _, missing = FlattenSshd("/etc/ssh/sshd_config", map[string]*SshdConfig{"/etc/ssh/sshd_config": parseSshd(t, "Include nothere/*.conf\n")}); len(missing) != 1 || missing[0] != "/etc/ssh/nothere/*.conf" {
		t.Errorf("missing %v", missing)
	}
}

func TestSshdWarnings(t *testing.T) {
	_, ws := ParseSshdConfig(strings.NewReader("PermitRootLogin\nBanner \"unterminated\n"))
	if len(ws) != 2 || ws[0].Line != 1 || ws[1].Line != 2 {
		t.Errorf("warnings: %+v", ws)
	}
}
