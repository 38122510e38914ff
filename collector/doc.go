// Package collector owns live collection: one file per evidence source, each
// registered in registry.go with its order of volatility (RFC 3227 §2.1),
// its time budget and whether it needs a live /proc. Sources read the
// kernel's views and the host's files directly, never run a program of the
// host, and write only into the bundle through a Sink.
//
// Every read is bounded in size and time (hostfile.go); whatever a source
// could not read is recorded as missing with the reason, never as empty.
package collector
