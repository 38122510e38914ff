package config

import (
	"os"
	"testing"
	"time"
)

func TestContainerConfig(t *testing.T) {
	b, err := os.ReadFile("testdata/config.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseContainerConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "ci-postgres" || c.Image != "postgres:16" || c.State.Pid != 24101 || !c.State.Running ||
		!c.Created.Equal(time.Date(2026, 3, 16, 22, 4, 30, 101928374, time.UTC)) || !c.State.FinishedAt.IsZero() {
		t.Errorf("container: %+v", c)
	}
	if v, ok := c.EnvValue("POSTGRES_HOST_AUTH_METHOD"); !ok || v != "trust" {
		t.Errorf("POSTGRES_HOST_AUTH_METHOD = %q %v", v, ok)
	}
	if _, ok := c.EnvValue("POSTGRES_PASSWORD"); ok {
		t.Error("absent variable found")
	}
	if len(c.Ports) != 2 || !c.Ports[0].AllInterfaces() || c.Ports[0].HostPort != "5432" || c.Ports[1].HostIP != "::" {
		t.Errorf("ports: %+v", c.Ports)
	}
	if len(c.Mounts) != 1 || c.Mounts[0].Destination != "/var/lib/postgresql/data" || c.Mounts[0].Type != "volume" {
		t.Errorf("mounts: %+v", c.Mounts)
	}
	if _, err := ParseContainerConfig([]byte(`{"Name":"x"}`)); err == nil {
		t.Error("config without an ID accepted")
	}
	if _, err := ParseContainerConfig([]byte(`{"ID":`)); err == nil {
		t.Error("broken JSON accepted")
	}
}

func TestHostConfig(t *testing.T) {
	b, err := os.ReadFile("testdata/hostconfig.json")
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHostConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.PortBindings) != 2 {
		t.Fatalf("bindings %+v", h.PortBindings)
	}
	if p := h.PortBindings[0]; p.ContainerPort != "5432/tcp" || !p.AllInterfaces() {
		t.Errorf("5432: %+v", p)
	}
	if p := h.PortBindings[1]; p.ContainerPort != "8080/tcp" || p.AllInterfaces() {
		t.Errorf("8080: %+v", p)
	}
	if h.RestartPolicy != "unless-stopped" || h.NetworkMode != "bridge" || len(h.Mounts) != 1 || h.Mounts[0].Source != "/var/run/docker.sock" {
		t.Errorf("hostconfig: %+v", h)
	}
}

func TestDaemonJSON(t *testing.T) {
	d, err := ParseDaemonJSON([]byte(`{"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375", "tcp://127.0.0.1:2376", "tcp://:2377", "tcp://[::1]:2378", "tcp://10.0.0.5:2379", "fd://"], "log-driver": "json-file"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{false, true, false, true, false, true, false}
	if len(d.Hosts) != len(want) {
		t.Fatalf("hosts %+v", d.Hosts)
	}
	for i, w := range want {
		if d.Hosts[i].Exposed != w {
			t.Errorf("%s: exposed %v", d.Hosts[i].Address, d.Hosts[i].Exposed)
		}
	}
	if !d.Unprotected {
		t.Error("TCP without tlsverify not flagged")
	}
	d, _ = ParseDaemonJSON([]byte(`{"hosts": ["tcp://0.0.0.0:2376"], "tlsverify": true, "tls": true}`))
	if d.Unprotected || !d.TLSVerify {
		t.Errorf("tlsverify: %+v", d)
	}
	if _, err := ParseDaemonJSON([]byte(`{"hosts": "tcp://x"}`)); err == nil {
		t.Error("hosts as a string accepted")
	}
}

func TestContainerIDFromPath(t *testing.T) {
	id := "9c1e0f6a2b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
	if got := ContainerIDFromPath("/var/lib/docker/containers/" + id + "/hostconfig.json"); got != id {
		t.Errorf("got %q", got)
	}
	if got := ContainerIDFromPath("/etc/hostconfig.json"); got != "" {
		t.Errorf("got %q", got)
	}
}
