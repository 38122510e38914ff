package collector

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/internal/testenv"
)

// signModule appends a module signature to data the way the kernel's
// scripts/sign-file does: a detached PKCS#7 (CMS, no attributes, no
// certificates) made here by openssl, struct module_signature and the magic.
func signModule(t *testing.T, openssl, dir string, data []byte) (signed []byte, serial string) {
	t.Helper()
	key, cert, mod, sig := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "mod"), filepath.Join(dir, "sig")
	run := func(args ...string) []byte {
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
		return out
	}
	run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/O=Cordon Test/CN=Cordon test signing key", "-keyout", key, "-out", cert)
	os.WriteFile(mod, data, 0o644)
	run("cms", "-sign", "-binary", "-noattr", "-nocerts", "-outform", "DER", "-md", "sha256", "-signer", cert, "-inkey", key, "-in", mod, "-out", sig)
	p7, err := os.ReadFile(sig)
	if err != nil {
		t.Fatal(err)
	}
	serial = strings.TrimSpace(strings.TrimPrefix(string(run("x509", "-in", cert, "-noout", "-serial")), "serial="))
	ms := make([]byte, 12)
	ms[2] = 2 // PKEY_ID_PKCS7
	binary.BigEndian.PutUint32(ms[8:], uint32(len(p7)))
	signed = append(append(append(bytes.Clone(data), p7...), ms...), moduleSigMagic...)
	return signed, serial
}

// TestKernelModules reads loaded modules from a fixture /proc and /sys and
// their files from a fixture root: a module signed like the kernel signs
// (the signer and key id must be what openssl made), the same compressed
// with zstd, an unsigned out-of-tree one, and one with no file.
func TestKernelModules(t *testing.T) {
	openssl := testenv.NeedTool(t, "openssl")
	zstdTool := testenv.NeedTool(t, "zstd")
	dir := t.TempDir()
	proc, sys, root := filepath.Join(dir, "proc"), filepath.Join(dir, "sys"), filepath.Join(dir, "root")
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(proc, "modules"), "signed_mod 16384 1 - Live 0xffffffffc0a00000\n"+
		"packed_mod 20480 0 - Live 0xffffffffc0b00000\n"+
		"rootkit 12288 2 signed_mod,packed_mod, Live 0xffffffffc0c00000 (OE)\n"+
		"ghost 4096 0 - Live 0xffffffffc0d00000 (O)\n")
	write(filepath.Join(proc, "sys/kernel/osrelease"), "6.1.0-test\n")
	write(filepath.Join(proc, "sys/kernel/tainted"), "12288\n") // O (4096) + E (8192)
	write(filepath.Join(proc, "sys/kernel/core_pattern"), "|/tmp/.x %p\n")
	write(filepath.Join(proc, "sys/kernel/modprobe"), "/sbin/modprobe\n")
	write(filepath.Join(proc, "sys/net/ipv4/ip_forward"), "1\n")
	write(filepath.Join(sys, "module/rootkit/taint"), "OE\n")
	write(filepath.Join(sys, "module/signed_mod/srcversion"), "ABCDEF0123456789\n")
	moddir := filepath.Join(root, "lib/modules/6.1.0-test")
	write(filepath.Join(moddir, "modules.dep"), "kernel/fs/signed-mod.ko: \nkernel/fs/packed_mod.ko.zst: kernel/fs/signed-mod.ko\nextra/rootkit.ko:\n")
	signed, serial := signModule(t, openssl, dir, append([]byte("\x7fELF fake module body "), bytes.Repeat([]byte{0xaa}, 4096)...))
	write(filepath.Join(moddir, "kernel/fs/signed-mod.ko"), string(signed))
	write(filepath.Join(dir, "packed.ko"), string(signed))
	if out, err := exec.Command(zstdTool, "-q", "-o", filepath.Join(moddir, "kernel/fs/packed_mod.ko.zst"), filepath.Join(dir, "packed.ko")).CombinedOutput(); err != nil {
		t.Fatalf("zstd: %v %s", err, out)
	}
	write(filepath.Join(moddir, "extra/rootkit.ko"), "\x7fELF unsigned")

	opts := testOptions()
	opts.Root = root
	sink := &memSink{}
	env := NewEnv(opts, sink).For("kernel")
	env.ProcRoot, env.SysRoot, env.DevRoot = proc, sys, filepath.Join(dir, "dev")
	if err := collectKernel(t.Context(), env); err != nil {
		t.Fatal(err)
	}
	var st snapshot.KernelState
	if err := json.Unmarshal(sink.entries[snapshot.KernelStateEntry], &st); err != nil {
		t.Fatal(err)
	}
	if st.Tainted != 12288 || strings.Join(st.TaintedFlags, "") != "OE" || st.CorePattern != "|/tmp/.x %p" ||
		st.Sysctls["net.ipv4.ip_forward"] != "1" || st.Sysctls["kernel.modprobe"] != "/sbin/modprobe" {
		t.Errorf("state: tainted %d %v core %q sysctls %v", st.Tainted, st.TaintedFlags, st.CorePattern, st.Sysctls)
	}
	mods := map[string]snapshot.KernelModule{}
	for _, m := range st.Modules {
		mods[m.Name] = m
	}
	for _, name := range []string{"signed_mod", "packed_mod"} {
		m := mods[name]
		if m.Signature == nil || m.Signature.Signer != "Cordon test signing key" || m.Signature.SignerOrg != "Cordon Test" ||
			m.Signature.KeyID != serial || m.Signature.HashAlgo != "sha256" || m.Signature.Error != "" {
			t.Errorf("%s: %+v signature %+v, want signer from openssl, key id %s", name, m, m.Signature, serial)
		}
	}
	if m := mods["signed_mod"]; m.SrcVersion != "ABCDEF0123456789" || m.File != "/lib/modules/6.1.0-test/kernel/fs/signed-mod.ko" {
		t.Errorf("signed_mod: %+v", m)
	}
	if m := mods["rootkit"]; !m.OutOfTree || !m.Unsigned || m.RefCount != 2 || len(m.UsedBy) != 2 || m.Signature == nil || m.Signature.Error != "no appended signature" {
		t.Errorf("rootkit: %+v %+v", m, m.Signature)
	}
	if m := mods["ghost"]; m.File != "" || !strings.Contains(m.Error, "modules.dep") || !m.OutOfTree {
		t.Errorf("ghost: %+v", m)
	}
	if len(sink.missing) == 0 || !strings.Contains(sink.missing[0].Error, "kmsg") {
		t.Errorf("no /dev/kmsg in the fixture: want a missing record, got %+v", sink.missing)
	}
}

// TestKernelLive reads this kernel: its taint, core_pattern and the ring
// buffer as dmesg would, and an eBPF program the test loads and pins in a
// BPF file system of its own.
func TestKernelLive(t *testing.T) {
	testenv.NeedRoot(t)
	bpffs := filepath.Join(t.TempDir(), "sys")
	os.MkdirAll(filepath.Join(bpffs, "fs/bpf"), 0o755)
	if err := unix.Mount("bpf", filepath.Join(bpffs, "fs/bpf"), "bpf", 0, ""); err != nil {
		t.Fatalf("mounting a BPF file system: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(filepath.Join(bpffs, "fs/bpf"), unix.MNT_DETACH) })
	// A program that accepts nothing: r0 = 0; exit.
	insns := []byte{0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0}
	license := []byte("GPL\x00")
	attr := make([]byte, 128)
	ne := binary.NativeEndian
	ne.PutUint32(attr[0:], 1) // BPF_PROG_TYPE_SOCKET_FILTER
	ne.PutUint32(attr[4:], 2)
	ne.PutUint64(attr[8:], uint64(uintptr(unsafe.Pointer(&insns[0]))))
	ne.PutUint64(attr[16:], uint64(uintptr(unsafe.Pointer(&license[0]))))
	copy(attr[48:], "cordon_probe")
	fd, err := bpfCall(5, attr) // BPF_PROG_LOAD
	if err != nil {
		t.Fatalf("BPF_PROG_LOAD: %v", err)
	}
	defer unix.Close(fd)
	pin := append([]byte(filepath.Join(bpffs, "fs/bpf/cordon_pinned")), 0)
	pa := make([]byte, 16)
	ne.PutUint64(pa[0:], uint64(uintptr(unsafe.Pointer(&pin[0]))))
	ne.PutUint32(pa[8:], uint32(fd))
	if _, err := bpfCall(6, pa); err != nil { // BPF_OBJ_PIN
		t.Fatalf("BPF_OBJ_PIN: %v", err)
	}

	opts := testOptions()
	sink := &memSink{}
	env := NewEnv(opts, sink).For("kernel")
	env.SysRoot = bpffs
	if err := collectKernel(t.Context(), env); err != nil {
		t.Fatal(err)
	}
	var st snapshot.KernelState
	if err := json.Unmarshal(sink.entries[snapshot.KernelStateEntry], &st); err != nil {
		t.Fatal(err)
	}
	tb, _ := os.ReadFile("/proc/sys/kernel/tainted")
	cp, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	if strconv.FormatUint(st.Tainted, 10) != strings.TrimSpace(string(tb)) || st.CorePattern != strings.TrimSpace(string(cp)) {
		t.Errorf("tainted %d core %q; /proc says %s %q", st.Tainted, st.CorePattern, tb, cp)
	}
	found := false
	for _, p := range st.BPF.Programs {
		if p.Name == "cordon_probe" && p.Type == "socket_filter" && p.LoadedAt.IsZero() == false && len(p.Tag) == 16 {
			found = true
		}
	}
	if !found {
		t.Errorf("the loaded program is not listed: %+v (errors %v)", st.BPF.Programs, st.BPF.Errors)
	}
	pinned := false
	for _, p := range st.BPF.Pinned {
		pinned = pinned || p.Path == "/sys/fs/bpf/cordon_pinned" && p.Type == "file"
	}
	if !pinned {
		t.Errorf("the pinned program is not listed: %+v", st.BPF.Pinned)
	}
	kmsg := sink.entries[snapshot.KmsgEntry]
	lines := strings.Split(strings.TrimSpace(string(kmsg)), "\n")
	if len(kmsg) == 0 || !strings.Contains(lines[0], ";") {
		t.Fatalf("kmsg: %d bytes, first line %q", len(kmsg), lines[0])
	}
	// The first record is the kernel's first message, as dmesg shows it.
	if dmesg, err := exec.LookPath("dmesg"); err == nil {
		out, err := exec.Command(dmesg, "-r").Output()
		if err == nil && len(out) > 0 {
			first := strings.SplitN(strings.SplitN(string(out), "\n", 2)[0], "] ", 2)
			msg := strings.SplitN(lines[0], ";", 2)[1]
			if len(first) == 2 && first[1] != msg {
				t.Errorf("first kmsg record %q, dmesg -r says %q", msg, first[1])
			}
		}
	}
}
