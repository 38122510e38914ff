package samples

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSameBundleSameBytes runs cordon findings --format json and cordon report
// (JSON, Markdown, HTML) twice on the checked-in bundle, each run
// analyzing it afresh into its own temporary case: the outputs must be
// byte-identical. The report is dated by its evidence unless asked
// otherwise; SOURCE_DATE_EPOCH states a generation time and keeps the
// bytes the same too.
func TestSameBundleSameBytes(t *testing.T) {
	cordon := buildCordon(t)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOURCE_DATE_EPOCH=") {
			env = append(env, kv)
		}
	}
	run := func(extraEnv []string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(cordon, args...)
		cmd.Env = append(append([]string{}, env...), extraEnv...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("cordon %v: %v\n%s", args, err, errb.String())
		}
		return out.Bytes()
	}
	outputs := func(dir string, extraEnv ...string) map[string][]byte {
		got := map[string][]byte{"findings --format json": run(extraEnv, "findings", "--format", "json", "incident.cordon")}
		for _, ext := range []string{"json", "md", "html"} {
			p := filepath.Join(dir, "r."+ext)
			run(extraEnv, "report", "incident.cordon", "-o", p)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			got["report -o r."+ext] = b
		}
		return got
	}
	for _, c := range []struct {
		name string
		env  []string
	}{{"dated by the evidence", nil}, {"SOURCE_DATE_EPOCH", []string{"SOURCE_DATE_EPOCH=1795000000"}}} {
		a, b := outputs(t.TempDir(), c.env...), outputs(t.TempDir(), c.env...)
		for name := range a {
			if len(a[name]) < 1000 {
				t.Errorf("%s: %s is %d bytes", c.name, name, len(a[name]))
			}
			if !bytes.Equal(a[name], b[name]) {
				t.Errorf("%s: two runs of cordon %s differ", c.name, name)
			}
		}
		stated := bytes.Contains(a["report -o r.json"], []byte(`"generated"`))
		if stated != (c.env != nil) {
			t.Errorf("%s: the report JSON states a generation time: %v", c.name, stated)
		}
	}
}
