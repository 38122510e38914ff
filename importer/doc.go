// Package importer turns another collector's archive into a Cordon bundle:
// a UAC .tar.gz (with its acquisition .log beside it) or a Cat-Scale
// .tar.gz, read once as a stream (no extraction, bounded memory), every
// member kept, each file mapped to the entry and source cordon-collect
// would have given it, so that the analyzer's parsers, rules and
// correlation read it as they read Cordon's own evidence.
//
// A collector's layout is a table (layout.go): rules from member paths to
// what Cordon makes of them (a copy of a host file, a tool's text output
// for a parser, an archive nested inside, a recovered executable, a hash
// list, or a member kept as it is). uac.go and catscale.go hold the two
// tables; another collector (Velociraptor's offline collections) is one
// more file with one more table. hostfiles.go says which Cordon source a
// host file belongs to, as collector/ does.
//
// The text outputs (ps, ss, netstat, lsof, ls -l of /proc, /proc/PID/stat
// and status, hash lists) are read by formats/toolout and joined at the end
// into Cordon's own records: proc/processes.jsonl, net/sockets.jsonl,
// proc/executables.jsonl, integrity/binaries.jsonl (formats/snapshot).
//
// Custody is stated as it is, never upgraded: the bundle is signed by the
// analyst's import key, its custody says "imported from UAC 3.3.0 archive
// <sha256>, not collected by Cordon, no signature from the suspect host",
// and every hash the archive states about itself (UAC's acquisition log,
// its hash_list and hash_running_processes files, hash_executables,
// Cat-Scale's SHA-1 lists) is compared with the bytes and recorded in
// import/checks-*.jsonl (formats/imported). A mismatch is a check result, a
// warning and, in the analysis, a finding: never a crash. An archive that
// ends early is imported up to where it stops, and the custody says where.
package importer
