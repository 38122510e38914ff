package config

import (
	"bytes"
	"testing"

	"github.com/cordon-forensics/cordon/timeline"
)

// Each reader survives any bytes, and a file of garbage gives warnings.

var fuzzOrigin = timeline.Origin{Entry: "fs/var/lib/docker/containers/x/hostconfig.json"}

func garbage() []byte {
	g := make([]byte, 64<<10)
	for i := range g {
		g[i] = byte(i*7919 + i>>3)
	}
	return g
}

func TestGarbage(t *testing.T) {
	g := garbage()
	if _, ws := ParsePgHba(bytes.NewReader(g)); len(ws) == 0 {
		t.Error("pg_hba: no warning")
	}
	if _, ws := ParsePostgresqlConf(bytes.NewReader(g)); len(ws) == 0 {
		t.Error("postgresql.conf: no warning")
	}
	if _, ws := ParseSshdConfig(bytes.NewReader(g)); len(ws) == 0 {
		t.Error("sshd_config: no warning")
	}
	if _, ws := ParseCrontab(bytes.NewReader(g), true, ""); len(ws) == 0 {
		t.Error("crontab: no warning")
	}
	if _, ws := ParseDpkgStatus(bytes.NewReader(g)); len(ws) == 0 {
		t.Error("dpkg status: no warning")
	}
	if _, ws := ParseMd5sums(bytes.NewReader(g)); len(ws) == 0 {
		t.Error("md5sums: no warning")
	}
	if _, err := ParseContainerConfig(g); err == nil {
		t.Error("config.v2.json: no error")
	}
	if _, err := ParseHostConfig(g); err == nil {
		t.Error("hostconfig.json: no error")
	}
	if _, err := ParseDaemonJSON(g); err == nil {
		t.Error("daemon.json: no error")
	}
	// an overlong line is a warning and the next line is read
	long := append(bytes.Repeat([]byte("x"), 1<<20+1), []byte("\nhost all all all trust\n")...)
	rules, ws := ParsePgHba(bytes.NewReader(long))
	if len(rules) != 1 || len(ws) != 1 || ws[0].Line != 1 {
		t.Errorf("long line: %+v %+v", rules, ws)
	}
}

func FuzzPgHba(f *testing.F) {
	f.Add([]byte("host all all all trust\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rules, _ := ParsePgHba(bytes.NewReader(b))
		_ = PgHbaEvents(rules, fuzzOrigin)
	})
}

func FuzzPostgresqlConf(f *testing.F) {
	f.Add([]byte("listen_addresses = '*'\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, _ := ParsePostgresqlConf(bytes.NewReader(b))
		c.ListensOnAll()
		c.Port()
		_ = PgConfEvents(c, fuzzOrigin)
	})
}

func FuzzSshdConfig(f *testing.F) {
	f.Add([]byte("PermitRootLogin yes\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, _ := ParseSshdConfig(bytes.NewReader(b))
		opts, _ := FlattenSshd("/etc/ssh/sshd_config", map[string]*SshdConfig{"/etc/ssh/sshd_config": c, "/etc/ssh/sshd_config.d/a.conf": c})
		PermitRootLogin(opts)
		_ = SshdEvents(c, fuzzOrigin)
	})
}

func FuzzContainerConfig(f *testing.F) {
	f.Add([]byte(`{"ID":"x","State":{"Pid":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := ParseContainerConfig(b); c != nil && err == nil {
			_ = ContainerEvents(c, fuzzOrigin)
		}
	})
}

func FuzzHostConfig(f *testing.F) {
	f.Add([]byte(`{"PortBindings":{"5432/tcp":[{"HostIp":"","HostPort":"5432"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseHostConfig(b); err == nil {
			_ = HostConfigEvents(h, fuzzOrigin)
		}
	})
}

func FuzzDaemonJSON(f *testing.F) {
	f.Add([]byte(`{"hosts":["tcp://0.0.0.0:2375"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := ParseDaemonJSON(b); err == nil {
			_ = DaemonEvents(d, fuzzOrigin)
		}
	})
}

func FuzzCrontab(f *testing.F) {
	f.Add([]byte("* * * * * root /tmp/x\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, system bool) {
		es, _ := ParseCrontab(bytes.NewReader(b), system, "u")
		for _, e := range es {
			if e.EnvName == "" && e.Schedule == "" {
				t.Fatalf("job without a schedule: %+v", e)
			}
		}
		_ = CrontabEvents(es, fuzzOrigin)
	})
}

func FuzzDpkgStatus(f *testing.F) {
	f.Add([]byte("Package: a\nVersion: 1\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, _ := ParseDpkgStatus(bytes.NewReader(b))
		for _, p := range ps {
			if p.Name == "" {
				t.Fatal("package without a name")
			}
		}
		_ = DpkgEvents(ps, fuzzOrigin)
	})
}

func FuzzMd5sums(f *testing.F) {
	f.Add([]byte("91ac507565e36d0bd471e179a759e9cf  usr/bin/age\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, _ := ParseMd5sums(bytes.NewReader(b))
		for _, m := range ms {
			if len(m.MD5) != 32 || m.Path == "" || m.Path[0] != '/' {
				t.Fatalf("bad line %+v", m)
			}
		}
	})
}
