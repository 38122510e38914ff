package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/analyzer/sigma"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// cordon sigma check over SigmaHQ's Linux rules prints the counts the
// README states.
func TestSigmaCheckSigmaHQ(t *testing.T) {
	dir := testenv.Shared(t, "sigma", "rules-linux")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"sigma", "check", dir}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"rule files      210\n", "loaded          210\n", "not parsed      0\n", "applicable      210\n", "not applicable  0\n",
		"   122  product linux, category process_creation\n", "    53  product linux, service auditd\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"sigma", "check", "--format", "json", dir}, &out, &errb); code != exitOK {
		t.Fatalf("--json: exit %d", code)
	}
	var c sigma.Check
	if err := json.Unmarshal(out.Bytes(), &c); err != nil || c.Loaded != 210 || c.Applicable != 210 {
		t.Errorf("--json: %v %+v", err, c)
	}
}

func TestSigmaCheckReasons(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"win.yml": "title: win\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  sel:\n    Image: x\n  condition: sel\n",
		"agg.yml": "title: agg\nlogsource:\n  product: linux\n  service: sshd\ndetection:\n  sel:\n    - fail\n  condition: sel | count() > 5\n",
		"ofn.yml": "title: ofn\nlogsource:\n  product: linux\n  category: process_creation\ndetection:\n  sel:\n    OriginalFileName: x\n  condition: sel\n",
		// a terminal escape in a rule's title is printed inert
		"esc.yml": "title: \"bad\\e[31m\"\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image: x\n  condition: sel\n",
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"sigma", "check", dir}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	for _, want := range []string{"loaded          3\n", "not parsed      1\n", "applicable      0\n", "not applicable  3\n",
		"agg.yml: condition with an aggregation", `win.yml (win): logsource product "windows"`, "ofn.yml (ofn): needs OriginalFileName"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "\x1b") {
		t.Errorf("an escape reached the terminal: %q", s)
	}
	if code := run(context.Background(), []string{"sigma", "check", filepath.Join(dir, "nosuch")}, &out, &errb); code != exitUsage {
		t.Errorf("missing directory: exit %d, want %d", code, exitUsage)
	}
	if code := run(context.Background(), []string{"sigma"}, &out, &errb); code != exitUsage {
		t.Errorf("no subcommand: exit %d, want %d", code, exitUsage)
	}
}
