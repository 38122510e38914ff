package elfdiff

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Limits bound what Parse reads of one file. The zero value means
// DefaultLimits.
type Limits struct {
	MaxFileSize    int64 // files larger are refused
	MaxSectionSize int64 // a section larger is hashed but not kept for comparison
	MaxKept        int64 // total bytes of allocated sections kept in memory
	MaxSections    int
	MaxSymbols     int
	MaxDynamic     int // entries of .dynamic
	MaxRelocations int
	MaxPointers    int // entries of one .init_array-like table
	MaxListed      int // regions listed one by one in a Diff
}

// DefaultLimits fit any program a distribution ships.
var DefaultLimits = Limits{
	MaxFileSize:    1 << 30,
	MaxSectionSize: 256 << 20,
	MaxKept:        512 << 20,
	MaxSections:    8192,
	MaxSymbols:     1 << 20,
	MaxDynamic:     1 << 16,
	MaxRelocations: 1 << 21,
	MaxPointers:    1 << 16,
	MaxListed:      20000,
}

func (l Limits) orDefault() Limits {
	if l.MaxFileSize == 0 {
		return DefaultLimits
	}
	return l
}

// ErrNotELF is returned for a file that does not start with the ELF magic.
var ErrNotELF = errors.New("not an ELF file")

// Pointer is an address that a table of the file holds (entry point,
// .init_array slot, DT_INIT), with the symbol it falls in.
type Pointer struct {
	Addr   uint64 `json:"addr"`
	Symbol string `json:"symbol,omitempty"` // "name" or "name+0x10"; "" when no symbol covers it
}

func (p Pointer) String() string {
	if p.Symbol != "" {
		return fmt.Sprintf("%#x <%s>", p.Addr, p.Symbol)
	}
	return fmt.Sprintf("%#x", p.Addr)
}

// Section is one section header and the hash of its contents.
type Section struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Addr   uint64 `json:"addr"`
	Offset uint64 `json:"offset"`
	Size   uint64 `json:"size"`
	Exec   bool   `json:"exec,omitempty"`
	Alloc  bool   `json:"alloc,omitempty"`
	SHA256 string `json:"sha256,omitempty"` // "" for SHT_NOBITS or a section past the limits
}

// Function is a function symbol.
type Function struct {
	Name string `json:"name"`
	Addr uint64 `json:"addr"`
	Size uint64 `json:"size"`
}

// File is what Parse learns of one ELF file.
type File struct {
	Size         int64      `json:"size"`
	SHA256       string     `json:"sha256"`
	Class        string     `json:"class"`
	Data         string     `json:"data"`
	Machine      string     `json:"machine"`
	Type         string     `json:"type"`
	Entry        Pointer    `json:"entry"`
	Interpreter  string     `json:"interpreter,omitempty"`
	BuildID      string     `json:"build_id,omitempty"`
	SOName       string     `json:"soname,omitempty"`
	Needed       []string   `json:"needed,omitempty"`
	RPath        string     `json:"rpath,omitempty"`
	RunPath      string     `json:"runpath,omitempty"`
	Init         *Pointer   `json:"init,omitempty"`
	Fini         *Pointer   `json:"fini,omitempty"`
	InitArray    []Pointer  `json:"init_array,omitempty"`
	FiniArray    []Pointer  `json:"fini_array,omitempty"`
	PreinitArray []Pointer  `json:"preinit_array,omitempty"`
	Ctors        []Pointer  `json:"ctors,omitempty"`
	Dtors        []Pointer  `json:"dtors,omitempty"`
	Sections     []Section  `json:"sections"`
	Functions    []Function `json:"functions,omitempty"`
	// Stripped: no .symtab; functions are then only the exported ones.
	Stripped bool     `json:"stripped"`
	Warnings []string `json:"warnings,omitempty"`

	bo      binary.ByteOrder
	ptrSize int
	x86     bool
	secs    []keptSection // allocated sections by address
	syms    []symbol      // by address: symbols, PLT and GOT slots
	lim     Limits
}

type keptSection struct {
	key  string // name, "#n" added for a repeated name
	name string
	addr uint64
	size uint64
	exec bool
	data []byte // nil when not kept (NOBITS, past the limits)
}

type symbol struct {
	name string
	addr uint64
	size uint64
	fn   bool
}

func (f *File) warnf(format string, args ...any) {
	if len(f.Warnings) < 64 {
		f.Warnings = append(f.Warnings, fmt.Sprintf(format, args...))
	}
}

// Parse reads the ELF file r of size bytes. It never panics: a malformed
// table is a warning (what it held is then not known), a malformed header
// an error.
func Parse(r io.ReaderAt, size int64, lim Limits) (out *File, err error) {
	lim = lim.orDefault()
	if size > lim.MaxFileSize {
		return nil, fmt.Errorf("%d bytes: larger than the %d-byte limit", size, lim.MaxFileSize)
	}
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil || string(magic[:]) != elf.ELFMAG {
		return nil, ErrNotELF
	}
	if err := precheck(r, size, lim); err != nil {
		return nil, err
	}
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("malformed ELF: %v", v)
		}
	}()
	sr := io.NewSectionReader(r, 0, size)
	ef, err := elf.NewFile(sr)
	if err != nil {
		return nil, fmt.Errorf("malformed ELF: %w", err)
	}
	f := &File{Size: size, Class: ef.Class.String(), Data: ef.Data.String(), Machine: ef.Machine.String(),
		Type: ef.Type.String(), bo: ef.ByteOrder, ptrSize: 8, lim: lim}
	if ef.Class == elf.ELFCLASS32 {
		f.ptrSize = 4
	}
	f.x86 = ef.Machine == elf.EM_X86_64 || ef.Machine == elf.EM_386
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	f.readSections(r, ef)
	f.readProgs(r, ef)
	dynsyms := f.readSymbols(ef)
	f.readDynamic(ef)
	relative := f.readRelocations(ef, dynsyms)
	f.readPointerTables(ef, relative)
	sort.Slice(f.syms, func(i, j int) bool {
		if f.syms[i].addr != f.syms[j].addr {
			return f.syms[i].addr < f.syms[j].addr
		}
		return f.syms[i].name < f.syms[j].name
	})
	f.Entry = f.pointer(ef.Entry)
	for _, p := range []**Pointer{&f.Init, &f.Fini} {
		if *p != nil {
			q := f.pointer((*p).Addr)
			*p = &q
		}
	}
	for _, t := range []*[]Pointer{&f.InitArray, &f.FiniArray, &f.PreinitArray, &f.Ctors, &f.Dtors} {
		for i := range *t {
			(*t)[i] = f.pointer((*t)[i].Addr)
		}
	}
	return f, nil
}

// precheck reads the header fields debug/elf trusts and refuses tables
// that reach past the file or are absurdly large, before anything is
// allocated from them.
func precheck(r io.ReaderAt, size int64, lim Limits) error {
	var hdr [64]byte
	n, _ := r.ReadAt(hdr[:], 0)
	if n < 52 {
		return errors.New("malformed ELF: header cut")
	}
	var bo binary.ByteOrder
	switch hdr[elf.EI_DATA] {
	case byte(elf.ELFDATA2LSB):
		bo = binary.LittleEndian
	case byte(elf.ELFDATA2MSB):
		bo = binary.BigEndian
	default:
		return errors.New("malformed ELF: unknown byte order")
	}
	var phoff, shoff uint64
	var phentsize, phnum, shentsize, shnum, shstrndx uint64
	switch hdr[elf.EI_CLASS] {
	case byte(elf.ELFCLASS64):
		if n < 64 {
			return errors.New("malformed ELF: header cut")
		}
		phoff, shoff = bo.Uint64(hdr[32:]), bo.Uint64(hdr[40:])
		phentsize, phnum = uint64(bo.Uint16(hdr[54:])), uint64(bo.Uint16(hdr[56:]))
		shentsize, shnum, shstrndx = uint64(bo.Uint16(hdr[58:])), uint64(bo.Uint16(hdr[60:])), uint64(bo.Uint16(hdr[62:]))
	case byte(elf.ELFCLASS32):
		phoff, shoff = uint64(bo.Uint32(hdr[28:])), uint64(bo.Uint32(hdr[32:]))
		phentsize, phnum = uint64(bo.Uint16(hdr[42:])), uint64(bo.Uint16(hdr[44:]))
		shentsize, shnum, shstrndx = uint64(bo.Uint16(hdr[46:])), uint64(bo.Uint16(hdr[48:])), uint64(bo.Uint16(hdr[50:]))
	default:
		return errors.New("malformed ELF: unknown class")
	}
	fsz := uint64(size)
	if phnum > 0 && (phentsize == 0 || phoff > fsz || phnum*phentsize > fsz-phoff) {
		return errors.New("malformed ELF: program headers past the end of the file")
	}
	if shoff == 0 {
		return nil
	}
	if shentsize == 0 || shoff > fsz {
		return errors.New("malformed ELF: section headers past the end of the file")
	}
	shdr := make([]byte, shentsize)
	if shnum == 0 || shstrndx == uint64(elf.SHN_XINDEX) {
		// Extended numbering: the real values are in section 0.
		if _, err := r.ReadAt(shdr, int64(shoff)); err != nil {
			return errors.New("malformed ELF: section 0 unreadable")
		}
		if shnum == 0 {
			shnum = secField(shdr, bo, hdr[elf.EI_CLASS], "size")
		}
		if shstrndx == uint64(elf.SHN_XINDEX) {
			shstrndx = secField(shdr, bo, hdr[elf.EI_CLASS], "link")
		}
	}
	if shnum > uint64(lim.MaxSections) {
		return fmt.Errorf("malformed ELF: %d sections, more than the %d read", shnum, lim.MaxSections)
	}
	if shnum*shentsize > fsz-shoff {
		return errors.New("malformed ELF: section headers past the end of the file")
	}
	if shstrndx < shnum {
		if _, err := r.ReadAt(shdr, int64(shoff+shstrndx*shentsize)); err == nil {
			if sz := secField(shdr, bo, hdr[elf.EI_CLASS], "size"); sz > uint64(lim.MaxSectionSize) {
				return fmt.Errorf("malformed ELF: a section-name table of %d bytes", sz)
			}
		}
	}
	return nil
}

func secField(shdr []byte, bo binary.ByteOrder, class byte, field string) uint64 {
	if class == byte(elf.ELFCLASS64) {
		if len(shdr) < 64 {
			return 0
		}
		if field == "size" {
			return bo.Uint64(shdr[32:])
		}
		return uint64(bo.Uint32(shdr[40:]))
	}
	if len(shdr) < 40 {
		return 0
	}
	if field == "size" {
		return uint64(bo.Uint32(shdr[20:]))
	}
	return uint64(bo.Uint32(shdr[24:]))
}

// readable says whether a section's bytes lie inside the file and within
// the limits.
func (f *File) readable(s *elf.Section) bool {
	return s.Type != elf.SHT_NOBITS && s.Size > 0 && s.Offset <= uint64(f.Size) &&
		s.Size <= uint64(f.Size)-s.Offset && s.Size <= uint64(f.lim.MaxSectionSize)
}

// raw reads a section's bytes as stored (never decompressing: a
// compressed section is compared as stored).
func (f *File) raw(r io.ReaderAt, s *elf.Section) []byte {
	if !f.readable(s) {
		return nil
	}
	b := make([]byte, s.Size)
	if _, err := r.ReadAt(b, int64(s.Offset)); err != nil {
		f.warnf("section %s: %v", safe(s.Name), err)
		return nil
	}
	return b
}

func (f *File) readSections(r io.ReaderAt, ef *elf.File) {
	count := map[string]int{}
	var kept int64
	for _, s := range ef.Sections {
		if s.Type == elf.SHT_NULL {
			continue
		}
		sec := Section{Name: s.Name, Type: s.Type.String(), Addr: s.Addr, Offset: s.Offset, Size: s.Size,
			Exec: s.Flags&elf.SHF_EXECINSTR != 0, Alloc: s.Flags&elf.SHF_ALLOC != 0}
		key := s.Name
		if count[s.Name]++; count[s.Name] > 1 {
			key = fmt.Sprintf("%s#%d", s.Name, count[s.Name])
		}
		ks := keptSection{key: key, name: s.Name, addr: s.Addr, size: s.Size, exec: sec.Exec}
		switch {
		case s.Type == elf.SHT_NOBITS || s.Size == 0:
		case !f.readable(s):
			f.warnf("section %s: %d bytes at %d: past the file or the limits, not compared", safe(s.Name), s.Size, s.Offset)
		default:
			h := sha256.New()
			if _, err := io.Copy(h, io.NewSectionReader(r, int64(s.Offset), int64(s.Size))); err != nil {
				f.warnf("section %s: %v", safe(s.Name), err)
				break
			}
			sec.SHA256 = hex.EncodeToString(h.Sum(nil))
			if sec.Alloc && kept+int64(s.Size) <= f.lim.MaxKept {
				ks.data = f.raw(r, s)
				kept += int64(len(ks.data))
			} else if sec.Alloc {
				f.warnf("section %s: beyond the %d bytes kept for comparison", safe(s.Name), f.lim.MaxKept)
			}
		}
		f.Sections = append(f.Sections, sec)
		if sec.Alloc {
			f.secs = append(f.secs, ks)
		}
		if s.Type == elf.SHT_NOTE && f.BuildID == "" && f.readable(s) && s.Size <= 1<<16 {
			f.BuildID = buildID(f.raw(r, s), f.bo)
		}
	}
	sort.SliceStable(f.secs, func(i, j int) bool { return f.secs[i].addr < f.secs[j].addr })
}

func (f *File) readProgs(r io.ReaderAt, ef *elf.File) {
	for _, p := range ef.Progs {
		if p.Off > uint64(f.Size) || p.Filesz > uint64(f.Size)-p.Off {
			f.warnf("program header %s: past the end of the file", p.Type)
			continue
		}
		switch p.Type {
		case elf.PT_INTERP:
			b := make([]byte, min(p.Filesz, 4096))
			n, _ := r.ReadAt(b, int64(p.Off))
			f.Interpreter = string(bytes.TrimRight(b[:n], "\x00"))
		case elf.PT_NOTE:
			if f.BuildID == "" && p.Filesz <= 1<<16 {
				b := make([]byte, p.Filesz)
				n, _ := r.ReadAt(b, int64(p.Off))
				f.BuildID = buildID(b[:n], f.bo)
			}
		}
	}
}

// buildID finds NT_GNU_BUILD_ID (type 3, owner "GNU") among notes (elf(5)).
func buildID(b []byte, bo binary.ByteOrder) string {
	align := func(n uint32) uint64 { return (uint64(n) + 3) &^ 3 }
	for len(b) >= 12 {
		nsz, dsz, typ := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
		b = b[12:]
		if align(nsz) > uint64(len(b)) {
			return ""
		}
		name := b[:nsz]
		b = b[align(nsz):]
		if uint64(dsz) > uint64(len(b)) {
			return ""
		}
		if typ == 3 && string(bytes.TrimRight(name, "\x00")) == "GNU" {
			return hex.EncodeToString(b[:dsz])
		}
		if align(dsz) > uint64(len(b)) {
			return ""
		}
		b = b[align(dsz):]
	}
	return ""
}

// symbolTableOK bounds a symbol table and its string table before
// debug/elf reads them.
func (f *File) symbolTableOK(ef *elf.File, typ elf.SectionType) bool {
	s := ef.SectionByType(typ)
	if s == nil {
		return false
	}
	ent := uint64(24)
	if f.ptrSize == 4 {
		ent = 16
	}
	if !f.readable(s) || s.Size/ent > uint64(f.lim.MaxSymbols) {
		f.warnf("%s: %d bytes, past the file or the limits: not read", safe(s.Name), s.Size)
		return false
	}
	if s.Link == 0 || int(s.Link) >= len(ef.Sections) || !f.readable(ef.Sections[s.Link]) {
		f.warnf("%s: its string table is missing or past the limits", safe(s.Name))
		return false
	}
	return true
}

// readSymbols reads .symtab (or marks the file stripped) and .dynsym, and
// returns the dynamic symbols by index (for relocations).
func (f *File) readSymbols(ef *elf.File) []elf.Symbol {
	var dyn []elf.Symbol
	if f.symbolTableOK(ef, elf.SHT_DYNSYM) {
		var err error
		if dyn, err = ef.DynamicSymbols(); err != nil {
			f.warnf(".dynsym: %v", err)
		}
	}
	var syms []elf.Symbol
	if ef.SectionByType(elf.SHT_SYMTAB) == nil {
		f.Stripped = true
		syms = dyn
	} else if f.symbolTableOK(ef, elf.SHT_SYMTAB) {
		var err error
		if syms, err = ef.Symbols(); err != nil {
			f.warnf(".symtab: %v", err)
		}
	} else {
		f.Stripped = true
		syms = dyn
	}
	for _, s := range syms {
		typ := elf.ST_TYPE(s.Info)
		if s.Section == elf.SHN_UNDEF || s.Section >= elf.SHN_LORESERVE && s.Section != elf.SHN_XINDEX || s.Value == 0 ||
			typ == elf.STT_SECTION || typ == elf.STT_FILE || typ == elf.STT_TLS || s.Name == "" {
			continue
		}
		fn := typ == elf.STT_FUNC || typ == elf.STT_GNU_IFUNC
		f.syms = append(f.syms, symbol{name: s.Name, addr: s.Value, size: s.Size, fn: fn})
		if fn {
			f.Functions = append(f.Functions, Function{Name: s.Name, Addr: s.Value, Size: s.Size})
		}
	}
	sort.Slice(f.Functions, func(i, j int) bool {
		a, b := f.Functions[i], f.Functions[j]
		if a.Addr != b.Addr {
			return a.Addr < b.Addr
		}
		return a.Name < b.Name
	})
	return dyn
}

// dynamic tags read here (elf(5)).
func (f *File) readDynamic(ef *elf.File) {
	s := ef.SectionByType(elf.SHT_DYNAMIC)
	if s == nil {
		return
	}
	if !f.readable(s) {
		f.warnf(".dynamic: past the file or the limits")
		return
	}
	data, err := s.Data()
	if err != nil {
		f.warnf(".dynamic: %v", err)
		return
	}
	var strtab []byte
	if s.Link > 0 && int(s.Link) < len(ef.Sections) {
		if st := ef.Sections[s.Link]; f.readable(st) {
			strtab, _ = st.Data()
		}
	}
	str := func(off uint64) string {
		if off >= uint64(len(strtab)) {
			f.warnf(".dynamic: a string offset %d past .dynstr", off)
			return ""
		}
		b := strtab[off:]
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b[:min(len(b), 4096)])
	}
	ent := 2 * f.ptrSize
	for i := 0; i+ent <= len(data); i += ent {
		if i/ent >= f.lim.MaxDynamic {
			f.warnf(".dynamic: more than %d entries, the rest not read", f.lim.MaxDynamic)
			break
		}
		var tag, val uint64
		if f.ptrSize == 8 {
			tag, val = f.bo.Uint64(data[i:]), f.bo.Uint64(data[i+8:])
		} else {
			tag, val = uint64(f.bo.Uint32(data[i:])), uint64(f.bo.Uint32(data[i+4:]))
		}
		switch elf.DynTag(tag) {
		case elf.DT_NULL:
			return
		case elf.DT_NEEDED:
			if len(f.Needed) < 4096 {
				f.Needed = append(f.Needed, str(val))
			}
		case elf.DT_SONAME:
			f.SOName = str(val)
		case elf.DT_RPATH:
			f.RPath = str(val)
		case elf.DT_RUNPATH:
			f.RunPath = str(val)
		case elf.DT_INIT:
			f.Init = &Pointer{Addr: val}
		case elf.DT_FINI:
			f.Fini = &Pointer{Addr: val}
		}
	}
}

// Relocation types that name an import's GOT slot or a relative address.
var (
	relGlobDat = map[elf.Machine][]uint32{
		elf.EM_X86_64:  {uint32(elf.R_X86_64_GLOB_DAT), uint32(elf.R_X86_64_JMP_SLOT), uint32(elf.R_X86_64_64)},
		elf.EM_386:     {uint32(elf.R_386_GLOB_DAT), uint32(elf.R_386_JMP_SLOT), uint32(elf.R_386_32)},
		elf.EM_AARCH64: {uint32(elf.R_AARCH64_GLOB_DAT), uint32(elf.R_AARCH64_JUMP_SLOT), uint32(elf.R_AARCH64_ABS64)},
	}
	relRelative = map[elf.Machine]uint32{
		elf.EM_X86_64: uint32(elf.R_X86_64_RELATIVE), elf.EM_386: uint32(elf.R_386_RELATIVE), elf.EM_AARCH64: uint32(elf.R_AARCH64_RELATIVE),
	}
)

type reloc struct {
	off    uint64
	typ    uint32
	sym    uint32
	addend uint64
	rela   bool
}

// readRelocations reads the allocated relocation sections: GOT slots and
// PLT entries get the import's name (the way objdump shows "puts@plt"),
// and relative relocations give the values of pointer tables that the
// dynamic linker fills. It returns offset → relative addend.
func (f *File) readRelocations(ef *elf.File, dyn []elf.Symbol) map[uint64]uint64 {
	relative := map[uint64]uint64{}
	total := 0
	var pltRelocs []reloc
	for _, s := range ef.Sections {
		if (s.Type != elf.SHT_RELA && s.Type != elf.SHT_REL) || s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		if !f.readable(s) {
			f.warnf("%s: past the file or the limits", safe(s.Name))
			continue
		}
		data, err := s.Data()
		if err != nil {
			f.warnf("%s: %v", safe(s.Name), err)
			continue
		}
		rs := f.decodeRelocs(data, s.Type == elf.SHT_RELA, f.lim.MaxRelocations-total)
		total += len(rs)
		for _, rl := range rs {
			if t, ok := relRelative[ef.Machine]; ok && rl.typ == t && rl.rela {
				relative[rl.off] = rl.addend
			}
			for _, t := range relGlobDat[ef.Machine] {
				if rl.typ == t && rl.sym > 0 && int(rl.sym) <= len(dyn) && dyn[rl.sym-1].Name != "" {
					f.syms = append(f.syms, symbol{name: dyn[rl.sym-1].Name + "@got", addr: rl.off, size: uint64(f.ptrSize)})
				}
			}
		}
		if s.Name == ".rela.plt" || s.Name == ".rel.plt" {
			pltRelocs = rs
		}
	}
	if !f.x86 {
		return relative
	}
	// x86 PLT: entry i of .plt.sec, or entry i+1 of .plt (entry 0 is the
	// resolver stub), jumps through the i-th .rel[a].plt slot.
	plt, pltSec := ef.Section(".plt"), ef.Section(".plt.sec")
	for i, rl := range pltRelocs {
		if rl.sym == 0 || int(rl.sym) > len(dyn) || dyn[rl.sym-1].Name == "" {
			continue
		}
		name := dyn[rl.sym-1].Name + "@plt"
		switch {
		case pltSec != nil:
			f.syms = append(f.syms, symbol{name: name, addr: pltSec.Addr + 16*uint64(i), size: 16})
		case plt != nil:
			f.syms = append(f.syms, symbol{name: name, addr: plt.Addr + 16*uint64(i+1), size: 16})
		}
	}
	// .plt.got: "jmp *slot(%rip)" stubs for imports also reached through the GOT.
	if pg := ef.Section(".plt.got"); pg != nil && ef.Machine == elf.EM_X86_64 {
		if data := f.sectionData(pg.Addr); data != nil {
			got := map[uint64]string{}
			for _, s := range f.syms {
				if strings.HasSuffix(s.name, "@got") {
					got[s.addr] = strings.TrimSuffix(s.name, "@got")
				}
			}
			step := 8
			if pg.Entsize == 16 {
				step = 16
			}
			for off := 0; off+6 <= len(data); off += step {
				j := bytes.Index(data[off:min(off+step, len(data))], []byte{0xff, 0x25})
				if j < 0 || off+j+6 > len(data) {
					continue
				}
				slot := pg.Addr + uint64(off+j+6) + uint64(int64(int32(f.bo.Uint32(data[off+j+2:]))))
				if n, ok := got[slot]; ok {
					f.syms = append(f.syms, symbol{name: n + "@plt", addr: pg.Addr + uint64(off), size: uint64(step)})
				}
			}
		}
	}
	return relative
}

func (f *File) decodeRelocs(data []byte, rela bool, max int) []reloc {
	ent := 16
	if rela {
		ent = 24
	}
	if f.ptrSize == 4 {
		ent = 8
		if rela {
			ent = 12
		}
	}
	var out []reloc
	for i := 0; i+ent <= len(data); i += ent {
		if len(out) >= max {
			f.warnf("more than %d relocations: the rest not read", f.lim.MaxRelocations)
			break
		}
		var rl reloc
		rl.rela = rela
		if f.ptrSize == 8 {
			info := f.bo.Uint64(data[i+8:])
			rl.off, rl.typ, rl.sym = f.bo.Uint64(data[i:]), uint32(info), uint32(info>>32)
			if rela {
				rl.addend = f.bo.Uint64(data[i+16:])
			}
		} else {
			info := f.bo.Uint32(data[i+4:])
			rl.off, rl.typ, rl.sym = uint64(f.bo.Uint32(data[i:])), info&0xff, info>>8
			if rela {
				rl.addend = uint64(f.bo.Uint32(data[i+8:]))
			}
		}
		out = append(out, rl)
	}
	return out
}

// readPointerTables reads the constructor and destructor tables: a slot's
// value is the relative relocation's addend when there is one (what the
// dynamic linker will write), else the bytes in the file.
func (f *File) readPointerTables(ef *elf.File, relative map[uint64]uint64) {
	for _, s := range ef.Sections {
		var dst *[]Pointer
		legacy := false
		switch {
		case s.Type == elf.SHT_INIT_ARRAY:
			dst = &f.InitArray
		case s.Type == elf.SHT_FINI_ARRAY:
			dst = &f.FiniArray
		case s.Type == elf.SHT_PREINIT_ARRAY:
			dst = &f.PreinitArray
		case s.Name == ".ctors":
			dst, legacy = &f.Ctors, true
		case s.Name == ".dtors":
			dst, legacy = &f.Dtors, true
		default:
			continue
		}
		data := f.sectionData(s.Addr)
		if data == nil || s.Type == elf.SHT_NOBITS {
			continue
		}
		for i := 0; i+f.ptrSize <= len(data); i += f.ptrSize {
			if len(*dst) >= f.lim.MaxPointers {
				f.warnf("%s: more than %d entries, the rest not read", safe(s.Name), f.lim.MaxPointers)
				break
			}
			v := f.word(data[i:])
			if a, ok := relative[s.Addr+uint64(i)]; ok {
				v = a
			}
			// .ctors and .dtors are framed by -1 and 0 (gcc's crtstuff).
			if legacy && (v == 0 || v == ^uint64(0) || f.ptrSize == 4 && v == 0xffffffff) {
				continue
			}
			*dst = append(*dst, Pointer{Addr: v})
		}
	}
}

func (f *File) word(b []byte) uint64 {
	if f.ptrSize == 8 {
		return f.bo.Uint64(b)
	}
	return uint64(f.bo.Uint32(b))
}

// sectionData returns the kept bytes of the allocated section at addr.
func (f *File) sectionData(addr uint64) []byte {
	for i := range f.secs {
		if f.secs[i].addr == addr && f.secs[i].data != nil {
			return f.secs[i].data
		}
	}
	return nil
}

// symbolAt returns the symbol that covers addr (a sized symbol containing
// it, or an unsized one starting there), preferring function symbols.
func (f *File) symbolAt(addr uint64) (symbol, bool) {
	i := sort.Search(len(f.syms), func(i int) bool { return f.syms[i].addr > addr })
	var best symbol
	found := false
	for j := i - 1; j >= 0 && i-j <= 64; j-- {
		s := f.syms[j]
		if addr < s.addr+max(s.size, 1) && (!found || s.fn && !best.fn) {
			best, found = s, true
		}
	}
	return best, found
}

// pointer names the symbol addr falls in.
func (f *File) pointer(addr uint64) Pointer {
	p := Pointer{Addr: addr}
	if s, ok := f.symbolAt(addr); ok {
		p.Symbol = s.name
		if addr != s.addr {
			p.Symbol = fmt.Sprintf("%s+%#x", s.name, addr-s.addr)
		}
	}
	return p
}

// section returns the allocated section that holds addr.
func (f *File) section(addr uint64) *keptSection {
	i := sort.Search(len(f.secs), func(i int) bool { return f.secs[i].addr > addr })
	for j := i - 1; j >= 0; j-- {
		s := &f.secs[j]
		if s.addr != 0 && addr >= s.addr && addr < s.addr+max(s.size, 1) {
			return s
		}
		if i-j > 4 {
			break
		}
	}
	return nil
}

// safe makes a name from the file printable (it goes into warnings).
func safe(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(fmt.Sprintf("%q", s), "?")
}
