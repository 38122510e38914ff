package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

var mtime = time.Date(2026, 3, 16, 22, 0, 0, 0, time.UTC)

func TestEvents(t *testing.T) {
	o := timeline.Origin{Bundle: "ev1", Entry: "fs/etc/postgresql/16/main/pg_hba.conf", Host: "agent", ModTime: mtime}
	rules, _ := ParsePgHba(strings.NewReader("local all all peer\nhost all all all trust\n"))
	evs := PgHbaEvents(rules, o)
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	e := evs[1]
	if e.Event.Kind != "state" || e.Event.Category[0] != "configuration" || e.Event.Action != ActionPgHbaRule || e.Event.Dataset != "pg_hba" ||
		e.Labels["trust_non_local"] != "true" || e.Labels["hba.method"] != "trust" || !e.Timestamp.Equal(mtime) ||
		e.Cordon.Provenance.Line != 2 || e.Cordon.Provenance.Offset != 19 || e.File.Path != "/etc/postgresql/16/main/pg_hba.conf" ||
		!strings.Contains(e.Cordon.TimeDerivation, "mtime") || e.Cordon.TimeMeaning != timeline.MeaningModified {
		t.Errorf("pg_hba event: %+v", e)
	}
	if evs[0].Labels["trust_non_local"] != "false" {
		t.Errorf("local rule flagged")
	}

	b, _ := os.ReadFile("testdata/config.v2.json")
	c, err := ParseContainerConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	evs = ContainerEvents(c, timeline.Origin{Entry: "fs/var/lib/docker/containers/" + c.ID + "/config.v2.json", ModTime: mtime})
	if len(evs) != 2 || evs[0].Event.Action != ActionContainer || evs[1].Event.Action != ActionContainerStart {
		t.Fatalf("container events: %+v", evs)
	}
	e = evs[0]
	if e.Container.Name != "ci-postgres" || e.Container.Image != "postgres:16" || e.Labels["env.POSTGRES_HOST_AUTH_METHOD"] != "trust" ||
		e.Labels["all_interfaces"] != "true" || !e.Timestamp.Equal(c.Created) || e.Process.PID != 24101 || e.Process.CommandLine != "docker-entrypoint.sh postgres" {
		t.Errorf("container-config: %+v %+v", e, e.Labels)
	}
	if !evs[1].Timestamp.Equal(c.State.StartedAt) || evs[1].Cordon.TimeMeaning != timeline.MeaningStart {
		t.Errorf("container-started: %+v", evs[1])
	}

	b, _ = os.ReadFile("testdata/hostconfig.json")
	h, _ := ParseHostConfig(b)
	evs = HostConfigEvents(h, timeline.Origin{Entry: "fs/var/lib/docker/containers/" + c.ID + "/hostconfig.json", ModTime: mtime})
	if len(evs) != 3 || evs[0].Source.Port != 5432 || evs[0].Source.IP != "0.0.0.0" || evs[0].Labels["all_interfaces"] != "true" ||
		evs[0].Container.ID != c.ID || evs[1].Labels["all_interfaces"] != "false" || evs[2].Event.Action != ActionHostConfig {
		t.Errorf("hostconfig events: %+v", evs)
	}

	d, _ := ParseDaemonJSON([]byte(`{"hosts":["tcp://0.0.0.0:2375"]}`))
	evs = DaemonEvents(d, timeline.Origin{Entry: "fs/etc/docker/daemon.json"})
	if len(evs) != 1 || evs[0].Labels["exposed"] != "true" || !evs[0].Timestamp.IsZero() || !strings.Contains(evs[0].Cordon.TimeDerivation, "not known") {
		t.Errorf("daemon events: %+v", evs)
	}

	cs, _ := ParseCrontab(strings.NewReader("MAILTO=\"\"\n* * * * * lxd /tmp/w.sh\n"), true, "")
	evs = CrontabEvents(cs, timeline.Origin{Entry: "fs/etc/cron.d/x", ModTime: mtime})
	if len(evs) != 2 || evs[1].Event.Action != ActionCrontabEntry || evs[1].User.Name != "lxd" || evs[1].Process.CommandLine != "/tmp/w.sh" || evs[1].Labels["cron.schedule"] != "* * * * *" {
		t.Errorf("cron events: %+v", evs)
	}

	sc, _ := ParseSshdConfig(strings.NewReader("PermitRootLogin yes\nMatch User x\n PasswordAuthentication yes\n"))
	evs = SshdEvents(sc, timeline.Origin{Entry: "fs/etc/ssh/sshd_config", ModTime: mtime})
	if len(evs) != 3 || evs[0].Labels["sshd.keyword"] != "permitrootlogin" || evs[0].Labels["sshd.value"] != "yes" || evs[2].Labels["sshd.match"] != "User x" {
		t.Errorf("sshd events: %+v", evs)
	}

	pc, _ := ParsePostgresqlConf(strings.NewReader("listen_addresses = '*'\nport = 5432\n"))
	evs = PgConfEvents(pc, timeline.Origin{Entry: "fs/etc/postgresql/16/main/postgresql.conf", ModTime: mtime})
	if len(evs) != 2 || evs[0].Labels["setting"] != "listen_addresses" || evs[0].Labels["all_interfaces"] != "true" || evs[1].Labels["port"] != "5432" {
		t.Errorf("postgresql.conf events: %+v", evs)
	}

	ps, _ := ParseDpkgStatus(strings.NewReader("Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2\n"))
	evs = DpkgEvents(ps, timeline.Origin{Entry: "fs/var/lib/dpkg/status", ModTime: mtime})
	if len(evs) != 1 || evs[0].Labels["package.name"] != "openssh-server" || evs[0].Labels["package.installed"] != "true" {
		t.Errorf("dpkg events: %+v", evs)
	}
}
