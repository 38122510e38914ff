package timeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

// hostileEvents are events whose every string an attacker could have
// written: terminal escapes, line breaks, invalid UTF-8, bidi overrides,
// delimiters of every output format, spreadsheet formulas.
func hostileEvents() []Event {
	t0 := time.Date(2026, 11, 2, 10, 24, 55, 123456789, time.UTC)
	prov := Provenance{Bundle: "ev-1", Entry: "logs/var/log/auth.log", Line: 7, Offset: 1234, SHA256: strings.Repeat("ab", 32)}
	return []Event{
		{
			Timestamp: t0, Message: "sshd: Accepted password for root from 203.0.113.7\x1b[2J\x1b]0;pwned\x07 port 22\nFAKE LINE",
			Event: EventFields{Action: "ssh-login", Dataset: "auth", Category: []string{"authentication"}, Outcome: "success"},
			Host:  &Host{Name: "web01\x1b[31m"}, User: &User{Name: "root"},
			Source: &Endpoint{IP: "203.0.113.7", Port: 50022},
			Cordon: Cordon{TimeMeaning: MeaningLogin, Provenance: prov},
		},
		{
			Timestamp: t0.Add(time.Second), Message: "bad \xff\xfe utf8, a \u202e bidi override, a,comma|pipe\r\nand =cmd|'/c calc'!A1",
			Event:  EventFields{Action: "=HYPERLINK(\"x\")", Dataset: "syslog"},
			Host:   &Host{Name: "web01"},
			Cordon: Cordon{TimeMeaning: MeaningLogged, Provenance: prov, Unverified: true},
		},
		{ // no message, no time meaning: the exports must still fill their required columns
			Timestamp: t0.Add(2 * time.Second),
			Event:     EventFields{Dataset: "test"},
			Cordon:    Cordon{Provenance: prov},
		},
		{
			Timestamp: t0.Add(3 * time.Second), Message: "file modified /tmp/a|b\nc",
			Event: EventFields{Action: "file-mtime", Dataset: "filetimeline", Category: []string{"file"}},
			Host:  &Host{Name: "web01"},
			File: &File{Path: "/tmp/a|b\nc%\x1b[0m\xff", Type: "file", Mode: "4755", UID: "0", GID: "0", Size: 17776, Inode: 42,
				Mtime: t0.Add(3 * time.Second), Atime: t0, Ctime: t0.Add(3 * time.Second)},
			Cordon: Cordon{TimeMeaning: MeaningModified, Provenance: prov},
		},
		{ // the same file's access time: one bodyfile line for both
			Timestamp: t0, Message: "file accessed /tmp/a|b\nc",
			Event: EventFields{Action: "file-atime", Dataset: "filetimeline", Category: []string{"file"}},
			Host:  &Host{Name: "web01"},
			File: &File{Path: "/tmp/a|b\nc%\x1b[0m\xff", Type: "file", Mode: "4755", UID: "0", GID: "0", Size: 17776, Inode: 42,
				Mtime: t0.Add(3 * time.Second), Atime: t0, Ctime: t0.Add(3 * time.Second)},
			Cordon: Cordon{TimeMeaning: MeaningAccessed, Provenance: prov},
		},
		{
			Timestamp: t0.Add(4 * time.Second), Message: "symlink",
			Event:  EventFields{Action: "file-mtime", Dataset: "filetimeline"},
			File:   &File{Path: "/etc/rc.local", Type: "symlink", Mode: "0777", Target: "/tmp/x y", Mtime: t0.Add(4 * time.Second)},
			Cordon: Cordon{TimeMeaning: MeaningModified, Provenance: prov},
		},
	}
}

func render(t *testing.T, format string, evs []Event) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(format, &buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if err := w.Write(&evs[i]); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestTableEscapesHostileText(t *testing.T) {
	evs := hostileEvents()
	out := render(t, "table", evs)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(evs)+1 {
		t.Fatalf("want a header and %d lines, got %d:\n%s", len(evs), len(lines), out)
	}
	if !utf8.ValidString(out) {
		t.Error("the table is not valid UTF-8")
	}
	for i := 0; i < len(out); i++ {
		if c := out[i]; (c < 0x20 && c != '\n') || c == 0x7f {
			t.Fatalf("raw control byte %#x in the table at %d:\n%q", c, i, out)
		}
	}
	for _, bad := range []string{"\u202e", "\r"} {
		if strings.Contains(out, bad) {
			t.Errorf("table holds %q raw", bad)
		}
	}
	for _, want := range []string{`\x1b[2J`, `\x0aFAKE LINE`, `\xff\xfe`, `\u202e`, `web01\x1b[31m`} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks the escaped form %q:\n%s", want, out)
		}
	}
	// Aligned: every line's message starts at the header's MESSAGE column.
	col := utf8.RuneCountInString(lines[0][:strings.Index(lines[0], "MESSAGE")])
	for i, l := range lines[1:] {
		r := []rune(l)
		if len(r) <= col || r[col-1] != ' ' || r[col-2] != ' ' || r[col] == ' ' {
			t.Errorf("line %d: the message does not start at column %d: %q", i+1, col, l)
		}
		if _, err := time.Parse(time.RFC3339Nano, string(r[:30])); err != nil {
			t.Errorf("line %d: no time in the first column: %q", i+1, l)
		}
	}
	if !strings.Contains(lines[2], " ! ") {
		t.Errorf("unverified event not flagged: %q", lines[2])
	}
	if !strings.Contains(lines[3], "(no message)") {
		t.Errorf("empty message not shown: %q", lines[3])
	}
}

func TestTimesketchRequiredColumnsOnEveryRow(t *testing.T) {
	evs := hostileEvents()
	rows, err := csv.NewReader(strings.NewReader(render(t, "timesketch", evs))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(evs)+1 {
		t.Fatalf("%d rows for %d events", len(rows), len(evs))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, req := range []string{"message", "datetime", "timestamp_desc", "timestamp"} {
		if _, ok := col[req]; !ok {
			t.Fatalf("no %s column in %v", req, rows[0])
		}
	}
	for i, r := range rows[1:] {
		for _, req := range []string{"message", "datetime", "timestamp_desc"} {
			if r[col[req]] == "" {
				t.Errorf("row %d: empty %s", i+1, req)
			}
		}
		dt, err := time.Parse(time.RFC3339Nano, r[col["datetime"]])
		if err != nil {
			t.Errorf("row %d: datetime %q is not ISO 8601: %v", i+1, r[col["datetime"]], err)
		} else if !dt.Equal(evs[i].Timestamp.Truncate(time.Microsecond)) {
			t.Errorf("row %d: datetime %v, want %v", i+1, dt, evs[i].Timestamp)
		}
		if r[col["timestamp"]] != strconv.FormatInt(evs[i].Timestamp.UnixMicro(), 10) {
			t.Errorf("row %d: timestamp %s", i+1, r[col["timestamp"]])
		}
	}
	if got := rows[1][col["message"]]; got != evs[0].Message {
		t.Errorf("message altered: %q", got)
	}

	for i, line := range strings.Split(strings.TrimSuffix(render(t, "timesketch-jsonl", evs), "\n"), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for _, req := range []string{"message", "datetime", "timestamp_desc"} {
			if s, _ := obj[req].(string); s == "" {
				t.Errorf("jsonl line %d: no %s: %s", i+1, req, line)
			}
		}
		if _, ok := obj["timestamp"].(float64); !ok {
			t.Errorf("jsonl line %d: timestamp not a number", i+1)
		}
	}
}

func TestL2TCSVHasSeventeenFieldsPerRow(t *testing.T) {
	evs := hostileEvents()
	out := render(t, "l2tcsv", evs)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != l2tHeader || len(lines) != len(evs)+1 {
		t.Fatalf("header or row count wrong:\n%s", out)
	}
	for i, l := range lines {
		if n := len(strings.Split(l, ",")); n != 17 {
			t.Errorf("line %d has %d fields: %q", i, n, l)
		}
	}
	f := strings.Split(lines[1], ",")
	if f[0] != "11/02/2026" || f[1] != "10:24:55" || f[2] != "UTC" || f[3] != "...." || f[6] != "login" {
		t.Errorf("first row: %q", lines[1])
	}
	if f := strings.Split(lines[4], ","); f[3] != "M..." || f[4] != "FILE" || f[13] != "42" {
		t.Errorf("file row: %q", lines[4])
	}
	if f := strings.Split(lines[3], ","); f[9] != "(no message)" || f[6] != "event time" {
		t.Errorf("empty row: %q", lines[3])
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	rows, err := csv.NewReader(strings.NewReader(render(t, "csv", hostileEvents()))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[2][3]; got != `'=HYPERLINK("x")` {
		t.Errorf("formula cell %q", got)
	}
	if got := rows[1][7]; got != hostileEvents()[0].Message {
		t.Errorf("message altered: %q", got)
	}
}

func TestJSONLKeepsECSNames(t *testing.T) {
	evs := hostileEvents()
	lines := strings.Split(strings.TrimSuffix(render(t, "jsonl", evs), "\n"), "\n")
	if len(lines) != len(evs) {
		t.Fatalf("%d lines for %d events", len(lines), len(evs))
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &obj); err != nil {
		t.Fatal(err)
	}
	if obj["@timestamp"] != "2026-11-02T10:24:55.123456789Z" {
		t.Errorf("@timestamp %v", obj["@timestamp"])
	}
	if src, _ := obj["source"].(map[string]any); src["ip"] != "203.0.113.7" || src["port"] != float64(50022) {
		t.Errorf("source %v", obj["source"])
	}
	var back Event
	if err := json.Unmarshal([]byte(lines[0]), &back); err != nil || back.Message != evs[0].Message {
		t.Errorf("round trip: %v %q", err, back.Message)
	}
}

func TestBodyfileOneLinePerFile(t *testing.T) {
	out := render(t, "bodyfile", hostileEvents())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 files, got:\n%s", out)
	}
	f := strings.Split(lines[0], "|")
	if len(f) != 11 {
		t.Fatalf("%d fields: %q", len(f), lines[0])
	}
	if f[1] != `/tmp/a%7Cb\x0ac%25\x1b[0m\xff` || f[2] != "42" || f[3] != "-rwsr-xr-x" || f[6] != "17776" {
		t.Errorf("fields %q", f)
	}
	if f[7] != "1793615095" || f[8] != "1793615098" || f[9] != "1793615098" || f[10] != "0" {
		t.Errorf("times %q", f[7:])
	}
	if !strings.HasPrefix(lines[1], "0|/etc/rc.local -> /tmp/x y|0|lrwxrwxrwx|") {
		t.Errorf("symlink line %q", lines[1])
	}
}

// TestMactimeReadsBodyfile runs The Sleuth Kit's mactime on the export.
func TestMactimeReadsBodyfile(t *testing.T) {
	mactime := testenv.NeedTool(t, "mactime")
	path := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(path, []byte(render(t, "bodyfile", hostileEvents())), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(mactime, "-b", path, "-d", "-y", "-z", "UTC")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("mactime: %v\nstderr: %s", err, stderr.String())
	}
	out := stdout.String()
	// mactime -d: one row per time, "m..." etc. in the Type column.
	// mactime decodes %XX: the '|' and '%' come back, the control bytes stay escaped.
	if strings.ContainsAny(out, "\x1b\r") || !utf8.ValidString(out) {
		t.Errorf("mactime's output holds raw control bytes or invalid UTF-8:\n%q", out)
	}
	for _, want := range []string{`2026-11-02T10:24:58Z,17776,m.c.,-rwsr-xr-x,0,0,42,"/tmp/a|b\x0ac%\x1b[0m\xff"`,
		"2026-11-02T10:24:55Z,17776,.a..,-rwsr-xr-x,0,0,42,", "/etc/rc.local -> /tmp/x y"} {
		if !strings.Contains(out, want) {
			t.Errorf("mactime output lacks %q:\n%s", want, out)
		}
	}
}

func TestSortByTimeThenProvenance(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	evs := []Event{
		{Timestamp: t0.Add(time.Second), Message: "c"},
		{Timestamp: t0, Message: "b", Cordon: Cordon{Provenance: Provenance{Entry: "b", Line: 2}}},
		{Timestamp: t0, Message: "a", Cordon: Cordon{Provenance: Provenance{Entry: "b", Line: 1}}},
		{Timestamp: t0, Message: "a0", Cordon: Cordon{Provenance: Provenance{Entry: "a", Line: 9}}},
	}
	Sort(evs)
	var got []string
	for _, e := range evs {
		got = append(got, e.Message)
	}
	if strings.Join(got, ",") != "a0,a,b,c" {
		t.Errorf("order %v", got)
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := NewWriter("xml", &bytes.Buffer{}); err == nil {
		t.Error("no error for an unknown format")
	}
}
