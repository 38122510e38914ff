package collector

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// The real servers (a CI job's cluster, one in a container) are tested
// end to end in cmd/cordon-collect/postgres_test.go; these are the pure
// parts and the rooted reads, on files.

func TestPostgresCommandLine(t *testing.T) {
	for _, c := range []struct {
		argv     []string
		dataDir  string
		settings map[string]string
	}{
		{[]string{"/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main", "-c", "config_file=/etc/postgresql/15/main/postgresql.conf"},
			"/var/lib/postgresql/15/main", map[string]string{"config_file": "/etc/postgresql/15/main/postgresql.conf"}},
		{[]string{"postgres", "-D/srv/pg", "-clog_directory=/var/tmp/l", "--log-filename=x.log", "-p", "5433"},
			"/srv/pg", map[string]string{"log_directory": "/var/tmp/l", "log_filename": "x.log"}},
		{[]string{"postgres"}, "", map[string]string{}},
		{[]string{"postgres", "-D"}, "", map[string]string{}}, // a dangling -D is no data directory
	} {
		got := parsePGCommandLine(c.argv)
		if got.dataDir != c.dataDir || len(got.settings) != len(c.settings) {
			t.Errorf("%q: %+v", c.argv, got)
		}
		for k, v := range c.settings {
			if got.settings[k] != v {
				t.Errorf("%q: %s = %q, want %q", c.argv, k, got.settings[k], v)
			}
		}
	}
}

func TestPostgresInView(t *testing.T) {
	for _, c := range []struct{ root, link, want string }{
		{"/", "/var/lib/pg", "/var/lib/pg"},
		{"/dev/shm/ct/merged", "/dev/shm/ct/merged/var/lib/pg", "/var/lib/pg"},
		{"/dev/shm/ct/merged", "/dev/shm/ct/merged", "/"},
		{"/dev/shm/ct/merged", "/dev/shm/ct/merged2/x", "/dev/shm/ct/merged2/x"},
		{"/dev/shm/ct/merged", "pipe:[123]", "pipe:[123]"},
	} {
		if got := inView(c.root, c.link); got != c.want {
			t.Errorf("inView(%q, %q) = %q, want %q", c.root, c.link, got, c.want)
		}
	}
}

// TestPostgresConfIncludes reads a configuration with include,
// include_if_exists (present and absent) and include_dir, as the server
// applies them (the last setting wins, in file order), through a view
// rooted at a directory: an absolute link inside it resolves inside it.
func TestPostgresConfIncludes(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("srv/pg/postgresql.conf", "log_directory = 'first'\ninclude 'extra.conf'\ninclude_if_exists 'absent.conf'\ninclude_dir 'conf.d'\nlog_filename = 'main.log'\n")
	write("srv/pg/extra.conf", "log_directory = 'second'\nlogging_collector = on\n")
	write("srv/pg/conf.d/10-a.conf", "log_directory = '/abs/logs'\n")
	write("srv/pg/conf.d/.hidden.conf", "log_directory = 'hidden'\n")
	write("srv/pg/conf.d/notes.txt", "log_directory = 'txt'\n")
	write("etc/shadow", "inside the root\n")
	// An absolute link: inside the view it names <root>/etc/shadow, never the host's.
	if err := os.Symlink("/etc/shadow", filepath.Join(root, "srv/pg/conf.d/20-link.conf")); err != nil {
		t.Fatal(err)
	}
	env := NewEnv(testOptions(), &memSink{}).For(snapshot.PostgresSource)
	view, err := openView(root, "/proc/4242/root")
	if err != nil {
		t.Fatal(err)
	}
	defer view.Close()
	res := pgResolved{values: map[string]snapshot.PostgresSetting{}}
	var copied []string
	files := readPGConf(context.Background(), env, view, "/srv/pg/postgresql.conf", "postgresql.conf", res, func(role, p string) snapshot.PostgresFile {
		copied = append(copied, p)
		return snapshot.PostgresFile{Role: role, Path: p}
	})
	want := []string{"/srv/pg/postgresql.conf", "/srv/pg/extra.conf", "/srv/pg/conf.d/10-a.conf", "/srv/pg/conf.d/20-link.conf"}
	if !slices.Equal(copied, want) {
		t.Errorf("files read %v, want %v", copied, want)
	}
	if len(files) != len(want) {
		t.Errorf("files %+v", files)
	}
	if v := res.get("log_directory", ""); v != "/abs/logs" {
		t.Errorf("log_directory %q, want the include_dir's /abs/logs (applied after extra.conf)", v)
	}
	if s := res.values["logging_collector"]; s.Value != "on" || s.From != "/srv/pg/extra.conf:2" {
		t.Errorf("logging_collector %+v", s)
	}
	if res.get("log_filename", "") != "main.log" {
		t.Errorf("log_filename %q", res.get("log_filename", ""))
	}
	// The link is a link in the view: not followed, not read as a file.
	if _, _, err := view.Open("/srv/pg/conf.d/20-link.conf"); err == nil {
		t.Errorf("a symbolic link was opened as a file")
	}
	// Through a directory link, an absolute target stays inside the root.
	if err := os.Symlink("/etc", filepath.Join(root, "srv/etc-link")); err != nil {
		t.Fatal(err)
	}
	data, _, err := view.ReadFile(context.Background(), "/srv/etc-link/shadow", 1<<10)
	if err != nil || string(data) != "inside the root\n" {
		t.Errorf("read through an absolute directory link: %q %v, want the root's own file", data, err)
	}
	if _, _, err := view.ReadFile(context.Background(), "/srv/pg/../../../../etc/passwd", 1<<10); err == nil {
		if b, _ := os.ReadFile(filepath.Join(root, "etc/passwd")); b == nil {
			t.Errorf("a path with .. left the root")
		}
	}
	if view.HostPath("/srv/pg/x") != "/proc/4242/root/srv/pg/x" {
		t.Errorf("host path %q", view.HostPath("/srv/pg/x"))
	}
}
