package importer

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// fuzzMembers are the members whose bytes a parser of the import reads.
var fuzzMembers = []struct{ name, seed string }{
	{"live_response/process/ps_-ef.txt", "uac-ps_-ef.txt"},
	{"live_response/process/ps_-axo_pid_user_lstart_args.txt", "uac-ps_-axo_pid_user_lstart_args.txt"},
	{"live_response/process/running_processes_full_paths.txt", "uac-running_processes_full_paths.txt"},
	{"live_response/process/proc/58/fd.txt", "uac-proc-58-fd.txt"},
	{"live_response/process/proc/58/stat.txt", "uac-proc-58-stat.txt"},
	{"live_response/process/proc/41/status.txt", "uac-proc-41-status.txt"},
	{"live_response/process/hash_running_processes.sha1", "uac-hash_running_processes.sha1"},
	{"live_response/process/lsof_-nPl.txt", "uac-lsof_-nPl.txt"},
	{"live_response/network/ss_-anp.txt", "uac-ss_-anp.txt"},
	{"live_response/network/netstat_-anp.txt", "uac-netstat_-anp.txt"},
	{"hash_list.md5", "uac-hash_running_processes.md5"},
}

// FuzzImportListing imports a UAC archive whose one listing holds any
// bytes, beside the real others: the import must end with a bundle, never
// an error or a panic, whatever the host's tools printed.
func FuzzImportListing(f *testing.F) {
	for i, m := range fuzzMembers {
		b, err := os.ReadFile(toolTestdata + m.seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	base := uacMembers(f, exeBytes)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		m := fuzzMembers[int(which)%len(fuzzMembers)]
		ms := append([]member(nil), base...)
		replaced := false
		for i := range ms {
			if ms[i].name == m.name {
				ms[i].data, replaced = data, true
			}
		}
		if !replaced {
			ms = append(ms, member{name: m.name, data: data})
		}
		p := filepath.Join(dir, "uac-fuzz.tar.gz")
		if err := os.WriteFile(p, tarGz(t, ms), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Import(context.Background(), p, io.Discard, options()); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	})
}
