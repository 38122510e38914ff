package collector

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// TestVolatileDeletedBinary is the incident's case: a process runs from a
// binary that was deleted; the bundle must hold the byte-identical binary
// and, from its memory, the marker it keeps in its heap.
func TestVolatileDeletedBinary(t *testing.T) {
	testenv.NeedRoot(t)
	helper := helperBinary(t)
	orig, err := os.ReadFile(helper)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(orig)
	dir := t.TempDir()
	bin := filepath.Join(dir, "mysql")
	if err := os.WriteFile(bin, orig, 0o755); err != nil {
		t.Fatal(err)
	}
	marker := randomMarker(t)
	cmd, _ := startReady(t, bin, "marker", marker)
	if err := os.Remove(bin); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	opts := testOptions()
	opts.SuspectDirs = []string{"/nonexistent-suspect-dir"} // suspect because deleted, not because of /tmp
	opts.TargetPIDs = []int{pid}
	b := collect(t, opts, "processes", "executables", "memory")

	procs := jsonl[snapshot.Process](t, b, snapshot.ProcessesEntry)
	p := findProc(procs, pid)
	if p == nil {
		t.Fatalf("process %d not in %s", pid, snapshot.ProcessesEntry)
	}
	if p.Exe != bin+" (deleted)" || !p.ExeDeleted || len(p.Suspect) == 0 || p.Suspect[0] != "exe deleted" {
		t.Errorf("process %d: exe %q deleted=%v suspect=%v; want %q deleted", pid, p.Exe, p.ExeDeleted, p.Suspect, bin+" (deleted)")
	}
	// Ancestry: the helper's parent is this test, whose record is there too.
	if p.PPID != os.Getpid() {
		t.Errorf("ppid %d, want %d", p.PPID, os.Getpid())
	}
	if findProc(procs, os.Getpid()) == nil {
		t.Errorf("the parent %d is not recorded", os.Getpid())
	}

	exe, ok := b.entries["proc/"+strconv.Itoa(pid)+"/exe"]
	if !ok {
		t.Fatalf("no proc/%d/exe entry", pid)
	}
	if got := sha256.Sum256(exe); got != want {
		t.Errorf("copied binary sha256 %x, want %x (%d bytes, want %d)", got, want, len(exe), len(orig))
	}
	var rec *bundle.EntryRecord
	for i := range b.manifest.Entries {
		if b.manifest.Entries[i].Name == "proc/"+strconv.Itoa(pid)+"/exe" {
			rec = &b.manifest.Entries[i]
		}
	}
	if rec == nil || rec.SHA256 != hex.EncodeToString(want[:]) || rec.Original == nil || !strings.HasSuffix(rec.Original.Link, " (deleted)") {
		t.Errorf("manifest record of the binary: %+v", rec)
	}
	xs := jsonl[snapshot.Executable](t, b, snapshot.ExecutablesEntry)
	found := false
	for _, x := range xs {
		if x.PID == pid && x.Kind == "exe" {
			found = true
			if x.SHA256 != hex.EncodeToString(want[:]) || x.ELF == nil || x.ELF.Class != "ELFCLASS64" || x.ELF.Type != "ET_EXEC" {
				t.Errorf("executable record: %+v elf %+v", x, x.ELF)
			}
		}
	}
	if !found {
		t.Errorf("no executable record for %d", pid)
	}
	lxs, err := snapshot.ReadExecutables(bytes.NewReader(b.entries[snapshot.ExecutablesEntry]), timeline.Origin{Entry: snapshot.ExecutablesEntry}, func(w timeline.Warning) { t.Errorf("warning %+v", w) })
	if err != nil {
		t.Fatal(err)
	}
	xev := snapshot.ExecutableEvents(lxs, timeline.Origin{Entry: snapshot.ExecutablesEntry})
	if len(xev.Events) == 0 || xev.Events[0].Process.Hash == nil || xev.Events[0].Process.Hash.SHA256 != hex.EncodeToString(want[:]) {
		t.Errorf("executable events %+v", xev.Events)
	}

	core, ok := b.entries["memory/"+strconv.Itoa(pid)+"/core"]
	if !ok {
		t.Fatalf("no memory/%d/core", pid)
	}
	if !bytes.Contains(core, []byte(marker)) {
		t.Errorf("marker %s not in the %d-byte memory dump", marker, len(core))
	}
	if _, ok := b.entries["proc/"+strconv.Itoa(pid)+"/maps"]; !ok {
		t.Errorf("no maps entry")
	}
	volCheckCore(t, core, marker)

	// The analyzer's view: a process-start event with its parent and the
	// deleted binary, traceable to its line.
	located, err := snapshot.ReadProcesses(bytes.NewReader(b.entries[snapshot.ProcessesEntry]), timeline.Origin{Entry: snapshot.ProcessesEntry}, func(w timeline.Warning) { t.Errorf("warning %+v", w) })
	if err != nil {
		t.Fatal(err)
	}
	evs := snapshot.ProcessEvents(located, timeline.Origin{Entry: snapshot.ProcessesEntry})
	seenEv := false
	for _, ev := range evs.Events {
		if ev.Process.PID == int64(pid) {
			seenEv = true
			if ev.Process.Parent == nil || ev.Process.Parent.PID != int64(os.Getpid()) || ev.Process.Parent.EntityID == "" ||
				ev.Labels["exe_deleted"] != "true" || !strings.HasPrefix(ev.Labels["ancestry"], strconv.Itoa(pid)+":mysql < "+strconv.Itoa(os.Getpid())+":") {
				t.Errorf("process event %+v parent %+v labels %v", ev.Process, ev.Process.Parent, ev.Labels)
			}
		}
	}
	if !seenEv {
		t.Errorf("no process-start event for %d", pid)
	}
	if gdb, err := exec.LookPath("gdb"); err == nil {
		volCheckGDB(t, gdb, core, marker)
	}

	// Without --pid, the executables and memory sources choose it because
	// its binary is deleted.
	opts.TargetPIDs = nil
	env := NewEnv(opts, nil)
	pass := env.volatilePass(context.Background())
	if pass.Err != nil {
		t.Fatal(pass.Err)
	}
	chosen := false
	for _, id := range pass.identities() {
		if id.PID == pid {
			chosen = env.chosen(id, false)
		}
	}
	if !chosen {
		t.Errorf("process %d with a deleted binary is not chosen as suspect", pid)
	}
}

// volCheckGDB has gdb open the core and find the marker in its memory.
func volCheckGDB(t *testing.T, gdb string, core []byte, marker string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(core))
	if err != nil {
		t.Fatal(err)
	}
	var at uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Filesz > 0 {
			if i := bytes.Index(core[p.Off:p.Off+p.Filesz], []byte(marker)); i >= 0 {
				at = p.Vaddr + uint64(i)
				break
			}
		}
	}
	path := filepath.Join(t.TempDir(), "core")
	if err := os.WriteFile(path, core, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(gdb, "-batch", "-nx", "-c", path, "-ex", fmt.Sprintf("x/s 0x%x", at)).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte(marker)) {
		t.Errorf("gdb -c core: x/s 0x%x does not show the marker (%v):\n%s", at, err, out)
	}
}

// volCheckCore opens the dump as an ELF core and finds the marker inside
// one of its PT_LOAD segments.
func volCheckCore(t *testing.T, core []byte, marker string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(core))
	if err != nil {
		t.Fatalf("core is not an ELF file: %v", err)
	}
	if f.Type != elf.ET_CORE {
		t.Errorf("core type %v, want ET_CORE", f.Type)
	}
	hit := false
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Filesz == 0 {
			continue
		}
		seg := core[p.Off : p.Off+p.Filesz]
		if bytes.Contains(seg, []byte(marker)) {
			hit = true
		}
	}
	if !hit {
		t.Errorf("marker not found inside any PT_LOAD segment")
	}
}

// volStatFields reads ppid and start ticks from /proc/PID/stat the simple
// way, independently of parseStat.
func volStatFields(t *testing.T, pid int) (ppid int, start uint64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	rest := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	ppid, _ = strconv.Atoi(rest[1])
	start, _ = strconv.ParseUint(rest[19], 10, 64)
	return ppid, start, true
}

// TestVolatileProcessesMatchProc compares the process list with a second,
// independent reading of /proc made before and after the collection.
func TestVolatileProcessesMatchProc(t *testing.T) {
	testenv.NeedRoot(t)
	type seen struct {
		ppid  int
		start uint64
		exe   string
	}
	read := func() map[int]seen {
		out := map[int]seen{}
		ents, err := os.ReadDir("/proc")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			ppid, start, ok := volStatFields(t, pid)
			if !ok {
				continue
			}
			exe, _ := os.Readlink("/proc/" + e.Name() + "/exe")
			out[pid] = seen{ppid, start, exe}
		}
		return out
	}
	statB, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	var btime int64
	for _, l := range strings.Split(string(statB), "\n") {
		if strings.HasPrefix(l, "btime ") {
			btime, _ = strconv.ParseInt(strings.TrimPrefix(l, "btime "), 10, 64)
		}
	}
	// An orphan: its parent shell exits at once, and it is re-parented to
	// init or a subreaper.
	helper := helperBinary(t)
	sh := testenv.NeedTool(t, "sh")
	shOut, err := exec.Command(sh, "-c", `"$0" marker orphan >/dev/null 2>&1 & echo $!`, helper).Output()
	if err != nil {
		t.Fatal(err)
	}
	orphan, _ := strconv.Atoi(strings.TrimSpace(string(shOut)))
	if orphan <= 0 {
		t.Fatalf("no orphan pid in %q", shOut)
	}
	t.Cleanup(func() { syscall.Kill(orphan, syscall.SIGKILL) })
	for i := 0; i < 100; i++ {
		if ppid, _, ok := volStatFields(t, orphan); ok && ppid != os.Getpid() {
			if exe, _ := os.Readlink("/proc/" + strconv.Itoa(orphan) + "/exe"); exe == helper {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := read()
	b := collect(t, testOptions(), "processes", "hidden-pids")
	after := read()
	procs := jsonl[snapshot.Process](t, b, snapshot.ProcessesEntry)
	byPID := map[int]snapshot.Process{}
	for _, p := range procs {
		byPID[p.PID] = p
	}
	compared := 0
	for pid, s := range before {
		a, ok := after[pid]
		if !ok || a != s {
			continue // born, gone or changed during the collection
		}
		p, ok := byPID[pid]
		if !ok {
			t.Errorf("PID %d alive before and after the collection is not listed", pid)
			continue
		}
		compared++
		if p.PPID != s.ppid || p.StartTicks != s.start || p.Exe != s.exe {
			t.Errorf("PID %d: ppid %d start %d exe %q; /proc says %d %d %q", pid, p.PPID, p.StartTicks, p.Exe, s.ppid, s.start, s.exe)
		}
		want := time.Unix(btime, 0).Add(time.Duration(s.start) * 10 * time.Millisecond)
		if d := p.Start.Sub(want); d < -time.Second || d > time.Second {
			t.Errorf("PID %d: start %v, btime+ticks gives %v", pid, p.Start, want)
		}
		if p.Status != snapshot.StatusOK {
			t.Errorf("PID %d: status %s errors %v", pid, p.Status, p.Errors)
		}
		if p.Exe == "" && p.Errors["exe"] == "" {
			t.Errorf("PID %d: empty exe without an error", pid)
		}
	}
	if compared < 10 {
		t.Fatalf("only %d processes compared", compared)
	}
	if o, ok := byPID[orphan]; !ok || o.PPID != before[orphan].ppid || o.PPID == 0 {
		t.Errorf("orphan %d: %+v, /proc says ppid %d", orphan, o, before[orphan].ppid)
	} else if _, ok := byPID[o.PPID]; !ok {
		t.Errorf("orphan %d: its new parent %d is not listed", orphan, o.PPID)
	}
	// Ancestry: every parent of a listed process is listed, or is 0 (init
	// and kthreadd).
	for _, p := range procs {
		if p.Status == snapshot.StatusOK && p.PPID != 0 {
			if _, ok := byPID[p.PPID]; !ok {
				if _, still := after[p.PID]; still {
					t.Errorf("PID %d: parent %d not listed", p.PID, p.PPID)
				}
			}
		}
	}
	self := byPID[os.Getpid()]
	if len(self.UserNames) == 0 || self.UserNames[0] != "root" || len(self.GroupNames) == 0 || self.GroupNames[0] != "root" {
		t.Errorf("own process: user names %v group names %v, want root", self.UserNames, self.GroupNames)
	}
	if self.Namespaces["net"] == 0 || self.Namespaces["pid"] == 0 || self.Namespaces["mnt"] == 0 {
		t.Errorf("own namespaces %v", self.Namespaces)
	}
	if len(self.Cmdline) == 0 || self.Cmdline[0] != os.Args[0] {
		t.Errorf("own cmdline %q, want %q first", self.Cmdline, os.Args[0])
	}
	if self.Environ != nil {
		t.Errorf("environ collected without --environ")
	}
	t.Logf("%d processes listed, %d compared", len(procs), compared)
	var h snapshot.HiddenPIDs
	if err := json.Unmarshal(b.entries[snapshot.HiddenPIDsEntry], &h); err != nil {
		t.Fatalf("%s: %v", snapshot.HiddenPIDsEntry, err)
	}
	// This test's own threads answer at /proc/TID without being listed:
	// they must not be reported hidden.
	if !h.Complete || h.Threads == 0 || h.Probed < h.PIDMax-1 || len(h.Hidden) != 0 {
		t.Errorf("hidden-PID probe: %+v", h)
	}
}

// TestVolatileSockets checks listeners the test opens, on loopback and on
// 0.0.0.0 inside a network namespace it creates, against ss and the PIDs.
func TestVolatileSockets(t *testing.T) {
	testenv.NeedRoot(t)
	ss := testenv.NeedTool(t, "ss")
	ipTool := testenv.NeedTool(t, "ip")
	helper := helperBinary(t)
	ns := "cordonvol" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command(ipTool, "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command(ipTool, "netns", "del", ns).Run() })
	exec.Command(ipTool, "-n", ns, "link", "set", "lo", "up").Run()

	tcpLo, tcpPort := startReady(t, helper, "listen", "tcp", "127.0.0.1:0")
	udpAny, udpPort := startReady(t, helper, "listen", "udp4", "0.0.0.0:0")
	tcp6Any, tcp6Port := startReady(t, helper, "listen", "tcp6", "[::]:0")
	nsTCP, nsPort := startReady(t, ipTool, "netns", "exec", ns, helper, "listen", "tcp4", "0.0.0.0:0")

	ssHost, err := exec.Command(ss, "-tanupH").CombinedOutput()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	ssNS, err := exec.Command(ipTool, "netns", "exec", ns, ss, "-tlnpH").CombinedOutput()
	if err != nil {
		t.Fatalf("ss in %s: %v", ns, err)
	}
	for _, c := range []struct {
		out  []byte
		addr string
		pid  int
	}{
		{ssHost, "127.0.0.1:" + tcpPort, tcpLo.Process.Pid},
		{ssHost, "0.0.0.0:" + udpPort, udpAny.Process.Pid},
		{ssHost, "[::]:" + tcp6Port, tcp6Any.Process.Pid},
		{ssNS, "0.0.0.0:" + nsPort, nsTCP.Process.Pid},
	} {
		if !volSSHas(c.out, c.addr, c.pid) {
			t.Fatalf("ss does not show %s held by pid %d:\n%s", c.addr, c.pid, c.out)
		}
	}

	b := collect(t, testOptions(), "sockets")
	socks := jsonl[snapshot.Socket](t, b, snapshot.SocketsEntry)
	nsLink, err := os.Readlink("/proc/" + strconv.Itoa(nsTCP.Process.Pid) + "/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	nsIno, _ := bracketInode(nsLink)
	selfLink, _ := os.Readlink("/proc/self/ns/net")
	selfIno, _ := bracketInode(selfLink)
	if nsIno == selfIno {
		t.Fatalf("the helper is not in its own network namespace")
	}
	find := func(transport, ip, port string, netns uint64, pid int) *snapshot.Socket {
		for i, s := range socks {
			if s.Transport == transport && s.LocalIP == ip && strconv.Itoa(s.LocalPort) == port && s.NetNS == netns {
				for _, h := range s.Holders {
					if h.PID == pid {
						return &socks[i]
					}
				}
				t.Errorf("%s %s:%s found but not joined to pid %d: holders %+v", transport, ip, port, pid, s.Holders)
				return &socks[i]
			}
		}
		t.Errorf("no %s socket %s:%s in netns %d", transport, ip, port, netns)
		return nil
	}
	if s := find("tcp", "127.0.0.1", tcpPort, selfIno, tcpLo.Process.Pid); s != nil && (s.State != "LISTEN" || !s.Listening || s.AllInterfaces) {
		t.Errorf("loopback listener: %+v", s)
	}
	if s := find("udp", "0.0.0.0", udpPort, selfIno, udpAny.Process.Pid); s != nil && (!s.Listening || !s.AllInterfaces) {
		t.Errorf("udp 0.0.0.0 socket: %+v", s)
	}
	if s := find("tcp", "::", tcp6Port, selfIno, tcp6Any.Process.Pid); s != nil && (s.State != "LISTEN" || !s.AllInterfaces || s.Family != "ipv6") {
		t.Errorf("tcp6 :: listener: %+v", s)
	}
	if s := find("tcp", "0.0.0.0", nsPort, nsIno, nsTCP.Process.Pid); s != nil && (s.State != "LISTEN" || !s.AllInterfaces) {
		t.Errorf("netns listener: %+v", s)
	}
	if _, ok := b.entries["net/ns/"+strconv.FormatUint(nsIno, 10)+"/tcp"]; !ok {
		t.Errorf("no raw copy of the namespace's tcp table")
	}
}

// volSSHas reports whether ss output has a socket on addr held by pid.
func volSSHas(out []byte, addr string, pid int) bool {
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, " "+addr+" ") && strings.Contains(l, "pid="+strconv.Itoa(pid)+",") {
			return true
		}
	}
	return false
}

// volKillSink kills a process once the first MiB of an entry's bytes has
// been read: the process exits in the middle of its memory dump.
type volKillSink struct {
	Sink
	cmd  *exec.Cmd
	name string
}

type volKillReader struct {
	r    io.Reader
	n    int64
	cmd  *exec.Cmd
	done bool
}

func (k *volKillReader) Read(p []byte) (int, error) {
	if !k.done && k.n >= 1<<20 {
		k.done = true
		k.cmd.Process.Kill()
		k.cmd.Wait()
	}
	n, err := k.r.Read(p)
	k.n += int64(n)
	return n, err
}

func (s *volKillSink) Add(meta bundle.EntryMeta, r io.Reader, size int64) (bundle.EntryRecord, error) {
	if meta.Name == s.name {
		r = &volKillReader{r: r, cmd: s.cmd}
	}
	return s.Sink.Add(meta, r, size)
}

// TestVolatileExitMidCollection: a process exits while its memory is
// dumped, and another before it is read. Neither is a crash; both are recorded.
func TestVolatileExitMidCollection(t *testing.T) {
	testenv.NeedRoot(t)
	helper := helperBinary(t)
	cmd, _ := startReady(t, helper, "alloc", "64")
	pid := cmd.Process.Pid
	var out bytes.Buffer
	_, key, _ := bundle.GenerateKey()
	w, err := bundle.NewWriter(&out, bundle.Options{Key: key, EvidenceID: "vol-exit", Collector: "volatile_test"})
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.TargetPIDs = []int{pid}
	env := NewEnv(opts, &volKillSink{Sink: w, cmd: cmd, name: "memory/" + strconv.Itoa(pid) + "/core"})
	st := Run(context.Background(), env, []Source{sourceNamed(t, "memory")}).Sources
	if _, err := w.Close(bundle.Custody{EvidenceID: "vol-exit", Sources: st, Errors: env.Errors()}); err != nil {
		t.Fatal(err)
	}
	b := readBundle(t, &out)
	if s := sourceStatus(t, b, "memory"); s.Status == bundle.SourceError || s.Status == bundle.SourceTimeout {
		t.Fatalf("memory source %s: %s", s.Status, s.Detail)
	}
	idx := jsonl[snapshot.MemoryDump](t, b, snapshot.MemoryIndexEntry)
	if len(idx) != 1 || idx[0].PID != pid {
		t.Fatalf("memory index %+v", idx)
	}
	d := idx[0]
	if !strings.Contains(d.Error, "exited") || d.Holes == 0 {
		t.Errorf("dump of the exiting process: error %q, %d hole bytes; want the exit recorded and holes", d.Error, d.Holes)
	}
	core := b.entries[d.CoreEntry]
	var want int64
	for _, r := range d.Regions {
		want += r.Dumped
	}
	if int64(len(core)) <= want {
		t.Errorf("core of %d bytes for %d region bytes", len(core), want)
	}

	// A PID that is gone before it is read is recorded as vanished.
	ids := readIDNames(context.Background(), env)
	p, _ := readProcessPID(context.Background(), env.For("processes"), pid, ids, time.Now())
	if p.Status != snapshot.StatusVanished || p.Errors["stat"] == "" {
		t.Errorf("exited process: status %q errors %v, want vanished", p.Status, p.Errors)
	}
}

// TestVolatileChurn runs the volatile sources while hundreds of short
// processes start and exit.
func TestVolatileChurn(t *testing.T) {
	testenv.NeedRoot(t)
	truePath := testenv.NeedTool(t, "true")
	stop := make(chan struct{})
	var started sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for w := 0; w < 4; w++ {
		started.Add(1)
		go func() {
			defer started.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if exec.Command(truePath).Run() == nil {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
		}()
	}
	opts := testOptions()
	opts.TargetPIDs = []int{os.Getpid()} // executables and memory: none (self is skipped)
	var b *testBundle
	for round := 0; ; round++ {
		b = collect(t, opts, "processes", "sockets", "executables", "memory")
		mu.Lock()
		done := n >= 300 || round >= 20
		mu.Unlock()
		if done {
			break
		}
	}
	close(stop)
	started.Wait()
	t.Logf("%d short-lived processes ran during the collections", n)
	if n < 200 {
		t.Errorf("only %d processes churned", n)
	}
	for _, s := range b.statuses {
		if s.Status == bundle.SourceError || s.Status == bundle.SourceTimeout {
			t.Errorf("source %s: %s %s", s.Name, s.Status, s.Detail)
		}
	}
	procs := jsonl[snapshot.Process](t, b, snapshot.ProcessesEntry)
	var sum snapshot.ProcessSummary
	if err := json.Unmarshal(b.entries[snapshot.ProcessSummaryEntry], &sum); err != nil {
		t.Fatal(err)
	}
	vanished := 0
	for _, p := range procs {
		if p.Status == snapshot.StatusVanished {
			vanished++
		}
	}
	if sum.Vanished != vanished || sum.Read != len(procs) {
		t.Errorf("summary %+v: %d vanished and %d records in %s", sum, vanished, len(procs), snapshot.ProcessesEntry)
	}
	t.Logf("%d vanished of %d", vanished, len(procs))
	for _, p := range procs {
		if p.Status == snapshot.StatusOK && (p.Comm == "" || p.StartTicks == 0 && !p.KernelThread && p.PID > 1) {
			t.Errorf("PID %d ok but comm %q start %d", p.PID, p.Comm, p.StartTicks)
		}
		if p.Status == snapshot.StatusVanished && len(p.Errors) == 0 {
			t.Errorf("PID %d vanished without a recorded error", p.PID)
		}
	}
}

// TestVolatileFIFO plants FIFOs where regular files are expected: the
// host's /etc/passwd and /etc/timezone under --root, and a deleted file a
// process holds open. None may be opened; each is recorded.
func TestVolatileFIFO(t *testing.T) {
	testenv.NeedRoot(t)
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	for _, f := range []string{"etc/passwd", "etc/group", "etc/timezone", "etc/hostname"} {
		if err := unixMkfifo(filepath.Join(root, f)); err != nil {
			t.Fatal(err)
		}
	}
	opts := testOptions()
	opts.Root = root
	env := NewEnv(opts, nil).For("processes")
	done := make(chan struct{})
	var ids idNames
	var facts bundle.HostFacts
	go func() {
		ids = readIDNames(context.Background(), env)
		facts = ReadHostFacts(env)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("reading a FIFO planted as /etc/passwd hung")
	}
	if len(ids.users) != 0 {
		t.Errorf("names read from a FIFO: %v", ids.users)
	}
	errs := env.Errors()
	if len(errs) < 2 || !strings.Contains(errs[0].Error, "fifo") {
		t.Errorf("FIFO /etc/passwd not recorded as such: %+v", errs)
	}
	if !strings.Contains(strings.Join(facts.Errors, "\n"), "fifo") {
		t.Errorf("host facts errors do not name the FIFO: %v", facts.Errors)
	}

	helper := helperBinary(t)
	cmd, fd := startReady(t, helper, "fifo", filepath.Join(t.TempDir(), "planted"))
	live := testOptions()
	live.TargetPIDs = []int{cmd.Process.Pid}
	b := collect(t, live, "executables")
	xs := jsonl[snapshot.Executable](t, b, snapshot.ExecutablesEntry)
	found := false
	for _, x := range xs {
		if x.PID == cmd.Process.Pid && x.Kind == "fd" && strconv.Itoa(x.FD) == fd {
			found = true
			if x.Entry != "" || !strings.Contains(x.Error, "fifo") {
				t.Errorf("deleted FIFO: %+v", x)
			}
		}
	}
	if !found {
		t.Errorf("the deleted FIFO held on fd %s is not recorded: %+v", fd, xs)
	}
	missing := false
	for _, m := range b.manifest.Missing {
		if strings.Contains(m.HostPath, "/fd/"+fd) && strings.Contains(m.Error, "not a regular file") {
			missing = true
		}
	}
	if !missing {
		t.Errorf("no missing record for the FIFO: %+v", b.manifest.Missing)
	}
}

func unixMkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }

// TestVolatileUnprivileged runs a collection as uid 65534 (nobody): it must
// collect what it may (its own user's processes, their memory) and record
// what it could not, and why.
func TestVolatileUnprivileged(t *testing.T) {
	testenv.NeedRoot(t)
	helper := helperBinary(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "cordon-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	bin := filepath.Join(dir, "collector.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	nobody := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	marker := randomMarker(t)
	hcmd := exec.Command(helper, "marker", marker)
	hcmd.SysProcAttr = nobody
	hout, _ := hcmd.StdoutPipe()
	if err := hcmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hcmd.Process.Kill(); hcmd.Wait() })
	if _, err := bufio.NewReader(hout).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "bundle.cordon")
	cmd := exec.Command(bin, "-test.run=^TestVolatileCollectChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CORDON_VOLATILE_CHILD_OUT="+out, "CORDON_VOLATILE_CHILD_NOBODY=1", "CORDON_VOLATILE_CHILD_PIDS=1,"+strconv.Itoa(hcmd.Process.Pid))
	cmd.SysProcAttr = nobody
	cmd.Dir = dir
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child collection: %v\n%s", err, o)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := readBundle(t, f)
	for _, s := range b.statuses {
		if s.Status == bundle.SourceError || s.Status == bundle.SourceTimeout {
			t.Errorf("source %s: %s %s", s.Name, s.Status, s.Detail)
		}
	}
	procs := jsonl[snapshot.Process](t, b, snapshot.ProcessesEntry)
	init := findProc(procs, 1)
	if init == nil || !strings.Contains(init.Errors["exe"], "permission denied") || init.Exe != "" {
		t.Errorf("PID 1 read as nobody: %+v; want exe recorded as permission denied", init)
	}
	if hp := findProc(procs, hcmd.Process.Pid); hp == nil || hp.Exe != helper || len(hp.UserNames) == 0 || hp.UserNames[0] != "nobody" {
		t.Errorf("own-user helper: %+v", hp)
	}
	denied := false
	for _, m := range b.manifest.Missing {
		if m.HostPath == "/proc/1/mem" && strings.Contains(m.Error, "permission denied") {
			denied = true
		}
	}
	if !denied {
		t.Errorf("the memory of PID 1 is not recorded as denied: %+v", b.manifest.Missing)
	}
	core := b.entries["memory/"+strconv.Itoa(hcmd.Process.Pid)+"/core"]
	if !bytes.Contains(core, []byte(marker)) {
		t.Errorf("nobody could not dump its own helper's memory (%d bytes)", len(core))
	}
}

// TestVolatileCollectChild is the collection that TestVolatileUnprivileged
// (as nobody) and the benchmarks (for a clean peak RSS) run in a process
// of its own; it does nothing when run directly.
func TestVolatileCollectChild(t *testing.T) {
	out := os.Getenv("CORDON_VOLATILE_CHILD_OUT")
	if out == "" {
		t.Skip("run by TestVolatileUnprivileged and the benchmarks")
	}
	if os.Getenv("CORDON_VOLATILE_CHILD_NOBODY") != "" && os.Geteuid() == 0 {
		t.Fatal("the child must not run as root")
	}
	opts := testOptions()
	opts.Memory = MemoryAll
	for _, s := range strings.Split(os.Getenv("CORDON_VOLATILE_CHILD_PIDS"), ",") {
		n, _ := strconv.Atoi(s)
		opts.TargetPIDs = append(opts.TargetPIDs, n)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	collectTo(t, f, opts, "netstate", "processes", "sockets", "executables", "memory", "hostinfo")
}

// TestVolatilePIDReuse: a process whose start time is not the one
// recorded is another process with the same PID; nothing of it is copied.
func TestVolatilePIDReuse(t *testing.T) {
	testenv.NeedRoot(t)
	helper := helperBinary(t)
	cmd, _ := startReady(t, helper, "marker", randomMarker(t))
	pid := cmd.Process.Pid
	var out bytes.Buffer
	_, key, _ := bundle.GenerateKey()
	w, err := bundle.NewWriter(&out, bundle.Options{Key: key, EvidenceID: "vol-reuse", Collector: "volatile_test"})
	if err != nil {
		t.Fatal(err)
	}
	env := NewEnv(testOptions(), w).For("executables")
	ctx := context.Background()
	st, err := readStat(ctx, env, pid)
	if err != nil {
		t.Fatal(err)
	}
	stale := procIdentity{PID: pid, StartTicks: st.StartTicks - 1, Comm: "old", Exe: helper}
	if err := samePID(ctx, env, stale); err == nil || !strings.Contains(err.Error(), "reused") {
		t.Errorf("samePID with another start time: %v", err)
	}
	x := copyProcFile(ctx, env, stale, "exe", -1, helper, map[[2]uint64]string{})
	if x.Entry != "" || !strings.Contains(x.Error, "reused") {
		t.Errorf("copy of a reused PID: %+v", x)
	}
	d, err := dumpProcess(ctx, env.For("memory"), stale)
	if err != nil || d.CoreEntry != "" || !strings.Contains(d.Error, "reused") {
		t.Errorf("dump of a reused PID: %+v %v", d, err)
	}
	if err := samePID(ctx, env, procIdentity{PID: pid, StartTicks: st.StartTicks}); err != nil {
		t.Errorf("samePID of the same process: %v", err)
	}
}

// TestVolatileEnvironOptIn: the environment (secrets) only with --environ;
// --memory none dumps nothing.
func TestVolatileEnvironOptIn(t *testing.T) {
	testenv.NeedRoot(t)
	ctx := context.Background()
	for _, on := range []bool{false, true} {
		opts := testOptions()
		opts.CollectEnviron = on
		env := NewEnv(opts, nil).For("processes")
		p, _ := readProcessPID(ctx, env, os.Getpid(), idNames{}, time.Now())
		has := false
		for _, kv := range p.Environ {
			if strings.HasPrefix(kv, "PATH=") {
				has = true
			}
		}
		if has != on {
			t.Errorf("--environ %v: environ %d variables, PATH present %v", on, len(p.Environ), has)
		}
	}
	opts := testOptions()
	opts.Memory = MemoryNone
	b := collect(t, opts, "memory")
	for name := range b.entries {
		if strings.HasPrefix(name, "memory/") {
			t.Errorf("--memory none wrote %s", name)
		}
	}
}

// TestVolatileNeighbours compares the neighbour cache read over netlink
// with `ip neigh` for an entry the test adds in a namespace of its own.
func TestVolatileNeighbours(t *testing.T) {
	testenv.NeedRoot(t)
	ipTool := testenv.NeedTool(t, "ip")
	ns := "cordonnb" + strconv.Itoa(os.Getpid())
	run := func(args ...string) {
		if out, err := exec.Command(ipTool, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	run("netns", "add", ns)
	t.Cleanup(func() { exec.Command(ipTool, "netns", "del", ns).Run() })
	run("-n", ns, "link", "add", "vol0", "type", "veth", "peer", "name", "vol1")
	run("-n", ns, "link", "set", "vol0", "up")
	run("-n", ns, "neigh", "add", "192.0.2.7", "lladdr", "02:00:00:00:00:07", "dev", "vol0", "nud", "permanent")
	run("-n", ns, "neigh", "add", "2001:db8::7", "lladdr", "02:00:00:00:00:08", "dev", "vol0", "nud", "permanent")
	// Read the cache from inside the namespace: a child test binary run by ip netns exec.
	cmd := exec.Command(ipTool, "netns", "exec", ns, os.Args[0], "-test.run=^TestVolatileNeighboursChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "CORDON_VOLATILE_NEIGH_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"192.0.2.7 02:00:00:00:00:07 PERMANENT", "2001:db8::7 02:00:00:00:00:08 PERMANENT"} {
		if !bytes.Contains(out, []byte("neighbour "+want)) {
			t.Errorf("neighbour %q not read:\n%s", want, out)
		}
	}
}

func TestVolatileNeighboursChild(t *testing.T) {
	if os.Getenv("CORDON_VOLATILE_NEIGH_CHILD") == "" {
		t.Skip("run by TestVolatileNeighbours")
	}
	rib, err := syscall.NetlinkRIB(syscall.RTM_GETNEIGH, syscall.AF_UNSPEC)
	if err != nil {
		t.Fatal(err)
	}
	ns, bad := ParseNeighbours(rib)
	if len(bad) > 0 {
		t.Errorf("%v", bad)
	}
	for _, n := range ns {
		t.Logf("neighbour %s %s %s", n.IP, n.MAC, n.State)
	}
}

// TestVolatileHostInfoRoot reads the host facts of a disk image (--root):
// its own files, with the live kernel's facts recorded as not applicable.
func TestVolatileHostInfoRoot(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/hostname"), []byte("deadhost\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/machine-id"), []byte("0123456789abcdef0123456789abcdef\n"), 0o644)
	os.Symlink("/usr/share/zoneinfo/Europe/Paris", filepath.Join(root, "etc/localtime"))
	opts := testOptions()
	opts.Root = root
	b := collect(t, opts, "hostinfo")
	var f snapshot.HostFacts
	if err := json.Unmarshal(b.entries[snapshot.HostFactsEntry], &f); err != nil {
		t.Fatal(err)
	}
	if f.Hostname != "deadhost" || f.MachineID != "0123456789abcdef0123456789abcdef" || f.TimeZone != "Europe/Paris" || f.Kernel != "" || f.Errors["kernel"] == "" {
		t.Errorf("facts %+v", f)
	}
	if s := sourceStatus(t, b, "hostinfo"); s.Status != "partial" || s.Errors != 0 {
		// partial: utmp is missing from the image; the kernel facts are not errors.
		t.Errorf("hostinfo status %+v", s)
	}
	facts := ReadHostFacts(NewEnv(opts, nil))
	if facts.Hostname != "deadhost" || !facts.BootTime.IsZero() {
		t.Errorf("ReadHostFacts %+v", facts)
	}
}
