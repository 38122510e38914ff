// Package auditd reads the Linux audit daemon's log (/var/log/audit/audit.log
// and its rotations): lines "type=SYSCALL msg=audit(1700000000.123:456): k=v …"
// (auditd.conf(5) log_format RAW or ENRICHED; record layout in the Linux
// Audit documentation and linux/audit.h). The records of one kernel event
// share the "<time>:<serial>" stamp (SYSCALL, EXECVE, CWD, PATH, SOCKADDR,
// PROCTITLE, then EOE); they are grouped into one timeline event. EXECVE
// arguments and the other untrusted strings the kernel logs in hex are
// decoded. User-space records (USER_AUTH, USER_LOGIN, USER_START, USER_CMD,
// ADD_USER, …) are events of their own, with the inner msg='…' fields read.
package auditd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// Dataset is the event.dataset of audit events.
const Dataset = "auditd"

// Bounds: one line (the kernel caps a record near 8 KiB; MAX_AUDIT_MESSAGE_LENGTH),
// records grouped into one event, events waiting for their EOE.
const (
	MaxLine           = 1 << 20
	MaxGroupRecords   = 256
	maxPending        = 64
	pendingLineWindow = 64 // a group untouched this many lines is complete
)

type key struct {
	t      time.Time
	serial uint64
}

type group struct {
	recs     []Record
	lastLine int64
	cut      bool
}

// Parse reads an audit log from r and hands each event and warning to the
// callbacks. It returns an error only when r itself fails.
func Parse(r io.Reader, o timeline.Origin, event func(timeline.Event), warn func(timeline.Warning)) error {
	lr := textio.NewReader(r, MaxLine)
	pending := map[key]*group{}
	var order []key
	flush := func(k key) {
		g, ok := pending[k]
		if !ok {
			return
		}
		delete(pending, k)
		for i, ok := range order {
			if ok == k {
				order = append(order[:i], order[i+1:]...)
				break
			}
		}
		event(groupEvent(g, o))
	}
	warnf := func(line, off int64, format string, args ...any) {
		warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: off, Message: "audit log: " + fmt.Sprintf(format, args...)})
	}
	var readErr error
	for {
		b, line, off, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			warnf(line, off, "%v", err)
			if errors.Is(err, textio.ErrLineTooLong) {
				continue
			}
			readErr = fmt.Errorf("auditd: reading %s: %w", o.Entry, err)
			break
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		rec, err := ParseRecord(b)
		if err != nil {
			warnf(line, off, "%v", err)
			continue
		}
		rec.Line, rec.Offset = line, off
		rec.Raw = textio.Cut(textio.Safe(b), textio.MaxOriginal)
		k := key{rec.Time, rec.Serial}
		// groups left behind by an interleaving writer are complete by now
		for len(order) > 0 && (len(order) > maxPending || pending[order[0]].lastLine < line-pendingLineWindow) {
			flush(order[0])
		}
		g, open := pending[k]
		if rec.Type == "EOE" {
			if open {
				flush(k)
			}
			continue
		}
		if !open && userSpace(rec.Type) {
			// user-space records are whole events: one line each
			event(groupEvent(&group{recs: []Record{rec}}, o))
			continue
		}
		if !open {
			g = &group{}
			pending[k] = g
			order = append(order, k)
		}
		if len(g.recs) >= MaxGroupRecords {
			if !g.cut {
				warnf(line, off, "more than %d records with stamp %d:%d: the rest are not joined to the event", MaxGroupRecords, rec.Time.Unix(), rec.Serial)
			}
			g.cut = true
		} else {
			g.recs = append(g.recs, rec)
		}
		g.lastLine = line
	}
	for len(order) > 0 {
		flush(order[0])
	}
	return readErr
}

// userSpace reports whether a record type is written by a user-space
// program (PAM, sudo, shadow-utils, systemd, auditd): one record, no EOE.
func userSpace(t string) bool {
	for _, p := range []string{"USER_", "CRED_", "SERVICE_", "DAEMON_", "ADD_", "DEL_", "GRP_", "ACCT_", "SYSTEM_", "ANOM_LOGIN", "ROLE_", "SOFTWARE_UPDATE", "CHGRP_ID", "CHUSER_ID"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// syscallNames names the x86_64 system calls worth a name in a timeline
// (arch=c000003e; numbers from arch/x86/entry/syscalls/syscall_64.tbl).
var syscallNames = map[string]string{
	"2": "open", "42": "connect", "43": "accept", "49": "bind", "56": "clone", "57": "fork", "58": "vfork",
	"59": "execve", "62": "kill", "82": "rename", "87": "unlink", "90": "chmod", "92": "chown",
	"101": "ptrace", "105": "setuid", "165": "mount", "175": "init_module", "257": "openat",
	"263": "unlinkat", "268": "fchmodat", "288": "accept4", "313": "finit_module", "319": "memfd_create",
	"322": "execveat",
}

// kind of an event for the record types Cordon gives a meaning.
type kind struct {
	action   string
	category []string
	typ      []string
	meaning  timeline.Meaning
}

var kinds = map[string]kind{
	"USER_AUTH":           {"user-auth", []string{"authentication"}, []string{"info"}, timeline.MeaningLogged},
	"USER_ACCT":           {"user-acct", []string{"authentication"}, []string{"info"}, timeline.MeaningLogged},
	"USER_LOGIN":          {"user-login", []string{"authentication", "session"}, []string{"start"}, timeline.MeaningLogin},
	"USER_LOGOUT":         {"user-logout", []string{"session"}, []string{"end"}, timeline.MeaningLogout},
	"USER_START":          {"session-start", []string{"session"}, []string{"start"}, timeline.MeaningLogged},
	"USER_END":            {"session-end", []string{"session"}, []string{"end"}, timeline.MeaningLogged},
	"USER_ERR":            {"user-error", []string{"authentication"}, []string{"error"}, timeline.MeaningLogged},
	"USER_CMD":            {"user-command", []string{"process"}, []string{"start"}, timeline.MeaningCommand},
	"USER_CHAUTHTOK":      {"password-changed", []string{"iam"}, []string{"user", "change"}, timeline.MeaningLogged},
	"USER_MGMT":           {"user-management", []string{"iam"}, []string{"user", "change"}, timeline.MeaningLogged},
	"ADD_USER":            {"user-added", []string{"iam"}, []string{"user", "creation"}, timeline.MeaningLogged},
	"DEL_USER":            {"user-deleted", []string{"iam"}, []string{"user", "deletion"}, timeline.MeaningLogged},
	"ADD_GROUP":           {"group-added", []string{"iam"}, []string{"group", "creation"}, timeline.MeaningLogged},
	"DEL_GROUP":           {"group-deleted", []string{"iam"}, []string{"group", "deletion"}, timeline.MeaningLogged},
	"GRP_MGMT":            {"group-management", []string{"iam"}, []string{"group", "change"}, timeline.MeaningLogged},
	"CRED_ACQ":            {"credentials-acquired", []string{"authentication"}, []string{"info"}, timeline.MeaningLogged},
	"CRED_DISP":           {"credentials-disposed", []string{"authentication"}, []string{"info"}, timeline.MeaningLogged},
	"CRED_REFR":           {"credentials-refreshed", []string{"authentication"}, []string{"info"}, timeline.MeaningLogged},
	"SERVICE_START":       {"service-start", []string{"process"}, []string{"start"}, timeline.MeaningLogged},
	"SERVICE_STOP":        {"service-stop", []string{"process"}, []string{"end"}, timeline.MeaningLogged},
	"SYSTEM_BOOT":         {"system-boot", []string{"host"}, []string{"start"}, timeline.MeaningBoot},
	"SYSTEM_SHUTDOWN":     {"system-shutdown", []string{"host"}, []string{"end"}, timeline.MeaningLogged},
	"LOGIN":               {"login-uid-set", []string{"authentication", "session"}, []string{"start"}, timeline.MeaningLogin},
	"USER_ROLE_CHANGE":    {"user-role-change", []string{"iam", "session"}, []string{"change"}, timeline.MeaningLogged},
	"USER_AVC":            {"access-denied", []string{"intrusion_detection"}, []string{"denied"}, timeline.MeaningLogged},
	"USER_TTY":            {"tty-input", []string{"process"}, []string{"info"}, timeline.MeaningCommand},
	"TTY":                 {"tty-input", []string{"process"}, []string{"info"}, timeline.MeaningCommand},
	"CHGRP_ID":            {"group-id-changed", []string{"iam"}, []string{"group", "change"}, timeline.MeaningLogged},
	"CHUSER_ID":           {"user-id-changed", []string{"iam"}, []string{"user", "change"}, timeline.MeaningLogged},
	"ROLE_ASSIGN":         {"role-assigned", []string{"iam"}, []string{"change"}, timeline.MeaningLogged},
	"ACCT_LOCK":           {"account-locked", []string{"iam"}, []string{"user", "change"}, timeline.MeaningLogged},
	"ACCT_UNLOCK":         {"account-unlocked", []string{"iam"}, []string{"user", "change"}, timeline.MeaningLogged},
	"ANOM_LOGIN_FAILURES": {"login-failures-exceeded", []string{"authentication"}, []string{"info"}, timeline.MeaningLogged},
	"ANOM_PROMISCUOUS":    {"interface-promiscuous", []string{"network", "host"}, []string{"change"}, timeline.MeaningLogged},
	"KERN_MODULE":         {"kernel-module-loaded", []string{"driver", "host"}, []string{"start"}, timeline.MeaningLogged},
	"BPF":                 {"bpf-program", []string{"host"}, []string{"info"}, timeline.MeaningLogged},
	"NETFILTER_CFG":       {"firewall-changed", []string{"configuration", "network"}, []string{"change"}, timeline.MeaningLogged},
	"MAC_STATUS":          {"mac-status-changed", []string{"configuration"}, []string{"change"}, timeline.MeaningLogged},
	"SECCOMP":             {"seccomp-action", []string{"process"}, []string{"info"}, timeline.MeaningLogged},
	"DAEMON_START":        {"daemon-start", []string{"process"}, []string{"start"}, timeline.MeaningLogged},
	"DAEMON_END":          {"daemon-end", []string{"process"}, []string{"end"}, timeline.MeaningLogged},
	"SOFTWARE_UPDATE":     {"software-updated", []string{"package"}, []string{"change"}, timeline.MeaningLogged},
	"CRYPTO_KEY_USER":     {"crypto-key-user", []string{"authentication"}, []string{"info"}, timeline.MeaningLogged},
	"CRYPTO_SESSION":      {"crypto-session", []string{"network"}, []string{"info"}, timeline.MeaningLogged},
	"CONFIG_CHANGE":       {"audit-config-change", []string{"configuration"}, []string{"change"}, timeline.MeaningLogged},
	"ANOM_ABEND":          {"process-crashed", []string{"process"}, []string{"end"}, timeline.MeaningLogged},
	"AVC":                 {"access-denied", []string{"intrusion_detection"}, []string{"denied"}, timeline.MeaningLogged},
}

// messageKeys are the fields a record's message shows, in this order.
var messageKeys = []string{"op", "acct", "id", "exe", "cmd", "unit", "hostname", "addr", "terminal", "res", "key"}

// groupEvent makes one event from the records of one audit event.
func groupEvent(g *group, o timeline.Origin) timeline.Event {
	first := &g.recs[0]
	var types []string
	seen := map[string]bool{}
	for _, r := range g.recs {
		if !seen[r.Type] {
			seen[r.Type] = true
			types = append(types, r.Type)
		}
	}
	// main is the process context: the SYSCALL record when there is one.
	// what is the record that says what happened: the first of a type with
	// a meaning of its own (LOGIN, AVC, ANOM_…, a user-space record), which
	// the SYSCALL of the same event only carried (a LOGIN is written by
	// the write(2) to /proc/self/loginuid: it is a login, not a write),
	// else the SYSCALL, else the first record.
	main := first
	for i := range g.recs {
		if g.recs[i].Type == "SYSCALL" {
			main = &g.recs[i]
			break
		}
	}
	what := main
	for i := range g.recs {
		if _, ok := kinds[g.recs[i].Type]; ok {
			what = &g.recs[i]
			break
		}
	}
	ev := timeline.Event{
		Timestamp: first.Time,
		Event: timeline.EventFields{
			Kind:    "event",
			Dataset: Dataset,
		},
		Labels: map[string]string{
			"audit.serial":       strconv.FormatUint(first.Serial, 10),
			"audit.record_types": strings.Join(types, ","),
			"audit.records":      strconv.Itoa(len(g.recs)),
			"audit.type":         textio.Cut(textio.SafeString(what.Type), 64),
		},
		Cordon: timeline.Cordon{
			TimeMeaning:    timeline.MeaningLogged,
			TimeDerivation: "audit record stamp msg=audit(<epoch>.<ms>:<serial>): the kernel's clock when the event was logged, to the millisecond",
			Provenance:     o.Provenance(first.Line, first.Offset),
		},
	}
	host := o.Host
	if first.Node != "" {
		host = textio.SafeString(first.Node)
		ev.Labels["audit.node"] = host
	}
	if host != "" {
		ev.Host = &timeline.Host{Name: host}
	}
	var raw strings.Builder
	for i, r := range g.recs {
		if i > 0 {
			raw.WriteByte('\n')
		}
		raw.WriteString(r.Raw)
		if raw.Len() > textio.MaxOriginal {
			break
		}
	}
	ev.Event.Original = textio.Cut(raw.String(), textio.MaxOriginal)
	if g.cut {
		ev.Labels["truncated"] = "true"
	}

	k, known := kinds[what.Type]
	if !known {
		k = kind{action: strings.ToLower(strings.ReplaceAll(textio.Cut(textio.SafeString(what.Type), 64), "_", "-")), typ: []string{"info"}, meaning: timeline.MeaningLogged}
	}
	get := func(r *Record, key string) string { return textio.SafeString(r.Get(key)) }

	// the process that caused the record
	p := &timeline.Process{}
	if v, err := strconv.ParseInt(main.Get("pid"), 10, 64); err == nil {
		p.PID = v
	}
	if v, err := strconv.ParseInt(main.Get("ppid"), 10, 64); err == nil && v > 0 {
		p.Parent = &timeline.ParentProcess{PID: v}
	}
	p.Name = get(main, "comm")
	if exe := get(main, "exe"); exe != "" && exe != "?" && exe != "(null)" {
		p.Executable = exe
	}
	if uid := main.Get("uid"); uid != "" {
		p.User = &timeline.User{ID: textio.SafeString(uid)}
		ev.User = &timeline.User{ID: textio.SafeString(uid)}
	}
	for _, lk := range []string{"auid", "ses", "tty", "key", "subj", "success", "exit", "arch"} {
		if v, ok := main.Lookup(lk); ok && v != "" && v != "(null)" {
			ev.Labels["audit."+lk] = textio.Cut(textio.SafeString(v), 256)
		}
	}
	// translated names (log_format=ENRICHED, after the 0x1d separator):
	// UID="root" AUID="lxd" SYSCALL=execve, and the names of the record
	// that says what happened (LOGIN's OLD-AUID and AUID, a user-space
	// record's ID)
	for _, r := range []*Record{main, what} {
		for _, f := range r.Fields {
			if f.Translated && len(ev.Labels) < 48 {
				switch f.Key {
				case "UID", "AUID", "OLD-AUID", "ID", "SYSCALL", "EUID", "GID", "ARCH", "OUID", "OGID", "SADDR", "FAM":
					ev.Labels["audit."+f.Key] = textio.Cut(textio.SafeString(f.Value), 256)
				}
			}
		}
	}
	if ev.User != nil {
		if name := ev.Labels["audit.UID"]; name != "" {
			ev.User.Name = name
		}
	}

	if main.Type == "SYSCALL" && what == main {
		sc := main.Get("syscall")
		name := ev.Labels["audit.SYSCALL"]
		if name == "" && main.Get("arch") == "c000003e" {
			name = syscallNames[sc]
		}
		if name == "" {
			name = sc
		}
		ev.Labels["audit.syscall"] = textio.Cut(textio.SafeString(name), 64)
		k = kind{action: "syscall-" + textio.Cut(textio.SafeString(name), 64), category: []string{"process"}, typ: []string{"info"}, meaning: timeline.MeaningLogged}
		switch main.Get("success") {
		case "yes":
			ev.Event.Outcome = "success"
		case "no":
			ev.Event.Outcome = "failure"
		}
	}
	// auxiliary records
	var args []string
	var execs []*Record
	var pathNames []string
	for i := range g.recs {
		r := &g.recs[i]
		switch r.Type {
		case "EXECVE":
			execs = append(execs, r)
		case "PROCTITLE":
			if len(execs) == 0 {
				if t, ok := r.Lookup("proctitle"); ok {
					args = proctitleArgs(t)
					ev.Labels["audit.args_from"] = "PROCTITLE"
				}
			}
		case "CWD":
			p.WorkingDir = get(r, "cwd")
		case "PATH":
			if n := get(r, "name"); n != "" && n != "(null)" && len(pathNames) < 16 {
				pathNames = append(pathNames, n)
			}
		case "SOCKADDR":
			if ip, port, ok := sockaddr(r.Get("saddr")); ok {
				ev.Destination = &timeline.Endpoint{IP: ip, Port: port}
			}
		}
	}
	if len(execs) > 0 {
		args = execveArgs(execs)
		delete(ev.Labels, "audit.args_from")
	}
	if len(args) > 0 {
		for i := range args {
			args[i] = textio.SafeString(args[i])
		}
		if len(args) > 1024 {
			args = args[:1024]
			ev.Labels["audit.args_cut"] = "true"
		}
		p.Args = args
		p.CommandLine = textio.Cut(strings.Join(args, " "), 64<<10)
	}
	if len(pathNames) > 0 {
		ev.File = &timeline.File{Path: pathNames[0]}
		if len(pathNames) > 1 {
			ev.Labels["audit.paths"] = textio.Cut(strings.Join(pathNames, "\n"), 4096)
		}
	}
	if main.Type == "SYSCALL" {
		switch main.Get("success") {
		case "yes":
			ev.Event.Outcome = "success"
		case "no":
			ev.Event.Outcome = "failure"
		}
		if sc := ev.Labels["audit.SYSCALL"]; sc != "" {
			ev.Labels["audit.syscall"] = sc
		}
	}
	if seen["EXECVE"] {
		k = kind{action: "process-executed", category: []string{"process"}, typ: []string{"start"}, meaning: timeline.MeaningCommand}
		ev.Cordon.TimeDerivation = "audit record stamp msg=audit(<epoch>.<ms>:<serial>) of the execve: when the program was executed, to the millisecond"
	}

	// LOGIN (kernel/auditsc.c audit_log_set_loginuid): the login uid and
	// session a login gave the process, "auid" with "old-auid" and "ses"
	if what.Type == "LOGIN" {
		if id := what.Get("auid"); id != "" {
			ev.User = &timeline.User{ID: textio.SafeString(id), Name: ev.Labels["audit.AUID"]}
		}
		for _, lk := range []string{"old-auid", "auid", "old-ses", "ses", "tty"} {
			if v, ok := what.Lookup(lk); ok && v != "" {
				ev.Labels["audit."+lk] = textio.Cut(textio.SafeString(v), 64)
			}
		}
	}
	// user-space records: the account, the peer, the result
	if userSpace(what.Type) || what.Type == "LOGIN" {
		main := what
		if acct, ok := main.Lookup("acct"); ok && acct != "?" {
			ev.User = &timeline.User{Name: textio.SafeString(acct)}
			if id := main.Get("id"); id != "" {
				ev.User.ID = textio.SafeString(id)
			}
		} else if id := main.Get("id"); id != "" {
			// the account the record is about; the outer uid= is the
			// writer's (sshd, useradd), kept in process.user
			ev.User = &timeline.User{ID: textio.SafeString(id), Name: ev.Labels["audit.ID"]}
		}
		if addr := main.Get("addr"); addr != "" && addr != "?" {
			if a, err := netip.ParseAddr(addr); err == nil {
				ev.Source = &timeline.Endpoint{IP: a.Unmap().String()}
			} else {
				ev.Source = &timeline.Endpoint{Address: textio.Cut(textio.SafeString(addr), 256)}
			}
		} else if h := main.Get("hostname"); h != "" && h != "?" {
			ev.Source = &timeline.Endpoint{Address: textio.Cut(textio.SafeString(h), 256)}
		}
		if t := main.Get("terminal"); t != "" && t != "?" {
			ev.Labels["audit.terminal"] = textio.Cut(textio.SafeString(t), 256)
		}
		if op := main.Get("op"); op != "" {
			ev.Labels["audit.op"] = textio.Cut(textio.SafeString(op), 256)
		}
		if u := main.Get("unit"); u != "" {
			ev.Labels["audit.unit"] = textio.Cut(textio.SafeString(u), 256)
		}
		switch main.Get("res") {
		case "success", "1":
			ev.Event.Outcome = "success"
		case "failed", "0":
			ev.Event.Outcome = "failure"
		}
		if main.Type == "USER_CMD" {
			if c, ok := main.Lookup("cmd"); ok {
				p.CommandLine = textio.SafeString(c)
				p.Args = strings.Fields(p.CommandLine)
			}
		}
	}
	if p.PID != 0 || p.Name != "" || p.Executable != "" || p.CommandLine != "" || p.WorkingDir != "" {
		ev.Process = p
	}
	ev.Event.Action = k.action
	ev.Event.Category = k.category
	ev.Event.Type = k.typ
	ev.Cordon.TimeMeaning = k.meaning
	ev.Message = message(what, p)
	return ev
}

// execveArgs returns the arguments of an event's EXECVE records:
// a0…a(argc-1), a long one split as aN_len=… aN[0]=… aN[1]=… joined again.
// The kernel spreads a long argument list over several EXECVE records
// (audit_log_execve_info), so all of them are read together.
func execveArgs(recs []*Record) []string {
	argc := -1
	byIndex := map[int]string{}
	pieces := map[int][]string{}
	maxIdx := -1
	for _, r := range recs {
		if n, err := strconv.Atoi(r.Get("argc")); err == nil && n >= 0 && argc < 0 {
			argc = n
		}
		for _, f := range r.Fields {
			if len(f.Key) < 2 || f.Key[0] != 'a' || f.Key[1] < '0' || f.Key[1] > '9' || strings.HasSuffix(f.Key, "_len") {
				continue
			}
			name, piece, isPiece := strings.Cut(f.Key[1:], "[")
			n, err := strconv.Atoi(name)
			if err != nil || n < 0 || n >= maxArgs {
				continue
			}
			if isPiece {
				pi, err := strconv.Atoi(strings.TrimSuffix(piece, "]"))
				if err != nil || pi < 0 || pi >= maxArgs {
					continue
				}
				ps := pieces[n]
				for len(ps) <= pi {
					ps = append(ps, "")
				}
				ps[pi] = f.Value
				pieces[n] = ps
				byIndex[n] = strings.Join(ps, "")
			} else {
				byIndex[n] = f.Value
			}
			if n > maxIdx {
				maxIdx = n
			}
		}
	}
	if argc < 0 || argc > maxIdx+1 {
		argc = maxIdx + 1
	}
	args := make([]string, 0, argc)
	for i := 0; i < argc; i++ {
		args = append(args, byIndex[i])
	}
	return args
}

// maxArgs bounds the argument index and piece index read from EXECVE.
const maxArgs = 4096

// sockaddr decodes a SOCKADDR record's saddr (hex of struct sockaddr):
// AF_INET (2) and AF_INET6 (10), the family in host (little-endian x86)
// order, the port in network order.
func sockaddr(s string) (string, int, bool) {
	b, ok := decodeHex(s)
	if !ok || len(b) < 8 {
		return "", 0, false
	}
	fam := binary.LittleEndian.Uint16(b)
	port := int(binary.BigEndian.Uint16(b[2:]))
	switch {
	case fam == 2 && len(b) >= 8:
		return netip.AddrFrom4([4]byte(b[4:8])).String(), port, true
	case fam == 10 && len(b) >= 24:
		return netip.AddrFrom16([16]byte(b[8:24])).Unmap().String(), port, true
	}
	return "", 0, false
}

func message(r *Record, p *timeline.Process) string {
	var b strings.Builder
	b.WriteString(textio.SafeString(r.Type))
	if p.CommandLine != "" && r.Type != "USER_CMD" {
		b.WriteString(": ")
		b.WriteString(textio.Cut(p.CommandLine, 1024))
		return b.String()
	}
	for _, k := range messageKeys {
		if v, ok := r.Lookup(k); ok {
			fmt.Fprintf(&b, " %s=%s", k, textio.Cut(textio.SafeString(v), 256))
		}
	}
	return b.String()
}

// ParseBytes parses a whole log held in memory into a Result.
func ParseBytes(b []byte, o timeline.Origin) timeline.Result {
	var res timeline.Result
	_ = Parse(bytes.NewReader(b), o,
		func(e timeline.Event) { res.Events = append(res.Events, e) },
		func(w timeline.Warning) { res.Warnings = append(res.Warnings, w) })
	return res
}
