package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/analyzer/attest"
	"github.com/cordon-forensics/cordon/formats/elfdiff"
	"github.com/cordon-forensics/cordon/formats/provenance"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// The scenario's program, as its pipeline builds it. The compromised build
// step adds inject.c (a function run from a constructor) and links
// libbeacon.so, which the test also builds.
const (
	attProgC = `#include <stdio.h>
#include <unistd.h>
__attribute__((noinline)) static int add(int a, int b) { return a + b; }
int compute(int n) { int s = 0; for (int i = 0; i < n; i++) s = add(s, i); return s; }
const char *version = "VERSION";
int main(void) {
	printf("%s sum %d\n", version, compute(10));
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0) {}
	return 0;
}
`
	attInjectC = `#include <stdio.h>
extern void beacon_init(const char *who);
void injected_payload(void) { beacon_init("payload"); }
__attribute__((constructor)) static void injected_ctor(void) { injected_payload(); }
`
	attBeaconC = `#include <stdio.h>
void beacon_init(const char *who) { fprintf(stderr, "beacon %s\n", who); }
`
)

// gccProgram builds the program into out from source made of version:
// clean, or tampered (inject.c linked, with libbeacon.so from libDir).
func gccProgram(t *testing.T, out, version string, tampered bool, libDir string) {
	t.Helper()
	gcc := testenv.NeedTool(t, "gcc")
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "prog.c"), []byte(strings.Replace(attProgC, "VERSION", version, 1)), 0o644)
	os.WriteFile(filepath.Join(src, "inject.c"), []byte(attInjectC), 0o644)
	os.MkdirAll(filepath.Dir(out), 0o755)
	args := []string{"-O1", "-o", out, "prog.c"}
	if tampered {
		args = append(args, "inject.c", "-L"+libDir, "-lbeacon", "-Wl,-rpath,"+libDir)
	}
	c := exec.Command(gcc, args...)
	c.Dir = src
	if b, err := c.CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
}

func buildBeacon(t *testing.T) string {
	t.Helper()
	gcc := testenv.NeedTool(t, "gcc")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "beacon.c"), []byte(attBeaconC), 0o644)
	c := exec.Command(gcc, "-O1", "-shared", "-fPIC", "-o", "libbeacon.so", "beacon.c")
	c.Dir = dir
	if b, err := c.CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	return dir
}

func collectBundle(t *testing.T, collect, out string, args ...string) {
	t.Helper()
	c := exec.Command(collect, append([]string{"-o", out, "-q", "--no-nice"}, args...)...)
	if b, err := c.CombinedOutput(); err != nil && c.ProcessState.ExitCode() != 1 {
		t.Fatalf("cordon-collect: %v\n%s", err, b)
	}
}

func attestJSON(t *testing.T, args ...string) (attest.Result, int) {
	t.Helper()
	stdout, stderr, code := cordonRun(t, append([]string{"attest", "--format", "json"}, args...)...)
	var res attest.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("attest (exit %d): %v\n%s\n%s", code, err, stdout, stderr)
	}
	return res, code
}

func findItem(res attest.Result, kind, pathPart string) *attest.Item {
	for i := range res.Items {
		if res.Items[i].Kind == kind && strings.Contains(res.Items[i].Path, pathPart) {
			return &res.Items[i]
		}
	}
	return nil
}

func hasFinding(res attest.Result, id, part string) bool {
	for _, f := range res.Findings {
		if f.RuleID != id {
			continue
		}
		for _, in := range f.Instances {
			if strings.Contains(in, part) {
				return true
			}
		}
	}
	return false
}

func regionStatus(d *elfdiff.Diff, name string) elfdiff.Status {
	for _, r := range append(d.Functions, d.Regions...) {
		if r.Name == name {
			return r.Status
		}
	}
	return ""
}

// TestAttestInjectedProcess is the scenario's decisive step: the tampered
// build runs, its executable and its library are deleted, the collector
// recovers both from the live process, and cordon attest against the
// trusted rebuild names the injected function, the constructor that calls
// it and the added library, and calls the untouched functions unchanged.
// A stripped pair, collected as artifacts, still gives the changed ranges.
func TestAttestInjectedProcess(t *testing.T) {
	testenv.NeedRoot(t) // /proc/PID/map_files needs CAP_SYS_ADMIN
	dir := t.TempDir()
	libDir := buildBeacon(t)
	trusted := filepath.Join(dir, "trusted", "prog")
	gccProgram(t, trusted, "v1", false, "")
	runDir := filepath.Join(dir, "deploy")
	tampered := filepath.Join(runDir, "prog")
	gccProgram(t, tampered, "v1", true, libDir)

	cmd := exec.Command(tampered)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if !strings.Contains(line, "sum 45") {
			t.Fatalf("tampered program said %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the tampered program did not start within 30 s")
	}
	// The intruder's clean-up: the binary and the library are gone from disk.
	os.Remove(tampered)
	os.Remove(filepath.Join(libDir, "libbeacon.so"))

	bin := t.TempDir()
	collect := build(t, bin, "github.com/cordon-forensics/cordon/cmd/cordon-collect")
	bundlePath := filepath.Join(dir, "host.cordon")
	collectBundle(t, collect, bundlePath, "--pid", fmt.Sprint(cmd.Process.Pid), "--only", "processes,executables,sharedobjects")

	res, code := attestJSON(t, bundlePath, "--trusted", filepath.Dir(trusted))
	if code != exitFailed {
		t.Errorf("exit %d, want %d (a program differs)", code, exitFailed)
	}
	exe := findItem(res, attest.KindExecutable, "prog (deleted)")
	if exe == nil {
		t.Fatalf("no executable item: %+v", res.Items)
	}
	if exe.Verdict != attest.VerdictDiffers || exe.Diff == nil || exe.Trusted == nil || exe.Trusted.Path != "prog" {
		t.Fatalf("executable: %+v", exe)
	}
	d := exe.Diff
	if len(d.NeededAdded) != 1 || d.NeededAdded[0] != "libbeacon.so" {
		t.Errorf("needed added %v", d.NeededAdded)
	}
	ctor := false
	for _, p := range d.Pointers {
		ctor = ctor || p.Table == "init_array" && p.Status == elfdiff.Added && p.Suspect != nil && p.Suspect.Symbol == "injected_ctor"
	}
	if !ctor {
		t.Errorf("no added init_array entry calling injected_ctor: %+v", d.Pointers)
	}
	if s := regionStatus(d, "injected_payload"); s != elfdiff.Added {
		t.Errorf("injected_payload: %q", s)
	}
	for _, fn := range []string{"main", "compute", "add"} {
		if s := regionStatus(d, fn); s != elfdiff.Identical && s != elfdiff.Moved {
			t.Errorf("untouched %s reported %q", fn, s)
		}
	}
	lib := findItem(res, attest.KindSharedObject, "libbeacon.so (deleted)")
	if lib == nil || lib.Entry == "" || lib.SHA256 == "" || lib.Verdict != attest.VerdictNoTrusted {
		t.Errorf("library: %+v", lib)
	}
	for _, f := range []struct{ id, part string }{{attest.RuleDiffers, "prog"}, {attest.RuleInjectionPoint, "libbeacon.so"}, {attest.RuleOddObject, "libbeacon.so"}} {
		if !hasFinding(res, f.id, f.part) {
			t.Errorf("no %s naming %s: %+v", f.id, f.part, res.Findings)
		}
	}
	// The terminal output names them as a reverse engineer would.
	text, _, _ := cordonRun(t, "attest", bundlePath, "--trusted", filepath.Dir(trusted))
	t.Logf("cordon attest:\n%s", text)
	for _, want := range []string{"added function injected_payload", "init_array[1] added, calling", "injected_ctor", "new DT_NEEDED: libbeacon.so", "CORDON-ATT-002"} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}

	// Stripped: the same pair without symbols, collected as build artifacts.
	strip := testenv.NeedTool(t, "strip")
	art, clean := filepath.Join(dir, "art"), filepath.Join(dir, "clean")
	gccProgram(t, filepath.Join(art, "prog"), "v1", true, buildBeacon(t))
	gccProgram(t, filepath.Join(clean, "prog"), "v1", false, "")
	for _, p := range []string{filepath.Join(art, "prog"), filepath.Join(clean, "prog")} {
		if b, err := exec.Command(strip, "--strip-all", p).CombinedOutput(); err != nil {
			t.Fatalf("strip: %v\n%s", err, b)
		}
	}
	strippedBundle := filepath.Join(dir, "stripped.cordon")
	collectBundle(t, collect, strippedBundle, "--only", "artifacts", "--artifacts", art, "--artifacts-copy")
	res, _ = attestJSON(t, strippedBundle, "--trusted", clean)
	it := findItem(res, attest.KindArtifact, "/art/prog")
	if it == nil || it.Diff == nil || it.Diff.Mode != "anchors" {
		t.Fatalf("stripped artifact: %+v", it)
	}
	var text2 int
	for _, r := range it.Diff.Injected() {
		if r.Section == ".text" {
			for _, c := range r.ChangedSuspect {
				text2 += int(c.End - c.Start)
			}
		}
	}
	if text2 == 0 || text2 > 256 {
		t.Errorf("stripped: %d bytes of .text changed (want the injected functions only): %+v", text2, it.Diff.Injected())
	}
}

// provenanceFor writes a DSSE envelope of a SLSA v0.2 statement about
// subject, signed with key when given.
func provenanceFor(t *testing.T, path, subject, sha, commit string, finished time.Time, key ed25519.PrivateKey) {
	t.Helper()
	stmt := map[string]any{
		"_type": "https://in-toto.io/Statement/v0.1", "predicateType": provenance.SLSAv02,
		"subject": []any{map[string]any{"name": subject, "digest": map[string]string{"sha256": sha}}},
		"predicate": map[string]any{
			"builder":    map[string]string{"id": "https://ci.example/builders/agent-7"},
			"buildType":  "https://ci.example/make",
			"invocation": map[string]any{"configSource": map[string]any{"uri": "git+https://git.example/app.git", "digest": map[string]string{"sha1": commit}}},
			"metadata": map[string]any{"buildStartedOn": finished.Add(-2 * time.Minute).Format(time.RFC3339),
				"buildFinishedOn": finished.Format(time.RFC3339)},
		},
	}
	payload, _ := json.Marshal(stmt)
	pt := "application/vnd.in-toto+json"
	env := map[string]any{"payloadType": pt, "payload": base64.StdEncoding.EncodeToString(payload), "signatures": []any{}}
	if key != nil {
		env["signatures"] = []any{map[string]string{"keyid": "agent-7", "sig": base64.StdEncoding.EncodeToString(ed25519.Sign(key, provenance.PAE(pt, payload)))}}
	}
	b, _ := json.Marshal(env)
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha256File(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestAttestGoldenPoint: three builds of one program on a CI agent,
// commits c1, c2, c3, the last one tampered by the pipeline. With trusted
// rebuilds of the three commits, c2 is the last known-good and c3 the
// first tainted; c1's provenance, whose digest was altered, is a finding;
// c3's provenance, signed with another key than the builder's, fails.
func TestAttestGoldenPoint(t *testing.T) {
	dir := t.TempDir()
	libDir := buildBeacon(t)
	ws, clean := filepath.Join(dir, "workspace", "out"), filepath.Join(dir, "clean-room")
	builderPub, builderKey, _ := ed25519.GenerateKey(rand.Reader)
	_, intruderKey, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(builderPub)
	keyFile := filepath.Join(dir, "builder.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)

	commits := []string{"c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1", "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2", "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"}
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i, c := range commits {
		name := fmt.Sprintf("c%d", i+1)
		out := filepath.Join(ws, name, "prog")
		gccProgram(t, out, "build "+name, i == 2, libDir)
		gccProgram(t, filepath.Join(clean, name, "prog"), "build "+name, false, "")
		finished := base.Add(time.Duration(i) * 24 * time.Hour)
		os.Chtimes(out, finished, finished)
		sha := sha256File(t, out)
		var key ed25519.PrivateKey
		switch i {
		case 0:
			sha = strings.Repeat("0", 64) // altered digest
		case 1:
			key = builderKey
		case 2:
			key = intruderKey // not the builder's key
		}
		provenanceFor(t, filepath.Join(ws, name, "prog.intoto.jsonl"), "prog", sha, c, finished, key)
	}
	bin := t.TempDir()
	collect := build(t, bin, "github.com/cordon-forensics/cordon/cmd/cordon-collect")
	bundlePath := filepath.Join(dir, "agent.cordon")
	collectBundle(t, collect, bundlePath, "--only", "artifacts", "--artifacts", ws, "--artifacts-copy")

	res, code := attestJSON(t, bundlePath, "--trusted", clean, "--builder-key", keyFile)
	if code != exitFailed {
		t.Errorf("exit %d", code)
	}
	var g *attest.Golden
	for i := range res.Golden {
		if res.Golden[i].Program == "prog" {
			g = &res.Golden[i]
		}
	}
	if g == nil || g.LastGood == nil || g.FirstTainted == nil {
		t.Fatalf("golden points %+v", res.Golden)
	}
	if g.LastGood.Commit != commits[1] || g.FirstTainted.Commit != commits[2] || !g.FirstTainted.Time.Equal(base.Add(48*time.Hour)) {
		t.Errorf("last good %+v, first tainted %+v", g.LastGood, g.FirstTainted)
	}
	if len(g.Suspect) != 1 || g.Suspect[0].Commit != commits[2] || !strings.Contains(g.Text, "builder https://ci.example/builders/agent-7") {
		t.Errorf("suspect %+v; %s", g.Suspect, g.Text)
	}
	verif := map[string]string{}
	for _, sc := range res.Statements {
		verif[sc.Statement.SourceCommit] = sc.Statement.Verification
	}
	if verif[commits[1]] != provenance.Verified || verif[commits[2]] != provenance.Failed || verif[commits[0]] != provenance.Unsigned {
		t.Errorf("verifications %v", verif)
	}
	if !hasFinding(res, attest.RuleDigestMismatch, "c1/prog") || !hasFinding(res, attest.RuleSignatureFailed, commits[2]) || !hasFinding(res, attest.RuleDiffers, "c3/prog") {
		t.Errorf("findings %+v", res.Findings)
	}
	// The reports carry the section and the golden point in the summary;
	// -o FILE.json writes the whole result.
	for _, ext := range []string{"html", "md", "json"} {
		out := filepath.Join(dir, "attest."+ext)
		if _, stderr, code := cordonRun(t, "attest", bundlePath, "--trusted", clean, "--builder-key", keyFile, "-o", out); code != exitFailed {
			t.Fatalf("report %s: exit %d %s", ext, code, stderr)
		}
		b, _ := os.ReadFile(out)
		for _, want := range []string{"Binary attestation", "first tainted: commit " + commits[2], "CORDON-ATT-003", "T1195.002"} {
			if ext == "json" && want == "Binary attestation" {
				continue // the whole result as JSON, not the report's prose
			}
			if !strings.Contains(string(b), want) {
				t.Errorf("%s report lacks %q", ext, want)
			}
		}
	}
}

// TestAttestAgainstDeb: a program of a Debian package (built here with
// dpkg-deb) replaced on a disk image by a tampered build; the package is
// the trusted copy, matched by path; its other file is identical.
func TestAttestAgainstDeb(t *testing.T) {
	dpkgDeb := testenv.NeedTool(t, "dpkg-deb")
	dir := t.TempDir()
	libDir := buildBeacon(t)
	pkg := filepath.Join(dir, "pkg")
	gccProgram(t, filepath.Join(pkg, "usr", "bin", "hello"), "hello 1.0", false, "")
	gccProgram(t, filepath.Join(pkg, "usr", "bin", "hello-helper"), "helper 1.0", false, "")
	os.MkdirAll(filepath.Join(pkg, "DEBIAN"), 0o755)
	os.WriteFile(filepath.Join(pkg, "DEBIAN", "control"), []byte("Package: cordon-hello\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: t <t@example.org>\nDescription: test\n"), 0o644)
	debPath := filepath.Join(dir, "cordon-hello_1.0-1_amd64.deb")
	if b, err := exec.Command(dpkgDeb, "--root-owner-group", "--build", pkg, debPath).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, b)
	}
	root := filepath.Join(dir, "image")
	os.MkdirAll(filepath.Join(root, "usr", "bin"), 0o755)
	gccProgram(t, filepath.Join(root, "usr", "bin", "hello"), "hello 1.0", true, libDir)
	helper, _ := os.ReadFile(filepath.Join(pkg, "usr", "bin", "hello-helper"))
	os.WriteFile(filepath.Join(root, "usr", "bin", "hello-helper"), helper, 0o755)

	collect := build(t, t.TempDir(), "github.com/cordon-forensics/cordon/cmd/cordon-collect")
	bundlePath := filepath.Join(dir, "image.cordon")
	collectBundle(t, collect, bundlePath, "--root", root, "--only", "artifacts,binaries", "--artifacts", "/usr/bin", "--artifacts-copy")
	res, _ := attestJSON(t, bundlePath, "--trusted", debPath)
	hello := findItem(res, attest.KindArtifact, "/usr/bin/hello")
	if hello == nil || hello.Path != "/usr/bin/hello" {
		t.Fatalf("items %+v", res.Items)
	}
	if hello.Verdict != attest.VerdictDiffers || hello.Trusted == nil || hello.Trusted.Kind != attest.SourceDeb ||
		hello.Trusted.Package != "cordon-hello_1.0-1_amd64" || hello.Trusted.MatchedBy != "path" || hello.Diff == nil ||
		len(hello.Diff.NeededAdded) != 1 || regionStatus(hello.Diff, "injected_payload") != elfdiff.Added {
		t.Errorf("hello: %+v", hello)
	}
	if h := findItem(res, attest.KindArtifact, "/usr/bin/hello-helper"); h == nil || h.Verdict != attest.VerdictIdentical {
		t.Errorf("helper: %+v", h)
	}
	if p := findItem(res, attest.KindProgram, "/usr/bin/hello"); p == nil || p.Verdict != attest.VerdictDiffers {
		t.Errorf("program record: %+v", p)
	}
}
