package importer

import (
	"archive/tar"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/formats/imported"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// catscaleMembers is a Cat-Scale archive of the scene, from real outputs,
// its host files in nested archives as Cat-Scale makes them; root is its
// output directory (-d).
func catscaleMembers(t testing.TB, root string, procps []byte) []member {
	pfx := root + "/"
	p := pfx + "Process_and_Network/vm-20261201-1451-"
	initd := []byte("#!/bin/sh\n# procps\n")
	varlog := tarGz(t, []member{
		{name: "var/log/", typ: tar.TypeDir},
		{name: "var/log/auth.log", data: []byte(authLog), mode: 0o640},
	})
	etc := tarGz(t, []member{
		{name: "etc/passwd", data: []byte("root:x:0:0:root:/root:/bin/bash\npostgres:x:101:104::/var/lib/postgresql:/bin/bash\n")},
		{name: "etc/init.d/procps", data: procps, mode: 0o755},
	})
	return []member{
		{name: "./" + root + "/", typ: tar.TypeDir},
		{name: "./" + p + "processes-axwwSo.txt", data: readTD(t, toolTestdata+"catscale-processes-axwwSo.txt"), at: time.Date(2026, 12, 1, 14, 51, 40, 0, time.UTC)},
		{name: "./" + p + "process-details.txt", data: readTD(t, toolTestdata+"catscale-process-details.txt")},
		{name: "./" + p + "process-exe-links.txt", data: readTD(t, toolTestdata+"catscale-process-exe-links.txt")},
		{name: "./" + p + "process-fd-links.txt", data: readTD(t, toolTestdata+"catscale-process-fd-links.txt")},
		{name: "./" + p + "process-cmdline.txt", data: readTD(t, toolTestdata+"catscale-process-cmdline.txt")},
		{name: "./" + p + "processhashes.txt", data: readTD(t, toolTestdata+"catscale-processhashes.txt")},
		{name: "./" + p + "ss-anepo.txt", data: readTD(t, toolTestdata+"catscale-ss-anepo.txt")},
		{name: "./" + pfx + "Logs/vm-20261201-1451-var-log.tar.gz", data: varlog},
		{name: "./" + pfx + "Logs/vm-20261201-1451-whoandwhat.txt", data: readTD(t, "testdata/catscale-whoandwhat.txt"), at: time.Date(2026, 12, 1, 14, 51, 49, 0, time.UTC)},
		{name: "./" + pfx + "System_Info/vm-20261201-1451-etc-key-files.tar.gz", data: etc},
		{name: "./" + pfx + "System_Info/vm-20261201-1451-host-date-timezone.txt", data: []byte("Date : Tue Dec 1 14:51:31 2026 +00:00\n")},
		{name: "./" + pfx + "Misc/vm-20261201-1451-full-timeline.csv", data: readTD(t, toolTestdata+"catscale-full-timeline-excerpt.csv")},
		{name: "./" + pfx + "Misc/vm-20261201-1451-exec-perm-files.txt", data: []byte(sha1hex(initd) + "  /etc/init.d/procps\n")},
		{name: "./" + pfx + "vm-20261201-1451-console-error-log.txt", data: readTD(t, "testdata/catscale-console-error-log.txt")},
	}
}

func TestImportCatScale(t *testing.T) {
	initd := []byte("#!/bin/sh\n# procps\n")
	archive := tarGz(t, catscaleMembers(t, "catscale_out", initd))
	o := options()
	res, rep, es, err := importArchive(t, "catscale_vm-20261201-1451.tar.gz", archive, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	im := res.Import
	if im.Collector != "Cat-Scale" || im.Version != "" || !strings.HasPrefix(im.Statement, "imported from Cat-Scale archive ") || len(res.Failed) != 0 {
		t.Fatalf("%+v %+v", im, res.Failed)
	}
	// the SHA-1 list of executables against the host file in the nested archive
	if im.Checks[imported.Match] != 1 {
		t.Errorf("checks %v", im.Checks)
	}
	c := rep.Manifest.Custody
	if c.Host.Hostname != "vm" || c.Collector.Name != "Cat-Scale" || c.Collector.EUID != 0 || c.Host.ClockStart.Format("15:04:05") != "14:51:31" || len(c.Errors) < 5 {
		t.Errorf("custody %+v", c)
	}
	byName := map[string]string{}
	for _, e := range rep.Verified {
		byName[e.Name] = e.Source + " " + e.Note
	}
	for name, want := range map[string]string{
		"fs/var/log/auth.log":      "logs archive member catscale_out/Logs/vm-20261201-1451-var-log.tar.gz!/var/log/auth.log",
		"fs/etc/passwd":            "accounts ",
		imported.StatTimelineEntry: "filetimeline ",
		"archive/catscale_out/Process_and_Network/vm-20261201-1451-ss-anepo.txt": "import ",
	} {
		if !strings.HasPrefix(byName[name], want) {
			t.Errorf("%s: %q, want %q…", name, byName[name], want)
		}
	}
	procs := records[snapshot.Process](t, es[snapshot.ProcessesEntry])
	var p58 *snapshot.Process
	for i := range procs {
		if procs[i].PID == 58 {
			p58 = &procs[i]
		}
	}
	// Cat-Scale's head of /proc/*/cmdline has no section for 58 (as it
	// happened): its argv is ps's, and the record says so
	if p58 == nil || p58.Exe != "/tmp/mysql-scene (deleted)" || strings.Join(p58.Cmdline, "|") != "/tmp/mysql-scene|3600" || p58.Errors["cmdline"] == "" ||
		p58.UIDs[1] != 101 || p58.UserNames[1] != "postgres" || p58.Start.Format("2006-01-02 15:04") != "2026-12-01 14:51" || !strings.Contains(p58.StartDerivation, "STIME") {
		t.Fatalf("process 58: %+v", p58)
	}
	for _, p := range procs {
		if p.PID == 41 && (len(p.Cmdline) != 13 || p.Cmdline[1] != "-D" || p.Errors["cmdline"] != "") {
			t.Errorf("exact argv of 41 from head: %q %v", p.Cmdline, p.Errors)
		}
	}
	if len(im.NotInArchive) < 5 || !strings.Contains(strings.Join(im.NotInArchive, ";"), "process 58 runs from a deleted executable and the archive holds no copy of it") {
		t.Errorf("what the archive lacks: %q", im.NotInArchive)
	}

	// a changed host file no longer matches Cat-Scale's list
	res, _, _, err = importArchive(t, "catscale_vm-20261201-1451.tar.gz", tarGz(t, catscaleMembers(t, "catscale_out", []byte("#!/bin/sh\nevil\n"))), nil, o)
	if err != nil || len(res.Failed) != 1 || res.Failed[0].Kind != "host-file" || res.Failed[0].Subject != "catscale_out/System_Info/vm-20261201-1451-etc-key-files.tar.gz!/etc/init.d/procps" {
		t.Errorf("%v %+v", err, res.Failed)
	}

	// another output directory (-d): recognised by its layout, or named
	for _, layout := range []string{"", "catscale"} {
		o.Layout = layout
		res, _, es, err = importArchive(t, "x.tar.gz", tarGz(t, catscaleMembers(t, "ir-out", initd)), nil, o)
		if err != nil || res.Layout != "catscale" || len(es[snapshot.ProcessesEntry]) == 0 {
			t.Errorf("layout %q: %v %+v", layout, err, res)
		}
	}
}
