package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// MaxJSON bounds a Docker JSON file read whole.
const MaxJSON = 16 << 20

// Container is what Cordon reads of a container's config.v2.json (moby
// container/container.go, the daemon's on-disk state of a container).
type Container struct {
	ID         string
	Name       string // without the leading "/"
	Image      string // as the user named it (Config.Image), e.g. postgres:16
	ImageID    string // sha256:…
	Created    time.Time
	Path       string   // entrypoint program
	Args       []string // its arguments
	Env        []string // NAME=value
	Cmd        []string
	Entrypoint []string
	User       string
	Hostname   string
	Labels     map[string]string
	State      ContainerState
	Mounts     []Mount
	// Ports are NetworkSettings.Ports of a running container: what the
	// daemon actually bound.
	Ports   []PortBinding
	LogPath string
}

// ContainerState is config.v2.json's State.
type ContainerState struct {
	Running    bool
	Paused     bool
	Restarting bool
	Dead       bool
	Pid        int64
	ExitCode   int64
	StartedAt  time.Time
	FinishedAt time.Time
}

// Mount is a volume or bind mount.
type Mount struct {
	Source      string
	Destination string
	Type        string // bind, volume, tmpfs
	RW          bool
	Name        string
}

// PortBinding is a container port published on the host.
type PortBinding struct {
	ContainerPort string // "5432/tcp"
	HostIP        string // "" or 0.0.0.0 or :: means every interface
	HostPort      string
}

// AllInterfaces reports whether the binding listens on every host
// interface: Docker's default when no address is given.
func (p PortBinding) AllInterfaces() bool {
	return p.HostIP == "" || p.HostIP == "0.0.0.0" || p.HostIP == "::"
}

// EnvValue returns the value of a container environment variable.
func (c *Container) EnvValue(name string) (string, bool) {
	for _, e := range c.Env {
		if k, v, ok := strings.Cut(e, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

type rawBindings map[string][]struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

func (r rawBindings) list() []PortBinding {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []PortBinding
	for _, k := range keys {
		for _, b := range r[k] {
			out = append(out, PortBinding{ContainerPort: k, HostIP: b.HostIP, HostPort: b.HostPort})
		}
	}
	return out
}

// dockerTime parses Docker's RFC 3339 times; Go's zero time
// ("0001-01-01T00:00:00Z", written for "never") gives the zero Time.
func dockerTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t.UTC()
}

// ParseContainerConfig reads a config.v2.json.
func ParseContainerConfig(b []byte) (*Container, error) {
	if len(b) > MaxJSON {
		return nil, fmt.Errorf("config.v2.json of %d bytes, over %d", len(b), MaxJSON)
	}
	var raw struct {
		ID      string
		Name    string
		Created string
		Path    string
		Args    []string
		Image   string
		LogPath string
		State   struct {
			Running, Paused, Restarting, Dead bool
			Pid, ExitCode                     int64
			StartedAt, FinishedAt             string
		}
		Config struct {
			Hostname   string
			User       string
			Env        []string
			Cmd        []string
			Entrypoint []string
			Image      string
			Labels     map[string]string
		}
		NetworkSettings struct {
			Ports rawBindings
		}
		MountPoints map[string]struct {
			Source      string
			Destination string
			RW          bool
			Name        string
			Type        string
		}
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("config.v2.json: %w", err)
	}
	c := &Container{
		ID: raw.ID, Name: strings.TrimPrefix(raw.Name, "/"), Image: raw.Config.Image, ImageID: raw.Image,
		Created: dockerTime(raw.Created), Path: raw.Path, Args: raw.Args, Env: raw.Config.Env,
		Cmd: raw.Config.Cmd, Entrypoint: raw.Config.Entrypoint, User: raw.Config.User, Hostname: raw.Config.Hostname,
		Labels: raw.Config.Labels, LogPath: raw.LogPath,
		State: ContainerState{Running: raw.State.Running, Paused: raw.State.Paused, Restarting: raw.State.Restarting,
			Dead: raw.State.Dead, Pid: raw.State.Pid, ExitCode: raw.State.ExitCode,
			StartedAt: dockerTime(raw.State.StartedAt), FinishedAt: dockerTime(raw.State.FinishedAt)},
		Ports: raw.NetworkSettings.Ports.list(),
	}
	dests := make([]string, 0, len(raw.MountPoints))
	for d := range raw.MountPoints {
		dests = append(dests, d)
	}
	sort.Strings(dests)
	for _, d := range dests {
		m := raw.MountPoints[d]
		c.Mounts = append(c.Mounts, Mount{Source: m.Source, Destination: m.Destination, Type: m.Type, RW: m.RW, Name: m.Name})
	}
	if c.ID == "" {
		return c, fmt.Errorf("config.v2.json without an ID")
	}
	return c, nil
}

// HostConfig is what Cordon reads of a container's hostconfig.json (moby
// api/types/container.HostConfig): how it was asked to run.
type HostConfig struct {
	PortBindings  []PortBinding
	Binds         []string
	Mounts        []Mount
	NetworkMode   string
	Privileged    bool
	PidMode       string
	CapAdd        []string
	RestartPolicy string
}

// ParseHostConfig reads a hostconfig.json.
func ParseHostConfig(b []byte) (*HostConfig, error) {
	if len(b) > MaxJSON {
		return nil, fmt.Errorf("hostconfig.json of %d bytes, over %d", len(b), MaxJSON)
	}
	var raw struct {
		PortBindings  rawBindings
		Binds         []string
		NetworkMode   string
		Privileged    bool
		PidMode       string
		CapAdd        []string
		RestartPolicy struct{ Name string }
		Mounts        []struct {
			Type     string
			Source   string
			Target   string
			ReadOnly bool
		}
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("hostconfig.json: %w", err)
	}
	h := &HostConfig{PortBindings: raw.PortBindings.list(), Binds: raw.Binds, NetworkMode: raw.NetworkMode,
		Privileged: raw.Privileged, PidMode: raw.PidMode, CapAdd: raw.CapAdd, RestartPolicy: raw.RestartPolicy.Name}
	for _, m := range raw.Mounts {
		h.Mounts = append(h.Mounts, Mount{Source: m.Source, Destination: m.Target, Type: m.Type, RW: !m.ReadOnly})
	}
	return h, nil
}

var containerDirRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ContainerIDFromPath returns the container id of a file under
// /var/lib/docker/containers/<id>/ ("" otherwise).
func ContainerIDFromPath(hostPath string) string {
	id := path.Base(path.Dir(hostPath))
	if containerDirRe.MatchString(id) && strings.Contains(hostPath, "/containers/"+id+"/") {
		return id
	}
	return ""
}

// DaemonHost is one -H / "hosts" address of the Docker daemon.
type DaemonHost struct {
	Address string // as written: unix:///var/run/docker.sock, tcp://0.0.0.0:2375, fd://
	// Exposed says the API listens on TCP on a non-loopback address (all
	// interfaces when the host part is empty or 0.0.0.0).
	Exposed bool
}

// Daemon is what Cordon reads of /etc/docker/daemon.json (dockerd(8),
// "Daemon configuration file").
type Daemon struct {
	Hosts     []DaemonHost
	TLS       bool
	TLSVerify bool
	// Unprotected says some exposed host is served without client
	// certificate verification: anyone who reaches the port runs containers as root.
	Unprotected bool
	Raw         map[string]json.RawMessage
}

// ParseDaemonJSON reads daemon.json.
func ParseDaemonJSON(b []byte) (*Daemon, error) {
	if len(b) > MaxJSON {
		return nil, fmt.Errorf("daemon.json of %d bytes, over %d", len(b), MaxJSON)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("daemon.json: %w", err)
	}
	d := &Daemon{Raw: raw}
	var hosts []string
	if h, ok := raw["hosts"]; ok {
		if err := json.Unmarshal(h, &hosts); err != nil {
			return d, fmt.Errorf("daemon.json: hosts: %w", err)
		}
	}
	_ = json.Unmarshal(raw["tls"], &d.TLS)
	_ = json.Unmarshal(raw["tlsverify"], &d.TLSVerify)
	for _, h := range hosts {
		dh := DaemonHost{Address: h, Exposed: tcpExposed(h)}
		if dh.Exposed && !d.TLSVerify {
			d.Unprotected = true
		}
		d.Hosts = append(d.Hosts, dh)
	}
	return d, nil
}

// tcpExposed reports whether a daemon address is TCP on a non-loopback address.
func tcpExposed(h string) bool {
	rest, ok := strings.CutPrefix(strings.ToLower(h), "tcp://")
	if !ok {
		return false
	}
	host := rest
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.HasSuffix(rest, "]") {
		host = rest[:i]
	}
	host = strings.Trim(host, "[]")
	switch host {
	case "", "0.0.0.0", "::":
		return true
	case "localhost":
		return false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return !a.Unmap().IsLoopback()
	}
	return true // a host name: whatever it resolves to
}
