package config

import (
	"strings"
	"testing"
)

func TestParsePasswd(t *testing.T) {
	in := "root:x:0:0:root:/root:/bin/bash\n" +
		"# comment\n" +
		"toor:x:0:0::/root:/bin/sh\n" +
		"deploy:x:1000:1000:Deploy,,,:/home/deploy:/bin/bash\n" +
		"+@netgroup::::::\n" +
		"broken:x:notanumber:1::/:/bin/false\n" +
		"short:x:5\n"
	accts, ws := ParsePasswd(strings.NewReader(in))
	if len(accts) != 3 || len(ws) != 3 {
		t.Fatalf("%d accounts %+v, warnings %+v", len(accts), accts, ws)
	}
	names := UserNames(accts)
	if names[0] != "root" || names[1000] != "deploy" || len(names) != 2 {
		t.Errorf("names %v: the first line of a UID wins", names)
	}
	if ws[0].Line != 5 {
		t.Errorf("warning at line %d, want 5", ws[0].Line)
	}
}
