// Package attest compares what ran and what was built on a suspect host
// with trusted copies: the executables, shared objects, build artifacts
// and system programs that bundles hold (formats/snapshot,
// formats/artifacts) against a directory of trusted rebuilds, single
// files, Debian packages (formats/deb) or dpkg md5sums lists, matched by
// path, build-id or name. Each is identical, differs (with an ELF diff
// from formats/elfdiff when both sides' bytes are at hand) or has no
// trusted copy.
//
// It also reads the in-toto/SLSA provenance collected beside the
// artifacts (formats/provenance): it checks every subject's digest against
// the artifact it names, verifies signatures with the builder keys the
// analyst passes, and, from the build times and commits, brackets the
// golden point of each program: the last build identical to its trusted
// rebuild, the first that differs, and everything that builder built
// after it.
//
// Bundles are verified as they are read (bundle.Verify); only entries a
// verified checkpoint or the manifest vouches for are used, unless Force.
package attest
