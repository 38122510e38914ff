package parsers

import (
	"bytes"
	"compress/gzip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/timeline"
)

// The log, history, journal, audit and configuration parsers are
// registered for the entry names the collector gives those files
// (bundle.NameFor("fs", hostPath)), and read them into events.
func TestLogAndConfigParsers(t *testing.T) {
	cid := "9c1e0f6a2b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
	cv2, err := os.ReadFile("../../formats/config/testdata/config.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	hc, err := os.ReadFile("../../formats/config/testdata/hostconfig.json")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"log":"rotated\n","stream":"stdout","time":"2026-03-16T22:00:00Z"}` + "\n"))
	zw.Close()
	mtime := time.Date(2026, 3, 17, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		hostPath, parser, input string
		events, warnings        int
		action                  string
	}{
		{"/var/lib/docker/containers/" + cid + "/" + cid + "-json.log", "docker",
			`{"log":"ready\n","stream":"stderr","time":"2026-03-16T22:04:31Z"}` + "\nbroken\n", 1, 1, "container-log"},
		{"/var/lib/docker/containers/" + cid + "/" + cid + "-json.log.1.gz", "docker", gz.String(), 1, 0, "container-log"},
		{"/home/lxd/.bash_history", "shell-history", "#1773735960\ncurl x | sh\n", 1, 0, "command-run"},
		{"/root/.zsh_history", "shell-history", ": 1773735960:0;id\n", 1, 0, "command-run"},
		{"/var/log/journal/3d1219c7c4c5404aaa1f6d2a48adfda4/system.journal", "journal", "not a journal", 0, 1, ""},
		{"/var/log/audit/audit.log.1", "auditd", "type=USER_AUTH msg=audit(1773736000.100:1050): pid=1 uid=0 msg='acct=\"root\" addr=203.0.113.9 res=failed'\n", 1, 0, "user-auth"},
		{"/etc/postgresql/16/main/pg_hba.conf", "pg_hba", "host all all all trust\n", 1, 0, "pg-hba-rule"},
		{"/var/lib/postgresql/16/main/pg_hba.conf", "pg_hba", "local all all peer\nnonsense\n", 1, 1, "pg-hba-rule"},
		{"/etc/postgresql/15/main/postgresql.conf", "postgresql_conf", "listen_addresses = '*'\n", 1, 0, "postgresql-setting"},
		{"/etc/postgresql/15/main/conf.d/listen.conf", "postgresql_conf", "port = 5433\n", 1, 0, "postgresql-setting"},
		{"/etc/ssh/sshd_config", "sshd_config", "PermitRootLogin yes\n", 1, 0, "sshd-option"},
		{"/etc/ssh/sshd_config.d/50-cloud-init.conf", "sshd_config", "PasswordAuthentication yes\n", 1, 0, "sshd-option"},
		{"/var/lib/docker/containers/" + cid + "/config.v2.json", "docker_container_config", string(cv2), 2, 0, "container-config"},
		{"/var/lib/docker/containers/" + cid + "/hostconfig.json", "docker_hostconfig", string(hc), 3, 0, "container-port-binding"},
		{"/etc/docker/daemon.json", "docker_daemon", `{"hosts":["tcp://0.0.0.0:2375"]}`, 1, 0, "docker-daemon-host"},
		{"/etc/crontab", "crontab", "* * * * * root /tmp/x\n", 1, 0, "crontab-entry"},
		{"/etc/cron.d/tmp-exec-monitor", "crontab", "*/5 * * * * root /usr/local/bin/tmp-exec-monitor\n", 1, 0, "crontab-entry"},
		{"/var/spool/cron/crontabs/lxd", "crontab", "* * * * * /tmp/.x/w.sh\n", 1, 0, "crontab-entry"},
		{"/var/lib/dpkg/status", "dpkg_status", "Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24\n", 1, 0, "package-state"},
	}
	for _, c := range cases {
		name := bundle.NameFor("fs", c.hostPath)
		ps := For(bundle.EntryRecord{Name: name})
		if len(ps) != 1 || ps[0].Name != c.parser {
			var names []string
			for _, p := range ps {
				names = append(names, p.Name)
			}
			t.Errorf("%s: parsers %v, want [%s]", name, names, c.parser)
			continue
		}
		var evs []timeline.Event
		var warns []timeline.Warning
		o := timeline.Origin{Entry: name, Bundle: "ev", HostPath: c.hostPath, ModTime: mtime}
		err := ps[0].Parse(strings.NewReader(c.input), o,
			Emit{Event: func(e timeline.Event) { evs = append(evs, e) }, Warn: func(w timeline.Warning) { warns = append(warns, w) }})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(evs) != c.events || len(warns) != c.warnings || (c.events > 0 && evs[0].Event.Action != c.action) {
			t.Errorf("%s: %d events %d warnings (%+v), want %d, %d, first %s", name, len(evs), len(warns), warns, c.events, c.warnings, c.action)
			continue
		}
		for _, e := range evs {
			if e.Cordon.Provenance.Entry != name || e.Timestamp.IsZero() || e.Timestamp.Location() != time.UTC || e.Cordon.TimeDerivation == "" {
				t.Errorf("%s: event %v %+v", name, e.Timestamp, e.Cordon)
			}
		}
	}
	// files these parsers must leave alone
	for _, hp := range []string{"/var/log/auth.log", "/home/lxd/.bashrc", "/etc/ssh/ssh_config", "/etc/cron.daily/logrotate",
		"/var/lib/docker/containers/" + cid + "/hosts", "/var/lib/dpkg/info/age.md5sums"} {
		for _, p := range For(bundle.EntryRecord{Name: bundle.NameFor("fs", hp)}) {
			switch p.Name {
			case "docker", "shell-history", "journal", "auditd", "pg_hba", "postgresql_conf", "sshd_config",
				"docker_container_config", "docker_hostconfig", "docker_daemon", "crontab", "dpkg_status":
				t.Errorf("%s matched by %s", hp, p.Name)
			}
		}
	}
}
