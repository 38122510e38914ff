package journal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

// journalRemote is systemd-journal-remote (Debian package
// systemd-journal-remote): it writes genuine journal files from the journal
// export format (https://systemd.io/JOURNAL_EXPORT_FORMATS/).
const journalRemote = "/lib/systemd/systemd-journal-remote"

// exportEntries writes n entries in the export format: text fields, a
// binary MESSAGE (invalid UTF-8 and a newline) and a long MESSAGE that
// journald compresses (over its 512-byte threshold).
func exportEntries(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "__REALTIME_TIMESTAMP=%d\n", 1773735971000000+int64(i)*1234567)
		fmt.Fprintf(&b, "__MONOTONIC_TIMESTAMP=%d\n", 5000000+i)
		fmt.Fprintf(&b, "_BOOT_ID=0123456789abcdef0123456789abcdef\n")
		switch {
		case i%10 == 3:
			msg := []byte(fmt.Sprintf("binary \xff\xfe line %d\nsecond line", i))
			b.WriteString("MESSAGE\n")
			binary.Write(&b, binary.LittleEndian, uint64(len(msg)))
			b.Write(msg)
			b.WriteByte('\n')
		case i%10 == 7:
			fmt.Fprintf(&b, "MESSAGE=long %d %s\n", i, strings.Repeat("xmrig stratum+tcp://pool.example:3333 ", 40))
		default:
			fmt.Fprintf(&b, "MESSAGE=Accepted publickey for lxd from 198.51.100.%d port %d ssh2\n", i%250, 40000+i)
		}
		fmt.Fprintf(&b, "_PID=%d\n_COMM=sshd\n_EXE=/usr/sbin/sshd\n_CMDLINE=sshd: lxd [priv]\n_UID=0\n", 1000+i)
		fmt.Fprintf(&b, "SYSLOG_IDENTIFIER=sshd\n_HOSTNAME=devops-buildagent\nPRIORITY=6\n_SYSTEMD_UNIT=ssh.service\n\n")
	}
	return b.Bytes()
}

// journalctlJSON reads a file with journalctl -o json: the reference.
func journalctlJSON(t *testing.T, path string) []map[string]any {
	t.Helper()
	out, err := exec.Command(testenv.NeedTool(t, "journalctl"), "--file="+path, "-o", "json", "--no-pager").Output()
	if err != nil {
		t.Fatalf("journalctl: %v", err)
	}
	var recs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("journalctl json: %v", err)
		}
		recs = append(recs, m)
	}
	return recs
}

// jsonField returns a journalctl json value as the reader should show it:
// strings as they are, binary values (arrays of bytes) made safe.
func jsonField(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		b := make([]byte, len(x))
		for i, n := range x {
			b[i] = byte(n.(float64))
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// TestRealJournalFiles writes journal files with systemd's own writer,
// regular and compact, and checks that every entry reads back as
// journalctl prints it.
func TestRealJournalFiles(t *testing.T) {
	jr := testenv.NeedTool(t, journalRemote)
	for _, compact := range []string{"0", "1"} {
		t.Run("compact="+compact, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "remote.journal")
			cmd := exec.Command(jr, "--output="+path, "-")
			cmd.Stdin = bytes.NewReader(exportEntries(200))
			cmd.Env = append(os.Environ(), "SYSTEMD_JOURNAL_COMPACT="+compact)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("systemd-journal-remote: %v\n%s", err, out)
			}
			want := journalctlJSON(t, path)
			if len(want) != 200 {
				t.Fatalf("journalctl printed %d entries, want 200", len(want))
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var events []timeline.Event
			var warns []timeline.Warning
			sum, err := Read(f, origin, func(e Entry) { events = append(events, EntryEvent(e, origin)) }, func(w timeline.Warning) { warns = append(warns, w) })
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) != 0 {
				t.Errorf("warnings: %+v", warns)
			}
			if sum.Compact() != (compact == "1") || sum.CompressedZSTD == 0 {
				t.Errorf("summary: compact %v, %d ZSTD objects (the long messages must be compressed)", sum.Compact(), sum.CompressedZSTD)
			}
			if len(events) != len(want) {
				t.Fatalf("read %d entries, journalctl %d", len(events), len(want))
			}
			for i, w := range want {
				e := events[i]
				if e.Process == nil || e.User == nil || e.Host == nil {
					t.Errorf("entry %d: no process, user or host: %+v", i, e)
					continue
				}
				checks := []struct{ name, got, want string }{
					{"MESSAGE", e.Message, sanitize(jsonField(w["MESSAGE"]))},
					{"__REALTIME_TIMESTAMP", fmt.Sprint(e.Timestamp.UnixMicro()), jsonField(w["__REALTIME_TIMESTAMP"])},
					{"_PID", fmt.Sprint(e.Process.PID), jsonField(w["_PID"])},
					{"_COMM", e.Process.Name, jsonField(w["_COMM"])},
					{"_EXE", e.Process.Executable, jsonField(w["_EXE"])},
					{"_CMDLINE", e.Process.CommandLine, jsonField(w["_CMDLINE"])},
					{"_UID", e.User.ID, jsonField(w["_UID"])},
					{"SYSLOG_IDENTIFIER", e.Labels["journal.syslog_identifier"], jsonField(w["SYSLOG_IDENTIFIER"])},
					{"_HOSTNAME", e.Host.Name, jsonField(w["_HOSTNAME"])},
					{"_SYSTEMD_UNIT", e.Labels["journal.systemd_unit"], jsonField(w["_SYSTEMD_UNIT"])},
					{"_BOOT_ID", e.Labels["journal.boot_id"], jsonField(w["_BOOT_ID"])},
				}
				for _, c := range checks {
					if c.got != c.want {
						t.Errorf("entry %d %s: got %q, journalctl %q", i, c.name, c.got, c.want)
					}
				}
			}
		})
	}
}

// sanitize is what the reader does to a value that is not valid UTF-8.
func sanitize(s string) string { return textio.SafeString(s) }

// TestHostJournal reads the journal files of this machine, if it keeps
// any, and checks the entry count against journalctl's.
func TestHostJournal(t *testing.T) {
	var files []string
	for _, dir := range []string{"/var/log/journal", "/run/log/journal"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*", "*.journal"))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("this machine keeps no journal files (/var/log/journal and /run/log/journal are empty): TestRealJournalFiles covers files written by systemd")
	}
	for _, p := range files[:min(3, len(files))] {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		_, err = Read(f, origin, func(Entry) { n++ }, func(w timeline.Warning) { t.Logf("%s: %s", p, w.Message) })
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if want := len(journalctlJSON(t, p)); n != want {
			t.Errorf("%s: read %d entries, journalctl %d", p, n, want)
		}
	}
}
