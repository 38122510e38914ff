// Package toolout reads the text that other collectors saved from the
// suspect host's own tools: ps, ss, netstat, lsof, ls -l of /proc, the
// /proc/PID/stat and status files, md5sum/sha1sum lists, head(1) sections
// and stat(1) timelines. UAC and Cat-Scale archives are mostly made of
// such text (see importer/).
//
// The text was written by programs of a host that may be compromised, in
// formats that differ by version, options and distribution. Every parser
// here is a pure function of bytes: it bounds each line (textio), reads
// the columns from the header the tool printed rather than from fixed
// positions, keeps what it understood, and turns every line it could not
// read into a Warning with its line and byte offset. Nothing is dropped
// silently and nothing panics.
package toolout
