// Package export sends a case's events, and the findings made of them, to a
// search engine through the Elasticsearch/OpenSearch bulk API
// (POST URL/_bulk, NDJSON, one "create" action per document), so that
// OpenSearch, Elasticsearch and engines speaking the same API (VictoriaLogs
// at URL=http://host:9428/insert/elasticsearch) receive them, and Timesketch
// can read the index.
//
// Each event document is the event's ECS JSON as the case stores it, plus
// Timesketch's message, datetime, timestamp_desc, timestamp and data_type.
// Its _id is derived from where the event was read (bundle, entry, line,
// offset) and what it says (time, time meaning, dataset, action), so that
// exporting the same case again makes conflicts (HTTP 409), not duplicates.
// Findings go to their own index, one document per finding.
//
// Nothing is taken on trust from the engine: every reply's "errors" flag and
// every item's status are read, each document sent is counted as created,
// already present (409), rejected (with the engine's reason) or
// unacknowledged (a reply with fewer items than documents, such as an empty
// "items" list with status 200), and any shortfall is an error naming the
// first rejected documents. 429 and 5xx replies, and items rejected with
// 429, are sent again with exponential backoff. An export interrupted (by a
// signal, a network failure, or too many rejections) records how far it
// got in a state file; Options.Resume continues from there.
//
// The package does not know the case directory: it reads events from an
// Events function (in a stable order, the same at every call) and findings
// from a slice. Strings from the engine (reasons for rejections) and from
// the evidence are returned as they are: escape them before printing.
package export
