package sigma

// The mapping from Sigma's log sources and field names to Cordon's events
// (ECS fields). MAPPING.md says the same for people; a test keeps the two
// in step.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/timeline"
)

// source is a set of Sigma log sources an event belongs to, or a rule needs.
type source uint32

const (
	srcProcessCreation source = 1 << iota
	srcFileEvent
	srcNetworkConnection
	srcAuditd
	srcAuth
	srcSSHD
	srcSudo
	srcCron
	srcSyslog
	srcClamAV
	srcGuacamole
	srcVsftpd
	srcLinux // product: linux with neither category nor service: any log
)

var categories = map[string]source{
	"process_creation":   srcProcessCreation,
	"file_event":         srcFileEvent,
	"network_connection": srcNetworkConnection,
}

var services = map[string]source{
	"auditd": srcAuditd, "auth": srcAuth, "sshd": srcSSHD, "sudo": srcSudo, "cron": srcCron,
	"syslog": srcSyslog, "clamav": srcClamAV, "guacamole": srcGuacamole, "vsftpd": srcVsftpd,
}

// logsourceNeeds returns the sources a rule's logsource asks for, or why
// no Cordon event can be of that log source.
func logsourceNeeds(product, category, service string) (source, string) {
	product, category, service = strings.ToLower(product), strings.ToLower(category), strings.ToLower(service)
	if product != "" && product != "linux" {
		return 0, fmt.Sprintf("logsource product %q (Cordon reads Linux hosts)", product)
	}
	var need source
	if category != "" {
		c, ok := categories[category]
		if !ok {
			return 0, fmt.Sprintf("logsource category %q (no Cordon event is of it)", category)
		}
		need |= c
	}
	if service != "" {
		s, ok := services[service]
		if !ok {
			return 0, fmt.Sprintf("logsource service %q (no Cordon event is of it)", service)
		}
		need |= s
	}
	if need == 0 {
		if product == "" {
			return 0, "logsource without product, category or service"
		}
		need = srcLinux
	}
	return need, ""
}

// Program names (syslog tag, journal _COMM) of the services.
var serviceByProgram = map[string]source{
	"sshd": srcSSHD, "sshd-session": srcSSHD, "sudo": srcSudo, "cron": srcCron, "crond": srcCron, "CRON": srcCron,
	"clamd": srcClamAV, "freshclam": srcClamAV, "clamscan": srcClamAV, "clamav-milter": srcClamAV,
	"guacd": srcGuacamole, "guacamole": srcGuacamole, "vsftpd": srcVsftpd,
}

// classify says which Sigma log sources an event belongs to.
func classify(ev *timeline.Event) source {
	ds, action := ev.Event.Dataset, ev.Event.Action
	switch ds {
	case "filetimeline":
		// A file's modification and birth are what a file_event is; the
		// file timeline is no log, so keyword rules do not read it.
		if action == "file-mtime" || strings.HasPrefix(action, "file-btime") {
			return srcFileEvent
		}
		return 0
	case "hostinfo", "collection":
		return 0
	}
	s := srcLinux
	switch ds {
	case "processes":
		if action == "process-started" {
			s |= srcProcessCreation
		}
	case "auditd":
		s |= srcAuditd
		if action == "process-executed" {
			s |= srcProcessCreation
		}
		if strings.Contains(ev.Labels["audit.nametypes"], "CREATE") {
			s |= srcFileEvent
		}
		if action == "syscall-connect" && ev.Destination != nil {
			s |= srcNetworkConnection
		}
	case "sockets":
		if action == "socket-connected" {
			s |= srcNetworkConnection
		}
	case "pcap":
		switch action {
		case "flow", "tls-client-hello", "http-request":
			s |= srcNetworkConnection
		}
	case "auth":
		s |= srcAuth | srcSyslog
	case "syslog", "journal":
		s |= srcSyslog
	}
	if s&srcSyslog != 0 && ev.Process != nil {
		s |= serviceByProgram[ev.Process.Name]
	}
	return s
}

// fieldDef is one Sigma field Cordon can give: where its values come from,
// and in which log sources an event can have it.
type fieldDef struct {
	name string
	in   source
	ecs  string // what it is read from, for MAPPING.md and `cordon sigma check`
	get  func(r *record) []string
}

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func num(n int64) []string {
	if n == 0 {
		return nil
	}
	return []string{strconv.FormatInt(n, 10)}
}

func proc(r *record) *timeline.Process { return r.ev.Process }

// image is a process's executable without the kernel's " (deleted)".
func image(r *record) []string {
	if p := proc(r); p != nil && p.Executable != "" {
		return one(strings.TrimSuffix(p.Executable, " (deleted)"))
	}
	if r.src&srcNetworkConnection != 0 {
		if q := r.holder(); q != nil {
			return one(q.exe)
		}
	}
	return nil
}

func label(key string) func(r *record) []string {
	return func(r *record) []string { return one(r.ev.Labels[key]) }
}

// lines splits a newline-joined label.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// auditPaths are the names of an audit event's PATH records, and their types.
func auditPaths(r *record) (names, types []string) {
	types = lines(r.ev.Labels["audit.nametypes"])
	if all := r.ev.Labels["audit.paths"]; all != "" {
		names = lines(all)
	} else if r.ev.File != nil {
		names = one(r.ev.File.Path)
	}
	return names, types
}

const (
	pc   = srcProcessCreation
	fe   = srcFileEvent
	nc   = srcNetworkConnection
	aud  = srcAuditd
	logs = srcAuth | srcSSHD | srcSudo | srcCron | srcSyslog | srcClamAV | srcGuacamole | srcVsftpd | srcLinux
)

// fieldDefs are the named fields. The auditd record fields a0, a1, … are
// made by auditArg.
var fieldDefs = []fieldDef{
	// process_creation (and the process of file and network events)
	{"Image", pc | fe | nc, "process.executable (without \" (deleted)\"); for a socket of the snapshot, that of the process holding it (same PID and start)", image},
	{"CommandLine", pc, "process.command_line", func(r *record) []string {
		if p := proc(r); p != nil {
			return one(p.CommandLine)
		}
		return nil
	}},
	{"ParentImage", pc, "process.parent.executable; for an audit execve, the last program the parent PID ran before it (audit log or process snapshot)", func(r *record) []string {
		if p := proc(r); p != nil && p.Parent != nil && p.Parent.Executable != "" {
			return one(strings.TrimSuffix(p.Parent.Executable, " (deleted)"))
		}
		if q := r.parent(); q != nil {
			return one(q.exe)
		}
		return nil
	}},
	{"ParentCommandLine", pc, "process.parent.command_line; for an audit execve, as ParentImage", func(r *record) []string {
		if p := proc(r); p != nil && p.Parent != nil && p.Parent.CommandLine != "" {
			return one(p.Parent.CommandLine)
		}
		if q := r.parent(); q != nil {
			return one(q.cmd)
		}
		return nil
	}},
	{"User", pc | nc | fe, "user.name (the effective user), else process.user.name", func(r *record) []string {
		if u := r.ev.User; u != nil && u.Name != "" {
			return one(u.Name)
		}
		if p := proc(r); p != nil && p.User != nil {
			return one(p.User.Name)
		}
		return nil
	}},
	{"CurrentDirectory", pc, "process.working_directory (snapshot: /proc/PID/cwd; audit: the CWD record)", func(r *record) []string {
		if p := proc(r); p != nil {
			return one(p.WorkingDir)
		}
		return nil
	}},
	{"ProcessId", pc | nc | fe, "process.pid", func(r *record) []string {
		if p := proc(r); p != nil {
			return num(p.PID)
		}
		return nil
	}},
	{"ParentProcessId", pc, "process.parent.pid", func(r *record) []string {
		if p := proc(r); p != nil && p.Parent != nil {
			return num(p.Parent.PID)
		}
		return nil
	}},
	{"LogonId", pc, "labels.audit.auid (the audit login UID; audit events only)", label("audit.auid")},
	// file_event
	{"TargetFilename", fe, "file.path (file timeline: modification and birth); audit: the PATH records of type CREATE", func(r *record) []string {
		if r.ev.Event.Dataset != "auditd" {
			if f := r.ev.File; f != nil {
				return one(f.Path)
			}
			return nil
		}
		names, types := auditPaths(r)
		var out []string
		for i, n := range names {
			if i < len(types) && types[i] == "CREATE" {
				out = append(out, n)
			}
		}
		return out
	}},
	// network_connection
	{"DestinationIp", nc, "destination.ip", func(r *record) []string {
		if d := r.ev.Destination; d != nil {
			return one(d.IP)
		}
		return nil
	}},
	{"DestinationPort", nc, "destination.port", func(r *record) []string {
		if d := r.ev.Destination; d != nil {
			return num(int64(d.Port))
		}
		return nil
	}},
	{"SourceIp", nc, "source.ip", func(r *record) []string {
		if s := r.ev.Source; s != nil {
			return one(s.IP)
		}
		return nil
	}},
	{"SourcePort", nc, "source.port", func(r *record) []string {
		if s := r.ev.Source; s != nil {
			return num(int64(s.Port))
		}
		return nil
	}},
	{"DestinationHostname", nc, "tls.server_name (TLS ClientHello), url.domain (HTTP Host) of captured packets; else the names captured DNS answers gave destination.ip before", func(r *record) []string {
		var out []string
		if t := r.ev.TLS; t != nil && t.ServerName != "" {
			out = append(out, t.ServerName)
		}
		if u := r.ev.URL; u != nil && u.Domain != "" {
			out = append(out, u.Domain)
		}
		if len(out) == 0 {
			out = r.dnsNames()
		}
		return out
	}},
	{"Initiated", nc, "\"true\" for an audited connect() (the process opened the connection); unknown for sockets and packets", func(r *record) []string {
		if r.ev.Event.Dataset == "auditd" && r.ev.Event.Action == "syscall-connect" {
			return one("true")
		}
		return nil
	}},
	{"Protocol", nc, "network.transport", func(r *record) []string {
		if n := r.ev.Network; n != nil {
			return one(n.Transport)
		}
		return nil
	}},
	// auditd records (one Cordon event holds every record of one kernel event)
	{"type", aud, "labels.audit.record_types (every record type of the event)", func(r *record) []string {
		if s := r.ev.Labels["audit.record_types"]; s != "" {
			return strings.Split(s, ",")
		}
		return nil
	}},
	{"exe", aud, "process.executable", func(r *record) []string {
		if p := proc(r); p != nil {
			return one(p.Executable)
		}
		return nil
	}},
	{"comm", aud, "process.name", func(r *record) []string {
		if p := proc(r); p != nil {
			return one(p.Name)
		}
		return nil
	}},
	{"key", aud, "labels.audit.key", label("audit.key")},
	{"SYSCALL", aud, "labels.audit.SYSCALL (log_format ENRICHED), else labels.audit.syscall (named from the x86_64 table)", syscallName},
	{"syscall", aud, "as SYSCALL", syscallName},
	{"name", aud, "the PATH records' names: file.path and labels.audit.paths", func(r *record) []string {
		names, _ := auditPaths(r)
		return names
	}},
	{"nametype", aud, "the PATH records' types: labels.audit.nametypes", func(r *record) []string {
		_, types := auditPaths(r)
		return types
	}},
	{"cwd", aud, "process.working_directory (CWD record)", func(r *record) []string {
		if p := proc(r); p != nil {
			return one(p.WorkingDir)
		}
		return nil
	}},
	{"pid", aud, "process.pid", func(r *record) []string {
		if p := proc(r); p != nil {
			return num(p.PID)
		}
		return nil
	}},
	{"ppid", aud, "process.parent.pid", func(r *record) []string {
		if p := proc(r); p != nil && p.Parent != nil {
			return num(p.Parent.PID)
		}
		return nil
	}},
	{"uid", aud, "process.user.id", func(r *record) []string {
		if p := proc(r); p != nil && p.User != nil {
			return one(p.User.ID)
		}
		return nil
	}},
	{"euid", aud, "labels.audit.euid", label("audit.euid")},
	{"auid", aud, "labels.audit.auid", label("audit.auid")},
	{"ses", aud, "labels.audit.ses", label("audit.ses")},
	{"tty", aud, "labels.audit.tty", label("audit.tty")},
	{"success", aud, "labels.audit.success", label("audit.success")},
	{"exit", aud, "labels.audit.exit", label("audit.exit")},
	{"arch", aud, "labels.audit.arch", label("audit.arch")},
	{"subj", aud, "labels.audit.subj", label("audit.subj")},
	{"unit", aud, "labels.audit.unit (SERVICE_START, SERVICE_STOP)", label("audit.unit")},
	{"op", aud, "labels.audit.op", label("audit.op")},
	{"terminal", aud, "labels.audit.terminal", label("audit.terminal")},
	{"acct", aud, "user.name of a user-space record (acct=)", func(r *record) []string {
		if u := r.ev.User; u != nil && r.ev.Labels["audit.syscall"] == "" {
			return one(u.Name)
		}
		return nil
	}},
	{"addr", aud, "source.ip (or source.address) of a user-space record", func(r *record) []string {
		if s := r.ev.Source; s != nil {
			if s.IP != "" {
				return one(s.IP)
			}
			return one(s.Address)
		}
		return nil
	}},
	{"res", aud, "event.outcome of a user-space record: success, failed", func(r *record) []string {
		switch r.ev.Event.Outcome {
		case "success":
			return one("success")
		case "failure":
			return one("failed")
		}
		return nil
	}},
}

func syscallName(r *record) []string {
	if s := r.ev.Labels["audit.SYSCALL"]; s != "" {
		return one(s)
	}
	return one(r.ev.Labels["audit.syscall"])
}

// maxAuditArg bounds aN (execve arguments Cordon keeps: 1024).
const maxAuditArg = 1024

// auditArg makes the field aN of auditd: the Nth argument of an EXECVE
// record (process.args), or, in an event without one, the Nth system call
// argument of the SYSCALL record (labels.audit.syscall_aN, hex as logged).
func auditArg(name string) (fieldDef, bool) {
	if len(name) < 2 || name[0] != 'a' {
		return fieldDef{}, false
	}
	n, err := strconv.Atoi(name[1:])
	if err != nil || n < 0 || n >= maxAuditArg || strconv.Itoa(n) != name[1:] {
		return fieldDef{}, false
	}
	return fieldDef{name: name, in: aud, ecs: "process.args[N] of an EXECVE record, else labels.audit.syscall_aN (SYSCALL record, hex)",
		get: func(r *record) []string {
			if strings.Contains(r.ev.Labels["audit.record_types"], "EXECVE") {
				if p := proc(r); p != nil && n < len(p.Args) {
					return one(p.Args[n])
				}
				return nil
			}
			if n < 4 {
				return one(r.ev.Labels["audit.syscall_a"+strconv.Itoa(n)])
			}
			return nil
		}}, true
}

var fieldByName = func() map[string]fieldDef {
	m := make(map[string]fieldDef, len(fieldDefs))
	for _, f := range fieldDefs {
		m[f.name] = f
	}
	return m
}()

// lookupField finds a Sigma field by name.
func lookupField(name string) (fieldDef, bool) {
	if f, ok := fieldByName[name]; ok {
		return f, true
	}
	return auditArg(name)
}

// sourceNames names a set of sources, for messages.
func sourceNames(s source) string {
	var out []string
	for name, c := range categories {
		if s&c != 0 {
			out = append(out, "category "+name)
		}
	}
	for name, c := range services {
		if s&c != 0 {
			out = append(out, "service "+name)
		}
	}
	if s&srcLinux != 0 {
		out = append(out, "product linux")
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
