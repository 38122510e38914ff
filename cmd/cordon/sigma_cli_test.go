package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/bundletest"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// A process under /dev/shm, running at collection (snapshot) and executed
// under audit (the audit log's records are real-shaped: written by auditd
// 3.0.9 here, log_format ENRICHED).
func shmBundle(t *testing.T, dir string) string {
	start := time.Unix(1796136774, 400_000_000).UTC()
	proc, err := json.Marshal(snapshot.Process{PID: 31698, PPID: 31697, Status: snapshot.StatusOK, Comm: "cordon-sigma-77",
		Cmdline: []string{"/dev/shm/cordon-sigma-7794", "300"}, Exe: "/dev/shm/cordon-sigma-7794", Cwd: "/tmp/sg/act",
		Start: start, StartTicks: 123456, UIDs: []uint32{0, 0, 0, 0}, UserNames: []string{"root", "root", "root", "root"}})
	if err != nil {
		t.Fatal(err)
	}
	enriched := "\x1dARCH=x86_64 SYSCALL=execve AUID=\"unset\" UID=\"root\" GID=\"root\" EUID=\"root\""
	audit := strings.Join([]string{
		`type=SYSCALL msg=audit(1796136774.402:29): arch=c000003e syscall=59 success=yes exit=0 a0=562a856ef4f0 a1=562a856de280 a2=562a8572a150 a3=8 items=2 ppid=31697 pid=31698 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="cordon-sigma-77" exe="/dev/shm/cordon-sigma-7794" key="cordon_sigma"` + enriched,
		`type=EXECVE msg=audit(1796136774.402:29): argc=2 a0="/dev/shm/cordon-sigma-7794" a1="300"`,
		`type=CWD msg=audit(1796136774.402:29): cwd="/tmp/sg/act"`,
		`type=PATH msg=audit(1796136774.402:29): item=0 name="/dev/shm/cordon-sigma-7794" inode=56 dev=00:1a mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0`,
		`type=PROCTITLE msg=audit(1796136774.402:29): proctitle=2F6465762F73686D2F636F72646F6E2D7369676D612D3737393400333030`,
		`type=EOE msg=audit(1796136774.402:29): `,
		"",
	}, "\n")
	return bundletest.Write(t, dir, "shm.cordon", bundletest.Options{Host: "vm", Start: start.Add(time.Minute)},
		bundletest.Entry{Name: snapshot.ProcessesEntry, Data: append(proc, '\n'), Source: "processes"},
		bundletest.File("/var/log/audit/audit.log", []byte(audit), start.Add(time.Second)))
}

// analyze --sigma keeps the Sigma findings with the rest; findings and
// report --sigma show them apart, each with its author.
func TestSigmaThroughTheVerbs(t *testing.T) {
	rules := testenv.Shared(t, "sigma", "rules-linux")
	dir := t.TempDir()
	bundle := shmBundle(t, dir)
	caseDir := filepath.Join(dir, "case")
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"analyze", "--case", caseDir, "--sigma", rules, bundle}, &out, &errb); code != exitOK {
		t.Fatalf("analyze: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "(1 of Sigma rules)") || !strings.Contains(errb.String(), "sigma: 210 rules loaded") {
		t.Errorf("analyze --sigma:\n%s%s", out.String(), errb.String())
	}

	out.Reset()
	if code := run(ctx, []string{"findings", "--case", caseDir, "--sigma", rules}, &out, &errb); code != exitOK {
		t.Fatalf("findings: exit %d\n%s", code, errb.String())
	}
	s := out.String()
	i := strings.Index(s, "SIGMA RULES")
	if i < 0 || !strings.Contains(s[i:], "HIGH     Process Execution From Shared Memory Directory  by Stan Beukers  [5cd16c8f-44a6-4654-81e7-a84d6db507d4]") ||
		!strings.Contains(s[i:], "process 31698 (/dev/shm/cordon-sigma-7794) on vm: 2 matching events in proc/processes.jsonl, fs/var/log/audit/audit.log") {
		t.Errorf("findings --sigma:\n%s", s)
	}
	out.Reset()
	if code := run(ctx, []string{"findings", "--case", caseDir}, &out, &errb); code != exitOK || strings.Contains(out.String(), "SIGMA") {
		t.Errorf("findings without --sigma (exit %d) shows Sigma findings:\n%s", code, out.String())
	}

	for _, name := range []string{"r.json", "r.html", "r.md"} {
		out.Reset()
		p := filepath.Join(dir, name)
		if code := run(ctx, []string{"report", "--case", caseDir, "--sigma", rules, "-o", p}, &out, &errb); code != exitOK {
			t.Fatalf("report %s: exit %d\n%s", name, code, errb.String())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"r.json": `"author": "Stan Beukers"`, "r.html": "by <strong>Stan Beukers</strong>", "r.md": "by **Stan Beukers**"}[name]
		if !bytes.Contains(b, []byte(want)) || !bytes.Contains(b, []byte("5cd16c8f-44a6-4654-81e7-a84d6db507d4")) {
			t.Errorf("%s lacks %q", name, want)
		}
	}
}
