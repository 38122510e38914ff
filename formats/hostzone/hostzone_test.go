package hostzone

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cordon-forensics/cordon/internal/testenv"
)

func TestResolve(t *testing.T) {
	paris, err := os.ReadFile("/usr/share/zoneinfo/Europe/Paris")
	if err != nil {
		if testenv.InCI() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	for _, c := range []struct {
		name   string
		f      Files
		zone   string
		how    string
		warned string
	}{
		{"/etc/localtime a zoneinfo file", Files{Localtime: paris, Timezone: []byte("Europe/Paris\n")}, "Europe/Paris", "its zoneinfo file", ""},
		{"/etc/localtime a link, its target in the bundle", Files{LocaltimeLink: "/usr/share/zoneinfo/Europe/Paris", Zoneinfo: map[string][]byte{"/usr/share/zoneinfo/Europe/Paris": paris}}, "Europe/Paris", "the host's own zoneinfo file", ""},
		{"a relative link", Files{LocaltimeLink: "../usr/share/zoneinfo/Europe/Paris", Zoneinfo: map[string][]byte{"/usr/share/zoneinfo/Europe/Paris": paris}}, "Europe/Paris", "link to /usr/share/zoneinfo/Europe/Paris", ""},
		{"a link whose target is not in the bundle", Files{LocaltimeLink: "/usr/share/zoneinfo/Europe/Paris"}, "Europe/Paris", "this machine's tz database", ""},
		{"/etc/timezone alone", Files{Timezone: []byte("Europe/Paris\n")}, "Europe/Paris", "this machine's tz database", ""},
		{"the name the collector recorded", Files{Named: "Europe/Paris"}, "Europe/Paris", "this machine's tz database", ""},
		{"disagreeing files: /etc/localtime wins", Files{LocaltimeLink: "/usr/share/zoneinfo/Europe/Paris", Timezone: []byte("Asia/Tokyo"), Zoneinfo: map[string][]byte{"/usr/share/zoneinfo/Europe/Paris": paris}}, "Europe/Paris", "", "the system uses /etc/localtime"},
		{"/etc/localtime is not a zoneinfo file", Files{Localtime: []byte("#!/bin/sh\n"), Timezone: []byte("Europe/Paris")}, "Europe/Paris", "", "is not a zoneinfo file"},
		{"nothing", Files{}, "", "unknown", ""},
		{"a name no tz database knows", Files{Timezone: []byte("Mars/Olympus_Mons")}, "", "unknown", "not a zone this machine knows"},
	} {
		z := Resolve(c.f)
		got := ""
		if z.Location != nil {
			got = z.Name
		}
		warned := strings.Join(z.Warnings, "; ")
		if got != c.zone || !strings.Contains(z.How, c.how) || (c.warned != "" && !strings.Contains(warned, c.warned)) {
			t.Errorf("%s: zone %q how %q warnings %q", c.name, got, z.How, warned)
		}
		if z.Location != nil {
			// the rules: Paris is +1 in January, +2 in July
			_, jan := time.Date(2026, 1, 15, 12, 0, 0, 0, z.Location).Zone()
			_, jul := time.Date(2026, 7, 15, 12, 0, 0, 0, z.Location).Zone()
			if jan != 3600 || jul != 7200 {
				t.Errorf("%s: offsets %d %d", c.name, jan, jul)
			}
		}
	}
}
