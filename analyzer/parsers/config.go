package parsers

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/config"
	"github.com/cordon-forensics/cordon/timeline"
)

// Configuration files (collector sources "exposure", "accounts",
// "containers", "persistence", "packages") become "state" events of
// category "configuration": one per pg_hba rule, postgresql.conf setting,
// sshd option, container, published port, daemon host, crontab line and
// package. Their time is the file's mtime (the container's own times for
// config.v2.json). dpkg md5sums lists are not turned into events (tens of
// thousands of lines a host): config.ParseMd5sums reads them on demand.
func init() {
	reg := func(name string, match func(name, hostPath string) bool, parse func(r io.Reader, o timeline.Origin, emit Emit) error) {
		Register(Parser{
			Name: name,
			Match: func(e bundle.EntryRecord) bool {
				if !strings.HasPrefix(e.Name, bundle.FileEntry("/")) {
					return false
				}
				hp := e.HostPathBytes()
				if hp == "" {
					hp = "/" + strings.TrimPrefix(e.Name, bundle.FileEntry("/"))
				}
				return match(e.Name, hp)
			},
			Parse: parse,
		})
	}
	warnAll := func(ws []config.Warning, o timeline.Origin, emit Emit, what string) {
		for _, w := range config.Warnings(ws, o) {
			w.Message = what + ": " + w.Message
			emit.Warn(w)
		}
	}
	events := func(evs []timeline.Event, emit Emit) {
		for _, ev := range evs {
			emit.Event(ev)
		}
	}

	reg("pg_hba", func(name, _ string) bool { return path.Base(name) == "pg_hba.conf" },
		func(r io.Reader, o timeline.Origin, emit Emit) error {
			rules, ws := config.ParsePgHba(r)
			warnAll(ws, o, emit, "pg_hba.conf")
			events(config.PgHbaEvents(rules, o), emit)
			return nil
		})
	reg("postgresql_conf", func(name, hp string) bool {
		b := path.Base(name)
		return b == "postgresql.conf" || b == "postgresql.auto.conf" ||
			(strings.HasPrefix(hp, "/etc/postgresql/") && path.Base(path.Dir(hp)) == "conf.d" && strings.HasSuffix(b, ".conf"))
	}, func(r io.Reader, o timeline.Origin, emit Emit) error {
		c, ws := config.ParsePostgresqlConf(r)
		warnAll(ws, o, emit, "postgresql.conf")
		events(config.PgConfEvents(c, o), emit)
		return nil
	})
	reg("sshd_config", func(name, hp string) bool {
		return hp == "/etc/ssh/sshd_config" || strings.HasPrefix(hp, "/etc/ssh/sshd_config.d/")
	}, func(r io.Reader, o timeline.Origin, emit Emit) error {
		c, ws := config.ParseSshdConfig(r)
		warnAll(ws, o, emit, "sshd_config")
		events(config.SshdEvents(c, o), emit)
		return nil
	})
	reg("docker_container_config", func(name, hp string) bool {
		return path.Base(hp) == "config.v2.json" && config.ContainerIDFromPath(hp) != ""
	}, func(r io.Reader, o timeline.Origin, emit Emit) error {
		b, err := readJSON(r, o, emit)
		if err != nil || b == nil {
			return err
		}
		c, err := config.ParseContainerConfig(b)
		if err != nil {
			emit.Warn(timeline.Warning{Entry: o.Entry, Message: err.Error()})
			if c == nil {
				return nil
			}
		}
		events(config.ContainerEvents(c, o), emit)
		return nil
	})
	reg("docker_hostconfig", func(name, hp string) bool {
		return path.Base(hp) == "hostconfig.json" && config.ContainerIDFromPath(hp) != ""
	}, func(r io.Reader, o timeline.Origin, emit Emit) error {
		b, err := readJSON(r, o, emit)
		if err != nil || b == nil {
			return err
		}
		h, err := config.ParseHostConfig(b)
		if err != nil {
			emit.Warn(timeline.Warning{Entry: o.Entry, Message: err.Error()})
			return nil
		}
		events(config.HostConfigEvents(h, o), emit)
		return nil
	})
	reg("docker_daemon", func(name, hp string) bool { return hp == "/etc/docker/daemon.json" },
		func(r io.Reader, o timeline.Origin, emit Emit) error {
			b, err := readJSON(r, o, emit)
			if err != nil || b == nil {
				return err
			}
			d, err := config.ParseDaemonJSON(b)
			if err != nil {
				emit.Warn(timeline.Warning{Entry: o.Entry, Message: err.Error()})
				if d == nil {
					return nil
				}
			}
			events(config.DaemonEvents(d, o), emit)
			return nil
		})
	reg("crontab", func(name, hp string) bool { _, _, ok := config.CrontabKind(hp); return ok },
		func(r io.Reader, o timeline.Origin, emit Emit) error {
			hp := o.HostPath
			if hp == "" {
				hp = "/" + strings.TrimPrefix(o.Entry, bundle.FileEntry("/"))
			}
			system, user, _ := config.CrontabKind(hp)
			es, ws := config.ParseCrontab(r, system, user)
			warnAll(ws, o, emit, "crontab")
			events(config.CrontabEvents(es, o), emit)
			return nil
		})
	reg("dpkg_status", func(name, hp string) bool { return hp == "/var/lib/dpkg/status" },
		func(r io.Reader, o timeline.Origin, emit Emit) error {
			ps, ws := config.ParseDpkgStatus(r)
			warnAll(ws, o, emit, "dpkg status")
			events(config.DpkgEvents(ps, o), emit)
			return nil
		})
}

// readJSON reads a Docker JSON file whole, bounded by config.MaxJSON.
func readJSON(r io.Reader, o timeline.Origin, emit Emit) ([]byte, error) {
	var b bytes.Buffer
	n, err := io.Copy(&b, io.LimitReader(r, config.MaxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.Entry, err)
	}
	if n > config.MaxJSON {
		emit.Warn(timeline.Warning{Entry: o.Entry, Message: fmt.Sprintf("JSON file over %d bytes: not read", config.MaxJSON)})
		return nil, nil
	}
	return b.Bytes(), nil
}
