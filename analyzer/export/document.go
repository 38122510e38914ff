package export

// document.go turns one event into one bulk document: its action line and
// its source, and derives the document's _id.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/timeline"
)

// eventDoc is what the engine stores for one event: the event's ECS fields
// as the case keeps them, and Timesketch's attributes beside them. The
// outer Message shadows the event's own (encoding/json takes the shallower
// field), so that the message is never empty.
type eventDoc struct {
	*timeline.Event
	Labels        map[string]string `json:"labels,omitempty"`
	Message       string            `json:"message"`
	Datetime      string            `json:"datetime"`
	TimestampDesc string            `json:"timestamp_desc"`
	Timestamp     int64             `json:"timestamp"`
	DataType      string            `json:"data_type"`
}

func newEventDoc(ev *timeline.Event) eventDoc {
	ts := timeline.Timesketch(ev)
	return eventDoc{Event: ev, Labels: flatLabels(ev.Labels), Message: ts.Message, Datetime: ts.Datetime, TimestampDesc: ts.TimestampDesc,
		Timestamp: ts.Timestamp, DataType: ts.DataType}
}

// flatLabels returns labels with the dots of their keys turned into
// underscores. Elasticsearch and OpenSearch read a dotted key as an object
// path, and Cordon's parsers use both "error" and "error.exe" as keys:
// the index would map labels.error as a string for one document and as an
// object for the other, and reject whichever came second. ECS wants label
// keys without dots anyway. Keys that would collide keep a trailing "_"
// each, given out in key order, so the result does not depend on map order.
func flatLabels(labels map[string]string) map[string]string {
	dotted := false
	for k := range labels {
		dotted = dotted || strings.Contains(k, ".")
	}
	if !dotted {
		return labels
	}
	keys := make([]string, 0, len(labels))
	out := make(map[string]string, len(labels))
	for k, v := range labels {
		if strings.Contains(k, ".") {
			keys = append(keys, k)
		} else {
			out[k] = v
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		nk := strings.ReplaceAll(k, ".", "_")
		for {
			if _, taken := out[nk]; !taken {
				break
			}
			nk += "_"
		}
		out[nk] = labels[k]
	}
	return out
}

// idHasher derives deterministic document ids. Two events of one case can
// share their provenance (a file timeline record gives four times; two
// parsers read the same entry) and even everything else: the ordinal among
// identical keys, counted within one instant, tells them apart. Events of
// one instant are contiguous in a time-ordered stream, so only the keys of
// the current instant are kept.
type idHasher struct {
	at   int64
	seen map[[sha256.Size]byte]uint32
	buf  []byte
}

func newIDHasher() *idHasher { return &idHasher{seen: map[[sha256.Size]byte]uint32{}} }

// id returns the _id of ev: 40 hex digits of a SHA-256 over the bundle,
// the entry and its hash, the line and offset, the time and what it means,
// the dataset and action, and the ordinal of this key within its instant.
func (h *idHasher) id(ev *timeline.Event) string {
	t := ev.Timestamp.UnixNano()
	if t != h.at || len(h.seen) == 0 {
		h.at = t
		clear(h.seen)
	}
	pv := ev.Cordon.Provenance
	b := h.buf[:0]
	for _, s := range []string{"cordon-event-v1", pv.Bundle, pv.Entry, pv.SHA256, string(ev.Cordon.TimeMeaning), ev.Event.Dataset, ev.Event.Action} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(pv.Line))
	b = binary.BigEndian.AppendUint64(b, uint64(pv.Offset))
	b = binary.BigEndian.AppendUint64(b, uint64(t))
	key := sha256.Sum256(b)
	n := h.seen[key]
	h.seen[key] = n + 1
	b = append(b[:0], key[:]...)
	b = binary.BigEndian.AppendUint32(b, n)
	h.buf = b
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:20])
}

// appendAction appends the bulk action line of a document: a "create", so
// that a document already in the index is a conflict, never overwritten.
func appendAction(dst []byte, index, id string) []byte {
	dst = append(dst, `{"create":{"_index":`...)
	dst = strconv.AppendQuote(dst, index)
	dst = append(dst, `,"_id":`...)
	dst = strconv.AppendQuote(dst, id)
	return append(dst, "}}\n"...)
}

// appendJSONLine appends v as one line of JSON (HTML characters left as
// they are: the engine stores what the case holds).
func appendJSONLine(dst []byte, v any) ([]byte, error) {
	w := bytes.NewBuffer(dst)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode ends the line with '\n'
		return dst, err
	}
	return w.Bytes(), nil
}

// appendEventDoc appends the action and source lines of ev.
func appendEventDoc(dst []byte, index, id string, ev *timeline.Event) ([]byte, error) {
	n := len(dst)
	dst = appendAction(dst, index, id)
	dst, err := appendJSONLine(dst, newEventDoc(ev))
	if err != nil {
		return dst[:n], fmt.Errorf("encoding the event at %s: %w", where(ev.Cordon.Provenance), err)
	}
	return dst, nil
}

// where names the evidence an event was read from, for error messages.
func where(pv timeline.Provenance) string { return pv.Bundle + " " + pv.Where() }
