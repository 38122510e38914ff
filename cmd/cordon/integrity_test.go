package main

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageIntegrity collects a disk image where /usr/bin/ps was
// replaced after its package listed it, and /usr/sbin/sshd was not: the
// findings name ps, its package and both hashes, and leave sshd alone.
func TestPackageIntegrity(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	write := func(rel, data string, mode os.FileMode) {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	sum := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	write("usr/bin/ps", "\x7fELF the rootkit's ps", 0o755)
	write("usr/sbin/sshd", "\x7fELF sshd as shipped", 0o755)
	write("var/lib/dpkg/info/procps.md5sums", sum("\x7fELF ps as shipped")+"  usr/bin/ps\n", 0o644)
	write("var/lib/dpkg/info/openssh-server.md5sums", sum("\x7fELF sshd as shipped")+"  usr/sbin/sshd\n", 0o644)

	collect := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon-collect")
	cordon := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon")
	bundlePath := filepath.Join(dir, "image.cordon")
	c := exec.Command(collect, "-o", bundlePath, "--root", root, "--only", "packages,binaries", "-q")
	if out, err := c.CombinedOutput(); err != nil && c.ProcessState.ExitCode() != 1 {
		t.Fatalf("cordon-collect: %v\n%s", err, out)
	}
	out, err := exec.Command(cordon, "findings", bundlePath, "--json").Output()
	if err != nil {
		t.Fatalf("cordon findings: %v", err)
	}
	var res struct {
		Findings []struct {
			RuleID    string   `json:"rule_id"`
			Instances []string `json:"instances"`
			Evidence  []struct {
				Provenance struct{ Entry string } `json:"provenance"`
			} `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range res.Findings {
		if f.RuleID != "CORDON-INT-001" {
			continue
		}
		found = true
		if len(f.Instances) != 1 || !strings.Contains(f.Instances[0], "/usr/bin/ps") || !strings.Contains(f.Instances[0], "procps") ||
			!strings.Contains(f.Instances[0], sum("\x7fELF the rootkit's ps")) {
			t.Errorf("instances %q", f.Instances)
		}
		entries := map[string]bool{}
		for _, e := range f.Evidence {
			entries[e.Provenance.Entry] = true
		}
		if !entries["integrity/binaries.jsonl"] || !entries["fs/var/lib/dpkg/info/procps.md5sums"] {
			t.Errorf("evidence entries %v", entries)
		}
	}
	if !found {
		t.Errorf("no CORDON-INT-001 finding:\n%s", out)
	}
}
