package pglog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

// TestAbbreviationsUnambiguous: every abbreviation of the table means its
// offset in every zone of the tz database that uses it, on the first of
// each month from 2000 to 2030 (the machine's /usr/share/zoneinfo).
func TestAbbreviationsUnambiguous(t *testing.T) {
	root := "/usr/share/zoneinfo"
	if _, err := os.Stat(filepath.Join(root, "Europe", "Paris")); err != nil {
		if testenv.InCI() {
			t.Fatalf("no tz database at %s: %v", root, err)
		}
		t.Skipf("no tz database at %s", root)
	}
	var names []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(rel, "posix") || strings.HasPrefix(rel, "right") || !strings.ContainsRune(rel, '/') && rel != "UTC" {
			return nil
		}
		names = append(names, rel)
		return nil
	})
	if len(names) < 300 {
		t.Fatalf("only %d zones under %s", len(names), root)
	}
	seen := map[string]bool{}
	table := map[string]int{}
	for k, v := range abbreviations {
		table[k] = v
	}
	for _, n := range names {
		loc, err := time.LoadLocation(n)
		if err != nil {
			continue
		}
		for y := 2000; y <= 2030; y++ {
			for m := time.January; m <= time.December; m++ {
				name, off := time.Date(y, m, 1, 12, 0, 0, 0, loc).Zone()
				if want, ok := table[name]; ok {
					seen[name] = true
					if off != want {
						t.Errorf("%s is UTC%s in %s on %d-%02d, the table says UTC%s", name, offsetString(off), n, y, m, offsetString(want))
						delete(table, name) // once
					}
				}
			}
		}
	}
	for a := range abbreviations {
		if !seen[a] {
			t.Errorf("%s: no zone of the tz database uses it", a)
		}
	}
}
