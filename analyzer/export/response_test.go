package export

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseBulkReply(t *testing.T) {
	for _, tc := range []struct {
		name       string
		reply      string
		wantErrors bool
		want       []bulkItem
		wantErr    string
	}{
		{name: "VictoriaLogs v1.52.2 (as it answered in the engine test)",
			reply: `{"took":68,"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}}]}`,
			want:  []bulkItem{{Status: 201}, {Status: 201}}},
		{name: "Elasticsearch, a conflict and a mapping error",
			reply: `{"took":3,"errors":true,"items":[` +
				`{"create":{"_index":"cordon-events","_id":"a","_version":1,"result":"created","status":201}},` +
				`{"create":{"_index":"cordon-events","_id":"b","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[b]: version conflict, document already exists (current version [1])"}}},` +
				`{"create":{"_index":"cordon-events","_id":"c","status":400,"error":{"type":"document_parsing_exception","reason":"[1:42] failed to parse field [source.ip] of type [ip]","caused_by":{"type":"illegal_argument_exception","reason":"'x' is not an IP string literal."}}}}]}`,
			wantErrors: true,
			want: []bulkItem{{Status: 201, ID: "a"},
				{Status: 409, ID: "b", Reason: "version_conflict_engine_exception: [b]: version conflict, document already exists (current version [1])"},
				{Status: 400, ID: "c", Reason: "document_parsing_exception: [1:42] failed to parse field [source.ip] of type [ip] (caused by illegal_argument_exception: 'x' is not an IP string literal.)"}}},
		{name: "an error as a bare string", reply: `{"errors":true,"items":[{"index":{"status":429,"error":"too busy"}}]}`,
			wantErrors: true, want: []bulkItem{{Status: 429, Reason: "too busy"}}},
		{name: "a failed item without a reason", reply: `{"errors":true,"items":[{"create":{"status":500}}]}`,
			wantErrors: true, want: []bulkItem{{Status: 500, Reason: "(the engine gave no reason)"}}},
		{name: "empty items", reply: `{"took":1,"errors":false,"items":[]}`, want: []bulkItem{}},
		{name: "no items list", reply: `{"took":1,"errors":false}`, wantErr: "no \"items\" list"},
		{name: "no errors flag", reply: `{"items":[]}`, wantErr: "no \"errors\" flag"},
		{name: "an HTML page", reply: `<html>login</html>`, wantErr: "not a bulk API reply"},
		{name: "two actions in one item", reply: `{"errors":false,"items":[{"create":{"status":201},"index":{"status":201}}]}`, wantErr: "2 actions"},
		{name: "a status out of range", reply: `{"errors":false,"items":[{"create":{"status":2010}}]}`, wantErr: "status 2010"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseBulkReply([]byte(tc.reply))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Errors != tc.wantErrors || len(r.Items) != len(tc.want) {
				t.Fatalf("reply %+v", r)
			}
			for i := range r.Items {
				if r.Items[i] != tc.want[i] {
					t.Errorf("item %d: %+v, want %+v", i, r.Items[i], tc.want[i])
				}
			}
		})
	}
}

func TestReasonIsBounded(t *testing.T) {
	long := strings.Repeat("é", 2000)
	r, err := parseBulkReply([]byte(`{"errors":true,"items":[{"create":{"status":400,"error":{"type":"x","reason":"` + long + "\n" + `"}}}]}`))
	if err == nil {
		t.Fatal("a raw newline inside a JSON string was accepted")
	}
	r, err = parseBulkReply([]byte(`{"errors":true,"items":[{"create":{"status":400,"error":{"type":"x","reason":"a\nb ` + long + `"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	reason := r.Items[0].Reason
	if len(reason) > maxReason+len("…") || !utf8.ValidString(reason) || strings.Contains(reason, "\n") {
		t.Errorf("reason of %d bytes, valid %v: %q", len(reason), utf8.ValidString(reason), reason[:40])
	}
}

// FuzzParseBulkReply: whatever the engine (or something posing as it)
// answers, the parser returns an error or items with statuses in range and
// bounded one-line reasons.
func FuzzParseBulkReply(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "replies", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed replies in testdata/replies (%v)", err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseBulkReply(data)
		if err != nil {
			return
		}
		for _, it := range r.Items {
			if it.Status < 100 || it.Status > 599 || len(it.Reason) > maxReason+len("…") || strings.ContainsAny(it.Reason, "\r\n") {
				t.Fatalf("item %+v", it)
			}
			if it.Status >= 300 && it.Reason == "" {
				t.Fatalf("failed item without a reason: %+v", it)
			}
		}
	})
}

func TestVictoriaLogsStoredBefore(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		n      int
		ok     bool
	}{
		{400, `remoteAddr: "127.0.0.1:5"; requestURI: /insert/elasticsearch/_bulk; cannot decode log message #199 in /_bulk request: cannot parse timestamp: cannot parse timestamp "0001-01-01T00:00:00Z", stream fields: [host.name]`, 199, true},
		{400, `cannot decode log message #0 in /_bulk request: unexpected command`, 0, true},
		{400, `cannot decode log message #-1 in /_bulk request`, 0, false},
		{400, `cannot decode log message #12x in /_bulk request`, 0, false},
		{400, `cannot decode log message #12 somewhere else`, 0, false},
		{503, `cannot decode log message #3 in /_bulk request`, 0, false},
		{400, `{"error":"mapper_parsing_exception"}`, 0, false},
	} {
		n, ok := victoriaLogsStoredBefore(tc.status, []byte(tc.body))
		if n != tc.n || ok != tc.ok {
			t.Errorf("%d %q: %d %v, want %d %v", tc.status, tc.body, n, ok, tc.n, tc.ok)
		}
	}
}
