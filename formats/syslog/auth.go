package syslog

// auth.go gives authentication lines their meaning, from the formats the
// programs write (each cited where it is matched; auth_sources_test.go
// holds a line of each, with where it came from):
//
//   - OpenSSH sshd (auth.c auth_log, auth_maxtries_exceeded, getpwnamallow;
//     sshd.c/sshd-session.c "Connection from"; packet.c sshpkt_fatal and
//     the log preamble "authenticating user U", "invalid user U", "user U";
//     kex.c / sshd.c identification exchange). OpenSSH 9.8 and later log
//     as "sshd-session", 10 as "sshd-auth" too.
//   - Linux-PAM modules (pam_unix support.c, pam_unix_auth.c,
//     pam_unix_sess.c, pam_unix_passwd.c; pam_succeed_if; pam_faillock),
//     written "pam_unix(SERVICE:TYPE): …" by pam_syslog, "PAM N more
//     authentication failures; …" when a stack ends, and, by old Linux-PAM,
//     under a tag of their own: "sshd(pam_unix)[PID]: …".
//   - shadow-utils (useradd, usermod, userdel, groupadd, groupdel, passwd,
//     chpasswd, gpasswd, chage), quoting names '…' (older versions `…').
//   - sudo (plugins/sudoers logging: "USER : [REASON ; ]TTY=… ; PWD=… ;
//     USER=… ; [GROUP=… ; ][ENV=… ; ]COMMAND=…").
//   - su, util-linux ("(to T) U on TTY", "FAILED SU (to T) U on TTY") and
//     shadow ("Successful su for T by U", "FAILED su for T by U").
//   - cron and cronie ("(USER) CMD (COMMAND)").
//   - systemd-logind ("New session N of user U.", since 255 "New session
//     'N' of user 'U' with class 'C' and type 'T'.", "Removed session N.",
//     "Session N logged out. Waiting for processes to exit.").
//
// Matching is by hand (prefixes, the last " from ADDR port N"), after runs
// of blanks are made one: a line keeps its meaning whatever the spacing.
// A line that matches none keeps action "log-line". Names, addresses and
// commands are the attacker's: each is bounded.

import (
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// meaning is what interpret sets on an event.
type meaning struct {
	ev *timeline.Event
}

func (m meaning) set(action, outcome string, category ...string) {
	m.ev.Event.Action, m.ev.Event.Outcome, m.ev.Event.Category = action, outcome, category
}

func (m meaning) user(name string) {
	if name = strings.TrimSpace(name); name != "" {
		if m.ev.User == nil {
			m.ev.User = &timeline.User{}
		}
		m.ev.User.Name = textio.Cut(name, 256)
	}
}

func (m meaning) userID(id string) {
	if id = strings.TrimSpace(id); id != "" {
		if m.ev.User == nil {
			m.ev.User = &timeline.User{}
		}
		m.ev.User.ID = textio.Cut(id, 16)
	}
}

func (m meaning) label(k, v string, max int) {
	if v != "" {
		m.ev.Labels[k] = textio.Cut(v, max)
	}
}

func endpoint(addr string, port int) *timeline.Endpoint {
	ep := &timeline.Endpoint{Port: port}
	if isIP(addr) {
		ep.IP = addr
	} else {
		ep.Address = textio.Cut(addr, 256)
	}
	return ep
}

func (m meaning) source(addr string, port int) {
	if addr = strings.TrimSpace(addr); addr != "" {
		m.ev.Source = endpoint(addr, port)
	}
}

// programOf names the program for matching: its base name (a tag may be
// "/sbin/anacron"), lower case, OpenSSH's privilege-separated children
// ("sshd-session", "sshd-auth") as sshd.
func programOf(prog string) string {
	if i := strings.LastIndexByte(prog, '/'); i >= 0 {
		prog = prog[i+1:]
	}
	p := strings.ToLower(prog)
	switch p {
	case "sshd-session", "sshd-auth":
		return "sshd"
	}
	return p
}

// Interpret gives a message that program wrote the meaning auth-log lines
// have, for logs that keep the program and the message apart (the
// journal's SYSLOG_IDENTIFIER and MESSAGE). It reports whether the
// message has one; when not, the event is left as it was.
func Interpret(ev *timeline.Event, program, message string) bool {
	scratch := *ev
	scratch.Labels = map[string]string{}
	scratch.Event.Action = "log-line"
	if ev.Process != nil {
		p := *ev.Process
		scratch.Process = &p
	}
	interpret(&scratch, program, "", message)
	if scratch.Event.Action == "log-line" {
		return false
	}
	labels := ev.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	for k, v := range scratch.Labels {
		labels[k] = v
	}
	*ev = scratch
	ev.Labels = labels
	return true
}

// interpret sets the meaning of a message written by prog (pamModule:
// the module of an old "prog(pam_unix)" tag).
func interpret(ev *timeline.Event, prog, pamModule, msg string) {
	m := meaning{ev}
	msg = collapseBlanks(msg)
	name := programOf(prog)
	if pamModule != "" {
		if interpretPAM(m, pamModule, name, "", msg) {
			return
		}
	}
	switch name {
	case "sshd":
		if interpretSSHD(m, msg) {
			return
		}
	case "sudo":
		if interpretSudo(m, msg) {
			return
		}
	case "su":
		if interpretSu(m, msg) {
			return
		}
	case "cron", "crond":
		if interpretCron(m, msg) {
			return
		}
	case "systemd-logind":
		if interpretLogind(m, msg) {
			return
		}
	}
	// lines any program may write: PAM modules, shadow-utils
	if rest, ok := strings.CutPrefix(msg, "PAM "); ok && interpretPAMEnd(m, name, rest) {
		return
	}
	if mod, svc, typ, rest, ok := pamTag(msg); ok && interpretPAM(m, mod, svc, typ, rest) {
		return
	}
	interpretShadow(m, msg)
}

// collapseBlanks makes every run of spaces and tabs one space.
func collapseBlanks(s string) string {
	if !strings.Contains(s, "  ") && !strings.ContainsRune(s, '\t') {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	blank := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' {
			if !blank {
				b.WriteByte(' ')
			}
			blank = true
			continue
		}
		blank = false
		b.WriteByte(c)
	}
	return b.String()
}

// fromPort finds the last " from ADDR port N" in s (sshd writes the user
// before it, and a user name is the client's to choose: the last one is
// sshd's own). It returns what precedes and follows it.
func fromPort(s string) (before, addr string, port int, after string, ok bool) {
	for end := len(s); end > 0; {
		i := strings.LastIndex(s[:end], " from ")
		if i < 0 {
			break
		}
		a, p, rest, ok := addrPort(s[i+len(" from "):])
		if ok {
			return s[:i], a, p, rest, true
		}
		end = i
	}
	return "", "", 0, "", false
}

// addrPort reads "ADDR port N" at the start of s and what follows it,
// which must be the end, a space or a ':'.
func addrPort(s string) (addr string, port int, rest string, ok bool) {
	sp := strings.IndexByte(s, ' ')
	if sp <= 0 || !strings.HasPrefix(s[sp:], " port ") {
		return "", 0, "", false
	}
	addr, rest = s[:sp], s[sp+len(" port "):]
	n := digits(rest, 5)
	if n == 0 {
		return "", 0, "", false
	}
	port, _ = strconv.Atoi(rest[:n])
	rest = rest[n:]
	if rest != "" && rest[0] != ' ' && rest[0] != ':' {
		return "", 0, "", false
	}
	return addr, port, rest, true
}

// cutPreauth takes off sshd's " [preauth]" (the unprivileged child wrote it).
func cutPreauth(s string) (string, bool) {
	if r, ok := strings.CutSuffix(s, " [preauth]"); ok {
		return r, true
	}
	return s, false
}

// interpretSSHD matches OpenSSH's sshd.
func interpretSSHD(m meaning, msg string) bool {
	msg, preauth := cutPreauth(msg)
	if preauth {
		m.ev.Labels["ssh.preauth"] = "true"
	}
	msg = strings.TrimPrefix(msg, "error: ")
	msg = strings.TrimPrefix(msg, "fatal: ")
	switch {
	// auth.c auth_log: "%s %s%s%s for %s%.100s from %.200s port %d ssh2%s%s"
	// (before OpenSSH 7.4: "… port %d %s" with ssh1 or ssh2, or nothing)
	case hasAnyPrefix(msg, "Accepted ", "Failed ", "Partial ", "Postponed "):
		verb, rest, _ := strings.Cut(msg, " ")
		method, rest, ok := strings.Cut(rest, " for ")
		if !ok {
			return false
		}
		who, addr, port, after, ok := fromPort(rest)
		if !ok {
			return false
		}
		invalid := false
		if u, ok := strings.CutPrefix(who, "invalid user "); ok {
			who, invalid = u, true
		}
		switch verb {
		case "Accepted":
			m.set("ssh-login", "success", "authentication", "session")
			m.ev.Event.Type = []string{"start"}
			m.ev.Cordon.TimeMeaning = timeline.MeaningLogin
		case "Failed":
			m.set("ssh-login", "failure", "authentication")
			m.ev.Event.Type = []string{"start"}
		case "Partial":
			m.set("ssh-auth-partial", "success", "authentication")
		default:
			m.set("ssh-auth-postponed", "unknown", "authentication")
		}
		m.user(who)
		m.source(addr, port)
		m.label("ssh.method", method, 64)
		if invalid {
			m.ev.Labels["ssh.invalid_user"] = "true"
		}
		after = strings.TrimPrefix(after, " ")
		proto, info, _ := strings.Cut(after, ": ")
		if proto == "ssh2" || proto == "ssh1" {
			m.ev.Labels["ssh.protocol"] = proto
		} else if proto != "" && info == "" {
			info = proto
		}
		m.label("ssh.key", info, 512)
		return true
	// auth.c auth_maxtries_exceeded: "maximum authentication attempts exceeded for %s%.100s from %.200s port %d ssh2"
	case strings.HasPrefix(msg, "maximum authentication attempts exceeded for "):
		who, addr, port, _, ok := fromPort(strings.TrimPrefix(msg, "maximum authentication attempts exceeded for "))
		if !ok {
			return false
		}
		m.set("ssh-max-auth-attempts", "failure", "authentication")
		if u, ok := strings.CutPrefix(who, "invalid user "); ok {
			who = u
			m.ev.Labels["ssh.invalid_user"] = "true"
		}
		m.user(who)
		m.source(addr, port)
		return true
	// auth.c getpwnamallow: "Invalid user %.100s from %.100s port %d" (before 7.3: no port)
	case strings.HasPrefix(msg, "Invalid user "), strings.HasPrefix(msg, "Illegal user "):
		rest := msg[len("Invalid user "):]
		who, addr, port, _, ok := fromPort(rest)
		if !ok {
			i := strings.LastIndex(rest, " from ")
			if i < 0 {
				return false
			}
			who, addr = rest[:i], rest[i+len(" from "):]
		}
		m.set("ssh-invalid-user", "failure", "authentication")
		m.user(who)
		m.source(addr, port)
		m.ev.Labels["ssh.invalid_user"] = "true"
		return true
	// auth2.c (before 7.4): "input_userauth_request: invalid user %s"
	case strings.HasPrefix(msg, "input_userauth_request: invalid user "):
		m.set("ssh-invalid-user", "failure", "authentication")
		m.user(strings.TrimPrefix(msg, "input_userauth_request: invalid user "))
		m.ev.Labels["ssh.invalid_user"] = "true"
		return true
	// sshd.c: "Connection from %s port %d on %s port %d[ rdomain \"%s\"]" (before 6.x: "Connection from %.500s port %d")
	case strings.HasPrefix(msg, "Connection from "):
		addr, port, rest, ok := addrPort(strings.TrimPrefix(msg, "Connection from "))
		if !ok {
			return false
		}
		m.set("ssh-connection", "unknown", "network")
		m.ev.Event.Type = []string{"connection", "start"}
		m.ev.Cordon.TimeMeaning = timeline.MeaningConnOpened
		m.source(addr, port)
		if l, ok := strings.CutPrefix(rest, " on "); ok {
			if la, lp, _, ok := addrPort(l); ok {
				m.ev.Destination = endpoint(la, lp)
			}
		}
		return true
	// packet.c sshpkt_fatal: "Connection closed by %s", "Disconnected from %s",
	// "Connection reset by %s", "Connection from %s timed out", where %s is
	// "[PREAMBLE ]ADDR port N" and the preamble "authenticating user U",
	// "invalid user U" or "user U" (auth2.c); before 7.5 no preamble, and
	// before 6.x no port.
	case hasAnyPrefix(msg, "Connection closed by ", "Disconnected from ", "Connection reset by ", "Timeout, client not responding from "):
		var rest string
		for _, p := range []string{"Connection closed by ", "Disconnected from ", "Connection reset by ", "Timeout, client not responding from "} {
			if r, ok := strings.CutPrefix(msg, p); ok {
				rest = r
				break
			}
		}
		return sshDisconnect(m, rest, "")
	case strings.HasPrefix(msg, "Disconnecting "):
		// sshpkt_disconnect via packet_disconnect: "Disconnecting %s: %.100s"
		rest, reason, _ := strings.Cut(strings.TrimPrefix(msg, "Disconnecting "), ": ")
		return sshDisconnect(m, rest, reason)
	// packet.c: "Received disconnect from %s port %d:%u: %.400s" (older: "Received disconnect from %s: %u: %.400s")
	case strings.HasPrefix(msg, "Received disconnect from "):
		rest := strings.TrimPrefix(msg, "Received disconnect from ")
		if addr, port, after, ok := addrPort(rest); ok {
			m.source(addr, port)
			m.label("ssh.reason", strings.TrimPrefix(after, ":"), 512)
		} else if a, r, ok := strings.Cut(rest, ": "); ok {
			m.source(a, 0)
			m.label("ssh.reason", r, 512)
		} else {
			return false
		}
		m.set("ssh-disconnect", "unknown", "network", "session")
		m.ev.Event.Type = []string{"end"}
		return true
	// sshd.c (before 8.1): "Did not receive identification string from %s port %d"
	case strings.HasPrefix(msg, "Did not receive identification string from "):
		rest := strings.TrimPrefix(msg, "Did not receive identification string from ")
		if addr, port, _, ok := addrPort(rest); ok {
			m.source(addr, port)
		} else {
			m.source(rest, 0)
		}
		m.set("ssh-scan", "failure", "network")
		return true
	// kex.c (8.1+): "kex_exchange_identification: …" (the address is on the
	// next line), "banner exchange: Connection from %s port %d: …",
	// "Unable to negotiate with %s port %d: no matching …",
	// "Bad protocol version identification '%.100s' from %s port %d"
	case strings.HasPrefix(msg, "kex_exchange_identification: "):
		m.set("ssh-scan", "failure", "network")
		m.label("ssh.reason", strings.TrimPrefix(msg, "kex_exchange_identification: "), 512)
		return true
	case strings.HasPrefix(msg, "banner exchange: Connection from "), strings.HasPrefix(msg, "Unable to negotiate with "):
		rest := strings.TrimPrefix(strings.TrimPrefix(msg, "banner exchange: Connection from "), "Unable to negotiate with ")
		addr, port, after, ok := addrPort(rest)
		if !ok {
			return false
		}
		m.set("ssh-scan", "failure", "network")
		m.source(addr, port)
		m.label("ssh.reason", strings.TrimPrefix(after, ": "), 512)
		return true
	case strings.HasPrefix(msg, "Bad protocol version identification "):
		_, addr, port, _, ok := fromPort(msg)
		if !ok {
			return false
		}
		m.set("ssh-scan", "failure", "network")
		m.source(addr, port)
		return true
	// auth.c auth_root_allowed: "ROOT LOGIN REFUSED FROM %.200s port %d"
	case strings.HasPrefix(msg, "ROOT LOGIN REFUSED FROM "):
		addr, port, _, ok := addrPort(strings.TrimPrefix(msg, "ROOT LOGIN REFUSED FROM "))
		if !ok {
			return false
		}
		m.set("ssh-login-refused", "failure", "authentication")
		m.user("root")
		m.source(addr, port)
		return true
	// auth.c allowed_user: "User %.100s from %.100s not allowed because …"
	case strings.HasPrefix(msg, "User ") && strings.Contains(msg, " not allowed because "):
		head, why, _ := strings.Cut(msg[len("User "):], " not allowed because ")
		i := strings.LastIndex(head, " from ")
		if i < 0 {
			return false
		}
		m.set("ssh-login-refused", "failure", "authentication")
		m.user(head[:i])
		m.source(head[i+len(" from "):], 0)
		m.label("ssh.reason", why, 512)
		return true
	// sshd.c server_accept_loop: "Server listening on %s port %s."
	case strings.HasPrefix(msg, "Server listening on "):
		addr, port, _, ok := addrPort(strings.TrimSuffix(strings.TrimPrefix(msg, "Server listening on "), "."))
		if !ok {
			return false
		}
		m.set("ssh-listening", "success", "network")
		m.ev.Destination = endpoint(addr, port)
		return true
	// session.c (LogLevel VERBOSE): "Starting session: %s%s%s for %s from %.200s port %d id %d"
	case strings.HasPrefix(msg, "Starting session: "):
		rest := strings.TrimPrefix(msg, "Starting session: ")
		i := strings.LastIndex(rest, " for ")
		if i < 0 {
			return false
		}
		who, addr, port, _, ok := fromPort(rest[i+len(" for "):])
		if !ok {
			return false
		}
		m.set("ssh-session-start", "success", "session")
		m.user(who)
		m.source(addr, port)
		m.label("ssh.session", rest[:i], 256)
		return true
	}
	if rest, ok := strings.CutPrefix(msg, "PAM "); ok {
		return interpretPAMEnd(m, "sshd", rest)
	}
	return false
}

// sshDisconnect reads "[authenticating |invalid ]user U ADDR port N" (or
// "ADDR port N", or "ADDR" alone) after a disconnection verb.
func sshDisconnect(m meaning, rest, reason string) bool {
	stage := ""
	for _, p := range []string{"authenticating user ", "invalid user ", "user "} {
		if r, ok := strings.CutPrefix(rest, p); ok {
			stage, rest = strings.TrimSuffix(p, "user "), r
			stage = strings.TrimSpace(stage)
			// the user name runs up to the last "ADDR port N"
			i := strings.LastIndex(rest, " port ")
			if i < 0 {
				return false
			}
			sp := strings.LastIndexByte(rest[:i], ' ')
			if sp < 0 {
				return false
			}
			m.user(rest[:sp])
			rest = rest[sp+1:]
			if stage == "" {
				stage = "authenticated"
			}
			break
		}
	}
	addr, port, _, ok := addrPort(rest)
	if !ok {
		a := strings.TrimSpace(rest)
		if a == "" || strings.ContainsRune(a, ' ') {
			return false
		}
		addr = a
	}
	m.set("ssh-disconnect", "unknown", "network", "session")
	m.ev.Event.Type = []string{"end"}
	m.source(addr, port)
	m.label("ssh.stage", stage, 32)
	m.label("ssh.reason", reason, 512)
	if stage == "invalid" {
		m.ev.Labels["ssh.invalid_user"] = "true"
	}
	return true
}

func hasAnyPrefix(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// pamTag reads "MODULE(SERVICE:TYPE): REST", pam_syslog's prefix
// (Linux-PAM libpam/pam_syslog.c).
func pamTag(msg string) (mod, svc, typ, rest string, ok bool) {
	if !strings.HasPrefix(msg, "pam_") {
		return "", "", "", "", false
	}
	open := strings.IndexByte(msg, '(')
	end := strings.Index(msg, "): ")
	if open < 0 || end < open || end > 128 {
		return "", "", "", "", false
	}
	mod = msg[:open]
	svc, typ, _ = strings.Cut(msg[open+1:end], ":")
	return mod, svc, typ, msg[end+3:], true
}

// pamFields reads pam_unix's "logname=L uid=U euid=E tty=T ruser=R rhost=H[ user=X]".
func pamFields(s string) map[string]string {
	out := map[string]string{}
	for _, w := range strings.Split(s, " ") {
		if k, v, ok := strings.Cut(w, "="); ok && len(out) < 16 {
			out[k] = v
		}
	}
	return out
}

// interpretPAM matches what Linux-PAM modules write; svc is the PAM
// service ("sshd", "su", "sudo", "cron", …).
func interpretPAM(m meaning, mod, svc, typ, msg string) bool {
	m.label("pam.module", mod, 64)
	m.label("pam.service", svc, 64)
	switch {
	// pam_unix support.c: "authentication failure; logname=%s uid=%d euid=%d tty=%s ruser=%s rhost=%s %s%s"
	// (other modules, pam_sss for one, write the same)
	case strings.HasPrefix(msg, "authentication failure; "):
		kv := pamFields(strings.TrimPrefix(msg, "authentication failure; "))
		m.set("authentication-failed", "failure", "authentication")
		m.ev.Event.Type = []string{"start"}
		m.user(kv["user"])
		m.source(kv["rhost"], 0)
		m.label("pam.ruser", kv["ruser"], 256)
		m.label("pam.tty", kv["tty"], 256)
		m.label("pam.logname", kv["logname"], 256)
		return true
	// support.c _cleanup_failures: "%d more authentication failure%s; logname=…"
	case strings.Contains(msg, " more authentication failure"):
		return interpretPAMEnd(m, svc, msg)
	// pam_unix_auth.c / support.c: "check pass; user unknown", "check pass; user (%s) unknown"
	case strings.HasPrefix(msg, "check pass; user "):
		m.set("authentication-user-unknown", "failure", "authentication")
		if u, ok := strings.CutPrefix(msg, "check pass; user ("); ok {
			m.user(strings.TrimSuffix(u, ") unknown"))
		}
		return true
	// pam_unix_sess.c: "session opened for user %s(uid=%u) by %s(uid=%lu)"
	// (before Linux-PAM 1.5: "session opened for user %s by %s(uid=%lu)"), "session closed for user %s"
	case strings.HasPrefix(msg, "session opened for user "), strings.HasPrefix(msg, "session closed for user "):
		opened := strings.HasPrefix(msg, "session opened")
		rest := msg[len("session opened for user "):]
		who, by, _ := strings.Cut(rest, " by ")
		if i := strings.Index(who, "(uid="); i >= 0 {
			m.userID(strings.TrimSuffix(who[i+len("(uid="):], ")"))
			who = who[:i]
		}
		if opened {
			m.set("session-opened", "success", "session")
			m.ev.Event.Type = []string{"start"}
		} else {
			m.set("session-closed", "success", "session")
			m.ev.Event.Type = []string{"end"}
		}
		m.user(who)
		if by != "" {
			if i := strings.Index(by, "(uid="); i >= 0 {
				m.label("pam.by_uid", strings.TrimSuffix(by[i+len("(uid="):], ")"), 16)
				by = by[:i]
			}
			m.label("pam.by", by, 256)
		}
		return true
	// pam_unix_passwd.c: "password changed for %s"
	case strings.HasPrefix(msg, "password changed for "):
		m.set("password-changed", "success", "iam")
		m.ev.Event.Type = []string{"user", "change"}
		m.user(strings.TrimPrefix(msg, "password changed for "))
		return true
	// pam_succeed_if.c: "requirement \"%s\" not met by user \"%s\""
	case strings.HasPrefix(msg, "requirement ") && strings.Contains(msg, " not met by user "):
		req, who, _ := strings.Cut(strings.TrimPrefix(msg, "requirement "), " not met by user ")
		m.set("authentication-requirement-not-met", "failure", "authentication")
		m.user(strings.Trim(who, `"`))
		m.label("pam.requirement", strings.Trim(req, `"`), 256)
		return true
	// pam_faillock.c: "Consecutive login failures for user %s account temporarily locked"
	case strings.HasPrefix(msg, "Consecutive login failures for user "):
		m.set("account-locked", "failure", "authentication", "iam")
		who, _, _ := strings.Cut(strings.TrimPrefix(msg, "Consecutive login failures for user "), " ")
		m.user(who)
		return true
	}
	return false
}

// interpretPAMEnd reads "N more authentication failures; logname=… rhost=… user=…"
// (pam_unix support.c _cleanup_failures, written when the stack ends,
// "PAM " before it when libpam writes it outside a module), and "service(%s)
// ignoring max retries; %d > %d". The failures it counts are the sshd
// "Failed" lines already written: this line is a summary, not attempts.
func interpretPAMEnd(m meaning, svc, msg string) bool {
	n, rest, ok := strings.Cut(msg, " more authentication failure")
	if !ok {
		if strings.HasPrefix(msg, "service(") && strings.Contains(msg, "ignoring max retries") {
			m.set("authentication-retries-exceeded", "failure", "authentication")
			return true
		}
		return false
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 0 {
		return false
	}
	_, fields, _ := strings.Cut(rest, "; ")
	kv := pamFields(fields)
	m.set("authentication-failures-summary", "failure", "authentication")
	m.label("pam.service", svc, 64)
	m.ev.Labels["pam.more_failures"] = strconv.Itoa(count)
	m.user(kv["user"])
	m.source(kv["rhost"], 0)
	return true
}

// interpretSudo matches sudo's log line: "USER : [REASON ; ]TTY=T ; PWD=P
// ; USER=R ; [GROUP=G ; ][TSID=… ; ][ENV=… ; ]COMMAND=C" (sudoers plugin,
// logging.c / eventlog.c: the entries are joined by " ; ").
func interpretSudo(m meaning, msg string) bool {
	who, rest, ok := strings.Cut(msg, " : ")
	if !ok || strings.ContainsRune(strings.TrimSpace(who), ' ') {
		return false
	}
	cmdAt := strings.Index(rest, "COMMAND=")
	if cmdAt < 0 {
		return false
	}
	parts := strings.Split(rest[:cmdAt], " ; ")
	var reasons []string
	kv := map[string]string{}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if ok && k == strings.ToUpper(k) && !strings.ContainsRune(k, ' ') {
			if len(kv) < 16 {
				kv[k] = strings.TrimSuffix(strings.TrimSpace(v), " ;")
			}
			continue
		}
		reasons = append(reasons, p)
	}
	m.set("sudo-command", "success", "process", "iam")
	m.ev.Cordon.TimeMeaning = timeline.MeaningCommand
	m.user(who)
	if len(reasons) > 0 {
		m.ev.Event.Outcome = "failure"
		m.label("sudo.error", strings.Join(reasons, "; "), 512)
	}
	m.ev.Labels["sudo.tty"] = textio.Cut(kv["TTY"], 256)
	m.ev.Labels["sudo.pwd"] = textio.Cut(kv["PWD"], 1024)
	m.ev.Labels["sudo.target_user"] = textio.Cut(kv["USER"], 256)
	m.label("sudo.target_group", kv["GROUP"], 256)
	m.label("sudo.env", kv["ENV"], 1024)
	if m.ev.Process == nil {
		m.ev.Process = &timeline.Process{Name: "sudo"}
	}
	m.ev.Process.CommandLine = textio.Cut(rest[cmdAt+len("COMMAND="):], 4096)
	m.ev.Process.WorkingDir = textio.Cut(kv["PWD"], 1024)
	return true
}

// interpretSu matches util-linux su ("%s(to %s) %s on %s", su-common.c
// log_syslog, with "FAILED SU " or "FAILED RUNUSER " on failure) and
// shadow's su ("Successful su for %s by %s", "FAILED su for %s by %s").
func interpretSu(m meaning, msg string) bool {
	outcome := "success"
	rest := msg
	for _, p := range []string{"FAILED SU ", "FAILED RUNUSER "} {
		if r, ok := strings.CutPrefix(rest, p); ok {
			rest, outcome = r, "failure"
		}
	}
	if r, ok := strings.CutPrefix(rest, "(to "); ok {
		target, r, ok := strings.Cut(r, ") ")
		if !ok {
			return false
		}
		i := strings.LastIndex(r, " on ")
		if i < 0 {
			return false
		}
		m.set("su", outcome, "authentication", "iam")
		m.user(r[:i])
		m.label("su.target_user", target, 256)
		m.label("su.tty", r[i+len(" on "):], 256)
		return true
	}
	for _, p := range []struct{ prefix, outcome string }{{"Successful su for ", "success"}, {"FAILED su for ", "failure"}} {
		if r, ok := strings.CutPrefix(msg, p.prefix); ok {
			target, by, ok := strings.Cut(r, " by ")
			if !ok {
				return false
			}
			m.set("su", p.outcome, "authentication", "iam")
			m.user(by)
			m.label("su.target_user", target, 256)
			return true
		}
	}
	return false
}

// interpretCron matches cron's and cronie's "(USER) CMD (COMMAND)".
func interpretCron(m meaning, msg string) bool {
	if !strings.HasPrefix(msg, "(") {
		return false
	}
	who, rest, ok := strings.Cut(msg[1:], ") CMD (")
	if !ok || !strings.HasSuffix(rest, ")") {
		return false
	}
	m.set("cron-command", "success", "process")
	m.ev.Cordon.TimeMeaning = timeline.MeaningCommand
	m.user(who)
	if m.ev.Process == nil {
		m.ev.Process = &timeline.Process{}
	}
	m.ev.Process.CommandLine = textio.Cut(rest[:len(rest)-1], 4096)
	return true
}

// interpretLogind matches systemd-logind's session lines (logind-session.c).
func interpretLogind(m meaning, msg string) bool {
	switch {
	case strings.HasPrefix(msg, "New session "):
		rest := strings.TrimSuffix(strings.TrimPrefix(msg, "New session "), ".")
		id, rest, ok := strings.Cut(rest, " of user ")
		if !ok {
			return false
		}
		who, extra, _ := strings.Cut(rest, " with class ")
		m.set("session-opened", "success", "session")
		m.ev.Event.Type = []string{"start"}
		m.user(strings.Trim(who, "'"))
		m.label("session.id", strings.Trim(id, "'"), 64)
		if extra != "" {
			class, typ, _ := strings.Cut(extra, " and type ")
			m.label("session.class", strings.Trim(class, "'"), 64)
			m.label("session.type", strings.Trim(typ, "'"), 64)
		}
		return true
	case strings.HasPrefix(msg, "Removed session "):
		m.set("session-closed", "success", "session")
		m.ev.Event.Type = []string{"end"}
		m.label("session.id", strings.Trim(strings.TrimSuffix(strings.TrimPrefix(msg, "Removed session "), "."), "'"), 64)
		return true
	case strings.HasPrefix(msg, "Session ") && strings.Contains(msg, " logged out."):
		id, _, _ := strings.Cut(strings.TrimPrefix(msg, "Session "), " logged out.")
		m.set("session-logged-out", "success", "session")
		m.label("session.id", strings.Trim(id, "'"), 64)
		return true
	}
	return false
}

// quoted returns the name in '…' or `…' (older shadow-utils) at the start
// of s, and what follows.
func quoted(s string) (name, rest string, ok bool) {
	if s == "" || (s[0] != '\'' && s[0] != '`') {
		return "", "", false
	}
	end := strings.IndexByte(s[1:], '\'')
	if end < 0 {
		return "", "", false
	}
	return s[1 : 1+end], s[2+end:], true
}

// interpretShadow matches shadow-utils' syslog lines (src/useradd.c,
// usermod.c, userdel.c, groupadd.c, groupdel.c, gpasswd.c, passwd.c, chage.c).
func interpretShadow(m meaning, msg string) bool {
	switch {
	// useradd: "new user: name=%s, UID=%u, GID=%u, home=%s, shell=%s[, from=%s]"
	case strings.HasPrefix(msg, "new user: "):
		kv := commaFields(strings.TrimPrefix(msg, "new user: "))
		if kv["name"] == "" {
			return false
		}
		m.set("user-created", "success", "iam")
		m.ev.Event.Type = []string{"user", "creation"}
		m.user(kv["name"])
		m.userID(firstOf(kv, "UID", "uid"))
		m.label("user.gid", firstOf(kv, "GID", "gid"), 16)
		m.label("user.home", kv["home"], 1024)
		m.label("user.shell", kv["shell"], 256)
		m.label("shadow.from", kv["from"], 256)
		return true
	// useradd, groupadd: "new group: name=%s, GID=%u"; groupadd: "group added to %s: name=%s[, GID=%u]"
	case strings.HasPrefix(msg, "new group: "), strings.HasPrefix(msg, "group added to "):
		rest := strings.TrimPrefix(msg, "new group: ")
		if r, ok := strings.CutPrefix(msg, "group added to "); ok {
			_, rest, _ = strings.Cut(r, ": ")
		}
		kv := commaFields(rest)
		if kv["name"] == "" {
			return false
		}
		m.set("group-created", "success", "iam")
		m.ev.Event.Type = []string{"group", "creation"}
		m.label("group.name", kv["name"], 256)
		m.label("group.id", firstOf(kv, "GID", "gid"), 16)
		return true
	// userdel: "delete user '%s'"
	case strings.HasPrefix(msg, "delete user "):
		name, _, ok := quoted(strings.TrimPrefix(msg, "delete user "))
		if !ok {
			return false
		}
		m.set("user-deleted", "success", "iam")
		m.ev.Event.Type = []string{"user", "deletion"}
		m.user(name)
		return true
	// useradd, usermod: "add '%s' to group '%s'", "add '%s' to shadow group '%s'"
	case strings.HasPrefix(msg, "add "):
		name, rest, ok := quoted(strings.TrimPrefix(msg, "add "))
		if !ok {
			return false
		}
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, " to "), "shadow ")
		g, _, ok := quoted(strings.TrimPrefix(rest, "group "))
		if !ok {
			return false
		}
		m.set("user-added-to-group", "success", "iam")
		m.ev.Event.Type = []string{"group", "change"}
		m.user(name)
		m.label("group.name", g, 256)
		return true
	// gpasswd: "user %s added by %s to group %s"
	case strings.HasPrefix(msg, "user ") && strings.Contains(msg, " added by ") && strings.Contains(msg, " to group "):
		who, rest, _ := strings.Cut(strings.TrimPrefix(msg, "user "), " added by ")
		by, g, _ := strings.Cut(rest, " to group ")
		m.set("user-added-to-group", "success", "iam")
		m.ev.Event.Type = []string{"group", "change"}
		m.user(who)
		m.label("group.name", g, 256)
		m.label("changed_by", by, 256)
		return true
	// usermod: "change user '%s' password", "lock user '%s' password", "unlock user '%s' password",
	// "change user '%s' shell from '%s' to '%s'", "change user '%s' UID from '%d' to '%d'", …
	case hasAnyPrefix(msg, "change user ", "lock user ", "unlock user "):
		verb, rest, _ := strings.Cut(msg, " user ")
		name, rest, ok := quoted(rest)
		if !ok {
			return false
		}
		rest = strings.TrimSpace(rest)
		switch {
		case rest == "password" && verb == "change":
			m.set("password-changed", "success", "iam")
		case rest == "password":
			m.set("user-"+verb+"ed", "success", "iam")
		default:
			m.set("user-changed", "success", "iam")
			m.label("shadow.change", rest, 1024)
		}
		m.ev.Event.Type = []string{"user", "change"}
		m.user(name)
		return true
	// passwd: "password for '%s' changed by '%s'"
	case strings.HasPrefix(msg, "password for "):
		name, rest, ok := quoted(strings.TrimPrefix(msg, "password for "))
		if !ok {
			return false
		}
		m.set("password-changed", "success", "iam")
		m.ev.Event.Type = []string{"user", "change"}
		m.user(name)
		if by, _, ok := quoted(strings.TrimPrefix(rest, " changed by ")); ok {
			m.label("changed_by", by, 256)
		}
		return true
	// chage: "changed password expiry for %s"
	case strings.HasPrefix(msg, "changed password expiry for "):
		m.set("user-changed", "success", "iam")
		m.ev.Event.Type = []string{"user", "change"}
		m.user(strings.TrimPrefix(msg, "changed password expiry for "))
		m.label("shadow.change", "password expiry", 64)
		return true
	}
	return false
}

// commaFields reads shadow's "k=v, k=v" lists.
func commaFields(s string) map[string]string {
	out := map[string]string{}
	for _, p := range strings.Split(s, ", ") {
		if k, v, ok := strings.Cut(p, "="); ok && len(out) < 16 {
			out[strings.TrimSpace(k)] = v
		}
	}
	return out
}

func firstOf(kv map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := kv[k]; v != "" {
			return v
		}
	}
	return ""
}

// isIP reports whether s is written as an IPv4 or IPv6 address (as sshd
// writes them: no brackets, no zone).
func isIP(s string) bool {
	if s == "" || len(s) > 45 {
		return false
	}
	dots, colons := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return dots == 3 && colons == 0 || colons >= 2
}
