package export

// response.go reads the reply to a bulk request: a pure parser of bytes,
// fed by the sender, fuzzed.
// Format: Elasticsearch reference, "Bulk API", response body: {"took": ms,
// "errors": bool, "items": [{"<action>": {"_index", "_id", "status",
// "result", "error": {"type", "reason", "caused_by"}}}, …]}, one item per
// action, in the order of the request.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// maxReason bounds the reason kept for one rejected document (an engine may
// quote the whole document in it).
const maxReason = 512

// bulkReply is a parsed bulk reply.
type bulkReply struct {
	Errors bool
	Items  []bulkItem
}

// bulkItem is the outcome of one action.
type bulkItem struct {
	Status int
	ID     string
	Reason string // "type: reason (caused by …)", bounded; "" when the item succeeded
}

// errNotBulkReply marks a reply that is not a bulk reply at all (a proxy's
// HTML page, an engine that ignored the request).
var errNotBulkReply = errors.New("not a bulk API reply")

// parseBulkReply parses a bulk reply. A reply without the "errors" flag or
// the "items" list is errNotBulkReply: whatever answered did not say what it
// stored.
func parseBulkReply(data []byte) (bulkReply, error) {
	var raw struct {
		Errors *bool                         `json:"errors"`
		Items  *[]map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return bulkReply{}, fmt.Errorf("%w: %v", errNotBulkReply, err)
	}
	if raw.Errors == nil || raw.Items == nil {
		return bulkReply{}, fmt.Errorf("%w: no \"errors\" flag or no \"items\" list", errNotBulkReply)
	}
	r := bulkReply{Errors: *raw.Errors, Items: make([]bulkItem, 0, len(*raw.Items))}
	for i, it := range *raw.Items {
		if len(it) != 1 {
			return bulkReply{}, fmt.Errorf("%w: item %d has %d actions", errNotBulkReply, i, len(it))
		}
		for _, body := range it {
			var v struct {
				Status int             `json:"status"`
				ID     string          `json:"_id"`
				Error  json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(body, &v); err != nil {
				return bulkReply{}, fmt.Errorf("%w: item %d: %v", errNotBulkReply, i, err)
			}
			if v.Status < 100 || v.Status > 599 {
				return bulkReply{}, fmt.Errorf("%w: item %d: status %d", errNotBulkReply, i, v.Status)
			}
			item := bulkItem{Status: v.Status, ID: v.ID}
			if v.Status >= 300 {
				item.Reason = errorReason(v.Error)
			}
			r.Items = append(r.Items, item)
		}
	}
	return r, nil
}

// errorReason turns an item's "error" (an object with type, reason and
// caused_by, or a bare string in some engines) into one bounded line.
func errorReason(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		return "(the engine gave no reason)"
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return bound(s)
	}
	type cause struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	var e struct {
		cause
		CausedBy *cause `json:"caused_by"`
	}
	if json.Unmarshal(raw, &e) != nil || (e.Type == "" && e.Reason == "") {
		return bound(string(raw))
	}
	out := e.Type + ": " + e.Reason
	if e.CausedBy != nil && (e.CausedBy.Type != "" || e.CausedBy.Reason != "") {
		out += " (caused by " + e.CausedBy.Type + ": " + e.CausedBy.Reason + ")"
	}
	return bound(out)
}

// bound cuts s to maxReason bytes on a rune boundary and makes it one line.
func bound(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxReason {
		return s
	}
	cut := maxReason
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
