package syslog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/timeline"
)

// FuzzParse: any bytes give events and warnings, bounded, never a panic.
// Seeds: the checked-in corpus (testdata/fuzz/FuzzParse), every line of
// the upstream-format table, and the real files of ../shared/corpus/plaso
// when they are there.
func FuzzParse(f *testing.F) {
	for _, c := range authSources {
		f.Add([]byte(c.line + "\n"))
	}
	if dir := os.Getenv("CORDON_SHARED"); dir != "" {
		for _, name := range []string{"syslog", "syslog_rsyslog", "syslog_ssh.log", "syslog_cron.log"} {
			if b, err := os.ReadFile(filepath.Join(dir, "corpus", "plaso", name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		err := Parse(bytes.NewReader(data), timeline.Origin{Entry: "fs/var/log/auth.log", ModTime: mtime}, Options{}, func(e timeline.Event) {
			n++
			if len(e.Message) > maxMessage+8 {
				t.Fatalf("message of %d bytes", len(e.Message))
			}
			if e.Timestamp.Month() == 3 && e.Timestamp.Day() == 1 && strings.HasPrefix(e.Event.Original, "Feb 29") {
				t.Fatalf("Feb 29 became March 1st: %s", e.Event.Original)
			}
		}, func(timeline.Warning) {})
		if err != nil {
			t.Fatal(err)
		}
		if n > bytes.Count(data, []byte{'\n'})+1 {
			t.Fatalf("%d events from %d lines", n, bytes.Count(data, []byte{'\n'})+1)
		}
	})
}
