// Package elfdiff compares two ELF files the way a reverse engineer would,
// without a disassembler: the sections whose contents changed, the
// functions (by symbol; by byte ranges between anchors when stripped)
// added, removed or changed, the libraries added to DT_NEEDED, the
// .init_array/.fini_array/.preinit_array/.ctors/.dtors entries and the
// entry point (the usual injection points), the interpreter, RPATH and
// RUNPATH, and the build-id.
//
// Two builds of one program differ in addresses as soon as one of them
// holds more code: every PC-relative displacement behind the insertion
// point changes. A function is therefore "moved" (same code, addresses
// differ) when every differing byte lies in a 4-byte window that, read as
// a PC-relative displacement or an absolute address, reaches the same
// place in both files: the same symbol (or PLT/GOT import) plus the same
// delta, or the same offset from the start (or the end) of the same
// section. That test is exact for x86 and x86-64; on other machines, whose
// instructions split addresses over several fields, only byte-identical
// code compares equal.
//
// The input is hostile: Parse checks the header tables against the file
// size before debug/elf reads them, bounds every section it reads
// (Limits), and turns a panic of the standard library into an error.
// Every answer is a pure function of the two files' bytes.
package elfdiff
