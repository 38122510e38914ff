package config

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// Event actions of configuration facts.
const (
	ActionPgHbaRule      = "pg-hba-rule"
	ActionPgSetting      = "postgresql-setting"
	ActionSshdOption     = "sshd-option"
	ActionContainer      = "container-config"
	ActionContainerStart = "container-started"
	ActionContainerEnd   = "container-finished"
	ActionPortBinding    = "container-port-binding"
	ActionHostConfig     = "container-hostconfig"
	ActionDaemonHost     = "docker-daemon-host"
	ActionCrontabEntry   = "crontab-entry"
	ActionCrontabEnv     = "crontab-env"
	ActionPackage        = "package-state"
)

// stateEvent is a configuration fact dated by the file's mtime: the
// content was last written then, so the fact held at least from that time
// to the collection.
func stateEvent(o timeline.Origin, line, off int64, dataset, action, msg string) timeline.Event {
	ev := timeline.Event{
		Timestamp: o.ModTime.UTC(),
		Message:   textio.Cut(msg, 4096),
		Event: timeline.EventFields{
			Kind:     "state",
			Category: []string{"configuration"},
			Type:     []string{"info"},
			Action:   action,
			Dataset:  dataset,
		},
		Labels: map[string]string{},
		Cordon: timeline.Cordon{
			TimeMeaning:    timeline.MeaningModified,
			TimeDerivation: "configuration read from the file: the time is the file's mtime (its content, this line included, was last written then)",
			Provenance:     o.Provenance(line, off),
		},
	}
	if o.ModTime.IsZero() {
		ev.Timestamp = o.ModTime
		ev.Cordon.TimeDerivation = "configuration read from the file; the file's mtime was not known: no time"
	}
	if o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	ev.File = &timeline.File{Path: textio.HostPath(o)}
	if ev.File.Path == "" {
		ev.File = nil
	} else {
		ev.File.Name = path.Base(ev.File.Path)
	}
	return ev
}

func yes(b bool) string { return strconv.FormatBool(b) }

// PgHbaEvents returns one event per pg_hba rule (dataset "pg_hba").
func PgHbaEvents(rules []HbaRule, o timeline.Origin) []timeline.Event {
	out := make([]timeline.Event, 0, len(rules))
	for _, r := range rules {
		msg := "pg_hba: " + r.Raw
		if r.TrustNonLocal {
			msg += " (trust: no authentication, for non-local addresses)"
		}
		ev := stateEvent(o, r.Line, r.Offset, "pg_hba", ActionPgHbaRule, msg)
		ev.Event.Original = r.Raw
		ev.Event.Category = append(ev.Event.Category, "database")
		ev.Labels["hba.type"] = r.Type
		ev.Labels["hba.database"] = textio.Cut(strings.Join(r.Databases, ","), 256)
		ev.Labels["hba.user"] = textio.Cut(strings.Join(r.Users, ","), 256)
		ev.Labels["hba.address"] = textio.Cut(r.Address, 256)
		if r.Mask != "" {
			ev.Labels["hba.mask"] = r.Mask
		}
		ev.Labels["hba.method"] = textio.Cut(r.Method, 64)
		ev.Labels["trust_non_local"] = yes(r.TrustNonLocal)
		out = append(out, ev)
	}
	return out
}

// PgConfEvents returns one event per setting the file sets (dataset
// "postgresql_conf"); listen_addresses says whether it means every interface.
func PgConfEvents(c *PgConf, o timeline.Origin) []timeline.Event {
	var out []timeline.Event
	for _, name := range c.Names() {
		s := c.Settings[name]
		ev := stateEvent(o, s.Line, s.Offset, "postgresql_conf", ActionPgSetting, fmt.Sprintf("postgresql.conf: %s = '%s'", name, s.Value))
		ev.Event.Category = append(ev.Event.Category, "database")
		ev.Labels["setting"] = textio.Cut(name, 128)
		ev.Labels["value"] = textio.Cut(s.Value, 1024)
		switch name {
		case "listen_addresses":
			ev.Labels["all_interfaces"] = yes(c.ListensOnAll())
		case "port":
			if p, ok := c.Port(); ok {
				ev.Labels["port"] = strconv.Itoa(p)
			}
		}
		out = append(out, ev)
	}
	for _, inc := range c.Includes {
		ev := stateEvent(o, inc.Line, inc.Offset, "postgresql_conf", ActionPgSetting, fmt.Sprintf("postgresql.conf: %s '%s'", inc.Directive, inc.Path))
		ev.Labels["setting"] = inc.Directive
		ev.Labels["value"] = textio.Cut(inc.Path, 1024)
		out = append(out, ev)
	}
	return out
}

// SshdEvents returns one event per option of one sshd_config file
// (dataset "sshd_config"), with the Match block it is under.
func SshdEvents(c *SshdConfig, o timeline.Origin) []timeline.Event {
	out := make([]timeline.Event, 0, len(c.Options))
	for _, opt := range c.Options {
		msg := "sshd_config: " + opt.Keyword + " " + opt.Value
		if opt.Match != "" && opt.Keyword != "match" {
			msg += " (under Match " + opt.Match + ")"
		}
		ev := stateEvent(o, opt.Line, opt.Offset, "sshd_config", ActionSshdOption, msg)
		ev.Labels["sshd.keyword"] = textio.Cut(opt.Keyword, 64)
		ev.Labels["sshd.value"] = textio.Cut(opt.Value, 1024)
		if opt.Match != "" {
			ev.Labels["sshd.match"] = textio.Cut(opt.Match, 1024)
		}
		out = append(out, ev)
	}
	return out
}

func containerField(c *Container) *timeline.Container {
	return &timeline.Container{ID: textio.SafeString(c.ID), Name: textio.Cut(textio.SafeString(c.Name), 256), Image: textio.Cut(textio.SafeString(c.Image), 256)}
}

// ContainerEvents returns a container's configuration (dated by its
// Created time), and its last start and finish when config.v2.json has them
// (dataset "docker_config").
func ContainerEvents(c *Container, o timeline.Origin) []timeline.Event {
	argv := append([]string{c.Path}, c.Args...)
	cmdline := textio.Cut(textio.SafeString(strings.TrimSpace(strings.Join(argv, " "))), 64<<10)
	base := func(action string, msg string) timeline.Event {
		ev := stateEvent(o, 0, 0, "docker_config", action, msg)
		ev.Container = containerField(c)
		ev.Event.Category = []string{"configuration", "process"}
		return ev
	}
	var out []timeline.Event
	msg := fmt.Sprintf("container %s (%s) image %s: %s", textio.SafeString(c.Name), shortID(c.ID), textio.SafeString(c.Image), cmdline)
	ev := base(ActionContainer, msg)
	if !c.Created.IsZero() {
		ev.Timestamp = c.Created
		ev.Cordon.TimeMeaning = "container created"
		ev.Cordon.TimeDerivation = "config.v2.json \"Created\": when the Docker daemon created the container"
	}
	ev.Process = &timeline.Process{PID: c.State.Pid, Executable: textio.SafeString(c.Path), CommandLine: cmdline}
	ev.Labels["running"] = yes(c.State.Running)
	if v, ok := c.EnvValue("POSTGRES_HOST_AUTH_METHOD"); ok {
		ev.Labels["env.POSTGRES_HOST_AUTH_METHOD"] = textio.Cut(textio.SafeString(v), 256)
	}
	if len(c.Env) > 0 {
		ev.Labels["env"] = textio.Cut(textio.SafeString(strings.Join(c.Env, "\n")), 16<<10)
	}
	var ports, all []string
	for _, p := range c.Ports {
		ports = append(ports, fmt.Sprintf("%s:%s->%s", p.HostIP, p.HostPort, p.ContainerPort))
		if p.AllInterfaces() {
			all = append(all, p.HostPort)
		}
	}
	if len(ports) > 0 {
		ev.Labels["ports"] = textio.Cut(textio.SafeString(strings.Join(ports, ",")), 4096)
		ev.Labels["all_interfaces"] = yes(len(all) > 0)
	}
	var mounts []string
	for _, m := range c.Mounts {
		mounts = append(mounts, m.Source+":"+m.Destination)
	}
	if len(mounts) > 0 {
		ev.Labels["mounts"] = textio.Cut(textio.SafeString(strings.Join(mounts, ",")), 4096)
	}
	out = append(out, ev)
	if !c.State.StartedAt.IsZero() {
		s := base(ActionContainerStart, fmt.Sprintf("container %s (%s) started (pid %d)", textio.SafeString(c.Name), shortID(c.ID), c.State.Pid))
		s.Event.Kind, s.Event.Type = "event", []string{"start"}
		s.Timestamp = c.State.StartedAt
		s.Cordon.TimeMeaning = timeline.MeaningStart
		s.Cordon.TimeDerivation = "config.v2.json State.StartedAt: the container's last start"
		s.Process = &timeline.Process{PID: c.State.Pid, Executable: textio.SafeString(c.Path), CommandLine: cmdline}
		out = append(out, s)
	}
	if !c.State.FinishedAt.IsZero() {
		f := base(ActionContainerEnd, fmt.Sprintf("container %s (%s) finished (exit code %d)", textio.SafeString(c.Name), shortID(c.ID), c.State.ExitCode))
		f.Event.Kind, f.Event.Type = "event", []string{"end"}
		f.Timestamp = c.State.FinishedAt
		f.Cordon.TimeMeaning = timeline.MeaningEnd
		f.Cordon.TimeDerivation = "config.v2.json State.FinishedAt: the container's last stop"
		f.Labels["exit_code"] = strconv.FormatInt(c.State.ExitCode, 10)
		out = append(out, f)
	}
	return out
}

func shortID(id string) string {
	id = textio.SafeString(id)
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// HostConfigEvents returns one event per published port (labels
// all_interfaces, like the sockets parser's listening events) and one for
// the container's privileges (dataset "docker_config").
func HostConfigEvents(h *HostConfig, o timeline.Origin) []timeline.Event {
	id := ContainerIDFromPath(textio.HostPath(o))
	var out []timeline.Event
	for _, p := range h.PortBindings {
		hostIP := p.HostIP
		if hostIP == "" {
			hostIP = "0.0.0.0"
		}
		msg := fmt.Sprintf("container %s publishes %s on %s:%s", shortID(id), textio.SafeString(p.ContainerPort), textio.SafeString(hostIP), textio.SafeString(p.HostPort))
		if p.AllInterfaces() {
			msg += " (every interface)"
		}
		ev := stateEvent(o, 0, 0, "docker_config", ActionPortBinding, msg)
		ev.Event.Category = append(ev.Event.Category, "network")
		if id != "" {
			ev.Container = &timeline.Container{ID: id}
		}
		port, _ := strconv.Atoi(p.HostPort)
		ev.Source = &timeline.Endpoint{IP: textio.Cut(textio.SafeString(hostIP), 64), Port: port}
		transport := "tcp"
		if _, proto, ok := strings.Cut(p.ContainerPort, "/"); ok {
			transport = textio.Cut(textio.SafeString(proto), 8)
		}
		ev.Network = &timeline.Network{Transport: transport, Direction: "listening"}
		ev.Labels["all_interfaces"] = yes(p.AllInterfaces())
		ev.Labels["container_port"] = textio.Cut(textio.SafeString(p.ContainerPort), 32)
		out = append(out, ev)
	}
	msg := fmt.Sprintf("container %s: network %s, privileged %v", shortID(id), textio.SafeString(h.NetworkMode), h.Privileged)
	ev := stateEvent(o, 0, 0, "docker_config", ActionHostConfig, msg)
	if id != "" {
		ev.Container = &timeline.Container{ID: id}
	}
	ev.Labels["privileged"] = yes(h.Privileged)
	ev.Labels["network_mode"] = textio.Cut(textio.SafeString(h.NetworkMode), 64)
	if h.PidMode != "" {
		ev.Labels["pid_mode"] = textio.Cut(textio.SafeString(h.PidMode), 64)
	}
	if len(h.Binds) > 0 {
		ev.Labels["binds"] = textio.Cut(textio.SafeString(strings.Join(h.Binds, ",")), 4096)
	}
	if len(h.CapAdd) > 0 {
		ev.Labels["cap_add"] = textio.Cut(textio.SafeString(strings.Join(h.CapAdd, ",")), 1024)
	}
	out = append(out, ev)
	return out
}

// DaemonEvents returns one event per daemon.json "hosts" address
// (dataset "docker_daemon"), exposed=true for TCP on a non-loopback address.
func DaemonEvents(d *Daemon, o timeline.Origin) []timeline.Event {
	var out []timeline.Event
	for _, h := range d.Hosts {
		msg := "docker daemon listens on " + textio.SafeString(h.Address)
		if h.Exposed && !d.TLSVerify {
			msg += " (TCP without TLS client verification: unauthenticated API)"
		}
		ev := stateEvent(o, 0, 0, "docker_daemon", ActionDaemonHost, msg)
		ev.Labels["address"] = textio.Cut(textio.SafeString(h.Address), 256)
		ev.Labels["exposed"] = yes(h.Exposed)
		ev.Labels["all_interfaces"] = yes(h.Exposed)
		ev.Labels["tlsverify"] = yes(d.TLSVerify)
		out = append(out, ev)
	}
	return out
}

// CrontabEvents returns one event per job or environment line (dataset "cron").
func CrontabEvents(es []CronEntry, o timeline.Origin) []timeline.Event {
	out := make([]timeline.Event, 0, len(es))
	for _, e := range es {
		if e.EnvName != "" {
			ev := stateEvent(o, e.Line, e.Offset, "cron", ActionCrontabEnv, "crontab: "+e.EnvName+"="+e.EnvValue)
			ev.Labels["cron.env"] = textio.Cut(e.EnvName, 128)
			ev.Event.Original = e.Raw
			out = append(out, ev)
			continue
		}
		ev := stateEvent(o, e.Line, e.Offset, "cron", ActionCrontabEntry, fmt.Sprintf("crontab: %s %s: %s", e.Schedule, e.User, e.Command))
		ev.Event.Category = append(ev.Event.Category, "process")
		ev.Event.Original = e.Raw
		ev.Labels["cron.schedule"] = textio.Cut(e.Schedule, 256)
		ev.Process = &timeline.Process{CommandLine: textio.Cut(e.Command, 64<<10)}
		if e.User != "" {
			ev.User = &timeline.User{Name: textio.Cut(e.User, 256)}
			ev.Process.User = &timeline.User{Name: textio.Cut(e.User, 256)}
		}
		out = append(out, ev)
	}
	return out
}

// DpkgEvents returns one event per package of the status file (dataset "dpkg").
func DpkgEvents(ps []Package, o timeline.Origin) []timeline.Event {
	out := make([]timeline.Event, 0, len(ps))
	for _, p := range ps {
		ev := stateEvent(o, p.Line, p.Offset, "dpkg", ActionPackage, fmt.Sprintf("package %s %s %s: %s", p.Name, p.Version, p.Architecture, p.Status))
		ev.Event.Category = append(ev.Event.Category, "package")
		ev.Labels["package.name"] = textio.Cut(p.Name, 256)
		ev.Labels["package.version"] = textio.Cut(p.Version, 256)
		ev.Labels["package.status"] = textio.Cut(p.Status, 256)
		ev.Labels["package.installed"] = yes(p.Installed())
		out = append(out, ev)
	}
	return out
}
