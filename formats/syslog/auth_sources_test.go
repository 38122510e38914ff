package syslog

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/timeline"
)

// authSource is a line as a program writes it, where the form comes from,
// and what Cordon must read in it.
type authSource struct {
	from string // upstream file (and function) of the format, or the corpus file the line is from
	line string
	want map[string]string
}

// authSources: one line per form. Lines marked "plaso test_data" are real
// lines from ../shared/corpus/plaso; the others are the upstream format
// string filled in with values, spacing as the program writes it.
var authSources = []authSource{
	// OpenSSH sshd
	{"plaso test_data/syslog_ssh.log (two spaces after the tag)",
		"Mar 11 19:26:39 osx-machine sshd[3]:  Accepted publickey for plaso from 192.168.0.1 port 59229 ssh2: RSA 00:aa:bb:cc:dd:ee:ff:11:22:33:44:55:66:77:88:99",
		map[string]string{"action": "ssh-login", "outcome": "success", "user": "plaso", "source.ip": "192.168.0.1", "source.port": "59229", "labels.ssh.method": "publickey", "labels.ssh.key": "RSA 00:aa:bb:cc:dd:ee:ff:11:22:33:44:55:66:77:88:99", "host": "osx-machine", "process.pid": "3"}},
	{"plaso test_data/syslog_ssh.log (two spaces before ssh2)",
		"Mar 11 22:55:30 ubuntu2015 sshd[3]:  Accepted password for plaso from 2001:0db8:0a0b:12f0:0000:0000:0000:0001 port 42532  ssh2",
		map[string]string{"action": "ssh-login", "outcome": "success", "user": "plaso", "source.ip": "2001:0db8:0a0b:12f0:0000:0000:0000:0001", "source.port": "42532", "labels.ssh.protocol": "ssh2"}},
	{"plaso test_data/syslog_ssh.log (OpenSSH before 7.4: no protocol)",
		"Mar 11 22:55:30 ubuntu2015 sshd[3]:  Failed publickey for plaso from 001:db8:a0b:12f0::1 port 8759",
		map[string]string{"action": "ssh-login", "outcome": "failure", "user": "plaso", "source.ip": "001:db8:a0b:12f0::1", "source.port": "8759", "labels.ssh.method": "publickey"}},
	{"plaso test_data/syslog_ssh.log (OpenSSH before 6.x: no local address)",
		"Mar 11 22:55:31 ubuntu2015 sshd[3]:  Connection from 188.124.3.41 port 32889",
		map[string]string{"action": "ssh-connection", "source.ip": "188.124.3.41", "source.port": "32889"}},
	{"plaso test_data/syslog_ssh.log",
		"Mar 11 00:00:00 ubuntu2015 sshd[3]:  Server listening on 0.0.0.0 port 22.",
		map[string]string{"action": "ssh-listening", "destination.ip": "0.0.0.0", "destination.port": "22"}},
	{"openssh-portable sshd.c: \"Connection from %s port %d on %s port %d%s%s%s\"",
		"Nov  2 10:24:55 web01 sshd[4242]: Connection from 203.0.113.7 port 40002 on 10.0.0.5 port 22 rdomain \"\"",
		map[string]string{"action": "ssh-connection", "source.ip": "203.0.113.7", "source.port": "40002", "destination.ip": "10.0.0.5", "destination.port": "22"}},
	{"openssh-portable auth.c auth_log: \"%s %s%s%s for %s%.100s from %.200s port %d ssh2%s%s\"",
		"Nov  2 10:24:55 web01 sshd[4242]: Failed password for invalid user ad min from 203.0.113.7 port 40002 ssh2",
		map[string]string{"action": "ssh-login", "outcome": "failure", "user": "ad min", "source.ip": "203.0.113.7", "labels.ssh.invalid_user": "true"}},
	{"openssh-portable auth.c auth_log, a user name that imitates the address",
		"Nov  2 10:24:55 web01 sshd[4242]: Failed password for invalid user x from 6.6.6.6 port 1 from 203.0.113.7 port 40002 ssh2",
		map[string]string{"action": "ssh-login", "user": "x from 6.6.6.6 port 1", "source.ip": "203.0.113.7", "source.port": "40002"}},
	{"openssh-portable auth.c auth_log (submethod)",
		"Nov  2 10:24:55 web01 sshd[4242]: Failed keyboard-interactive/pam for root from 203.0.113.7 port 40002 ssh2",
		map[string]string{"action": "ssh-login", "outcome": "failure", "user": "root", "labels.ssh.method": "keyboard-interactive/pam"}},
	{"openssh-portable auth.c auth_log (a certificate's info)",
		"Nov  2 10:24:55 web01 sshd-session[4242]: Accepted publickey for deploy from 198.51.100.4 port 51515 ssh2: ED25519-CERT SHA256:Ab3dEf ID deploy (serial 7) CA ED25519 SHA256:Cc",
		map[string]string{"action": "ssh-login", "outcome": "success", "user": "deploy", "source.ip": "198.51.100.4", "labels.ssh.key": "ED25519-CERT SHA256:Ab3dEf ID deploy (serial 7) CA ED25519 SHA256:Cc", "process.name": "sshd-session"}},
	{"openssh-portable auth.c auth_log: Partial",
		"Nov  2 10:24:55 web01 sshd[4242]: Partial publickey for deploy from 198.51.100.4 port 51515 ssh2: ED25519 SHA256:Ab3dEf",
		map[string]string{"action": "ssh-auth-partial", "user": "deploy"}},
	{"openssh-portable auth.c auth_maxtries_exceeded",
		"Nov  2 10:24:55 web01 sshd[4242]: error: maximum authentication attempts exceeded for invalid user admin from 203.0.113.7 port 40002 ssh2 [preauth]",
		map[string]string{"action": "ssh-max-auth-attempts", "outcome": "failure", "user": "admin", "source.ip": "203.0.113.7", "labels.ssh.preauth": "true", "labels.ssh.invalid_user": "true"}},
	{"openssh-portable auth.c getpwnamallow: \"Invalid user %.100s from %.100s port %d\"",
		"Nov  2 10:24:55 web01 sshd[4242]: Invalid user oracle from 203.0.113.7 port 40002",
		map[string]string{"action": "ssh-invalid-user", "outcome": "failure", "user": "oracle", "source.ip": "203.0.113.7", "source.port": "40002"}},
	{"openssh-portable auth.c getpwnamallow before 7.3 (no port)",
		"Nov  2 10:24:55 web01 sshd[4242]: Invalid user oracle from 203.0.113.7",
		map[string]string{"action": "ssh-invalid-user", "user": "oracle", "source.ip": "203.0.113.7"}},
	{"openssh-portable auth2.c before 7.4",
		"Nov  2 10:24:55 web01 sshd[4242]: input_userauth_request: invalid user oracle [preauth]",
		map[string]string{"action": "ssh-invalid-user", "user": "oracle"}},
	{"openssh-portable packet.c sshpkt_fatal with auth2.c's preamble \"authenticating user %s\"",
		"Nov  2 10:24:55 web01 sshd[4242]: Connection closed by authenticating user root 203.0.113.7 port 40002 [preauth]",
		map[string]string{"action": "ssh-disconnect", "user": "root", "source.ip": "203.0.113.7", "source.port": "40002", "labels.ssh.stage": "authenticating"}},
	{"openssh-portable packet.c sshpkt_fatal, preamble \"invalid user %s\"",
		"Nov  2 10:24:55 web01 sshd[4242]: Connection closed by invalid user admin 203.0.113.7 port 40002 [preauth]",
		map[string]string{"action": "ssh-disconnect", "user": "admin", "labels.ssh.stage": "invalid", "labels.ssh.invalid_user": "true"}},
	{"openssh-portable packet.c sshpkt_fatal, no preamble",
		"Nov  2 10:24:55 web01 sshd[4242]: Connection closed by 203.0.113.7 port 40002 [preauth]",
		map[string]string{"action": "ssh-disconnect", "source.ip": "203.0.113.7", "source.port": "40002"}},
	{"openssh-portable packet.c before 6.x (no port)",
		"Nov  2 10:24:55 web01 sshd[4242]: Connection closed by 203.0.113.7 [preauth]",
		map[string]string{"action": "ssh-disconnect", "source.ip": "203.0.113.7"}},
	{"openssh-portable packet.c sshpkt_fatal, preamble \"user %s\"",
		"Nov  2 10:24:55 web01 sshd[4242]: Disconnected from user deploy 198.51.100.4 port 51515",
		map[string]string{"action": "ssh-disconnect", "user": "deploy", "source.ip": "198.51.100.4", "labels.ssh.stage": "authenticated"}},
	{"openssh-portable packet.c: \"Disconnecting %s: %.100s\"",
		"Nov  2 10:24:55 web01 sshd[4242]: Disconnecting authenticating user root 203.0.113.7 port 40002: Too many authentication failures [preauth]",
		map[string]string{"action": "ssh-disconnect", "user": "root", "source.ip": "203.0.113.7", "labels.ssh.reason": "Too many authentication failures"}},
	{"openssh-portable packet.c: \"Received disconnect from %s port %d:%u: %.400s\"",
		"Nov  2 10:24:55 web01 sshd[4242]: Received disconnect from 203.0.113.7 port 40002:11: Bye Bye [preauth]",
		map[string]string{"action": "ssh-disconnect", "source.ip": "203.0.113.7", "source.port": "40002", "labels.ssh.reason": "11: Bye Bye"}},
	{"openssh-portable sshd.c before 8.1",
		"Nov  2 10:24:55 web01 sshd[4242]: Did not receive identification string from 203.0.113.7 port 40002",
		map[string]string{"action": "ssh-scan", "source.ip": "203.0.113.7", "source.port": "40002"}},
	{"openssh-portable sshd.c, older (no port)",
		"Nov  2 10:24:55 web01 sshd[4242]: Did not receive identification string from 203.0.113.7",
		map[string]string{"action": "ssh-scan", "source.ip": "203.0.113.7"}},
	{"openssh-portable kex.c kex_exchange_identification (8.1+)",
		"Nov  2 10:24:55 web01 sshd[4242]: error: kex_exchange_identification: Connection closed by remote host",
		map[string]string{"action": "ssh-scan", "labels.ssh.reason": "Connection closed by remote host"}},
	{"openssh-portable kex.c: \"banner exchange: Connection from %s port %d: %s\"",
		"Nov  2 10:24:55 web01 sshd[4242]: banner exchange: Connection from 203.0.113.7 port 40002: invalid format",
		map[string]string{"action": "ssh-scan", "source.ip": "203.0.113.7", "labels.ssh.reason": "invalid format"}},
	{"openssh-portable sshd.c: \"Unable to negotiate with %s port %d: …\"",
		"Nov  2 10:24:55 web01 sshd[4242]: Unable to negotiate with 203.0.113.7 port 40002: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
		map[string]string{"action": "ssh-scan", "source.ip": "203.0.113.7"}},
	{"openssh-portable auth.c auth_root_allowed",
		"Nov  2 10:24:55 web01 sshd[4242]: ROOT LOGIN REFUSED FROM 203.0.113.7 port 40002",
		map[string]string{"action": "ssh-login-refused", "user": "root", "source.ip": "203.0.113.7"}},
	{"openssh-portable auth.c allowed_user",
		"Nov  2 10:24:55 web01 sshd[4242]: User backup from 203.0.113.7 not allowed because not listed in AllowUsers",
		map[string]string{"action": "ssh-login-refused", "user": "backup", "source.ip": "203.0.113.7", "labels.ssh.reason": "not listed in AllowUsers"}},
	{"openssh-portable session.c (LogLevel VERBOSE)",
		"Nov  2 10:24:55 web01 sshd[4242]: Starting session: shell on pts/0 for deploy from 198.51.100.4 port 51515 id 0",
		map[string]string{"action": "ssh-session-start", "user": "deploy", "source.ip": "198.51.100.4", "labels.ssh.session": "shell on pts/0"}},

	// Linux-PAM
	{"Linux-PAM modules/pam_unix/support.c: \"authentication failure; logname=%s uid=%d euid=%d tty=%s ruser=%s rhost=%s %s%s\"",
		"Nov  2 10:24:55 web01 sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root",
		map[string]string{"action": "authentication-failed", "outcome": "failure", "user": "root", "source.ip": "203.0.113.7", "labels.pam.service": "sshd", "labels.pam.module": "pam_unix", "labels.pam.tty": "ssh"}},
	{"Linux-PAM pam_unix support.c, an unknown user (no user=)",
		"Nov  2 10:24:55 web01 sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7",
		map[string]string{"action": "authentication-failed", "user": "", "source.ip": "203.0.113.7"}},
	{"Linux-PAM pam_unix_auth.c: \"check pass; user unknown\"",
		"Nov  2 10:24:55 web01 sshd[4242]: pam_unix(sshd:auth): check pass; user unknown",
		map[string]string{"action": "authentication-user-unknown", "outcome": "failure", "labels.pam.service": "sshd"}},
	{"Linux-PAM pam_unix support.c _cleanup_failures, via libpam (\"PAM \" prefix)",
		"Nov  2 10:24:59 web01 sshd[4243]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root",
		map[string]string{"action": "authentication-failures-summary", "user": "root", "source.ip": "203.0.113.7", "labels.pam.more_failures": "2"}},
	{"Linux-PAM pam_unix support.c _cleanup_failures, under pam_syslog's prefix",
		"Nov  2 10:24:59 web01 sshd[4243]: pam_unix(sshd:auth): 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root",
		map[string]string{"action": "authentication-failures-summary", "labels.pam.more_failures": "5"}},
	{"old Linux-PAM (RHEL 4/5) under its own tag \"sshd(pam_unix)\"",
		"Nov  2 10:24:55 web01 sshd(pam_unix)[17365]: authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=218.188.2.4  user=root",
		map[string]string{"action": "authentication-failed", "user": "root", "source.ip": "218.188.2.4", "labels.pam.service": "sshd", "labels.pam.module": "pam_unix", "process.name": "sshd", "process.pid": "17365"}},
	{"old Linux-PAM session, own tag",
		"Nov  2 10:24:55 web01 sshd(pam_unix)[17366]: session opened for user root by (uid=0)",
		map[string]string{"action": "session-opened", "user": "root", "labels.pam.service": "sshd"}},
	{"old Linux-PAM su session, own tag",
		"Nov  2 10:24:55 web01 su(pam_unix)[4711]: session opened for user root by alice(uid=500)",
		map[string]string{"action": "session-opened", "user": "root", "labels.pam.by": "alice", "labels.pam.by_uid": "500", "labels.pam.service": "su"}},
	{"Linux-PAM pam_unix_sess.c (1.5+): \"session opened for user %s(uid=%u) by %s(uid=%lu)\"",
		"Nov  2 10:24:55 web01 sshd[4242]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
		map[string]string{"action": "session-opened", "user": "deploy", "user.id": "1000", "labels.pam.service": "sshd"}},
	{"Linux-PAM pam_unix_sess.c: \"session closed for user %s\"",
		"Nov  2 10:24:55 web01 sshd[4242]: pam_unix(sshd:session): session closed for user deploy",
		map[string]string{"action": "session-closed", "user": "deploy"}},
	{"Linux-PAM pam_unix_passwd.c",
		"Nov  2 10:24:55 web01 chpasswd[79]: pam_unix(chpasswd:chauthtok): password changed for root",
		map[string]string{"action": "password-changed", "user": "root", "labels.pam.service": "chpasswd"}},
	{"Linux-PAM modules/pam_succeed_if/pam_succeed_if.c: \"requirement \\\"%s\\\" not met by user \\\"%s\\\"\"",
		"Nov  2 10:24:55 web01 sshd[4242]: pam_succeed_if(sshd:auth): requirement \"uid >= 1000\" not met by user \"root\"",
		map[string]string{"action": "authentication-requirement-not-met", "user": "root", "labels.pam.requirement": "uid >= 1000"}},
	{"Linux-PAM modules/pam_faillock/pam_faillock.c",
		"Nov  2 10:24:55 web01 sshd[4242]: pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked",
		map[string]string{"action": "account-locked", "user": "root"}},

	// rsyslog's reduction of repeated messages (runtime/msg.c, "message repeated %d times: [%.800s]")
	{"rsyslog repeated-message reduction",
		"Nov  2 10:25:02 web01 sshd[4243]: message repeated 2 times: [ Failed password for root from 203.0.113.7 port 40004 ssh2]",
		map[string]string{"action": "ssh-login", "outcome": "failure", "user": "root", "source.ip": "203.0.113.7", "labels.syslog.repeated": "2"}},

	// sudo
	{"sudo plugins/sudoers logging: \"%8s : %s\" with entries joined by \" ; \"",
		"Nov  2 10:24:55 web01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/sh -c 'a; b'",
		map[string]string{"action": "sudo-command", "outcome": "success", "user": "deploy", "labels.sudo.target_user": "root", "labels.sudo.pwd": "/home/deploy", "process.command_line": "/bin/sh -c 'a; b'", "process.working_directory": "/home/deploy"}},
	{"sudo 1.9: GROUP, ENV entries",
		"Nov  2 10:24:55 web01 sudo[5012]:    alice : TTY=pts/1 ; PWD=/tmp ; USER=root ; GROUP=adm ; ENV=LD_PRELOAD=/tmp/x.so ; COMMAND=/usr/bin/id",
		map[string]string{"action": "sudo-command", "user": "alice", "labels.sudo.target_group": "adm", "labels.sudo.env": "LD_PRELOAD=/tmp/x.so", "process.command_line": "/usr/bin/id"}},
	{"sudo plugins/sudoers: a refusal reason before the entries",
		"Nov  2 10:24:55 web01 sudo:   mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/bash",
		map[string]string{"action": "sudo-command", "outcome": "failure", "user": "mallory", "labels.sudo.error": "user NOT in sudoers"}},
	{"sudo plugins/sudoers: incorrect passwords",
		"Nov  2 10:24:55 web01 sudo:   deploy : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/id",
		map[string]string{"action": "sudo-command", "outcome": "failure", "labels.sudo.error": "3 incorrect password attempts"}},
	{"Linux-PAM pam_unix under sudo",
		"Nov  2 10:24:55 web01 sudo: pam_unix(sudo:auth): authentication failure; logname=deploy uid=1000 euid=0 tty=/dev/pts/0 ruser=deploy rhost=  user=deploy",
		map[string]string{"action": "authentication-failed", "user": "deploy", "labels.pam.ruser": "deploy", "labels.pam.service": "sudo"}},

	// su
	{"util-linux login-utils/su-common.c log_syslog: \"%s(to %s) %s on %s\"",
		"Nov  2 10:24:55 web01 su[99]: (to root) deploy on pts/1",
		map[string]string{"action": "su", "outcome": "success", "user": "deploy", "labels.su.target_user": "root", "labels.su.tty": "pts/1"}},
	{"util-linux su-common.c log_syslog, failed",
		"Nov  2 10:24:55 web01 su[99]: FAILED SU (to root) deploy on pts/1",
		map[string]string{"action": "su", "outcome": "failure", "user": "deploy", "labels.su.target_user": "root"}},
	{"shadow-utils src/su.c: \"Successful su for %s by %s\"",
		"Nov  2 10:24:55 web01 su[99]: Successful su for root by deploy",
		map[string]string{"action": "su", "outcome": "success", "user": "deploy", "labels.su.target_user": "root"}},
	{"shadow-utils src/su.c: \"FAILED su for %s by %s\"",
		"Nov  2 10:24:55 web01 su[99]: FAILED su for root by deploy",
		map[string]string{"action": "su", "outcome": "failure", "user": "deploy"}},

	// shadow-utils
	{"shadow-utils src/useradd.c: \"new user: name=%s, UID=%u, GID=%u, home=%s, shell=%s, from=%s\"",
		"Nov  2 10:24:55 web01 useradd[77]: new user: name=backdoor, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0",
		map[string]string{"action": "user-created", "user": "backdoor", "user.id": "0", "labels.user.shell": "/bin/bash", "labels.user.home": "/root", "labels.shadow.from": "/dev/pts/0"}},
	{"shadow-utils src/useradd.c, older (no from=)",
		"Nov  2 10:24:55 web01 useradd[77]: new user: name=svc, UID=998, GID=998, home=/home/svc, shell=/bin/sh",
		map[string]string{"action": "user-created", "user": "svc", "user.id": "998"}},
	{"shadow-utils src/useradd.c: \"new group: name=%s, GID=%u\"",
		"Nov  2 10:24:55 web01 useradd[77]: new group: name=svc, GID=998",
		map[string]string{"action": "group-created", "labels.group.name": "svc", "labels.group.id": "998"}},
	{"shadow-utils src/groupadd.c: \"group added to %s: name=%s, GID=%u\"",
		"Nov  2 10:24:55 web01 groupadd[80]: group added to /etc/group: name=docker, GID=999",
		map[string]string{"action": "group-created", "labels.group.name": "docker", "labels.group.id": "999"}},
	{"shadow-utils src/usermod.c: \"add '%s' to group '%s'\"",
		"Nov  2 10:24:55 web01 usermod[78]: add 'backdoor' to group 'sudo'",
		map[string]string{"action": "user-added-to-group", "user": "backdoor", "labels.group.name": "sudo"}},
	{"shadow-utils src/usermod.c: \"add '%s' to shadow group '%s'\"",
		"Nov  2 10:24:55 web01 usermod[78]: add 'backdoor' to shadow group 'sudo'",
		map[string]string{"action": "user-added-to-group", "user": "backdoor", "labels.group.name": "sudo"}},
	{"shadow-utils src/usermod.c, older quoting `%s'",
		"Nov  2 10:24:55 web01 usermod[78]: change user `backdoor' password",
		map[string]string{"action": "password-changed", "user": "backdoor"}},
	{"shadow-utils src/usermod.c: \"change user '%s' shell from '%s' to '%s'\"",
		"Nov  2 10:24:55 web01 usermod[78]: change user 'www-data' shell from '/usr/sbin/nologin' to '/bin/bash'",
		map[string]string{"action": "user-changed", "user": "www-data", "labels.shadow.change": "shell from '/usr/sbin/nologin' to '/bin/bash'"}},
	{"shadow-utils src/usermod.c: \"unlock user '%s' password\"",
		"Nov  2 10:24:55 web01 usermod[78]: unlock user 'games' password",
		map[string]string{"action": "user-unlocked", "user": "games"}},
	{"shadow-utils src/userdel.c: \"delete user '%s'\"",
		"Nov  2 10:24:55 web01 userdel[81]: delete user 'backdoor'",
		map[string]string{"action": "user-deleted", "user": "backdoor"}},
	{"shadow-utils src/passwd.c: \"password for '%s' changed by '%s'\"",
		"Nov  2 10:24:55 web01 passwd[79]: password for 'root' changed by 'deploy'",
		map[string]string{"action": "password-changed", "user": "root", "labels.changed_by": "deploy"}},
	{"shadow-utils src/gpasswd.c: \"user %s added by %s to group %s\"",
		"Nov  2 10:24:55 web01 gpasswd[82]: user backdoor added by root to group docker",
		map[string]string{"action": "user-added-to-group", "user": "backdoor", "labels.group.name": "docker", "labels.changed_by": "root"}},

	// cron
	{"plaso test_data/syslog_cron.log",
		"Mar 11 19:26:39 osx-machine CRON[3]: (root) CMD (sleep $(( 1 * 60 )); touch /tmp/afile.txt)",
		map[string]string{"action": "cron-command", "user": "root", "process.command_line": "sleep $(( 1 * 60 )); touch /tmp/afile.txt"}},
	{"cronie src/do_command.c: \"(%s) CMD (%s)\" under CROND",
		"Nov  2 10:24:55 web01 CROND[4401]: (root) CMD (run-parts /etc/cron.hourly)",
		map[string]string{"action": "cron-command", "user": "root", "process.command_line": "run-parts /etc/cron.hourly"}},

	// systemd-logind
	{"systemd src/login/logind-session.c (before 255): \"New session %s of user %s.\"",
		"Nov  2 10:24:55 web01 systemd-logind[611]: New session 42 of user deploy.",
		map[string]string{"action": "session-opened", "user": "deploy", "labels.session.id": "42"}},
	{"systemd src/login/logind-session.c (255+): \"New session '%s' of user '%s' with class '%s' and type '%s'.\"",
		"Nov  2 10:24:55 web01 systemd-logind[611]: New session '42' of user 'deploy' with class 'user' and type 'tty'.",
		map[string]string{"action": "session-opened", "user": "deploy", "labels.session.id": "42", "labels.session.class": "user", "labels.session.type": "tty"}},
	{"systemd src/login/logind-session.c: \"Removed session %s.\"",
		"Nov  2 10:24:55 web01 systemd-logind[611]: Removed session 42.",
		map[string]string{"action": "session-closed", "labels.session.id": "42"}},
	{"systemd src/login/logind-session.c: \"Session %s logged out. Waiting for processes to exit.\"",
		"Nov  2 10:24:55 web01 systemd-logind[611]: Session 42 logged out. Waiting for processes to exit.",
		map[string]string{"action": "session-logged-out", "labels.session.id": "42"}},

	// spacing: the header split first, then the message
	{"tolerance: several blanks between every field and in the message",
		"Nov   2   10:24:55   web01   sshd[4242]:   Failed   password   for   root   from   203.0.113.7   port   40002   ssh2",
		map[string]string{"action": "ssh-login", "outcome": "failure", "user": "root", "source.ip": "203.0.113.7", "source.port": "40002", "host": "web01"}},
	{"tolerance: a tab after the tag",
		"Nov  2 10:24:55 web01 sshd[4242]:\tAccepted password for root from 203.0.113.7 port 40002 ssh2",
		map[string]string{"action": "ssh-login", "outcome": "success", "user": "root"}},
	{"tolerance: no host (forwarded without one)",
		"Nov  2 10:24:55 sshd[4242]: Accepted password for root from 203.0.113.7 port 40002 ssh2",
		map[string]string{"action": "ssh-login", "user": "root", "process.pid": "4242"}},
	{"tolerance: a line that only looks like a login stays a log line",
		"Nov  2 10:24:55 web01 myapp[1]: Accepted password for root from 203.0.113.7 port 40002 ssh2",
		map[string]string{"action": "log-line"}},
}

// fieldOf reads a field of an event by the names the table uses.
func fieldOf(e timeline.Event, name string) string {
	switch name {
	case "action":
		return e.Event.Action
	case "outcome":
		return e.Event.Outcome
	case "user":
		if e.User == nil {
			return ""
		}
		return e.User.Name
	case "user.id":
		if e.User == nil {
			return ""
		}
		return e.User.ID
	case "host":
		if e.Host == nil {
			return ""
		}
		return e.Host.Name
	case "source.ip", "source.port", "destination.ip", "destination.port":
		ep := e.Source
		if strings.HasPrefix(name, "destination.") {
			ep = e.Destination
		}
		if ep == nil {
			return ""
		}
		if strings.HasSuffix(name, ".port") {
			return strconv.Itoa(ep.Port)
		}
		if ep.IP != "" {
			return ep.IP
		}
		return ep.Address
	case "process.pid", "process.name", "process.command_line", "process.working_directory":
		if e.Process == nil {
			return ""
		}
		switch name {
		case "process.pid":
			return strconv.FormatInt(e.Process.PID, 10)
		case "process.name":
			return e.Process.Name
		case "process.working_directory":
			return e.Process.WorkingDir
		}
		return e.Process.CommandLine
	}
	if k, ok := strings.CutPrefix(name, "labels."); ok {
		return e.Labels[k]
	}
	return "?" + name
}

func TestAuthSources(t *testing.T) {
	for _, c := range authSources {
		evs, ws := parse(t, c.line+"\n", timeline.Origin{ModTime: mtime, Host: "web01"})
		if len(evs) != 1 || len(ws) != 0 {
			t.Errorf("%s\n%s: %d events, warnings %+v", c.from, c.line, len(evs), ws)
			continue
		}
		for k, want := range c.want {
			if got := fieldOf(evs[0], k); got != want {
				t.Errorf("%s\n%s\n  %s = %q, want %q", c.from, c.line, k, got, want)
			}
		}
	}
}
