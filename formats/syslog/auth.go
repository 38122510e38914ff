package syslog

// The meaning of authentication lines, as OpenSSH's sshd, sudo, su,
// shadow-utils (useradd, usermod, userdel, groupadd, passwd, chpasswd),
// PAM's pam_unix, cron and systemd-logind write them. A line that matches
// none keeps action "log-line".

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

var (
	reAccepted    = regexp.MustCompile(`^Accepted (\S+) for (.+?) from (\S+) port (\d+)(?: (\S+))?(?:: (.*))?$`)
	reFailed      = regexp.MustCompile(`^Failed (\S+) for (invalid user )?(.*?) from (\S+) port (\d+)`)
	reInvalid     = regexp.MustCompile(`^Invalid user (.*?) from (\S+)(?: port (\d+))?`)
	reClosed      = regexp.MustCompile(`^(Connection closed|Disconnected|Connection reset) (?:by|from) (?:(authenticating|invalid) user (.*?) |user (.*?) )?(\S+) port (\d+)`)
	reReceived    = regexp.MustCompile(`^Received disconnect from (\S+) port (\d+)`)
	reMaxAuth     = regexp.MustCompile(`^(?:error: )?maximum authentication attempts exceeded for (invalid user )?(.*?) from (\S+) port (\d+)`)
	reNoIdent     = regexp.MustCompile(`^Did not receive identification string from (\S+)(?: port (\d+))?`)
	rePamSession  = regexp.MustCompile(`^pam_unix\(([^:)]+):session\): session (opened|closed) for user ([^\s(]+)(?:\(uid=\d+\))?(?: by (\S*?)(?:\(uid=(\d+)\))?)?$`)
	rePamAuthFail = regexp.MustCompile(`^pam_unix\(([^:)]+):auth\): authentication failure;.*?(?:rhost=(\S*))?\s*(?:user=(\S+))?$`)
	rePasswd      = regexp.MustCompile(`^pam_unix\((?:passwd|chpasswd|chage):chauthtok\): password changed for (\S+)`)
	reSudo        = regexp.MustCompile(`^\s*(\S+) : (?:(.*?) ; )?TTY=(\S+) ; PWD=(.*?) ; USER=(\S+) ;(?: (?:GROUP|ENV|TSID)=[^;]* ;)* COMMAND=(.*)$`)
	reSuTo        = regexp.MustCompile(`^\(to (\S+)\) (\S+) on (\S+)`)
	reSuOK        = regexp.MustCompile(`^Successful su for (\S+) by (\S+)`)
	reSuFail      = regexp.MustCompile(`^FAILED su for (\S+) by (\S+)`)
	reNewUser     = regexp.MustCompile(`^new user: name=([^,]+), UID=(\d+), GID=(\d+)(?:, home=([^,]*))?(?:, shell=([^,]*))?`)
	reNewGroup    = regexp.MustCompile(`^new group: name=([^,]+), GID=(\d+)`)
	reDelUser     = regexp.MustCompile(`^delete user '([^']+)'`)
	reAddToGroup  = regexp.MustCompile(`^add '([^']+)' to (?:shadow )?group '([^']+)'`)
	rePasswdCmd   = regexp.MustCompile(`^password for '([^']+)' changed by '([^']+)'`)
	reCron        = regexp.MustCompile(`^\((\S+)\) CMD \((.*)\)$`)
	reLogind      = regexp.MustCompile(`^New session (\S+) of user (\S+)\.`)
)

func interpret(ev *timeline.Event, prog, msg string) {
	set := func(action, outcome string, category ...string) {
		ev.Event.Action, ev.Event.Outcome, ev.Event.Category = action, outcome, category
	}
	user := func(name string) {
		if name = strings.TrimSpace(name); name != "" {
			ev.User = &timeline.User{Name: textio.Cut(name, 256)}
		}
	}
	source := func(ip, port string) {
		p, _ := strconv.Atoi(port)
		ep := &timeline.Endpoint{Port: p}
		if isIP(ip) {
			ep.IP = ip
		} else {
			ep.Address = textio.Cut(ip, 256)
		}
		ev.Source = ep
	}
	name := strings.ToLower(prog)
	switch {
	case strings.HasPrefix(name, "sshd"):
		switch {
		case reAccepted.MatchString(msg):
			m := reAccepted.FindStringSubmatch(msg)
			set("ssh-login", "success", "authentication", "session")
			ev.Event.Type = []string{"start"}
			ev.Cordon.TimeMeaning = timeline.MeaningLogin
			user(m[2])
			source(m[3], m[4])
			ev.Labels["ssh.method"] = m[1]
			if m[6] != "" {
				ev.Labels["ssh.key"] = textio.Cut(m[6], 512)
			}
		case reFailed.MatchString(msg):
			m := reFailed.FindStringSubmatch(msg)
			set("ssh-login", "failure", "authentication")
			user(m[3])
			source(m[4], m[5])
			ev.Labels["ssh.method"] = m[1]
			if m[2] != "" {
				ev.Labels["ssh.invalid_user"] = "true"
			}
		case reMaxAuth.MatchString(msg):
			m := reMaxAuth.FindStringSubmatch(msg)
			set("ssh-login", "failure", "authentication")
			user(m[2])
			source(m[3], m[4])
			ev.Labels["ssh.max_attempts"] = "true"
		case reInvalid.MatchString(msg):
			m := reInvalid.FindStringSubmatch(msg)
			set("ssh-invalid-user", "failure", "authentication")
			user(m[1])
			source(m[2], m[3])
			ev.Labels["ssh.invalid_user"] = "true"
		case reClosed.MatchString(msg):
			m := reClosed.FindStringSubmatch(msg)
			set("ssh-disconnect", "unknown", "network", "session")
			user(m[3] + m[4])
			source(m[5], m[6])
			if m[2] != "" {
				ev.Labels["ssh.stage"] = m[2]
			}
		case reReceived.MatchString(msg):
			m := reReceived.FindStringSubmatch(msg)
			set("ssh-disconnect", "unknown", "network", "session")
			source(m[1], m[2])
		case reNoIdent.MatchString(msg):
			m := reNoIdent.FindStringSubmatch(msg)
			set("ssh-scan", "failure", "network")
			source(m[1], m[2])
		}
	case name == "sudo":
		if m := reSudo.FindStringSubmatch(msg); m != nil {
			set("sudo-command", "success", "process", "iam")
			ev.Cordon.TimeMeaning = timeline.MeaningCommand
			user(m[1])
			if m[2] != "" {
				ev.Event.Outcome = "failure"
				ev.Labels["sudo.error"] = textio.Cut(m[2], 512)
			}
			ev.Labels["sudo.tty"], ev.Labels["sudo.pwd"], ev.Labels["sudo.target_user"] = m[3], textio.Cut(m[4], 1024), m[5]
			ev.Process.CommandLine = textio.Cut(m[6], 4096)
		}
	case name == "su":
		switch {
		case reSuTo.MatchString(msg):
			m := reSuTo.FindStringSubmatch(msg)
			set("su", "success", "authentication", "iam")
			user(m[2])
			ev.Labels["su.target_user"], ev.Labels["su.tty"] = m[1], m[3]
		case reSuOK.MatchString(msg):
			m := reSuOK.FindStringSubmatch(msg)
			set("su", "success", "authentication", "iam")
			user(m[2])
			ev.Labels["su.target_user"] = m[1]
		case reSuFail.MatchString(msg):
			m := reSuFail.FindStringSubmatch(msg)
			set("su", "failure", "authentication", "iam")
			user(m[2])
			ev.Labels["su.target_user"] = m[1]
		}
	case name == "cron" || name == "crond":
		if m := reCron.FindStringSubmatch(msg); m != nil {
			set("cron-command", "success", "process")
			ev.Cordon.TimeMeaning = timeline.MeaningCommand
			user(m[1])
			ev.Process.CommandLine = textio.Cut(m[2], 4096)
		}
	case name == "systemd-logind":
		if m := reLogind.FindStringSubmatch(msg); m != nil {
			set("session-opened", "success", "session")
			user(m[2])
			ev.Labels["session.id"] = m[1]
		}
	}
	if ev.Event.Action != "log-line" {
		return
	}
	// lines any program may write
	switch {
	case rePamSession.MatchString(msg):
		m := rePamSession.FindStringSubmatch(msg)
		set("session-"+m[2], "success", "session")
		user(m[3])
		ev.Labels["pam.service"] = m[1]
		if m[4] != "" {
			ev.Labels["pam.by"] = m[4]
		}
	case rePamAuthFail.MatchString(msg):
		m := rePamAuthFail.FindStringSubmatch(msg)
		set("authentication-failed", "failure", "authentication")
		ev.Labels["pam.service"] = m[1]
		user(m[3])
		if m[2] != "" {
			source(m[2], "")
		}
	case rePasswd.MatchString(msg):
		set("password-changed", "success", "iam")
		user(rePasswd.FindStringSubmatch(msg)[1])
	case rePasswdCmd.MatchString(msg):
		m := rePasswdCmd.FindStringSubmatch(msg)
		set("password-changed", "success", "iam")
		user(m[1])
		ev.Labels["changed_by"] = m[2]
	case reNewUser.MatchString(msg):
		m := reNewUser.FindStringSubmatch(msg)
		set("user-created", "success", "iam")
		user(m[1])
		ev.User.ID = m[2]
		ev.Labels["user.home"], ev.Labels["user.shell"] = textio.Cut(m[4], 1024), textio.Cut(m[5], 256)
	case reNewGroup.MatchString(msg):
		m := reNewGroup.FindStringSubmatch(msg)
		set("group-created", "success", "iam")
		ev.Labels["group.name"], ev.Labels["group.id"] = m[1], m[2]
	case reDelUser.MatchString(msg):
		set("user-deleted", "success", "iam")
		user(reDelUser.FindStringSubmatch(msg)[1])
	case reAddToGroup.MatchString(msg):
		m := reAddToGroup.FindStringSubmatch(msg)
		set("user-added-to-group", "success", "iam")
		user(m[1])
		ev.Labels["group.name"] = m[2]
	}
}

func isIP(s string) bool {
	if s == "" || len(s) > 45 {
		return false
	}
	dots, colons := strings.Count(s, "."), strings.Count(s, ":")
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || c == ':' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return dots == 3 || colons >= 2
}
