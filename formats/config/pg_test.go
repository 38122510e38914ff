package config

import (
	"os"
	"strings"
	"testing"
)

func TestPgHbaDebianDefault(t *testing.T) {
	f, err := os.Open("testdata/debian-pg15-pg_hba.conf") // as pg_createcluster wrote it
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rules, ws := ParsePgHba(f)
	if len(ws) != 0 {
		t.Errorf("warnings: %+v", ws)
	}
	if len(rules) != 7 {
		t.Fatalf("%d rules, want 7", len(rules))
	}
	r := rules[2]
	if r.Type != "host" || r.Databases[0] != "all" || r.Users[0] != "all" || r.Address != "127.0.0.1/32" || r.Method != "scram-sha-256" || r.TrustNonLocal {
		t.Errorf("rule 3: %+v", r)
	}
	for _, r := range rules {
		if r.TrustNonLocal {
			t.Errorf("default config flagged: %+v", r)
		}
	}
}

func TestPgHba(t *testing.T) {
	in := `# the official postgres image with POSTGRES_HOST_AUTH_METHOD=trust appends:
host all all all trust
local   all   all   trust
host    all   all   127.0.0.1/32   trust
host    all   all   ::1/128        trust
host    all   all   127.0.0.1  255.255.255.255  trust
host    all   all   10.0.0.0   255.0.0.0  trust
hostssl "my db","all" "bob",alice 0.0.0.0/0 md5 clientcert=verify-full
host    all   all   samenet   trust
host    all   all   localhost trust
host    sameuser  all  192.0.2.0/24 \
        scram-sha-256
hostnossl all all 127.0.0.0/7 trust
bogus all all all trust
host all all
host all all 0.0.0.0/0 bogusmethod
include_if_exists extra.conf
`
	rules, ws := ParsePgHba(strings.NewReader(in))
	type want struct {
		typ, db, user, addr, mask, method string
		trust                             bool
		line                              int64
	}
	wants := []want{
		{"host", "all", "all", "all", "", "trust", true, 2},
		{"local", "all", "all", "", "", "trust", false, 3},
		{"host", "all", "all", "127.0.0.1/32", "", "trust", false, 4},
		{"host", "all", "all", "::1/128", "", "trust", false, 5},
		{"host", "all", "all", "127.0.0.1", "255.255.255.255", "trust", false, 6},
		{"host", "all", "all", "10.0.0.0", "255.0.0.0", "trust", true, 7},
		{"hostssl", "my db,all", "bob,alice", "0.0.0.0/0", "", "md5", false, 8},
		{"host", "all", "all", "samenet", "", "trust", true, 9},
		{"host", "all", "all", "localhost", "", "trust", false, 10},
		{"host", "sameuser", "all", "192.0.2.0/24", "", "scram-sha-256", false, 11},
		{"hostnossl", "all", "all", "127.0.0.0/7", "", "trust", true, 13},
		{"host", "all", "all", "0.0.0.0/0", "", "bogusmethod", false, 16},
		{"include_if_exists", "", "", "extra.conf", "", "", false, 17},
	}
	if len(rules) != len(wants) {
		for _, r := range rules {
			t.Logf("%+v", r)
		}
		t.Fatalf("%d rules, want %d", len(rules), len(wants))
	}
	for i, w := range wants {
		r := rules[i]
		got := want{r.Type, strings.Join(r.Databases, ","), strings.Join(r.Users, ","), r.Address, r.Mask, r.Method, r.TrustNonLocal, r.Line}
		if got != w {
			t.Errorf("rule %d: got %+v, want %+v", i, got, w)
		}
	}
	if rules[6].Options[0] != "clientcert=verify-full" {
		t.Errorf("options: %q", rules[6].Options)
	}
	// bogus type, too few fields, unknown method
	if len(ws) != 3 || ws[0].Line != 14 || ws[1].Line != 15 || ws[2].Line != 16 {
		t.Errorf("warnings: %+v", ws)
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, c := range []struct {
		addr, mask string
		want       bool
	}{
		{"127.0.0.1/32", "", true}, {"127.0.0.0/8", "", true}, {"127.0.0.1", "", true}, {"::1/128", "", true},
		{"::1", "", true}, {"::ffff:127.0.0.1/128", "", true}, {"127.0.0.1", "255.0.0.0", true},
		{"0.0.0.0/0", "", false}, {"::/0", "", false}, {"127.0.0.0/7", "", false}, {"10.0.0.1/32", "", false},
		{"all", "", false}, {"samenet", "", false}, {"db.example.com", "", false}, {".example.com", "", false},
		{"127.0.0.1", "0.0.0.0", false}, {"127.0.0.1", "garbage", false},
	} {
		if got := LoopbackOnly(c.addr, c.mask); got != c.want {
			t.Errorf("LoopbackOnly(%q, %q) = %v", c.addr, c.mask, got)
		}
	}
}

func TestPostgresqlConfDebian(t *testing.T) {
	f, err := os.Open("testdata/debian-pg15-postgresql.conf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, ws := ParsePostgresqlConf(f)
	if len(ws) != 0 {
		t.Errorf("warnings: %+v", ws)
	}
	if c.DataDirectory() != "/var/lib/postgresql/15/main" || c.LogLinePrefix() != "%m [%p] %q%u@%d " {
		t.Errorf("data_directory %q, log_line_prefix %q", c.DataDirectory(), c.LogLinePrefix())
	}
	if p, ok := c.Port(); p != 5432 || !ok {
		t.Errorf("port %d %v", p, ok)
	}
	if c.ListensOnAll() || c.ListenAddresses()[0] != "localhost" || c.LoggingCollector() || c.LogDirectory() != "log" {
		t.Errorf("defaults: %v %v %v %q", c.ListensOnAll(), c.ListenAddresses(), c.LoggingCollector(), c.LogDirectory())
	}
	if len(c.Includes) != 1 || c.Includes[0].Directive != "include_dir" || c.Includes[0].Path != "conf.d" {
		t.Errorf("includes: %+v", c.Includes)
	}
	if v, _ := c.Get("hba_file"); v != "/etc/postgresql/15/main/pg_hba.conf" {
		t.Errorf("hba_file %q", v)
	}
}

func TestPostgresqlConf(t *testing.T) {
	in := `listen_addresses = '*'		# what IP address(es) to listen on;
Port 5433
logging_collector = on
log_directory='/var/log/pg ''x'' \'y\''
log_line_prefix = '%t [%p]: user=%u,db=%d,app=%a,client=%h '
log_destination = 'stderr,csvlog'
port = 6543   # the last one wins
bad = 'unterminated
= novalue
shared_buffers = 128MB junk
`
	c, ws := ParsePostgresqlConf(strings.NewReader(in))
	if !c.ListensOnAll() || !c.LoggingCollector() || c.LogDirectory() != "/var/log/pg 'x' 'y'" || c.LogLinePrefix() != "%t [%p]: user=%u,db=%d,app=%a,client=%h " {
		t.Errorf("values: %v %v %q %q", c.ListensOnAll(), c.LoggingCollector(), c.LogDirectory(), c.LogLinePrefix())
	}
	if p, ok := c.Port(); p != 6543 || !ok || c.Settings["port"].Line != 7 {
		t.Errorf("port %d %v %+v", p, ok, c.Settings["port"])
	}
	if c.LogDestination() != "stderr,csvlog" {
		t.Errorf("log_destination %q", c.LogDestination())
	}
	if len(ws) != 3 || ws[0].Line != 8 || ws[1].Line != 9 || ws[2].Line != 10 {
		t.Errorf("warnings: %+v", ws)
	}
	c, _ = ParsePostgresqlConf(strings.NewReader("listen_addresses = 'localhost, 10.0.0.5'\nport = 99999\n"))
	if c.ListensOnAll() || len(c.ListenAddresses()) != 2 {
		t.Errorf("listen %v", c.ListenAddresses())
	}
	if p, ok := c.Port(); ok || p != 5432 {
		t.Errorf("bad port accepted: %d", p)
	}
}
