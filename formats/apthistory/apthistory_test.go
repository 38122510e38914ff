package apthistory

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
	"github.com/cordon-forensics/cordon/timeline"
)

func parse(t testing.TB, data []byte, o timeline.Origin) ([]timeline.Event, []timeline.Warning) {
	var evs []timeline.Event
	var ws []timeline.Warning
	if err := Parse(bytes.NewReader(data), o, func(e timeline.Event) { evs = append(evs, e) }, func(w timeline.Warning) { ws = append(ws, w) }); err != nil {
		t.Fatal(err)
	}
	return evs, ws
}

// TestCorpus: plaso's apt_history.log is 10 transactions; the third
// installs build tools at 2019-07-11 12:20:55.
func TestCorpus(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.Corpus(t, "plaso"), "apt_history.log"))
	if err != nil {
		t.Fatal(err)
	}
	evs, ws := parse(t, b, timeline.Origin{Entry: "fs/var/log/apt/history.log", Location: time.UTC})
	if len(evs) != 10 || len(ws) != 0 {
		t.Fatalf("%d events, warnings %+v", len(evs), ws)
	}
	e := evs[2]
	if e.Event.Action != "apt-install" || !e.Timestamp.Equal(time.Date(2019, 7, 11, 12, 20, 55, 0, time.UTC)) ||
		e.Process.CommandLine != "apt-get -y install python-pip python3-pip python-dev python3-dev git tmux screen joe" ||
		e.Labels["apt.end"] != "2019-07-11T12:21:28Z" || !strings.HasPrefix(e.Labels["apt.install"], "libmpc3:amd64 (1.0.3-1+b2, automatic), manpages:amd64") {
		t.Errorf("third transaction: %s %s %+v %v", e.Event.Action, e.Timestamp, e.Process, e.Labels["apt.end"])
	}
	failed := 0
	for _, e := range evs {
		if e.Event.Outcome == "failure" {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d failed transactions, want the one with an Error:", failed)
	}
}

func TestForms(t *testing.T) {
	in := "Start-Date: 2026-11-02  10:24:55\nCommandline: apt install nmap\nRequested-By: deploy (1000)\nInstall: nmap:amd64 (7.93+dfsg1-1), libpcap0.8:amd64 (1.10.3-1, automatic)\nEnd-Date: 2026-11-02  10:25:01\n\n" +
		"Start-Date: not a date\nCommandline: x\n\ngarbage\n"
	paris, _ := time.LoadLocation("Europe/Paris")
	evs, ws := parse(t, []byte(in), timeline.Origin{Entry: "e", Location: paris})
	if len(evs) != 1 || len(ws) != 2 {
		t.Fatalf("%d events, %+v", len(evs), ws)
	}
	e := evs[0]
	if !e.Timestamp.Equal(time.Date(2026, 11, 2, 9, 24, 55, 0, time.UTC)) || e.User.Name != "deploy" || e.User.ID != "1000" || e.Labels["apt.install_count"] != "2" || e.Process.Name != "apt" {
		t.Errorf("%s %+v %v", e.Timestamp, e.User, e.Labels)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("Start-Date: 2019-07-10  16:38:08\nCommandline: apt-get upgrade\nUpgrade: a:amd64 (1, 2)\nError: x\nEnd-Date: 2019-07-10  16:38:12\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, _ := parse(t, b, timeline.Origin{Entry: "e"})
		for _, e := range evs {
			if e.Timestamp.IsZero() {
				t.Fatal("event without a time")
			}
		}
	})
}
