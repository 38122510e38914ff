// Package sigma runs Sigma rules (github.com/SigmaHQ/sigma, the shared
// language of detection rules) over Cordon's timeline events.
//
// Rules are parsed with github.com/bradleyjkemp/sigma-go (the rule, its
// log source, its searches and its condition) and compiled here into
// matchers over Cordon's ECS fields: sigma-go's own evaluator compares
// wildcard values literally, knows no keyword search, no windash, no
// base64offset, and compiles a regular expression at every comparison,
// so the evaluation is Cordon's (value.go, compile.go, keywords.go).
// MAPPING.md says which Cordon events are of which Sigma log source and
// where each Sigma field is read from (fields.go is the same in Go).
//
// The Engine judges events one by one, in time order, and makes one
// finding per rule and activity: the snapshot's start of a process and
// the audit log's execve of it are one activity with two pieces of
// evidence. Every finding carries the rule's author, which the Detection
// Rule License of SigmaHQ's rules requires wherever a match is shown.
package sigma
