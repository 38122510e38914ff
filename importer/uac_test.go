package importer

import (
	"os"
	"testing"
	"time"
)

func TestParseUACLog(t *testing.T) {
	u := parseUACLogBytes(readTD(t, "testdata/uac.log"))
	if u.version != "3.3.0" || u.hostname != "vm" || u.timeZone != "Etc/UTC" || u.pid != 63 || u.runningAs != "root" {
		t.Errorf("%+v", u)
	}
	if !u.started.Equal(time.Date(2026, 12, 1, 14, 44, 10, 0, time.UTC)) && u.started.IsZero() {
		t.Errorf("started %v", u.started)
	}
	if len(u.artifacts) != 8 || u.artifacts[0].name != "live_response/process/ps.yaml" || u.artifacts[7].next.IsZero() {
		t.Errorf("artifacts %+v", u.artifacts)
	}
	if u.commandLine == "" || len(u.errors) != 0 {
		t.Errorf("command line %q, errors %+v", u.commandLine, u.errors)
	}
	u = parseUACLogBytes([]byte("2026-12-01 14:30:04 +0100 ERR cannot run ss\nnot a line\n2026-13-01 99:00:00 +0000 INF bad date\n"))
	if len(u.errors) != 1 || u.errors[0].line != 1 || u.started.UTC().Hour() != 13 {
		t.Errorf("%+v", u)
	}
}

func TestParseAcquisitionLog(t *testing.T) {
	a := parseAcquisitionLog(readTD(t, "testdata/uac-acquisition.log"))
	if a.version != "3.3.0" || a.hostname != "vm" || a.file != "uac-vm-linux-20261201144410.tar.gz" ||
		a.hashes["md5"] != "7e55e21e4d5875284a99fe2ee7953366" || a.hashes["sha1"] != "8c24d49e44a6324a5b6699d30c8f37ad2949258f" ||
		a.lines["sha1"] != 26 || !a.finished.Equal(time.Date(2026, 12, 1, 14, 50, 4, 0, time.UTC)) {
		t.Errorf("%+v", a)
	}
}

func TestCatScaleClock(t *testing.T) {
	r := &run{loc: time.UTC}
	c := &memberCtx{mtime: time.Date(2026, 12, 1, 13, 51, 49, 0, time.UTC)}
	// w says 14:51:48 while the file was written at 13:51:49 UTC: UTC+01:00
	parseCatScaleW(r, c, readTD(t, "testdata/catscale-whoandwhat.txt"))
	if _, off := time.Date(2026, 12, 1, 0, 0, 0, 0, r.loc).Zone(); off != 3600 {
		t.Errorf("offset %d", off)
	}
	r = &run{loc: time.UTC}
	parseCatScaleErrors(r, &memberCtx{mtime: c.mtime}, readTD(t, "testdata/catscale-console-error-log.txt"))
	if !r.collector.started.Equal(time.Date(2026, 12, 1, 14, 51, 31, 0, time.UTC)) || len(r.errors) < 5 {
		t.Errorf("started %v, %d errors", r.collector.started, len(r.errors))
	}
	if h := catscaleHost("catscale_web-01.example-20261201-1451.tar.gz"); h != "web-01.example" {
		t.Errorf("host %q", h)
	}
}

func FuzzParseUACLogs(f *testing.F) {
	for _, p := range []string{"testdata/uac.log", "testdata/uac-acquisition.log"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		parseUACLogBytes(b)
		parseAcquisitionLog(b)
		r := &run{loc: time.UTC}
		parseCatScaleW(r, &memberCtx{mtime: time.Unix(1e9, 0)}, b)
		parseCatScaleErrors(r, &memberCtx{}, b)
	})
}
