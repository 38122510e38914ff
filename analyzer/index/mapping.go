package index

// mapping.go is the Bleve index mapping of timeline events, written out
// field by field (nothing dynamic): keywords for identifiers, addresses,
// names and actions (exact, case-sensitive, no scoring norms); the message
// as text with term vectors (phrase queries need the positions); numbers
// for pids, ports and byte counts; a datetime for @timestamp, the only
// field with doc values (searches sort on it). Nothing is stored in the
// index: the whole event is in events.jsonl.zst, found by the document id.
//
// @timestamp is a keyword, not a Bleve datetime: the time in UTC with nine
// fraction digits, fixed width, so that the order of the strings is the
// order of the times (sorting and ranges work on the terms). A Bleve
// datetime is indexed as 16 prefix-coded terms (precision step 4), of which
// about 8 are unique to each event; on this machine they more than doubled
// the cost of indexing an event. Time ranges are answered instead with three
// coarser keywords per event, its UTC day, hour and minute (cordon.time.*):
// a range is whole days, then whole hours and minutes at its edges, then the
// exact times in the two edge minutes (search.go), a few dozen terms at
// most, in the query string too (@timestamp:>"2026-11-02T10:00:00Z").
//
// Documents are built here straight from the Event (eventMapping.MapDocument)
// rather than by Bleve's reflection walk, with the options of the same
// FieldMapping the query side reads, so the two cannot disagree.

import (
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/cordon-forensics/cordon/timeline"
)

// messageAnalyzer tokenizes messages: Unicode word boundaries, lower case,
// and no stop words (in evidence "not" and "no" carry meaning).
const messageAnalyzer = "cordon_message"

type fieldKind int

const (
	kwField fieldKind = iota
	textField
	numField
	timeField
	// idField is a number indexed as its decimal text: one term, where a
	// Bleve numeric field indexes 16 prefix-coded ones. PIDs, ports and
	// inodes are looked up, not ranged: exact matches (destination.port:3333)
	// work, numeric ranges do not. Sizes and byte counts stay numeric.
	idField
)

// indexedFields lists every field of the index. The names are the ECS
// names of the Event's JSON form.
var indexedFields = []struct {
	path string
	kind fieldKind
}{
	{"@timestamp", timeField},
	{"message", textField},
	{"event.kind", kwField},
	{"event.category", kwField},
	{"event.type", kwField},
	{"event.action", kwField},
	{"event.outcome", kwField},
	{"event.dataset", kwField},
	{"host.name", kwField},
	{"process.pid", idField},
	{"process.name", kwField},
	{"process.executable", kwField},
	{"process.command_line", textField},
	{"process.hash.sha256", kwField},
	{"process.entity_id", kwField},
	{"process.working_directory", kwField},
	{"process.user.name", kwField},
	{"process.parent.pid", idField},
	{"process.parent.name", kwField},
	{"process.parent.executable", kwField},
	{"process.parent.entity_id", kwField},
	{"user.name", kwField},
	{"user.id", kwField},
	{"source.ip", kwField},
	{"source.port", idField},
	{"source.address", kwField},
	{"source.bytes", numField},
	{"destination.ip", kwField},
	{"destination.port", idField},
	{"destination.address", kwField},
	{"destination.bytes", numField},
	{"network.transport", kwField},
	{"network.protocol", kwField},
	{"network.direction", kwField},
	{"network.bytes", numField},
	{"network.community_id", kwField},
	{"file.path", kwField},
	{"file.name", kwField},
	{"file.type", kwField},
	{"file.size", numField},
	{"file.inode", idField},
	{"file.mode", kwField},
	{"file.owner", kwField},
	{"file.hash.sha256", kwField},
	{"file.target_path", kwField},
	{"dns.question_name", kwField},
	{"dns.answers", kwField},
	{"url.original", kwField},
	{"url.domain", kwField},
	{"http.request_method", kwField},
	{"tls.server_name", kwField},
	{"container.id", kwField},
	{"container.name", kwField},
	{"container.image", kwField},
	{"cordon.time.day", kwField},
	{"cordon.time.hour", kwField},
	{"cordon.time.minute", kwField},
	{"cordon.time_meaning", kwField},
	{"cordon.unverified", kwField}, // "true" when it is; a keyword, as the query string reads booleans as words
	{"cordon.imported", kwField},   // "true" for events of a bundle cordon import made
	{"cordon.provenance.entry", kwField},
}

// Bounds on labels (parser-specific extras, indexed as labels.KEY keywords):
// keys are parser constants, but a bound keeps the index's field count finite.
const (
	maxIndexedLabels  = 16
	maxLabelKeyLength = 40
	// maxKeywordBytes bounds a keyword term (Bleve refuses terms over 64 KiB;
	// a longer value is found by its stored event, not by exact match).
	maxKeywordBytes = 4096
	// maxTextBytes bounds the text analyzed for one field.
	maxTextBytes = 64 << 10
)

// eventMapping is the index mapping; its MapDocument builds documents from
// *timeline.Event directly.
type eventMapping struct {
	*mapping.IndexMappingImpl
	fields   map[string]*mapping.FieldMapping
	kinds    map[string]fieldKind
	keyword  analysis.Analyzer
	message  analysis.Analyzer
	kwOpts   index.FieldIndexingOptions
	textOpts index.FieldIndexingOptions
}

// newEventMapping returns the mapping of the timeline index.
func newEventMapping() (*eventMapping, error) {
	im := mapping.NewIndexMapping()
	if err := im.AddCustomAnalyzer(messageAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	im.DefaultAnalyzer = keyword.Name
	im.DefaultField = "message" // words without a field search the message
	im.StoreDynamic, im.IndexDynamic, im.DocValuesDynamic = false, false, false
	root := mapping.NewDocumentStaticMapping()
	all := mapping.NewDocumentDisabledMapping() // no _all composite field
	root.AddSubDocumentMapping("_all", all)
	m := &eventMapping{IndexMappingImpl: im, fields: map[string]*mapping.FieldMapping{}, kinds: map[string]fieldKind{}}
	for _, f := range indexedFields {
		var fm *mapping.FieldMapping
		switch f.kind {
		case kwField:
			fm = mapping.NewKeywordFieldMapping()
			// Term vectors stay on: the query string turns field:"value"
			// into a phrase query, which needs positions even for one term.
			fm.SkipFreqNorm = true
		case textField:
			fm = mapping.NewTextFieldMapping()
			fm.Analyzer = messageAnalyzer
		case numField:
			fm = mapping.NewNumericFieldMapping()
		case idField:
			fm = mapping.NewKeywordFieldMapping()
			fm.SkipFreqNorm = true
		case timeField:
			fm = mapping.NewKeywordFieldMapping()
			fm.SkipFreqNorm = true
		}
		fm.Store, fm.IncludeInAll = false, false
		fm.DocValues = f.kind == timeField
		parts := strings.Split(f.path, ".")
		dm := root
		for _, p := range parts[:len(parts)-1] {
			sub, ok := dm.Properties[p]
			if !ok {
				sub = mapping.NewDocumentStaticMapping()
				dm.AddSubDocumentMapping(p, sub)
			}
			dm = sub
		}
		dm.AddFieldMappingsAt(parts[len(parts)-1], fm)
		m.fields[f.path] = fm
		m.kinds[f.path] = f.kind
	}
	labels := mapping.NewDocumentMapping() // labels.KEY: keywords
	labels.DefaultAnalyzer = keyword.Name
	root.AddSubDocumentMapping("labels", labels)
	im.DefaultMapping = root
	if err := im.Validate(); err != nil {
		return nil, err
	}
	m.keyword = im.AnalyzerNamed(keyword.Name)
	m.message = im.AnalyzerNamed(messageAnalyzer)
	m.kwOpts = m.fields["event.action"].Options()
	m.textOpts = m.fields["message"].Options()
	return m, nil
}

// MapDocument builds the document of a *timeline.Event; anything else goes
// through Bleve's own walk.
func (m *eventMapping) MapDocument(doc *document.Document, data any) error {
	ev, ok := data.(*timeline.Event)
	if !ok {
		return m.IndexMappingImpl.MapDocument(doc, data)
	}
	m.mapEvent(doc, ev)
	doc.SetIndexed()
	return nil
}

func (m *eventMapping) kw(doc *document.Document, path, v string) {
	if v == "" {
		return
	}
	if len(v) > maxKeywordBytes {
		v = v[:maxKeywordBytes]
	}
	doc.AddField(document.NewTextFieldCustom(path, nil, []byte(v), m.kwOpts, m.keyword))
}

// exe indexes an executable path; the kernel's " (deleted)" suffix of a
// deleted binary's exe link is indexed both kept and stripped, so that
// process.executable:"/tmp/mysql" finds the process whose exe link reads
// "/tmp/mysql (deleted)" (the stored event keeps the link as read).
func (m *eventMapping) exe(doc *document.Document, path, v string) {
	m.kw(doc, path, v)
	if s, ok := strings.CutSuffix(v, " (deleted)"); ok && s != "" {
		m.kw(doc, path, s)
	}
}

func (m *eventMapping) text(doc *document.Document, path, v string) {
	if v == "" {
		return
	}
	if len(v) > maxTextBytes {
		v = v[:maxTextBytes]
	}
	doc.AddField(document.NewTextFieldCustom(path, nil, []byte(v), m.textOpts, m.message))
}

func (m *eventMapping) num(doc *document.Document, path string, v int64) {
	if v == 0 {
		return // ECS omits zero; a zero pid or port is not a value here
	}
	if m.kinds[path] == idField {
		m.kw(doc, path, strconv.FormatInt(v, 10))
		return
	}
	doc.AddField(document.NewNumericFieldWithIndexingOptions(path, nil, float64(v), m.fields[path].Options()))
}

func (m *eventMapping) mapEvent(doc *document.Document, ev *timeline.Event) {
	doc.AddField(document.NewTextFieldCustom("@timestamp", nil, []byte(indexTime(ev.Timestamp)), m.fields["@timestamp"].Options(), m.keyword))
	for _, l := range timeLevels {
		m.kw(doc, l.field, l.term(ev.Timestamp))
	}
	m.text(doc, "message", ev.Message)
	e := ev.Event
	m.kw(doc, "event.kind", e.Kind)
	for _, c := range e.Category {
		m.kw(doc, "event.category", c)
	}
	for _, t := range e.Type {
		m.kw(doc, "event.type", t)
	}
	m.kw(doc, "event.action", e.Action)
	m.kw(doc, "event.outcome", e.Outcome)
	m.kw(doc, "event.dataset", e.Dataset)
	if ev.Host != nil {
		m.kw(doc, "host.name", ev.Host.Name)
	}
	if p := ev.Process; p != nil {
		m.num(doc, "process.pid", p.PID)
		m.kw(doc, "process.name", p.Name)
		m.exe(doc, "process.executable", p.Executable)
		cl := p.CommandLine
		if cl == "" && len(p.Args) > 0 {
			cl = strings.Join(p.Args, " ")
		}
		m.text(doc, "process.command_line", cl)
		if p.Hash != nil {
			m.kw(doc, "process.hash.sha256", p.Hash.SHA256)
		}
		m.kw(doc, "process.entity_id", p.EntityID)
		m.kw(doc, "process.working_directory", p.WorkingDir)
		if p.User != nil {
			m.kw(doc, "process.user.name", p.User.Name)
		}
		if pp := p.Parent; pp != nil {
			m.num(doc, "process.parent.pid", pp.PID)
			m.kw(doc, "process.parent.name", pp.Name)
			m.exe(doc, "process.parent.executable", pp.Executable)
			m.kw(doc, "process.parent.entity_id", pp.EntityID)
		}
	}
	if u := ev.User; u != nil {
		m.kw(doc, "user.name", u.Name)
		m.kw(doc, "user.id", u.ID)
	}
	for _, ep := range []struct {
		prefix string
		e      *timeline.Endpoint
	}{{"source", ev.Source}, {"destination", ev.Destination}} {
		if ep.e == nil {
			continue
		}
		m.kw(doc, ep.prefix+".ip", ep.e.IP)
		m.num(doc, ep.prefix+".port", int64(ep.e.Port))
		m.kw(doc, ep.prefix+".address", ep.e.Address)
		m.num(doc, ep.prefix+".bytes", ep.e.Bytes)
	}
	if n := ev.Network; n != nil {
		m.kw(doc, "network.transport", n.Transport)
		m.kw(doc, "network.protocol", n.Protocol)
		m.kw(doc, "network.direction", n.Direction)
		m.num(doc, "network.bytes", n.Bytes)
		m.kw(doc, "network.community_id", n.CommunityID)
	}
	if f := ev.File; f != nil {
		m.kw(doc, "file.path", f.Path)
		m.kw(doc, "file.name", f.Name)
		m.kw(doc, "file.type", f.Type)
		m.num(doc, "file.size", f.Size)
		if f.Inode > 0 && f.Inode < 1<<53 {
			m.num(doc, "file.inode", int64(f.Inode))
		}
		m.kw(doc, "file.mode", f.Mode)
		m.kw(doc, "file.owner", f.Owner)
		if f.Hash != nil {
			m.kw(doc, "file.hash.sha256", f.Hash.SHA256)
		}
		m.kw(doc, "file.target_path", f.Target)
	}
	if d := ev.DNS; d != nil {
		m.kw(doc, "dns.question_name", d.QuestionName)
		for _, a := range d.Answers {
			m.kw(doc, "dns.answers", a)
		}
	}
	if u := ev.URL; u != nil {
		m.kw(doc, "url.original", u.Original)
		m.kw(doc, "url.domain", u.Domain)
	}
	if h := ev.HTTP; h != nil {
		m.kw(doc, "http.request_method", h.Method)
	}
	if t := ev.TLS; t != nil {
		m.kw(doc, "tls.server_name", t.ServerName)
	}
	if c := ev.Container; c != nil {
		m.kw(doc, "container.id", c.ID)
		m.kw(doc, "container.name", c.Name)
		m.kw(doc, "container.image", c.Image)
	}
	m.kw(doc, "cordon.time_meaning", string(ev.Cordon.TimeMeaning))
	if ev.Cordon.Unverified {
		m.kw(doc, "cordon.unverified", "true")
	}
	if ev.Cordon.Imported {
		m.kw(doc, "cordon.imported", "true")
	}
	m.kw(doc, "cordon.provenance.entry", ev.Cordon.Provenance.Entry)
	n := 0
	for k, v := range ev.Labels {
		if n >= maxIndexedLabels {
			break
		}
		if labelKeyOK(k) {
			m.kw(doc, "labels."+k, v)
			n++
		}
	}
}

// indexTime is the indexed form of a time: UTC, RFC 3339 with nine
// fraction digits, fixed width (years outside 0000-9999 are clamped, so
// that the strings still sort as the times do).
func indexTime(t time.Time) string {
	return clampTime(t).Format("2006-01-02T15:04:05.000000000Z")
}

// timeLevels are the coarse time keywords, coarsest first.
var timeLevels = []timeLevel{
	{"cordon.time.day", 24 * time.Hour, "2006-01-02"},
	{"cordon.time.hour", time.Hour, "2006-01-02T15"},
	{"cordon.time.minute", time.Minute, "2006-01-02T15:04"},
}

type timeLevel struct {
	field  string
	unit   time.Duration
	layout string
}

// term is the keyword of the unit holding t (clamped as indexTime is).
func (l timeLevel) term(t time.Time) string {
	return clampTime(t).Format(l.layout)
}

var (
	minIndexTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	maxIndexTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

func clampTime(t time.Time) time.Time {
	t = t.UTC()
	switch {
	case t.Before(minIndexTime):
		return minIndexTime
	case t.After(maxIndexTime):
		return maxIndexTime
	}
	return t
}

// labelKeyOK accepts label keys that make sane field names.
func labelKeyOK(k string) bool {
	if k == "" || len(k) > maxLabelKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// DocID is the Bleve document id of event number n: fixed width, so that
// sorting ids sorts numbers.
func DocID(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) < 10 {
		s = strings.Repeat("0", 10-len(s)) + s
	}
	return s
}
