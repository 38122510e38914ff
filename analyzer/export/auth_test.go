package export

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pw := write("pw", "s3cret\n")
	key := write("key", "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==\n")
	twoLines := write("two", "a\nb\n")
	empty := write("empty", "\n")
	for _, tc := range []struct {
		name                   string
		user, pwFile, keyFile  string
		env                    map[string]string
		wantHeader, wantErrSub string
	}{
		{name: "none"},
		{name: "basic from file", user: "elastic", pwFile: pw, wantHeader: "Basic ZWxhc3RpYzpzM2NyZXQ="},
		{name: "basic from environment", env: map[string]string{EnvUser: "elastic", EnvPassword: "s3cret"}, wantHeader: "Basic ZWxhc3RpYzpzM2NyZXQ="},
		{name: "the file wins over the environment", user: "elastic", pwFile: pw, env: map[string]string{EnvPassword: "other"}, wantHeader: "Basic ZWxhc3RpYzpzM2NyZXQ="},
		{name: "API key from file", keyFile: key, wantHeader: "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="},
		{name: "API key from environment", env: map[string]string{EnvAPIKey: "abc"}, wantHeader: "ApiKey abc"},
		{name: "both", user: "elastic", pwFile: pw, keyFile: key, wantErrSub: "choose one"},
		{name: "user without password", user: "elastic", wantErrSub: "has no password"},
		{name: "password without user", pwFile: pw, wantErrSub: "without a user"},
		{name: "missing file", user: "elastic", pwFile: filepath.Join(dir, "nope"), wantErrSub: "no such file"},
		{name: "two lines", user: "elastic", pwFile: twoLines, wantErrSub: "more than one line"},
		{name: "empty file", keyFile: empty, wantErrSub: "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadCredentials(tc.user, tc.pwFile, tc.keyFile, func(k string) string { return tc.env[k] })
			if tc.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) {
					t.Fatalf("error %v, want %q", err, tc.wantErrSub)
				}
				return
			}
			if err != nil || c.header() != tc.wantHeader {
				t.Fatalf("header %q (%v), want %q", c.header(), err, tc.wantHeader)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct{ url, wantErrSub string }{
		{"http://127.0.0.1:9200", ""},
		{"https://search.example:9200/prefix/", ""},
		{"http://127.0.0.1:9428/insert/elasticsearch?_stream_fields=host.name", ""},
		{"https://elastic:changeme@search.example:9200", "holds credentials"},
		{"ftp://search.example", "want http:// or https://"},
		{"search.example:9200", "want http:// or https://"},
		{"http://", "no host"},
		{"http://h/#x", "fragment"},
	} {
		_, err := CheckURL(tc.url)
		if (tc.wantErrSub == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErrSub) {
			t.Errorf("CheckURL(%q): %v, want %q", tc.url, err, tc.wantErrSub)
		}
		if err != nil && strings.Contains(err.Error(), "changeme") {
			t.Errorf("CheckURL(%q) repeats the password: %v", tc.url, err)
		}
	}
}

// TestTLSAuthAndTemplates exports over TLS to an engine whose certificate
// only the given CA vouches for, with basic auth, and checks the index
// templates it received.
func TestTLSAuthAndTemplates(t *testing.T) {
	f := newFakeEngine()
	srv := httptest.NewTLSServer(f)
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}

	// Without the CA: refused before anything is sent.
	plain, err := NewHTTPClient("", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Export(context.Background(), Options{URL: srv.URL, Client: plain, Retry: fastRetry()}, synthEvents(5), nil); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Fatalf("export to an unknown CA: %v", err)
	}

	client, err := NewHTTPClient(ca, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	creds := Credentials{User: "cordon", Password: "pw"}
	fig, err := Export(context.Background(), Options{URL: srv.URL, Client: client, Credentials: creds, Retry: fastRetry()}, synthEvents(5), nil)
	if err != nil || fig.Events.Created != 5 || !fig.Template {
		t.Fatalf("export: %v %+v", err, fig)
	}
	for _, a := range f.auth {
		if a != creds.header() {
			t.Fatalf("Authorization %q", a)
		}
	}
	var tpl struct {
		Patterns []string `json:"index_patterns"`
		Template struct {
			Mappings struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal([]byte(f.templates[DefaultEventsIndex]), &tpl); err != nil {
		t.Fatalf("events template %q: %v", f.templates[DefaultEventsIndex], err)
	}
	if len(tpl.Patterns) != 1 || tpl.Patterns[0] != DefaultEventsIndex {
		t.Errorf("patterns %v", tpl.Patterns)
	}
	props := tpl.Template.Mappings.Properties
	for field, want := range map[string]string{
		"@timestamp": `"type":"date_nanos"`,
		"message":    `"type":"text"`,
		"source":     `"ip":{"ignore_malformed":true,"type":"ip"}`,
		"process":    `"pid":{"ignore_above":8191,"type":"keyword"}`,
		"datetime":   `"type":"date"`,
	} {
		if !strings.Contains(string(props[field]), want) {
			t.Errorf("mapping of %s: %s, want %s", field, props[field], want)
		}
	}
	if !strings.Contains(string(props["destination"]), `"port":{"ignore_above":8191,"type":"keyword"}`) {
		t.Errorf("destination: %s", props["destination"])
	}
	if _, ok := f.templates[DefaultFindingsIndex]; !ok {
		t.Error("no findings template")
	}

	f2 := newFakeEngine()
	if _, err := Export(context.Background(), Options{URL: serve(t, f2), NoTemplate: true}, synthEvents(1), nil); err != nil || len(f2.templates) != 0 {
		t.Errorf("--no-template: %v, %d templates", err, len(f2.templates))
	}
}
