package sigma

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// MAPPING.md names every field fields.go maps, and no other.
func TestMappingDocumented(t *testing.T) {
	doc, err := os.ReadFile("MAPPING.md")
	if err != nil {
		t.Fatal(err)
	}
	fields := string(doc)[strings.Index(string(doc), "## Fields"):]
	fields = fields[:strings.Index(fields, "### Keywords")]
	row := regexp.MustCompile("(?m)^\\| `([A-Za-z0-9_]+)`")
	documented := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(fields, -1) {
		documented[m[1]] = true
	}
	for _, f := range fieldDefs {
		if !documented[f.name] {
			t.Errorf("field %s is mapped but not in MAPPING.md", f.name)
		}
		delete(documented, f.name)
	}
	delete(documented, "a0") // the aN row (auditArg)
	for name := range documented {
		t.Errorf("MAPPING.md documents %s, which fields.go does not map", name)
	}
	if _, ok := lookupField("a17"); !ok {
		t.Error("a17: want an auditd argument field")
	}
}
