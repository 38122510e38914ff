package pipeline_test

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordon-forensics/cordon/analyzer/analyzertest"
	"github.com/cordon-forensics/cordon/analyzer/casestore"
	"github.com/cordon-forensics/cordon/analyzer/parsers"
	"github.com/cordon-forensics/cordon/analyzer/pipeline"
	"github.com/cordon-forensics/cordon/formats/utmp"
	"github.com/cordon-forensics/cordon/internal/bundletest"
	"github.com/cordon-forensics/cordon/timeline"
)

const (
	oddConf = "fs/etc/postgresql/15/main/postgresql.conf"
	oddLog  = "fs/var/log/postgresql/postgresql-15-main.log"
	oddLine = "db01|4242|app|shop|LOG:  statement: SELECT 1\n"
)

// analyzePG analyzes a bundle of the given entries and returns its record,
// the PostgreSQL statement event and the case's warnings.
func analyzePG(t *testing.T, entries []bundletest.Entry, given map[string]string) (*casestore.CaseBundle, *timeline.Event, []string) {
	t.Helper()
	dir := t.TempDir()
	path := bundletest.Write(t, dir, "db01.cordon", bundletest.Options{Host: "db01"}, entries...)
	caseDir := filepath.Join(dir, "case")
	rec, err := pipeline.AnalyzeBundle(context.Background(), caseDir, path, pipeline.Options{Analyzer: "test", Settings: given})
	if err != nil {
		t.Fatal(err)
	}
	c, err := casestore.Open(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var stmt *timeline.Event
	for _, ev := range analyzertest.Events(t, c, casestore.Query{}) {
		if ev.Event.Dataset == "postgresql" && ev.Event.Action == "statement" {
			stmt = &ev
		}
	}
	var warns []string
	if err := c.Warnings(func(_ casestore.CaseBundle, _ string, w timeline.Warning) error {
		warns = append(warns, w.Message)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return rec, stmt, warns
}

// A cluster's own log_line_prefix, in the collected postgresql.conf, is
// used to read its logs without the analyst giving it.
// pgSettings keeps the PostgreSQL settings (the host's time zone is
// recorded for every bundle).
func pgSettings(ss []casestore.SettingSource) []casestore.SettingSource {
	var out []casestore.SettingSource
	for _, s := range ss {
		if strings.HasPrefix(s.Name, "postgresql.") {
			out = append(out, s)
		}
	}
	return out
}

func TestPGPrefixReadFromBundle(t *testing.T) {
	rec, stmt, _ := analyzePG(t, []bundletest.Entry{
		{Name: oddConf, Data: []byte("# set by the DBA\nlog_line_prefix = '%h|%p|%u|%d|'\t# odd\n")},
		{Name: oddLog, Data: []byte(oddLine)},
	}, nil)
	if stmt == nil || stmt.User == nil || stmt.User.Name != "app" || stmt.Process == nil || stmt.Process.PID != 4242 {
		t.Fatalf("statement %+v", stmt)
	}
	rec.Settings = pgSettings(rec.Settings)
	if len(rec.Settings) != 1 || rec.Settings[0].Value != "%h|%p|%u|%d|" || rec.Settings[0].From != oddConf {
		t.Errorf("settings recorded %+v", rec.Settings)
	}

	// The analyst's flag wins over the file.
	rec, _, _ = analyzePG(t, []bundletest.Entry{{Name: oddConf, Data: []byte("log_line_prefix = '%p '\n")}, {Name: oddLog, Data: []byte(oddLine)}},
		map[string]string{parsers.SettingPGLogLinePrefix: "%h|%p|%u|%d|"})
	rec.Settings = pgSettings(rec.Settings)
	if len(rec.Settings) != 1 || rec.Settings[0].From != casestore.SettingFromAnalyst {
		t.Errorf("settings recorded %+v", rec.Settings)
	}

	// Two clusters that disagree: none is chosen, and a warning says why.
	rec, stmt, warns := analyzePG(t, []bundletest.Entry{
		{Name: oddConf, Data: []byte("log_line_prefix = '%h|%p|%u|%d|'\n")},
		{Name: "fs/etc/postgresql/16/main/postgresql.conf", Data: []byte("log_line_prefix = '%m [%p] '\n")},
		{Name: oddLog, Data: []byte(oddLine)},
	}, nil)
	rec.Settings = pgSettings(rec.Settings)
	if len(rec.Settings) != 0 || (stmt != nil && stmt.User != nil && stmt.User.Name == "app") {
		t.Errorf("a prefix was chosen among disagreeing files: %+v, %+v", rec.Settings, stmt)
	}
	if !strings.Contains(strings.Join(warns, "\n"), "different log_line_prefix values") {
		t.Errorf("no warning about the disagreement: %q", warns)
	}
}

// lastlog names its accounts from the bundle's signed /etc/passwd.
func TestLastlogNamesFromPasswd(t *testing.T) {
	rec := make([]byte, 4+292)
	binary.LittleEndian.PutUint32(rec, 1000)
	binary.LittleEndian.PutUint32(rec[4:], uint32(analyzertest.T0.Unix()))
	copy(rec[8:], "pts/3")
	copy(rec[40:], "203.0.113.7")
	dir := t.TempDir()
	path := bundletest.Write(t, dir, "web01.cordon", bundletest.Options{Host: "web01"},
		bundletest.Entry{Name: pipeline.PasswdEntry, Data: []byte("root:x:0:0:root:/root:/bin/bash\ndeploy:x:1000:1000::/home/deploy:/bin/bash\n")},
		bundletest.Entry{Name: utmp.LastlogEntry, Data: rec},
	)
	caseDir := filepath.Join(dir, "case")
	if _, err := pipeline.AnalyzeBundle(context.Background(), caseDir, path, pipeline.Options{Analyzer: "test"}); err != nil {
		t.Fatal(err)
	}
	c, err := casestore.Open(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range analyzertest.Events(t, c, casestore.Query{}) {
		if ev.Event.Dataset == "lastlog" {
			got = append(got, ev.Message)
		}
	}
	if len(got) != 1 || got[0] != "UID 1000 (deploy) last logged in on pts/3 from 203.0.113.7 (lastlog)" {
		t.Errorf("lastlog events %q", got)
	}
}
