package parsers

import (
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The parsers of the entries the collector's process-files, kernel,
// sweep, container-fs, postgres and accounts sources write: each is
// registered for its entry, turns small hand-built records into events
// pointing at their line, and turns a bad line into a warning with its
// place, never an error or a crash.
func TestCollectedParsers(t *testing.T) {
	readAt := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	boot := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	layer := filetimeline.ContainerLayerEntry("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	cases := []struct {
		parser, entry, input string
		events, warnings     int
		action               string
		line                 int64 // of the first event (0: not line-oriented)
		at                   time.Time
	}{
		{"open-files", snapshot.OpenFilesEntry, `{"pid":1,"start_ticks":20,"fd":0,"target":"","error":"readlink /proc/1/fd/0: permission denied"}
{"pid":700,"start_ticks":10,"fd":3,"target":"/var/log/postgresql/postgresql-15-main.log"}
{"pid":700,"start_ticks":10,"fd":4,"target":"socket:[123]"}
{"pid":4300,"start_ticks":99,"fd":5,"target":"/tmp/.x/log (deleted)"}
{"pid":
`, 2, 1, "file-open", 2, readAt},
		{"exe-hashes", snapshot.ExeHashesEntry, `{"pid":4300,"start_ticks":99,"exe":"/tmp/mysql (deleted)","size":10,"sha256":"aa","hashed":10}
[1,2]
{"pid":4301,"start_ticks":100,"exe":"/tmp/mysql (deleted)","size":10,"hashed":0,"same_as_pid":4300}
`, 2, 1, "process-executable-hashed", 1, readAt},
		{"map-files", snapshot.MapFilesEntry, `{"pid":4300,"start_ticks":99,"range":"1000-2000","target":"/usr/lib/libc.so.6"}
{"pid":4300,"start_ticks":99,"range":"2000-3000","target":"/usr/lib/libc.so.6"}
{"pid":4300,"start_ticks":99,"range":"3000-4000","target":"/tmp/libhide.so (deleted)","deleted":true,"entry":"proc/4300/map_files/3000-4000","sha256":"bb"}
not json
{"pid":4301,"start_ticks":100,"range":"1000-2000","target":"/usr/lib/libc.so.6"}
`, 3, 1, "file-mapped", 1, readAt},
		{"process-summary", snapshot.ProcessSummaryEntry, `{"finished":"2026-11-02T09:59:59Z","listed":90,"read":90,"masked_pids":[{"pid":4300,"fs_type":"tmpfs","source":"none","root":"/"}]}`,
			2, 0, "process-snapshot", 0, readAt.Add(-time.Second)},
		{"kernel-state", snapshot.KernelStateEntry, `{"read_at":"2026-11-02T10:00:00Z","tainted":4096,"tainted_flags":["O"],"core_pattern":"|/tmp/x %p",
 "modules":[{"name":"diamorphine","state":"Live","taint":"OE","out_of_tree":true,"unsigned":true,"error":"no file for it in modules.dep"}],
 "binfmt_misc":[{"name":"x","content":"enabled\ninterpreter /dev/shm/i\n"}],
 "bpf":{"pinned":[],"programs":[{"id":7,"type":"kprobe","name":"hide","loaded_at":"2026-11-02T09:00:00Z","uid":0}],"maps":[{"id":3,"type":1,"name":"m"}],"errors":["GET_NEXT_ID: operation not permitted"]}}`,
			5, 1, "bpf-program-loaded", 0, readAt.Add(-time.Hour)},
		{"kmsg", snapshot.KmsgEntry, "6,1,2500000,-;usb 1-1: new high-speed USB device number 2 using xhci_hcd\n SUBSYSTEM=usb\n DEVICE=c189:1\ngarbage line\n4,2,3000000,-;diamorphine: loading out-of-tree module taints kernel.\n",
			2, 1, "kernel-message", 1, boot.Add(2500 * time.Millisecond)},
		{"sweep", filetimeline.SweepEntry, `{"path":"/tmp/.x/bash","type":"file","mode":3565,"uid":0,"gid":0,"size":10,"mtime":"2026-11-02T03:00:00Z","ctime":"2026-11-02T03:00:01Z","reasons":["suid","sgid"]}
{"path":"/tmp/.x","type":"dir","mode":493,"ctime":"2026-11-02T02:00:00Z","reasons":["hidden"]}
{"path":
`, 2, 1, "sweep-file", 1, time.Date(2026, 11, 2, 3, 0, 1, 0, time.UTC)},
		{"container-fs", filetimeline.ContainersFSEntry, `[{"container_id":"0123456789abcdef","pid":900,"mnt_ns":4026532000,"root_fs":"overlay","upper_dir":"/var/lib/docker/overlay2/x/diff","layer":"containers/0123456789abcdef/upper.jsonl","records":2,"copied":1}]`,
			1, 0, "container-filesystem", 0, readAt},
		{"container-layer", layer, `{"path":"/tmp/xmrig","type":"file","mode":493,"size":5,"mtime":"2026-11-02T04:00:00Z","ctime":"2026-11-02T04:00:00Z","entry":"fs/var/lib/docker/overlay2/x/diff/tmp/xmrig"}
{bad
{"path":"/usr/bin/curl","type":"char","mode":0,"mtime":"2026-11-02T04:01:00Z","whiteout":true}
`, 3, 1, "file-mtime", 1, time.Date(2026, 11, 2, 4, 0, 0, 0, time.UTC)},
		{"credential-files", snapshot.CredentialFilesEntry, `[{"path":"/home/deploy/.pgpass","kind":"pgpass","type":"file","mode":420,"uid":1000,"gid":1000,"size":40,"mtime":"2026-11-01T12:00:00Z"},{"path":"/root/.netrc","kind":"netrc"}]`,
			1, 1, "credential-file-present", 0, time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)},
		{"postgres-clusters", snapshot.PostgresClustersEntry, `[{"pid":700,"start_ticks":10,"exe":"/usr/lib/postgresql/15/bin/postgres","cmdline":["postgres","-D","/srv/pg"],"data_directory":"/srv/pg","data_directory_from":"cwd","config_file":"/srv/pg/postgresql.conf","settings":{"port":{"value":"5432","from":"/srv/pg/postgresql.conf:63"}},"files":[{"role":"log","path":"/srv/pg/log/x.log"}],"observed_at":"2026-11-02T10:00:00Z"}]`,
			1, 0, "postgres-cluster-running", 0, readAt},
	}
	for _, c := range cases {
		t.Run(c.parser, func(t *testing.T) {
			var p *Parser
			for _, q := range For(bundle.EntryRecord{Name: c.entry}) {
				if q.Name == c.parser {
					p = &q
				}
			}
			if p == nil {
				t.Fatalf("no parser %s for %s", c.parser, c.entry)
			}
			var evs []timeline.Event
			var warns []timeline.Warning
			o := timeline.Origin{Entry: c.entry, Bundle: "ev", ReadAt: readAt, BootTime: boot, Host: "web01"}
			err := Run(*p, strings.NewReader(c.input), o,
				Emit{Event: func(e timeline.Event) { evs = append(evs, e) }, Warn: func(w timeline.Warning) { warns = append(warns, w) }})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != c.events || len(warns) != c.warnings {
				t.Fatalf("%d events, %d warnings (%+v), want %d and %d", len(evs), len(warns), warns, c.events, c.warnings)
			}
			var first *timeline.Event
			for i := range evs {
				if evs[i].Event.Action == c.action {
					first = &evs[i]
					break
				}
			}
			if first == nil {
				t.Fatalf("no %s event in %+v", c.action, evs)
			}
			if first.Cordon.Provenance.Line != c.line || !first.Timestamp.Equal(c.at) {
				t.Errorf("first %s event at %s line %d, want %s line %d", c.action, first.Timestamp, first.Cordon.Provenance.Line, c.at, c.line)
			}
			for _, e := range evs {
				if e.Cordon.Provenance.Entry != c.entry || e.Timestamp.IsZero() || e.Timestamp.Location() != time.UTC || e.Message == "" || e.Event.Dataset == "" {
					t.Errorf("event %q %+v: provenance, time, message or dataset missing", e.Message, e.Cordon)
				}
			}
			for _, w := range warns {
				if w.Entry != c.entry || (c.line != 0 && w.Line == 0) {
					t.Errorf("warning without its place: %+v", w)
				}
			}
		})
	}
}

// Without a boot time the ring buffer's events keep their offset since
// boot (from the epoch) and the parser says so; without a read time the
// observations of the process-files entries make no events, with a warning.
func TestCollectedParsersWithoutTimes(t *testing.T) {
	run := func(entry, input string, o timeline.Origin) ([]timeline.Event, []timeline.Warning) {
		var evs []timeline.Event
		var warns []timeline.Warning
		o.Entry = entry
		for _, p := range For(bundle.EntryRecord{Name: entry}) {
			if err := Run(p, strings.NewReader(input), o, Emit{Event: func(e timeline.Event) { evs = append(evs, e) }, Warn: func(w timeline.Warning) { warns = append(warns, w) }}); err != nil {
				t.Fatal(err)
			}
		}
		return evs, warns
	}
	evs, warns := run(snapshot.KmsgEntry, "6,1,2500000,-;hello\n", timeline.Origin{})
	if len(evs) != 1 || !evs[0].Timestamp.Equal(time.Unix(2, 500_000_000)) || evs[0].Labels["kmsg.since_boot_us"] != "2500000" ||
		len(warns) != 1 || warns[0].Message != snapshot.KmsgNoBootTime || !strings.Contains(evs[0].Cordon.TimeDerivation, "boot time unknown") {
		t.Errorf("no boot time: %+v %+v", evs, warns)
	}
	evs, warns = run(snapshot.ExeHashesEntry, `{"pid":1,"exe":"/sbin/init","sha256":"aa"}`+"\n", timeline.Origin{})
	if len(evs) != 0 || len(warns) != 1 {
		t.Errorf("no read time: %d events, warnings %+v", len(evs), warns)
	}
}
