package collector

import (
	"reflect"
	"testing"
)

func TestParseMappedFiles(t *testing.T) {
	maps := "55d0c0a00000-55d0c0a01000 r--p 00000000 fd:01 1311 /tmp/w/prog (deleted)\n" +
		"55d0c0a01000-55d0c0a02000 r-xp 00001000 fd:01 1311 /tmp/w/prog (deleted)\n" +
		"7f1a00000000-7f1a00001000 r--p 00000000 fd:01 2222 /tmp/w/libbeacon.so (deleted)\n" +
		"7f1a00001000-7f1a00002000 r-xp 00001000 fd:01 2222 /tmp/w/libbeacon.so (deleted)\n" +
		"7f1a10000000-7f1a10100000 r--p 00000000 fd:01 3333 /usr/lib/locale/locale-archive\n" +
		"7f1a20000000-7f1a20001000 rw-p 00000000 00:00 0 \n" +
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n" +
		"7f1a30000000-7f1a30001000 r-xp 00000000 fd:01 4444 /opt/app/lib with space.so\n" +
		"garbage line\n"
	got := parseMappedFiles([]byte(maps))
	want := []mappedFile{
		{path: "/tmp/w/prog (deleted)", dev: "fd:01", inode: 1311, first: [2]uint64{0x55d0c0a00000, 0x55d0c0a01000}, exec: true,
			mappings: []string{"55d0c0a00000-55d0c0a01000 r--p 00000000", "55d0c0a01000-55d0c0a02000 r-xp 00001000"}},
		{path: "/tmp/w/libbeacon.so (deleted)", dev: "fd:01", inode: 2222, first: [2]uint64{0x7f1a00000000, 0x7f1a00001000}, exec: true,
			mappings: []string{"7f1a00000000-7f1a00001000 r--p 00000000", "7f1a00001000-7f1a00002000 r-xp 00001000"}},
		{path: "/usr/lib/locale/locale-archive", dev: "fd:01", inode: 3333, first: [2]uint64{0x7f1a10000000, 0x7f1a10100000},
			mappings: []string{"7f1a10000000-7f1a10100000 r--p 00000000"}},
		{path: "/opt/app/lib with space.so", dev: "fd:01", inode: 4444, first: [2]uint64{0x7f1a30000000, 0x7f1a30001000}, exec: true,
			mappings: []string{"7f1a30000000-7f1a30001000 r-xp 00000000"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestPreloadNames(t *testing.T) {
	cases := []struct {
		file   string
		mapped string
		want   bool
	}{
		{"/usr/local/lib/libhide.so\n", "/usr/local/lib/libhide.so", true},
		{"# comment /lib/x.so\n/lib/a.so:/lib/b.so  /lib/c.so\n", "/lib/b.so", true},
		{"# comment /lib/x.so\n", "/lib/x.so", false},
		{"libhide.so", "/tmp/libhide.so", true},
		{"/opt/libhide.so", "/tmp/libhide.so", false},
	}
	for _, c := range cases {
		if got := preloaded(c.mapped, parsePreload([]byte(c.file))); got != c.want {
			t.Errorf("%q in %q: %v, want %v", c.mapped, c.file, got, c.want)
		}
	}
	env := []byte("HOME=/root\x00LD_PRELOAD=/tmp/evil.so libx.so\x00SECRET=1\x00")
	if v := environValue(env, "LD_PRELOAD"); v != "/tmp/evil.so libx.so" {
		t.Errorf("LD_PRELOAD %q", v)
	}
	if v := environValue(env, "PRELOAD"); v != "" {
		t.Errorf("PRELOAD %q", v)
	}
	if d, ok := mapsDev("fd:01"); !ok || d != 0xfd<<8|1 {
		t.Errorf("mapsDev %x %v", d, ok)
	}
}
