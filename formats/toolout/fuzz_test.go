package toolout

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seeds adds every real output in testdata whose name contains one of the
// parts as a seed (the checked-in corpus), and fails if there is none.
func seeds(f *testing.F, parts ...string) {
	f.Helper()
	names, _ := filepath.Glob("testdata/*")
	n := 0
	for _, name := range names {
		for _, p := range parts {
			if strings.Contains(filepath.Base(name), p) {
				b, err := os.ReadFile(name)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
				n++
				break
			}
		}
	}
	if n == 0 {
		f.Fatalf("no seed for %v in testdata", parts)
	}
}

func FuzzParsePS(f *testing.F) {
	seeds(f, "-ps")
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, _, _ := ParsePS(bytes.NewReader(b), time.UTC)
		for _, r := range tab.Rows {
			if r.PID < 0 {
				t.Fatalf("row without a PID: %+v", r)
			}
		}
		for _, r := range tab.Rows {
			StartFromSTIME(r.StartField, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		}
	})
}

func FuzzParseSS(f *testing.F) {
	seeds(f, "ss_")
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, _, _ := ParseSS(bytes.NewReader(b), "tcp")
		for _, r := range rows {
			PortNumber(r.LocalPort)
			for _, u := range r.Users {
				if u.PID < 0 {
					t.Fatalf("user without a PID: %+v", r)
				}
			}
		}
	})
}

func FuzzParseNetstat(f *testing.F) {
	seeds(f, "netstat")
	f.Fuzz(func(t *testing.T, b []byte) { ParseNetstat(bytes.NewReader(b)) })
}

func FuzzParseLsof(f *testing.F) {
	seeds(f, "lsof")
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, _, _ := ParseLsof(bytes.NewReader(b))
		for _, r := range rows {
			if r.PID < 0 {
				t.Fatalf("row without a PID: %+v", r)
			}
		}
	})
}

func FuzzParseLs(f *testing.F) {
	seeds(f, "full_paths", "fd.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		es, _, _ := ParseLs(bytes.NewReader(b))
		for _, e := range es {
			if e.Name == "" {
				t.Fatalf("entry without a name: %+v", e)
			}
			_ = e.Path()
		}
	})
}

func FuzzParseProcFiles(f *testing.F) {
	seeds(f, "stat")
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseProcStat(b)
		ParseProcStatus(bytes.NewReader(b))
	})
}

func FuzzParseHashList(f *testing.F) {
	seeds(f, "hash_")
	f.Fuzz(func(t *testing.T, b []byte) {
		hs, _, _ := ParseHashList(bytes.NewReader(b))
		for _, h := range hs {
			if h.Algorithm == "" || !isHex(h.Hash) {
				t.Fatalf("%+v", h)
			}
		}
	})
}

func FuzzParseHeadSections(f *testing.F) {
	seeds(f, "cmdline")
	f.Fuzz(func(t *testing.T, b []byte) { ParseHeadSections(bytes.NewReader(b)) })
}

func FuzzReadStatTimeline(f *testing.F) {
	seeds(f, "timeline")
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ReadStatTimeline(bytes.NewReader(b), func(s StatLine) {
			if s.Record.Type == "" {
				t.Fatalf("%+v", s)
			}
		}, func(Warning) {})
	})
}
