package importer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/imported"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// The real outputs of UAC 3.3.0 and Cat-Scale 1.3.1 formats/toolout tests
// its parsers with; here they are members of archives built as the
// collectors build theirs.
const toolTestdata = "../formats/toolout/testdata/"

func readTD(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type member struct {
	name string
	data []byte
	mode int64
	typ  byte
	link string
	at   time.Time // the mtime (default: mtime)
}

var mtime = time.Date(2026, 12, 1, 14, 44, 38, 0, time.UTC)

// tarGz builds a .tar.gz of the members, in order.
func tarGz(t testing.TB, ms []member) []byte {
	t.Helper()
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), ModTime: mtime, Typeflag: tar.TypeReg, Uname: "root", Gname: "root"}
		if !m.at.IsZero() {
			h.ModTime = m.at
		}
		if m.mode != 0 {
			h.Mode = m.mode
		}
		if m.typ != 0 {
			h.Typeflag, h.Size, h.Linkname = m.typ, 0, m.link
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write(m.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stand-in for the recovered binary
var exeBytes = bytes.Repeat([]byte("\x7fELF not really a program "), 500)

func md5hex(b []byte) string  { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
func sha1hex(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) }
func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

const authLog = "Dec  1 14:33:55 vm sshd[4001]: Failed password for root from 203.0.113.7 port 40001 ssh2\n"

// uacMembers is a UAC archive of the scene, with -H hash lists; recovered
// is the recovered binary as stored (tamper with it to test the checks).
func uacMembers(t testing.TB, recovered []byte) []member {
	list := fmt.Sprintf("%s  [root]/var/log/auth.log\n%s  live_response/process/proc/58/recovered_exe\n", md5hex([]byte(authLog)), md5hex(exeBytes))
	return []member{
		{name: "uac.log", data: readTD(t, "testdata/uac.log")},
		{name: "hash_list.md5", data: []byte(list)},
		{name: "live_response/process/ps_-ef.txt", data: readTD(t, toolTestdata+"uac-ps_-ef.txt")},
		{name: "live_response/process/ps_-axo_pid_user_lstart_args.txt", data: readTD(t, toolTestdata+"uac-ps_-axo_pid_user_lstart_args.txt")},
		{name: "live_response/process/ps_auxwwwf.txt", data: readTD(t, toolTestdata+"uac-ps_auxwwwf.txt")},
		{name: "live_response/process/running_processes_full_paths.txt", data: readTD(t, toolTestdata+"uac-running_processes_full_paths.txt")},
		{name: "live_response/process/proc/58/stat.txt", data: readTD(t, toolTestdata+"uac-proc-58-stat.txt")},
		{name: "live_response/process/proc/41/status.txt", data: readTD(t, toolTestdata+"uac-proc-41-status.txt")},
		{name: "live_response/process/proc/58/fd.txt", data: readTD(t, toolTestdata+"uac-proc-58-fd.txt")},
		{name: "live_response/process/proc/58/recovered_exe", data: recovered, mode: 0o644},
		{name: "live_response/process/hash_running_processes.sha1", data: []byte(sha1hex(exeBytes) + "  /proc/58/exe\n")},
		{name: "live_response/network/ss_-anp.txt", data: readTD(t, toolTestdata+"uac-ss_-anp.txt")},
		{name: "live_response/network/ss_-tanp.txt", data: readTD(t, toolTestdata+"uac-ss_-tanp.txt")},
		{name: "live_response/process/lsof_-nPl.txt", data: readTD(t, toolTestdata+"uac-lsof_-nPl.txt")},
		{name: "hash_executables/hash_executables.md5", data: []byte(md5hex([]byte("#!/bin/sh\n")) + "  /usr/local/bin/tool\n")},
		{name: "[root]/var/log/auth.log", data: []byte(authLog), mode: 0o640},
		{name: "[root]/usr/local/bin/tool", data: []byte("#!/bin/sh\n"), mode: 0o755},
		{name: "[root]/tmp/a link", typ: tar.TypeSymlink, link: "/etc/passwd"},
		{name: "chkrootkit/chkrootkit.txt", data: []byte("nothing found\n")},
		{name: "bodyfile/bodyfile.txt", data: []byte("0|/tmp/mysql-scene|9978001|-rwxr-xr-x|101|104|43888|1764600241|1764600241|1764600241|0\n")},
	}
}

var testKey = func() minisign.PrivateKey {
	_, k, err := bundle.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
}()

func options() Options {
	return Options{Key: testKey, EvidenceID: "TEST-IMPORT", Importer: "cordon test", Now: func() time.Time { return time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC) }}
}

// importArchive writes the archive (and an acquisition log when acq is
// not nil) to a directory, imports it and reads the bundle back.
func importArchive(t testing.TB, name string, archive []byte, acq func(archive []byte) []byte, o Options) (*Result, *bundle.Report, map[string][]byte, error) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	if acq != nil {
		stem := strings.TrimSuffix(p, ".tar.gz")
		if err := os.WriteFile(stem+".log", acq(archive), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	res, err := Import(context.Background(), p, &out, o)
	if err != nil {
		return nil, nil, nil, err
	}
	entries := map[string][]byte{}
	pub := testKey.Public().(minisign.PublicKey)
	rep, err := bundle.Verify(bytes.NewReader(out.Bytes()), bundle.VerifyOptions{PublicKey: &pub,
		OnEntry: func(name string, size int64, r io.Reader) error {
			b, err := io.ReadAll(r)
			entries[name] = b
			return err
		}})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if rep.Status != bundle.StatusIntact || rep.Trust != bundle.TrustTrusted {
		t.Fatalf("bundle %s/%s: %+v", rep.Status, rep.Trust, rep.Problems)
	}
	return res, rep, entries, nil
}

// uacAcqLog writes UAC's acquisition log for an archive.
func uacAcqLog(name string) func([]byte) []byte {
	return func(a []byte) []byte {
		return []byte(fmt.Sprintf("Created by UAC (Unix-like Artifacts Collector) 3.3.0\n\n[Case Information]\nCase Number: IR-7\n\n[System Information]\nHostname: vm\n\n"+
			"[Acquisition Information]\nAcquisition Started: Tue Dec 01 14:44:18 2026 +0000\nAcquisition Finished: Tue Dec 01 14:50:04 2026 +0000\n\n"+
			"[Output Information]\nFile: %s\nFormat: tar\n\n[Computed Hashes]\nMD5 checksum: %s\nSHA1 checksum: %s\n", name, md5hex(a), sha1hex(a)))
	}
}

func records[T any](t *testing.T, b []byte) []T {
	t.Helper()
	var out []T
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(l, &v); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		out = append(out, v)
	}
	return out
}

func TestImportUAC(t *testing.T) {
	name := "uac-vm-linux-20261201144410.tar.gz"
	res, rep, es, err := importArchive(t, name, tarGz(t, uacMembers(t, exeBytes)), uacAcqLog(name), options())
	if err != nil {
		t.Fatal(err)
	}
	im := res.Import
	if im.Collector != "UAC" || im.Version != "3.3.0" || !im.Complete || len(res.Failed) != 0 {
		t.Fatalf("import facts %+v, failed %+v", im, res.Failed)
	}
	wantStatement := "imported from UAC 3.3.0 archive " + im.ArchiveSHA256 + ", not collected by Cordon, no signature from the suspect host"
	if im.Statement != wantStatement {
		t.Errorf("statement %q", im.Statement)
	}
	c := rep.Manifest.Custody
	if c.Import == nil || c.Notes[0] != wantStatement || c.Collector.Name != "UAC" || c.Collector.PID != 63 || c.Host.Hostname != "vm" || c.Host.TimeZone != "Etc/UTC" {
		t.Errorf("custody %+v", c)
	}
	if !c.Host.ClockStart.Equal(time.Date(2026, 12, 1, 14, 44, 18, 0, time.UTC)) {
		t.Errorf("collection start %v: the acquisition log's", c.Host.ClockStart)
	}
	// every hash the archive states was compared: 2 in hash_list, 1 of the
	// running process, 1 host program, MD5 and SHA-1 of the acquisition log
	if im.Checks[imported.Match] != 6 || len(im.Checks) != 1 {
		t.Errorf("checks %v", im.Checks)
	}

	// host files keep Cordon's names and sources; provenance in the note
	byName := map[string]bundle.EntryRecord{}
	for _, e := range rep.Verified {
		byName[e.Name] = e
	}
	auth := byName["fs/var/log/auth.log"]
	if auth.Source != "logs" || auth.HostPath != "/var/log/auth.log" || !strings.Contains(auth.Note, "[root]/var/log/auth.log") || auth.Original.Mode != 0o640 {
		t.Errorf("auth.log entry %+v", auth)
	}
	if e := byName["archive/chkrootkit/chkrootkit.txt"]; e.Source != imported.Source {
		t.Errorf("kept member: %+v", e)
	}
	if e := byName[imported.BodyfileEntry]; e.Source != "imports" || !strings.Contains(e.Note, "bodyfile/bodyfile.txt") {
		t.Errorf("the bodyfile goes where the bodyfile parser reads it: %+v", e)
	}
	exe := byName["proc/58/exe"]
	if exe.Source != "executables" || exe.SHA256 != sha256hex(exeBytes) {
		t.Errorf("recovered exe %+v", exe)
	}

	procs := records[snapshot.Process](t, es[snapshot.ProcessesEntry])
	var p58 *snapshot.Process
	for i := range procs {
		if procs[i].PID == 58 {
			p58 = &procs[i]
		}
	}
	if p58 == nil {
		t.Fatalf("no process 58 in %d", len(procs))
	}
	if p58.Exe != "/tmp/mysql-scene (deleted)" || !p58.ExeDeleted || p58.PPID != 1 || p58.Comm != "mysql-scene" || p58.StartTicks != 102555 ||
		strings.Join(p58.Cmdline, " ") != "/tmp/mysql-scene 3600" || len(p58.Suspect) != 2 || p58.UserNames[1] != "postgres" {
		t.Errorf("process 58: %+v", p58)
	}
	// lstart 14:44:01 to the second, and start ticks: the boot time is
	// known to a second, so the start is boot + ticks/100, within lstart's second
	if !strings.HasPrefix(p58.StartDerivation, "boot time") || p58.Start.Before(time.Date(2026, 12, 1, 14, 44, 1, 0, time.UTC)) || !p58.Start.Before(time.Date(2026, 12, 1, 14, 44, 2, 0, time.UTC)) {
		t.Errorf("start %v (%s)", p58.Start, p58.StartDerivation)
	}
	xs := records[snapshot.Executable](t, es[snapshot.ExecutablesEntry])
	if len(xs) != 1 || xs[0].Link != "/tmp/mysql-scene (deleted)" || xs[0].SHA256 != sha256hex(exeBytes) || xs[0].Entry != "proc/58/exe" || xs[0].StartTicks != 102555 {
		t.Errorf("executables %+v", xs)
	}
	socks := records[snapshot.Socket](t, es[snapshot.SocketsEntry])
	var held *snapshot.Socket
	for i := range socks {
		if socks[i].Inode == 161995 {
			held = &socks[i]
		}
	}
	if len(socks) != 5 || held == nil || len(held.Holders) != 1 || held.Holders[0].PID != 58 || held.Holders[0].FD != 6 || held.Holders[0].StartTicks != 102555 || held.State != "CONNECTED stream" {
		t.Errorf("sockets %+v", socks)
	}
	bins := records[snapshot.BinaryRecord](t, es[snapshot.BinariesEntry])
	if len(bins) != 1 || bins[0].Path != "/usr/local/bin/tool" || bins[0].MD5 == "" {
		t.Errorf("binaries %+v", bins)
	}
	members := records[imported.Member](t, es[imported.MembersEntry(1)])
	if len(members) != 20 || members[17].Type != "symlink" || members[17].Link != "/etc/passwd" || members[15].Entry != "fs/var/log/auth.log" || members[15].MD5 != md5hex([]byte(authLog)) {
		t.Errorf("members %d: %+v", len(members), members)
	}
	if string(es["import/acquisition.log"]) != string(uacAcqLog(name)(nil))[:0]+string(es["import/acquisition.log"]) || len(es["import/acquisition.log"]) == 0 {
		t.Error("the acquisition log is not kept")
	}
}

func TestImportUACTampered(t *testing.T) {
	name := "uac-vm-linux-20261201144410.tar.gz"
	good := tarGz(t, uacMembers(t, exeBytes))
	// the recovered binary changed after UAC hashed it: the archive no
	// longer matches the acquisition log made for the original
	tampered := append([]byte(nil), exeBytes...)
	copy(tampered[100:], "EVIL")
	bad := tarGz(t, uacMembers(t, tampered))
	res, _, es, err := importArchive(t, name, bad, func([]byte) []byte { return uacAcqLog(name)(good) }, options())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range res.Failed {
		got[c.Kind+" "+c.Algorithm+" "+c.Result] = true
	}
	for _, want := range []string{"archive md5 mismatch", "archive sha1 mismatch", "collected-file md5 mismatch", "running-process sha1 mismatch"} {
		if !got[want] {
			t.Errorf("no %q among %v", want, got)
		}
	}
	if len(res.Failed) != 4 {
		t.Errorf("failed checks %+v", res.Failed)
	}
	checks := records[imported.Check](t, es[imported.ChecksEntry(1)])
	for _, c := range checks {
		if c.Kind == "collected-file" && c.Result == imported.Mismatch && (c.Entry != "proc/58/exe" || c.Expected != md5hex(exeBytes) || c.Actual != md5hex(tampered) || c.SourceLine != 2) {
			t.Errorf("check %+v", c)
		}
	}
}

func TestImportTruncated(t *testing.T) {
	name := "uac-vm-linux-20261201144410.tar.gz"
	full := tarGz(t, uacMembers(t, exeBytes))
	cut := full[:len(full)*2/3]
	res, rep, es, err := importArchive(t, name, cut, uacAcqLog(name), options())
	if err != nil {
		t.Fatal(err)
	}
	im := res.Import
	if im.Complete || !strings.Contains(im.StoppedAt, "after member") || !strings.Contains(im.StoppedAt, fmt.Sprintf("of %d of the archive file", len(cut))) {
		t.Errorf("import facts %+v", im)
	}
	if im.ArchiveSize != int64(len(cut)) || im.ArchiveSHA256 != sha256hex(cut) {
		t.Errorf("the archive hashes cover the file as it is: %+v", im)
	}
	if _, ok := es["import/members-00001.jsonl"]; !ok || len(es[snapshot.ProcessesEntry]) == 0 {
		t.Errorf("what came before the cut is imported: %v", len(es))
	}
	found := false
	for _, n := range rep.Manifest.Custody.Notes {
		found = found || strings.Contains(n, "incomplete")
	}
	if !found {
		t.Errorf("custody notes %q", rep.Manifest.Custody.Notes)
	}
	for _, c := range res.Failed {
		if c.Kind == "archive-complete" && c.Result == imported.Incomplete {
			return
		}
	}
	t.Errorf("no incomplete check in %+v", res.Failed)
}

func TestImportRefuses(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"notes.txt", []byte("hello, not an archive\n"), ErrNotArchive},
		{"other.tar.gz", tarGz(t, []member{{name: "something/else.txt", data: []byte("x")}}), ErrUnknownLayout},
	} {
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, tc.data, 0o644)
		if _, err := Import(context.Background(), p, &out, options()); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if out.Len() != 0 {
		t.Errorf("%d bytes written for archives refused", out.Len())
	}
}

func TestImportDeterministic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "uac-vm-linux-20261201144410.tar.gz")
	os.WriteFile(p, tarGz(t, uacMembers(t, exeBytes)), 0o644)
	var sums []string
	for i := 0; i < 2; i++ {
		var out bytes.Buffer
		if _, err := Import(context.Background(), p, &out, options()); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sha256hex(out.Bytes()))
	}
	if sums[0] != sums[1] {
		t.Errorf("same input, same clock, same key: different bundles %v", sums)
	}
}

// Hostile member names: climbing out, control bytes, a name given twice.
func TestImportHostileNames(t *testing.T) {
	ms := []member{
		{name: "uac.log", data: []byte("2026-12-01 14:30:04 +0000 INF Unix-like Artifacts Collector 3.3.0\n")},
		{name: "[root]/../../etc/passwd", data: []byte("root:x:0:0::/root:/bin/sh\n")},
		{name: "[root]/var/log/\x1b[31mred\xff", data: []byte("x")},
		{name: "[root]/var/log/auth.log", data: []byte(authLog)},
		{name: "[root]/var/log/auth.log", data: []byte("a second copy\n")},
		{name: "live_response/process/ps_-ef.txt", data: []byte("\x00\x01garbage\n")},
	}
	res, rep, es, err := importArchive(t, "uac-x.tar.gz", tarGz(t, ms), nil, options())
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range rep.Verified {
		if err := bundle.ValidName(e.Name); err != nil {
			t.Errorf("%q: %v", e.Name, err)
		}
		names[e.Name] = true
	}
	for _, want := range []string{"fs/%2E%2E/%2E%2E/etc/passwd", "fs/var/log/%1B%5B31mred%FF", "fs/var/log/auth.log", "archive/%5Broot%5D/var/log/auth.log"} {
		if !names[want] {
			t.Errorf("no entry %q in %v", want, names)
		}
	}
	if string(es["archive/%5Broot%5D/var/log/auth.log"]) != "a second copy\n" {
		t.Error("the second copy of a host path is kept under its archive path")
	}
	if res.Warnings != 1 {
		t.Errorf("garbage ps: %d warnings", res.Warnings)
	}
	ws := records[imported.Warning](t, es[imported.WarningsEntry])
	if len(ws) != 1 || ws[0].Entry != "archive/live_response/process/ps_-ef.txt" || ws[0].Line != 1 || strings.ContainsRune(ws[0].Message, 0) {
		t.Errorf("warnings %+v", ws)
	}
}
