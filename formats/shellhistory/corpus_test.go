package shellhistory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

func corpusFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Corpus(t, "plaso"), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorpusBash: plaso's bash_history is 4 commands; one spans 4 lines
// (an open double quote).
func TestCorpusBash(t *testing.T) {
	res := ParseBytes(corpusFile(t, "bash_history"), timeline.Origin{Entry: "fs/root/.bash_history", ModTime: mtime})
	if len(res.Events) != 4 || len(res.Warnings) != 0 {
		t.Fatalf("%d commands, warnings %+v", len(res.Events), res.Warnings)
	}
	e := res.Events[3]
	if e.Process.CommandLine != "binary argument1 \"--params=\\\nparam1=foo,\nparam2=bar\n\" argument2" ||
		!e.Timestamp.Equal(time.Unix(1623364236, 0)) || e.Cordon.Provenance.Line != 8 || strings.Count(e.Event.Original, "\n") != 3 {
		t.Errorf("the 4-line command: %q at %s line %d", e.Process.CommandLine, e.Timestamp, e.Cordon.Provenance.Line)
	}
	if res.Events[0].Process.CommandLine != "/usr/lib/plaso" || !res.Events[0].Timestamp.Equal(time.Unix(1380630977, 0)) {
		t.Errorf("first: %+v", res.Events[0].Process)
	}
}

// TestCorpusZsh: plaso's zsh_extended_history.txt is 4 commands, "cd
// plaso" at 2016-03-12T08:26:50Z.
func TestCorpusZsh(t *testing.T) {
	res := ParseBytes(corpusFile(t, "zsh_extended_history.txt"), timeline.Origin{Entry: "fs/home/plaso/.zsh_history", ModTime: mtime})
	if len(res.Events) != 4 || len(res.Warnings) != 0 {
		t.Fatalf("%d commands, warnings %+v", len(res.Events), res.Warnings)
	}
	if e := res.Events[0]; e.Process.CommandLine != "cd plaso" || !e.Timestamp.Equal(time.Date(2016, 3, 12, 8, 26, 50, 0, time.UTC)) || e.User.Name != "plaso" {
		t.Errorf("first: %q at %s", e.Process.CommandLine, e.Timestamp)
	}
	if e := res.Events[2]; e.Process.CommandLine != "echo dfgdfg \\\n& touch /tmp/afile" {
		t.Errorf("continued: %q", e.Process.CommandLine)
	}
}

// TestBashMultiLine: what makes a bash command go on over several lines.
func TestBashMultiLine(t *testing.T) {
	for _, c := range []struct {
		name, history string
		want          []string
	}{
		{"trailing backslash", "echo a \\\nb\nid\n", []string{"echo a \\\nb", "id"}},
		{"escaped backslash ends the line", "echo a \\\\\nid\n", []string{"echo a \\\\", "id"}},
		{"open single quote", "echo 'a\nb'\nid\n", []string{"echo 'a\nb'", "id"}},
		{"a backslash does not escape in single quotes", "echo 'a\\'\nid\n", []string{"echo 'a\\'", "id"}},
		{"escaped double quote", "echo \\\"a\nid\n", []string{"echo \\\"a", "id"}},
		{"ANSI-C quote", "echo $'it\\'s\nx'\nid\n", []string{"echo $'it\\'s\nx'", "id"}},
		{"here-document", "cat > /tmp/x <<EOF\nline 'one\nEOF\nid\n", []string{"cat > /tmp/x <<EOF\nline 'one\nEOF", "id"}},
		{"here-document, quoted delimiter, <<-", "cat <<-'END' | sh\n\tcurl x | sh\n\tEND\nid\n", []string{"cat <<-'END' | sh\n\tcurl x | sh\n\tEND", "id"}},
		{"a here-string is no here-document", "cat <<< 'x'\nid\n", []string{"cat <<< 'x'", "id"}},
		{"a quote in a comment", "echo hi # don't\nid\n", []string{"echo hi # don't", "id"}},
		{"timestamps inside a here-document are text", "#1700000000\ncat <<E\n#1700000001\nE\nid\n", []string{"cat <<E\n#1700000001\nE", "id"}},
		{"an open quote at the end of the file", "echo 'never closed\n", []string{"echo 'never closed"}},
	} {
		res := ParseBytes([]byte(c.history), timeline.Origin{Entry: "fs/root/.bash_history", ModTime: mtime})
		var got []string
		for _, e := range res.Events {
			got = append(got, e.Process.CommandLine)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
