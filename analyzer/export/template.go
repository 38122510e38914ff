package export

// template.go holds the index templates put before the first document, so
// that the engine maps Cordon's fields for what they are rather than by
// guessing from the first value it sees: times with nanoseconds, addresses
// as addresses, identifiers (PIDs, ports, inodes) as exact terms, the
// message as text. Everything else that is a string is an exact term.
// Format: Elasticsearch reference "Create or update index template API"
// (composable templates, Elasticsearch 7.8+, OpenSearch 1.0+).
//
// The evidence is hostile: a malformed address or a time before 1970 in a
// date_nanos field would make the engine reject the whole document, so
// those fields ignore malformed values (the document is kept, the value is
// left unindexed), and strings longer than an index term may be are kept
// but not indexed (ignore_above).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxKeyword is the longest string indexed as one term: Lucene refuses
// terms over 32,766 bytes, and a UTF-8 character takes up to 4.
const maxKeyword = 8191

func keyword() map[string]any { return map[string]any{"type": "keyword", "ignore_above": maxKeyword} }
func text() map[string]any    { return map[string]any{"type": "text"} }
func long() map[string]any    { return map[string]any{"type": "long"} }
func nanos() map[string]any   { return map[string]any{"type": "date_nanos", "ignore_malformed": true} }
func ip() map[string]any      { return map[string]any{"type": "ip", "ignore_malformed": true} }
func object(props map[string]any) map[string]any {
	return map[string]any{"properties": props}
}

// textAndKeyword is a string searched by words and matched whole.
func textAndKeyword() map[string]any {
	return map[string]any{"type": "keyword", "ignore_above": maxKeyword, "fields": map[string]any{"text": text()}}
}

func endpoint() map[string]any {
	return object(map[string]any{"ip": ip(), "port": keyword(), "address": keyword(), "bytes": long(), "packets": long()})
}

func hash() map[string]any { return object(map[string]any{"sha256": keyword(), "md5": keyword()}) }

// timesketchProperties are the attributes Timesketch reads, mapped as its
// own indices map them.
func timesketchProperties(p map[string]any) map[string]any {
	p["message"] = text()
	p["datetime"] = map[string]any{"type": "date", "ignore_malformed": true}
	p["timestamp"] = long()
	p["timestamp_desc"] = keyword()
	p["data_type"] = keyword()
	return p
}

// stringsAsKeywords maps every string field the properties do not name
// as an exact term.
var stringsAsKeywords = []any{map[string]any{"strings": map[string]any{"match_mapping_type": "string", "mapping": keyword()}}}

// eventsMapping maps timeline.Event's JSON (and eventDoc's additions).
func eventsMapping() map[string]any {
	user := object(map[string]any{"name": keyword(), "id": keyword()})
	return map[string]any{
		"dynamic_templates": stringsAsKeywords,
		"properties": timesketchProperties(map[string]any{
			"@timestamp": nanos(),
			"event": object(map[string]any{
				"kind": keyword(), "category": keyword(), "type": keyword(), "action": keyword(), "outcome": keyword(),
				"dataset": keyword(), "original": map[string]any{"type": "keyword", "index": false, "doc_values": false},
			}),
			"host": object(map[string]any{"name": keyword()}),
			"process": object(map[string]any{
				"pid": keyword(), "name": keyword(), "executable": keyword(), "command_line": textAndKeyword(), "args": keyword(),
				"start": nanos(), "working_directory": keyword(), "hash": hash(), "user": user, "entity_id": keyword(),
				"parent": object(map[string]any{"pid": keyword(), "name": keyword(), "executable": keyword(), "start": nanos(), "entity_id": keyword()}),
			}),
			"user":        user,
			"source":      endpoint(),
			"destination": endpoint(),
			"network": object(map[string]any{"transport": keyword(), "protocol": keyword(), "direction": keyword(),
				"bytes": long(), "packets": long(), "community_id": keyword()}),
			"file": object(map[string]any{"path": keyword(), "name": keyword(), "type": keyword(), "size": long(), "inode": keyword(),
				"mode": keyword(), "uid": keyword(), "gid": keyword(), "owner": keyword(), "mtime": nanos(), "accessed": nanos(),
				"ctime": nanos(), "created": nanos(), "hash": hash(), "target_path": keyword()}),
			"dns": object(map[string]any{"type": keyword(), "question_name": keyword(), "question_type": keyword(), "answers": keyword()}),
			"url": object(map[string]any{"original": keyword(), "domain": keyword()}),
			"cordon": object(map[string]any{
				"time_meaning": keyword(), "time_derivation": keyword(), "unverified": map[string]any{"type": "boolean"},
				"provenance": object(map[string]any{"bundle": keyword(), "entry": keyword(), "line": long(), "offset": long(), "entry_sha256": keyword()}),
			}),
		}),
	}
}

// findingsMapping maps findingDoc's JSON.
func findingsMapping() map[string]any {
	evidence := object(map[string]any{"time": nanos(), "message": text(),
		"provenance": object(map[string]any{"bundle": keyword(), "entry": keyword(), "line": long(), "offset": long(), "entry_sha256": keyword()})})
	return map[string]any{
		"dynamic_templates": stringsAsKeywords,
		"properties": timesketchProperties(map[string]any{
			"@timestamp": nanos(),
			"event":      object(map[string]any{"kind": keyword(), "dataset": keyword(), "severity": long()}),
			"rule":       object(map[string]any{"id": keyword(), "name": textAndKeyword(), "description": text()}),
			"threat": object(map[string]any{"framework": keyword(),
				"technique": object(map[string]any{"id": keyword(), "name": keyword()})}),
			"cordon": object(map[string]any{"severity": keyword(), "instances": text(), "evidence_count": long(),
				"evidence_truncated": map[string]any{"type": "boolean"}, "evidence": evidence, "bundles": keyword()}),
		}),
	}
}

// templateBody is an index template applying mapping to exactly index.
func templateBody(index string, mapping map[string]any) ([]byte, error) {
	return json.Marshal(map[string]any{
		"index_patterns": []string{index},
		// Above the priority of Elasticsearch's built-in templates (100), in
		// case the index name falls under one of their patterns.
		"priority": 200,
		"template": map[string]any{"mappings": mapping},
		"_meta":    map[string]any{"created_by": "cordon export"},
	})
}

// putTemplate puts the template named name.
func putTemplate(ctx context.Context, client *http.Client, url string, header http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("putting the index template: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("putting the index template: status %d: %s (--no-template leaves the mapping to the engine)", resp.StatusCode, excerpt(data))
	}
	return nil
}
