package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// uacArchive builds a small UAC archive from real UAC outputs (those the
// toolout and importer tests read): the process listings of the scene,
// an auth log with failures, PostgreSQL's log with the COPY … TO PROGRAM.
func uacArchive(t *testing.T, dir string) string {
	t.Helper()
	td := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var auth bytes.Buffer
	for i := 0; i < 12; i++ {
		auth.WriteString("Dec  1 14:33:5" + string(rune('0'+i%10)) + " vm sshd[40" + string(rune('0'+i%10)) + "]: Failed password for root from 203.0.113.7 port 4000" + string(rune('0'+i%10)) + " ssh2\n")
	}
	auth.WriteString("Dec  1 14:35:30 vm sshd[4100]: Accepted password for root from 203.0.113.7 port 40100 ssh2\n")
	members := []struct {
		name string
		data []byte
	}{
		{"uac.log", td("importer/testdata/uac.log")},
		{"live_response/process/ps_-ef.txt", td("formats/toolout/testdata/uac-ps_-ef.txt")},
		{"live_response/process/ps_-axo_pid_user_lstart_args.txt", td("formats/toolout/testdata/uac-ps_-axo_pid_user_lstart_args.txt")},
		{"live_response/process/running_processes_full_paths.txt", td("formats/toolout/testdata/uac-running_processes_full_paths.txt")},
		{"[root]/var/log/auth.log", auth.Bytes()},
		{"[root]/var/log/postgresql/postgresql-15-main.log", []byte("2026-12-01 14:44:02.388 UTC [54] LOG:  statement: COPY (SELECT 1) TO PROGRAM 'exec /tmp/mysql-scene 3600'\n")},
	}
	p := filepath.Join(dir, "uac-vm-linux-20261201144410.tar.gz")
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, m := range members {
		tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), ModTime: time.Date(2026, 12, 1, 14, 50, 0, 0, time.UTC), Typeflag: tar.TypeReg})
		tw.Write(m.data)
	}
	tw.Close()
	gz.Close()
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportVerb(t *testing.T) {
	dir := t.TempDir()
	archive := uacArchive(t, dir)
	if _, _, code := cordonRun(t, "keygen", "-o", filepath.Join(dir, "k"), "--without-password"); code != exitOK {
		t.Fatal("keygen")
	}
	out, errOut, code := cordonRun(t, "import", archive, "-o", filepath.Join(dir, "b.cordon"), "--key", filepath.Join(dir, "k.key"))
	if code != exitOK || !strings.Contains(out, "imported from UAC 3.3.0 archive ") || !strings.Contains(out, "not collected by Cordon, no signature from the suspect host") {
		t.Fatalf("import: %d\n%s\n%s", code, out, errOut)
	}
	// never overwritten
	if _, errOut, code := cordonRun(t, "import", archive, "-o", filepath.Join(dir, "b.cordon"), "--key", filepath.Join(dir, "k.key")); code != exitUsage || !strings.Contains(errOut, "exists") {
		t.Errorf("second import: %d %s", code, errOut)
	}
	// not an archive: nothing written
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("hello\n"), 0o644)
	if _, errOut, code := cordonRun(t, "import", notes, "-o", filepath.Join(dir, "n.cordon"), "--key", filepath.Join(dir, "k.key")); code != exitUsage || !strings.Contains(errOut, "not a .tar.gz") {
		t.Errorf("not an archive: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "n.cordon")); err == nil {
		t.Error("a bundle was left for an archive that could not be read")
	}
	if _, _, code := cordonRun(t, "import", archive, "-o", filepath.Join(dir, "x.cordon")); code != exitUsage {
		t.Error("no --key: not a usage error")
	}
}

// findings takes the archive where a bundle is expected, imports it with a
// one-time key, and every event is marked imported.
func TestFindingsOnAnArchive(t *testing.T) {
	dir := t.TempDir()
	archive := uacArchive(t, dir)
	out, errOut, code := cordonRun(t, "findings", archive, "--format", "json")
	if code != exitOK || !strings.Contains(errOut, "one-time key") || !strings.Contains(errOut, "IMPORTED: ") {
		t.Fatalf("findings: %d\n%s", code, errOut)
	}
	var f struct {
		Findings []struct {
			RuleID string `json:"rule_id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, x := range f.Findings {
		got[x.RuleID] = true
	}
	for _, want := range []string{"CORDON-PROC-001", "CORDON-PG-001", "CORDON-ACC-001"} {
		if !got[want] {
			t.Errorf("no %s in %v", want, got)
		}
	}
	caseDir := filepath.Join(dir, "case")
	if _, errOut, code := cordonRun(t, "analyze", archive, "--case", caseDir); code != exitOK {
		t.Fatalf("analyze: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(caseDir, "imported", "uac-vm-linux-20261201144410.cordon")); err != nil {
		t.Errorf("the imported bundle is not kept with the case: %v", err)
	}
	_, all, _ := cordonRun(t, "search", "--case", caseDir, "*")
	_, imported, _ := cordonRun(t, "search", "--case", caseDir, "cordon.imported:true")
	line := func(s string) string {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "matching events") {
				return l
			}
		}
		return ""
	}
	if line(all) == "" || line(all) != line(imported) {
		t.Errorf("every event marked imported: %q against %q", line(imported), line(all))
	}
}
