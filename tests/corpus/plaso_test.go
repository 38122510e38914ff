// Package corpus runs the real files of ../shared/corpus/plaso through the
// built binaries, as a responder and an analyst would: the files placed
// where a host keeps them under a root directory, `cordon-collect --root`,
// `cordon analyze`, `cordon timeline` and `cordon findings`; then every row
// of the corpus README (what plaso, tshark and utmpdump read in them) is
// checked against what Cordon made of them. It drives the binaries only,
// so that it holds whatever the packages behind them are called.
package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

const containerID = "e7d0b7ea5ccf08366e2b0c8afa2318674e8aefe802315378125d2bb83fe3110c"

// placed: corpus file → where a host keeps it.
var placed = map[string]string{
	"syslog":                   "/var/log/syslog",
	"syslog_cron.log":          "/var/log/syslog.1",
	"syslog.gz":                "/var/log/syslog.2.gz",
	"syslog_rsyslog":           "/var/log/messages",
	"syslog_ssh.log":           "/var/log/auth.log",
	"postgresql.log":           "/var/log/postgresql/postgresql-12-main.log",
	"audit_enriched.log":       "/var/log/audit/audit.log",
	"bash_history":             "/root/.bash_history",
	"zsh_extended_history.txt": "/home/plaso/.zsh_history",
	"container-json.log":       "/var/lib/docker/containers/" + containerID + "/" + containerID + "-json.log",
	"config.json":              "/var/lib/docker/containers/" + containerID + "/config.v2.json",
	"wtmp.1":                   "/var/log/wtmp.1",
	"utmp_corrupted":           "/var/log/wtmp",
	"utmp":                     "/run/utmp",
	"utmp_x86_64":              "/var/run/utmp",
	"apt_history.log":          "/var/log/apt/history.log",
}

// mtime of every staged file: the year inference counts from it.
var mtime = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// cordon-collect exits 1 when a source recorded an error (the root has
	// no /etc/hostname): the bundle is complete all the same
	if err != nil && !(strings.HasSuffix(name, "cordon-collect") && cmd.ProcessState.ExitCode() == 1) {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// stage makes a host root holding the corpus files where a host keeps
// them, the host's time zone (a link to its own zoneinfo file), a
// PostgreSQL configuration naming log_timezone, and a wtmp generation of
// 50 MB of random bytes.
func stage(t *testing.T, corpus, root string) {
	t.Helper()
	write := func(p string, data []byte) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(full, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	for name, p := range placed {
		b, err := os.ReadFile(filepath.Join(corpus, name))
		if err != nil {
			t.Fatal(err)
		}
		write(p, b)
	}
	zi, err := os.ReadFile("/usr/share/zoneinfo/Etc/UTC")
	if err != nil {
		t.Fatalf("the test machine's tz database: %v", err)
	}
	write("/usr/share/zoneinfo/Etc/UTC", zi)
	if err := os.Symlink("/usr/share/zoneinfo/Etc/UTC", filepath.Join(root, "etc", "localtime")); err != nil && !os.IsExist(err) {
		if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/usr/share/zoneinfo/Etc/UTC", filepath.Join(root, "etc", "localtime")); err != nil {
			t.Fatal(err)
		}
	}
	write("/etc/postgresql/12/main/postgresql.conf", []byte("log_line_prefix = '%m [%p] %q%u@%d '\nlog_timezone = 'Australia/Brisbane'\n"))
	noise := make([]byte, 50<<20)
	rand.New(rand.NewSource(20261201)).Read(noise)
	write("/var/log/wtmp.2", noise)
}

// result is what the analysis made.
type result struct {
	events   []timeline.Event
	byEntry  map[string][]timeline.Event
	warnings []timeline.Warning
	findings []finding
	analyze  string
}

type finding struct {
	RuleID    string   `json:"rule_id"`
	Instances []string `json:"instances"`
	Evidence  []struct {
		Provenance timeline.Provenance `json:"provenance"`
	} `json:"evidence"`
}

func analyze(t *testing.T) *result {
	t.Helper()
	corpus := testenv.Corpus(t, "plaso")
	dir := t.TempDir()
	collect := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon-collect")
	cordon := build(t, dir, "github.com/cordon-forensics/cordon/cmd/cordon")
	root := filepath.Join(dir, "root")
	stage(t, corpus, root)
	host := filepath.Join(dir, "host.cordon")
	run(t, collect, "--root", root, "-o", host, "-q", "--skip", "filetimeline,binaries", "--bodyfile", filepath.Join(corpus, "bodyfile"))
	// the capture file, in a bundle of its own: --pcap FILE (the pcap-files
	// source) adds a capture someone else made to a collection
	capture := filepath.Join(dir, "capture.cordon")
	run(t, collect, "--only", "pcap-files", "--pcap", filepath.Join(corpus, "test.pcap"), "-o", capture, "-q")
	caseDir := filepath.Join(dir, "case")
	r := &result{byEntry: map[string][]timeline.Event{}}
	r.analyze = string(run(t, cordon, "analyze", host, capture, "--case", caseDir))
	sc := bufio.NewScanner(bytes.NewReader(run(t, cordon, "timeline", "--case", caseDir, "--format", "jsonl")))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev timeline.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		r.events = append(r.events, ev)
		r.byEntry[ev.Cordon.Provenance.Entry] = append(r.byEntry[ev.Cordon.Provenance.Entry], ev)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(run(t, cordon, "warnings", "--case", caseDir, "--format", "json")), []byte("\n")) {
		var wl timeline.Warning
		if len(line) > 0 {
			if err := json.Unmarshal(line, &wl); err != nil {
				t.Fatalf("cordon warnings: %v: %s", err, line)
			}
			r.warnings = append(r.warnings, wl)
		}
	}
	var fs struct {
		Findings []finding `json:"findings"`
	}
	if err := json.Unmarshal(run(t, cordon, "findings", "--case", caseDir, "--json"), &fs); err != nil {
		t.Fatal(err)
	}
	r.findings = fs.Findings
	return r
}

func (r *result) warned(entry, text string) int {
	n := 0
	for _, w := range r.warnings {
		if w.Entry == entry && strings.Contains(w.Message, text) {
			n++
		}
	}
	return n
}

func entryOf(hostPath string) string { return "fs" + hostPath }

func atOffset(evs []timeline.Event, off int64) *timeline.Event {
	for i := range evs {
		if evs[i].Cordon.Provenance.Offset == off {
			return &evs[i]
		}
	}
	return nil
}

func byLine(evs []timeline.Event) map[int64]timeline.Event {
	out := map[int64]timeline.Event{}
	for _, e := range evs {
		out[e.Cordon.Provenance.Line] = e
	}
	return out
}

// TestPlasoCorpus: each row of the corpus README, through the binaries.
func TestPlasoCorpus(t *testing.T) {
	r := analyze(t)

	t.Run("wtmp.1", func(t *testing.T) {
		evs := r.byEntry[entryOf(placed["wtmp.1"])]
		login := 0
		for _, e := range evs {
			if e.Event.Action == "user-login" {
				login++
				if e.User.Name != "userA" || e.Process.PID != 20060 || e.Source.IP != "10.10.122.1" || !e.Timestamp.Equal(time.Date(2011, 12, 1, 17, 36, 38, 432935000, time.UTC)) {
					t.Errorf("the login: %+v %+v %+v %s", e.User, e.Process, e.Source, e.Timestamp)
				}
			}
		}
		if len(evs) != 2 || login != 1 || r.warned(entryOf(placed["wtmp.1"]), "2 all-zero records") != 1 {
			t.Errorf("%d events (%d logins): 4 records, 2 all-zero", len(evs), login)
		}
	})
	t.Run("utmp", func(t *testing.T) {
		evs := r.byEntry[entryOf(placed["utmp"])]
		found := false
		for _, e := range evs {
			found = found || e.Event.Action == "login-process" && e.Labels["tty"] == "tty4" && e.Process.PID == 1115
		}
		if len(evs) != 14 || !found {
			t.Errorf("%d events (14 records), LOGIN record on tty4 PID 1115: %v", len(evs), found)
		}
	})
	t.Run("utmp_x86_64", func(t *testing.T) {
		evs := r.byEntry[entryOf(placed["utmp_x86_64"])]
		if e := atOffset(evs, 384); len(evs) != 6 || e == nil || e.Process.PID != 19 || e.Labels["tty"] != "tty2" || e.Source.IP != "4.3.2.1" {
			t.Errorf("%d events, at 384 %+v", len(evs), e)
		}
	})
	t.Run("utmp_corrupted", func(t *testing.T) {
		entry := entryOf(placed["utmp_corrupted"])
		evs := r.byEntry[entry]
		if e := atOffset(evs, 1152); len(evs) != 2 || e == nil || e.User.Name != "bob" || e.Source.IP != "10.0.0.5" || r.warned(entry, "corrupt record") == 0 {
			t.Errorf("%d events, at 1152 %+v", len(evs), e)
		}
	})
	t.Run("random wtmp", func(t *testing.T) {
		entry := entryOf("/var/log/wtmp.2")
		if n := len(r.byEntry[entry]); n != 0 || r.warned(entry, "") == 0 {
			t.Errorf("%d events from 50 MB of random bytes", n)
		}
		for _, f := range r.findings {
			if f.RuleID == "CORDON-ACC-004" {
				t.Errorf("wtmp holds only boot records: %q", f.Instances)
			}
			for _, ev := range f.Evidence {
				if ev.Provenance.Entry == entry {
					t.Errorf("%s rests on the random wtmp: %q", f.RuleID, f.Instances)
				}
			}
		}
	})
	t.Run("syslog", func(t *testing.T) {
		entry := entryOf(placed["syslog"])
		evs := r.byEntry[entry]
		lines := byLine(evs)
		if len(evs) != 16 || r.warned(entry, "not a syslog line") != 1 {
			t.Errorf("%d events (16), unreadable %d (1)", len(evs), r.warned(entry, "not a syslog line"))
		}
		if e := lines[13]; !strings.HasSuffix(e.Message, "\nmany syslog parsers.") {
			t.Errorf("the tab-indented line is not part of the line before: %q", e.Message)
		}
		if e := lines[16]; e.Labels["syslog.repeated"] != "5" {
			t.Errorf("last message repeated: %v", e.Labels)
		}
		if e := lines[7]; e.Timestamp.Month() != time.February || e.Timestamp.Day() != 29 {
			t.Errorf("Feb 29 read as %s", e.Timestamp)
		}
	})
	t.Run("syslog_rsyslog", func(t *testing.T) {
		if evs := r.byEntry[entryOf(placed["syslog_rsyslog"])]; len(evs) != 5 {
			t.Errorf("%d events", len(evs))
		}
	})
	t.Run("syslog_ssh.log", func(t *testing.T) {
		evs := r.byEntry[entryOf(placed["syslog_ssh.log"])]
		meaning := 0
		var login, failure, conn bool
		for _, e := range evs {
			if e.Event.Action != "log-line" && e.Process != nil && e.Process.Name == "sshd" {
				meaning++
			}
			ip := ""
			if e.Source != nil {
				ip = e.Source.IP
			}
			login = login || e.Event.Action == "ssh-login" && e.Event.Outcome == "success" && ip == "192.168.0.1"
			failure = failure || e.Event.Action == "ssh-login" && e.Event.Outcome == "failure" && ip == "001:db8:a0b:12f0::1" && e.Source.Port == 8759
			conn = conn || e.Event.Action == "ssh-connection" && ip == "188.124.3.41"
		}
		if meaning != 9 || !login || !failure || !conn {
			t.Errorf("%d sshd events with meaning (9); login %v, failure %v, connection %v", meaning, login, failure, conn)
		}
	})
	t.Run("postgresql.log", func(t *testing.T) {
		evs := r.byEntry[entryOf(placed["postgresql.log"])]
		entries := 0
		for _, e := range evs {
			entries++
			n, _ := strconv.Atoi(e.Labels["postgresql.attached_lines"])
			entries += n
		}
		last := evs[len(evs)-1]
		for _, e := range evs {
			if e.Cordon.Provenance.Line == 22 {
				last = e
			}
		}
		if entries != 20 || !last.Timestamp.Equal(time.Date(2022, 7, 15, 13, 4, 27, 0, time.UTC)) || !strings.Contains(last.Cordon.TimeDerivation, "log_timezone Australia/Brisbane") ||
			last.Process.PID != 203851 || last.Labels["postgresql.session_line"] != "1" {
			t.Errorf("%d events holding %d entries (20); AEST line %s (%s) pid %d", len(evs), entries, last.Timestamp, last.Cordon.TimeDerivation, last.Process.PID)
		}
		for _, e := range evs {
			if strings.Contains(e.Cordon.TimeDerivation, "mtime") {
				t.Errorf("line %d dated by the file's mtime", e.Cordon.Provenance.Line)
			}
		}
	})
	t.Run("audit_enriched.log", func(t *testing.T) {
		records := 0
		var x *timeline.Event
		for i, e := range r.byEntry[entryOf(placed["audit_enriched.log"])] {
			n, _ := strconv.Atoi(e.Labels["audit.records"])
			records += n
			if e.Labels["audit.serial"] == "485" {
				x = &r.byEntry[entryOf(placed["audit_enriched.log"])][i]
			}
			if e.Event.Action == "syscall-write" {
				t.Errorf("serial %s read as a write", e.Labels["audit.serial"])
			}
		}
		if records != 29 || x == nil || x.Event.Action != "process-executed" || x.Process.PID != 2219 || x.Process.Parent.PID != 2176 || x.Labels["audit.ses"] != "8" || x.Labels["audit.UID"] != "root" {
			t.Errorf("%d records; serial 485 %+v", records, x)
		}
	})
	t.Run("bash_history", func(t *testing.T) {
		evs := r.byEntry[entryOf(placed["bash_history"])]
		if len(evs) != 4 || strings.Count(evs[len(evs)-1].Process.CommandLine, "\n") != 3 {
			t.Errorf("%d commands (4)", len(evs))
		}
	})
	t.Run("zsh_extended_history.txt", func(t *testing.T) {
		evs := r.byEntry[entryOf(placed["zsh_extended_history.txt"])]
		if len(evs) != 4 || evs[0].Process.CommandLine != "cd plaso" || !evs[0].Timestamp.Equal(time.Date(2016, 3, 12, 8, 26, 50, 0, time.UTC)) {
			t.Errorf("%d commands (4)", len(evs))
		}
	})
	t.Run("container-json.log and config.json", func(t *testing.T) {
		evs := r.byEntry[entryOf(placed["container-json.log"])]
		if len(evs) != 10 || !evs[0].Timestamp.Equal(time.Date(2016, 1, 7, 16, 49, 10, 0, time.UTC)) {
			t.Errorf("%d lines (10), first at %v", len(evs), evs[0].Timestamp)
		}
		for _, e := range evs {
			if e.Timestamp.Year() != 2016 || e.Container == nil || e.Container.ID != containerID {
				t.Errorf("line %d: %s %+v", e.Cordon.Provenance.Line, e.Timestamp, e.Container)
			}
		}
		if len(r.byEntry[entryOf(placed["config.json"])]) == 0 {
			t.Errorf("the container's configuration gave nothing")
		}
	})
	t.Run("test.pcap", func(t *testing.T) {
		count := map[string]int{}
		tcp, udp := 0, 0
		var maxPackets, maxBytes int64
		for entry, evs := range r.byEntry {
			if !strings.HasPrefix(entry, "capture/files/") {
				continue
			}
			for _, e := range evs {
				count[e.Event.Action]++
				if e.Event.Action == "flow" {
					switch e.Network.Transport {
					case "tcp":
						tcp++
					case "udp":
						udp++
					}
					if e.Network.Packets > maxPackets {
						maxPackets, maxBytes = e.Network.Packets, e.Network.Bytes
					}
				}
			}
		}
		if tcp != 24 || udp != 37 || count["dns-query"] != 22 || count["dns-answer"] != 12 || count["http-request"] != 13 || count["tls-client-hello"] != 3 || maxPackets != 666 || maxBytes != 687950 {
			t.Errorf("TCP %d UDP %d, %v, largest %d packets %d bytes", tcp, udp, count, maxPackets, maxBytes)
		}
	})
	t.Run("bodyfile", func(t *testing.T) {
		evs := r.byEntry["imports/bodyfile/1-bodyfile"]
		if len(evs) != 71 {
			t.Errorf("%d events (plaso: 71)", len(evs))
		}
	})
	t.Run("syslog.gz", func(t *testing.T) {
		entry := entryOf(placed["syslog.gz"])
		if evs := r.byEntry[entry]; len(evs) != 12 || r.warned(entry, "not a syslog line") != 2 {
			t.Errorf("%d events, %d unreadable lines", len(evs), r.warned(entry, "not a syslog line"))
		}
	})
	t.Run("syslog_cron.log", func(t *testing.T) {
		evs := r.byEntry[entryOf(placed["syslog_cron.log"])]
		n := 0
		for _, e := range evs {
			if e.Event.Action == "cron-command" && e.User.Name == "root" {
				n++
			}
		}
		if len(evs) != 9 || n != 9 {
			t.Errorf("%d events, %d cron commands", len(evs), n)
		}
	})
	t.Run("apt_history.log", func(t *testing.T) {
		if evs := r.byEntry[entryOf(placed["apt_history.log"])]; len(evs) != 10 {
			t.Errorf("%d transactions (plaso: 10)", len(evs))
		}
	})
	t.Run("time zone", func(t *testing.T) {
		if !strings.Contains(r.analyze, `host.time_zone = "Etc/UTC" (from the host's /etc/localtime, a link to /usr/share/zoneinfo/Etc/UTC`) {
			t.Errorf("the host's zone was not read from its own files:\n%s", r.analyze)
		}
	})
	if t.Failed() {
		fmt.Fprintln(os.Stderr, r.analyze)
	}
}
