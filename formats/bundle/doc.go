// Package bundle owns Cordon's evidence bundle: one zstd-compressed tar
// stream, optionally age-encrypted, whose entries are hashed as they are
// written, chained to each other, and covered by minisign signatures at
// regular checkpoints and at the end (manifest.json, SHA256SUMS).
//
// The layout and the byte-level rules are in DESIGN.md beside this file.
// Everything a Reader returns came from a host the attacker owns: names are
// checked against the safe alphabet of NameFor before use, sizes are bounded,
// and nothing is trusted before its signature is checked.
package bundle
