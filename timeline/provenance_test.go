package timeline

import "testing"

func TestProvenanceWhere(t *testing.T) {
	for _, c := range []struct {
		p    Provenance
		want string
	}{
		{Provenance{Bundle: "EV-1", Entry: "logs/var/log/auth.log", Line: 42, Offset: 4096}, "logs/var/log/auth.log:42"},
		{Provenance{Bundle: "EV-1", Entry: "pcap/capture.pcapng", Offset: 1234}, "pcap/capture.pcapng@1234"},
		{Provenance{Entry: "manifest.json"}, "manifest.json@0"},
	} {
		if got := c.p.Where(); got != c.want {
			t.Errorf("%+v.Where() = %q, want %q", c.p, got, c.want)
		}
	}
}

func TestProvenanceCompareIsTotal(t *testing.T) {
	ps := []Provenance{
		{Bundle: "a", Entry: "x", Line: 1},
		{Bundle: "a", Entry: "x", Line: 1, SHA256: "00"},
		{Bundle: "a", Entry: "x", Line: 2},
		{Bundle: "a", Entry: "x", Line: 2, Offset: 9},
		{Bundle: "a", Entry: "y"},
		{Bundle: "b"},
	}
	for i := range ps {
		for j := range ps {
			got, want := ps[i].Compare(ps[j]), 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("Compare(%+v, %+v) = %d, want %d", ps[i], ps[j], got, want)
			}
		}
	}
}
