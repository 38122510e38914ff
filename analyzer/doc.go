// Package analyzer is the analyst's side of Cordon: verified bundles in,
// an attack rebuilt out. It holds no code of its own; its packages are the
// stages, each owning one thing:
//
//   - parsers: the registry that connects a bundle entry to the pure parser
//     in formats/ that reads it (one file per artifact).
//   - pipeline: `cordon analyze`, one bundle into a case: verify, parse,
//     then hand the events to the case; many bundles at once, sharing the
//     memory and the cores.
//   - casestore: the case directory: each analyzed bundle's metadata, event
//     store and index; reading events back in time order; search.
//   - eventstore: a bundle's events as time-sorted zstd JSON lines, and the
//     external sort that puts them in order with bounded memory.
//   - index: the Bleve mapping of events, building an index, and turning
//     query strings into Bleve queries.
//   - findings, rules: the rule engine and the built-in YAML rules.
//   - correlate: joins across sources, the attack threads, the golden point.
//   - fleet: what the attacker left on several hosts of a case, and the
//     order the hosts were reached.
//   - investigation: the rules, the correlation and the fleet over a whole
//     case or some of its hosts.
//   - report: HTML, Markdown and JSON reports.
//   - analyzertest: what the analyzer's tests share (test parsers, synthetic
//     bundles, measurements).
package analyzer
