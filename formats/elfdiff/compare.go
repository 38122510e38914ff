package elfdiff

import (
	"fmt"
	"sort"
	"strings"
)

// Status of a section, function or region in a Diff.
type Status string

const (
	Identical Status = "identical" // the same bytes
	Moved     Status = "moved"     // the same code or data; only addresses differ (the layout moved)
	Changed   Status = "changed"
	Added     Status = "added"   // in the suspect file only
	Removed   Status = "removed" // in the trusted file only
)

// Range is an address range [Start, End).
type Range struct {
	Start uint64 `json:"start"`
	End   uint64 `json:"end"`
}

func (r Range) String() string { return fmt.Sprintf("%#x-%#x", r.Start, r.End) }

// FactChange is one header or dynamic-section fact that differs.
type FactChange struct {
	Fact    string `json:"fact"`
	Trusted string `json:"trusted"`
	Suspect string `json:"suspect"`
}

// PointerChange is one slot of a constructor/destructor table (or the
// entry point, DT_INIT, DT_FINI) that reaches another place.
type PointerChange struct {
	Table   string   `json:"table"` // "entry point", "init_array", "fini_array", "preinit_array", ".ctors", ".dtors", "DT_INIT", "DT_FINI"
	Index   int      `json:"index"`
	Status  Status   `json:"status"`
	Trusted *Pointer `json:"trusted,omitempty"`
	Suspect *Pointer `json:"suspect,omitempty"`
}

// SectionChange is a section that is not byte-identical.
type SectionChange struct {
	Name        string `json:"name"`
	Status      Status `json:"status"`
	TrustedSize uint64 `json:"trusted_size"`
	SuspectSize uint64 `json:"suspect_size"`
}

// RegionChange is one function (Kind "function") or a stretch of code
// between anchors (Kind "region": after a function, or from a table entry
// or the entry point of a stripped file) in the executable sections.
type RegionChange struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Section string `json:"section"`
	Status  Status `json:"status"`
	Trusted *Range `json:"trusted,omitempty"`
	Suspect *Range `json:"suspect,omitempty"`
	// ChangedTrusted and ChangedSuspect are the byte ranges that differ
	// (for an insertion, ChangedTrusted is empty or a zero-length range).
	ChangedTrusted []Range `json:"changed_trusted,omitempty"`
	ChangedSuspect []Range `json:"changed_suspect,omitempty"`
}

// Counts counts statuses.
type Counts struct {
	Identical int `json:"identical"`
	Moved     int `json:"moved"`
	Changed   int `json:"changed"`
	Added     int `json:"added"`
	Removed   int `json:"removed"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Identical:
		c.Identical++
	case Moved:
		c.Moved++
	case Changed:
		c.Changed++
	case Added:
		c.Added++
	case Removed:
		c.Removed++
	}
}

// Diff is what differs between a trusted file and a suspect one.
type Diff struct {
	Identical     bool   `json:"identical"`
	TrustedSHA256 string `json:"trusted_sha256"`
	SuspectSHA256 string `json:"suspect_sha256"`
	// Mode is "symbols" when both files have a symbol table, else "anchors"
	// (stripped: regions between exported symbols, the entry point, table
	// entries and PLT slots).
	Mode          string          `json:"mode"`
	Facts         []FactChange    `json:"facts,omitempty"`
	NeededAdded   []string        `json:"needed_added,omitempty"`
	NeededRemoved []string        `json:"needed_removed,omitempty"`
	Pointers      []PointerChange `json:"pointers,omitempty"`
	// Sections lists the sections that are not byte-identical.
	Sections      []SectionChange `json:"sections,omitempty"`
	SectionCounts Counts          `json:"section_counts"`
	// Functions lists every function (identical ones included, up to the
	// listing limit), in the suspect file's address order, then the removed.
	Functions      []RegionChange `json:"functions,omitempty"`
	FunctionCounts Counts         `json:"function_counts"`
	// Regions lists the code outside function symbols that is not
	// identical or moved.
	Regions      []RegionChange `json:"regions,omitempty"`
	RegionCounts Counts         `json:"region_counts"`
	Notes        []string       `json:"notes,omitempty"`
}

// Injected returns the functions and regions the suspect file added or
// changed, by name.
func (d *Diff) Injected() []RegionChange {
	var out []RegionChange
	for _, set := range [][]RegionChange{d.Functions, d.Regions} {
		for _, r := range set {
			if r.Status == Added || r.Status == Changed {
				out = append(out, r)
			}
		}
	}
	return out
}

// Compare tells what differs between trusted and suspect.
func Compare(trusted, suspect *File) *Diff {
	d := &Diff{TrustedSHA256: trusted.SHA256, SuspectSHA256: suspect.SHA256, Mode: "symbols"}
	d.Identical = trusted.SHA256 == suspect.SHA256 && trusted.Size == suspect.Size
	if trusted.Stripped || suspect.Stripped {
		d.Mode = "anchors"
		d.Notes = append(d.Notes, "stripped: code is compared as regions between anchors (exported symbols, the entry point, constructor and destructor tables, PLT slots)")
	}
	m := &matcher{a: trusted, b: suspect, x86: trusted.x86 && suspect.x86 && trusted.ptrSize == suspect.ptrSize, work: maxWork}
	if !m.x86 {
		d.Notes = append(d.Notes, fmt.Sprintf("%s: only byte-identical code compares equal (address-tolerant comparison is for x86)", suspect.Machine))
	}
	for _, w := range append(trusted.Warnings, suspect.Warnings...) {
		d.Notes = append(d.Notes, "limit or damage: "+w)
	}
	fact := func(name, a, b string) {
		if a != b {
			d.Facts = append(d.Facts, FactChange{Fact: name, Trusted: a, Suspect: b})
		}
	}
	fact("class", trusted.Class, suspect.Class)
	fact("byte order", trusted.Data, suspect.Data)
	fact("machine", trusted.Machine, suspect.Machine)
	fact("type", trusted.Type, suspect.Type)
	fact("interpreter", trusted.Interpreter, suspect.Interpreter)
	fact("build-id", trusted.BuildID, suspect.BuildID)
	fact("soname", trusted.SOName, suspect.SOName)
	fact("rpath", trusted.RPath, suspect.RPath)
	fact("runpath", trusted.RunPath, suspect.RunPath)
	d.NeededAdded, d.NeededRemoved = setDiff(trusted.Needed, suspect.Needed)

	m.pointers(d, "entry point", []Pointer{trusted.Entry}, []Pointer{suspect.Entry})
	m.pointers(d, "DT_INIT", opt(trusted.Init), opt(suspect.Init))
	m.pointers(d, "DT_FINI", opt(trusted.Fini), opt(suspect.Fini))
	m.pointers(d, "preinit_array", trusted.PreinitArray, suspect.PreinitArray)
	m.pointers(d, "init_array", trusted.InitArray, suspect.InitArray)
	m.pointers(d, "fini_array", trusted.FiniArray, suspect.FiniArray)
	m.pointers(d, ".ctors", trusted.Ctors, suspect.Ctors)
	m.pointers(d, ".dtors", trusted.Dtors, suspect.Dtors)

	m.sections(d)
	m.code(d)
	if m.work <= 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("the address-tolerant comparison stopped after %d windows: what it had not reached is compared byte for byte", maxWork))
	}
	return d
}

func opt(p *Pointer) []Pointer {
	if p == nil {
		return nil
	}
	return []Pointer{*p}
}

func setDiff(a, b []string) (added, removed []string) {
	in := func(xs []string, x string) bool {
		for _, y := range xs {
			if x == y {
				return true
			}
		}
		return false
	}
	for _, x := range b {
		if !in(a, x) {
			added = append(added, x)
		}
	}
	for _, x := range a {
		if !in(b, x) {
			removed = append(removed, x)
		}
	}
	return added, removed
}

// loc is a place in a file named so that it can be compared with the
// same place in another build: a symbol and a delta, or a section and an
// offset from its start or its end.
type loc struct {
	kind  byte // 's' symbol, 'c' section, 0 nowhere known
	name  string
	delta uint64
	fromE uint64 // for a section: bytes from the address to the section's end
}

func (l loc) same(o loc) bool {
	if l.kind == 0 || l.kind != o.kind || l.name != o.name {
		return false
	}
	return l.delta == o.delta || l.kind == 'c' && l.fromE == o.fromE
}

func (f *File) locate(addr uint64) loc {
	if s, ok := f.symbolAt(addr); ok {
		return loc{kind: 's', name: s.name, delta: addr - s.addr}
	}
	if s := f.section(addr); s != nil {
		return loc{kind: 'c', name: s.key, delta: addr - s.addr, fromE: s.addr + s.size - addr}
	}
	return loc{}
}

type matcher struct {
	a, b *File
	x86  bool
	// work bounds the address windows tried over one comparison: a hostile
	// pair of wholly different sections must not cost minutes.
	work int
}

// maxWork is how many address windows one Compare tries.
const maxWork = 20_000_000

func (m *matcher) pointers(d *Diff, table string, a, b []Pointer) {
	for i := 0; i < max(len(a), len(b)); i++ {
		pc := PointerChange{Table: table, Index: i}
		switch {
		case i >= len(a):
			p := b[i]
			pc.Status, pc.Suspect = Added, &p
		case i >= len(b):
			p := a[i]
			pc.Status, pc.Trusted = Removed, &p
		default:
			pa, pb := a[i], b[i]
			if pa.Addr == pb.Addr && pa.Symbol == pb.Symbol || m.a.locate(pa.Addr).same(m.b.locate(pb.Addr)) {
				continue
			}
			pc.Status, pc.Trusted, pc.Suspect = Changed, &pa, &pb
		}
		d.Pointers = append(d.Pointers, pc)
	}
}

// explains reports whether the w-byte windows at ja in a (placed at
// addrA) and jb in b (at addrB) hold addresses that reach the same place:
// as a PC-relative displacement (w 4) or an absolute address (w 4 or 8).
func (m *matcher) explains(a []byte, ja int, addrA uint64, b []byte, jb int, addrB uint64, w int) bool {
	if m.work <= 0 {
		return false
	}
	m.work--
	bo := m.a.bo
	if w == 4 {
		va, vb := int64(int32(bo.Uint32(a[ja:]))), int64(int32(bo.Uint32(b[jb:])))
		la := m.a.locate(addrA + uint64(ja) + 4 + uint64(va))
		if la.kind != 0 && la.same(m.b.locate(addrB+uint64(jb)+4+uint64(vb))) {
			return true
		}
		la = m.a.locate(uint64(uint32(va)))
		return la.kind != 0 && la.same(m.b.locate(uint64(uint32(vb))))
	}
	la := m.a.locate(bo.Uint64(a[ja:]))
	return la.kind != 0 && la.same(m.b.locate(bo.Uint64(b[jb:])))
}

func (m *matcher) widths() []int {
	if !m.x86 {
		return nil
	}
	if m.a.ptrSize == 8 {
		return []int{4, 8}
	}
	return []int{4}
}

// unexplained walks two equal-length byte strings and returns the offsets
// of the bytes that differ and no address window explains, merged into
// spans (at most 64). With first set it stops at the first one.
func (m *matcher) unexplained(a []byte, addrA uint64, b []byte, addrB uint64, first bool) [][2]int {
	n := min(len(a), len(b))
	var spans [][2]int
	covered := 0
	for i := 0; i < n; {
		if a[i] == b[i] {
			i++
			continue
		}
		ok := false
		for _, w := range m.widths() {
			for j := max(covered, i-w+1); j <= i && j+w <= n; j++ {
				if m.explains(a, j, addrA, b, j, addrB, w) {
					i, covered, ok = j+w, j+w, true
					break
				}
			}
			if ok {
				break
			}
		}
		if ok {
			continue
		}
		if k := len(spans) - 1; k >= 0 && i-spans[k][1] <= 8 {
			spans[k][1] = i + 1
		} else if len(spans) < 64 {
			spans = append(spans, [2]int{i, i + 1})
		} else {
			spans[k][1] = n
			return spans
		}
		if first {
			return spans
		}
		i++
		covered = i
	}
	return spans
}

// prefix is the length of the longest common prefix, addresses tolerated.
func (m *matcher) prefix(a []byte, addrA uint64, b []byte, addrB uint64) int {
	n := min(len(a), len(b))
	if s := m.unexplained(a[:n], addrA, b[:n], addrB, true); len(s) > 0 {
		return s[0][0]
	}
	return n
}

// suffix is the length of the longest common suffix, at most limit,
// addresses tolerated.
func (m *matcher) suffix(a []byte, addrA uint64, b []byte, addrB uint64, limit int) int {
	na, nb := len(a), len(b)
	d := nb - na
	floor := na // windows already used start at or after floor (in a)
	k := 0
	for k < limit {
		pa := na - 1 - k
		if a[pa] == b[pa+d] {
			k++
			continue
		}
		ok := false
		for _, w := range m.widths() {
			for ja := pa; ja > pa-w; ja-- {
				if ja < na-limit || ja+w > floor || ja+d < 0 {
					continue
				}
				if m.explains(a, ja, addrA, b, ja+d, addrB, w) {
					floor, k, ok = ja, na-ja, true
					break
				}
			}
			if ok {
				break
			}
		}
		if !ok {
			break
		}
	}
	return min(k, limit)
}

func (m *matcher) sections(d *Diff) {
	type sec struct {
		s    Section
		data []byte
	}
	index := func(f *File) (map[string]sec, []string) {
		out := map[string]sec{}
		var keys []string
		count := map[string]int{}
		for _, s := range f.Sections {
			key := s.Name
			if count[s.Name]++; count[s.Name] > 1 {
				key = fmt.Sprintf("%s#%d", s.Name, count[s.Name])
			}
			x := sec{s: s}
			if s.Alloc {
				for _, k := range f.secs {
					if k.key == key {
						x.data = k.data
					}
				}
			}
			out[key] = x
			keys = append(keys, key)
		}
		return out, keys
	}
	ta, _ := index(m.a)
	tb, keysB := index(m.b)
	for _, key := range keysB {
		sb := tb[key]
		sa, ok := ta[key]
		switch {
		case !ok:
			d.Sections = append(d.Sections, SectionChange{Name: key, Status: Added, SuspectSize: sb.s.Size})
			d.SectionCounts.add(Added)
		case sa.s.SHA256 == sb.s.SHA256 && sa.s.Size == sb.s.Size:
			d.SectionCounts.add(Identical)
		default:
			st := Changed
			if sa.data != nil && sb.data != nil && len(sa.data) == len(sb.data) && m.x86 &&
				len(m.unexplained(sa.data, sa.s.Addr, sb.data, sb.s.Addr, true)) == 0 {
				st = Moved
			}
			d.Sections = append(d.Sections, SectionChange{Name: key, Status: st, TrustedSize: sa.s.Size, SuspectSize: sb.s.Size})
			d.SectionCounts.add(st)
		}
	}
	var removed []string
	for key := range ta {
		if _, ok := tb[key]; !ok {
			removed = append(removed, key)
		}
	}
	sort.Strings(removed)
	for _, key := range removed {
		d.Sections = append(d.Sections, SectionChange{Name: key, Status: Removed, TrustedSize: ta[key].s.Size})
		d.SectionCounts.add(Removed)
	}
}

// region is a stretch of an executable section.
type region struct {
	name  string
	fn    bool
	sec   *keptSection
	start uint64
	end   uint64
}

func (r region) bytes() []byte {
	if r.sec.data == nil {
		return nil
	}
	return r.sec.data[r.start-r.sec.addr : r.end-r.sec.addr]
}

// regions cuts the executable sections at every anchor: function starts
// and ends, other symbols (PLT and GOT slots included), the entry point,
// DT_INIT/DT_FINI and the constructor and destructor tables' targets.
func (f *File) regions() []region {
	type mark struct {
		name string
		prio int // lower wins
		fn   bool
	}
	var out []region
	for si := range f.secs {
		s := &f.secs[si]
		if !s.exec || s.size == 0 {
			continue
		}
		end := s.addr + s.size
		marks := map[uint64]mark{s.addr: {name: s.key, prio: 9}}
		put := func(addr uint64, m mark) {
			if addr < s.addr || addr >= end {
				return
			}
			if old, ok := marks[addr]; !ok || m.prio < old.prio || m.prio == old.prio && m.name < old.name {
				marks[addr] = m
			}
		}
		lo := sort.Search(len(f.syms), func(i int) bool { return f.syms[i].addr >= s.addr })
		for _, sym := range f.syms[lo:] {
			if sym.addr >= end {
				break
			}
			if sym.fn {
				put(sym.addr, mark{name: sym.name, prio: 0, fn: true})
				if sym.size > 0 {
					put(sym.addr+sym.size, mark{name: "after " + sym.name, prio: 8})
				}
			} else {
				put(sym.addr, mark{name: sym.name, prio: 1})
			}
		}
		put(f.Entry.Addr, mark{name: "entry point", prio: 2})
		if f.Init != nil {
			put(f.Init.Addr, mark{name: "DT_INIT", prio: 3})
		}
		if f.Fini != nil {
			put(f.Fini.Addr, mark{name: "DT_FINI", prio: 3})
		}
		for _, t := range []struct {
			name string
			ps   []Pointer
		}{{"preinit_array", f.PreinitArray}, {"init_array", f.InitArray}, {"fini_array", f.FiniArray}, {".ctors", f.Ctors}, {".dtors", f.Dtors}} {
			for i, p := range t.ps {
				put(p.Addr, mark{name: fmt.Sprintf("%s[%d]", t.name, i), prio: 4})
			}
		}
		addrs := make([]uint64, 0, len(marks))
		for a := range marks {
			addrs = append(addrs, a)
		}
		sort.Slice(addrs, func(i, j int) bool { return addrs[i] < addrs[j] })
		for i, a := range addrs {
			e := end
			if i+1 < len(addrs) {
				e = addrs[i+1]
			}
			out = append(out, region{name: marks[a].name, fn: marks[a].fn, sec: s, start: a, end: e})
		}
	}
	// Names are unique: a repeated one (two static functions of one name)
	// gets "#2", "#3" in address order.
	count := map[string]int{}
	for i := range out {
		n := out[i].name
		if count[n]++; count[n] > 1 {
			out[i].name = fmt.Sprintf("%s#%d", n, count[n])
		}
	}
	return out
}

func (m *matcher) code(d *Diff) {
	ra, rb := m.a.regions(), m.b.regions()
	byName := map[string]region{}
	for _, r := range ra {
		byName[r.name] = r
	}
	seen := map[string]bool{}
	list := func(rc RegionChange, fn bool) {
		if fn {
			d.FunctionCounts.add(rc.Status)
			if len(d.Functions) < m.b.lim.MaxListed {
				d.Functions = append(d.Functions, rc)
			}
			return
		}
		d.RegionCounts.add(rc.Status)
		if rc.Status != Identical && rc.Status != Moved && len(d.Regions) < m.b.lim.MaxListed {
			d.Regions = append(d.Regions, rc)
		}
	}
	kind := func(fn bool) string {
		if fn {
			return "function"
		}
		return "region"
	}
	for _, b := range rb {
		rangeB := &Range{b.start, b.end}
		a, ok := byName[b.name]
		if !ok {
			list(RegionChange{Name: b.name, Kind: kind(b.fn), Section: b.sec.name, Status: Added, Suspect: rangeB,
				ChangedSuspect: []Range{*rangeB}}, b.fn)
			continue
		}
		seen[b.name] = true
		rc := RegionChange{Name: b.name, Kind: kind(b.fn || a.fn), Section: b.sec.name, Trusted: &Range{a.start, a.end}, Suspect: rangeB}
		m.compareRegion(&rc, a, b)
		list(rc, b.fn || a.fn)
	}
	for _, a := range ra {
		if !seen[a.name] {
			r := Range{a.start, a.end}
			list(RegionChange{Name: a.name, Kind: kind(a.fn), Section: a.sec.name, Status: Removed, Trusted: &r, ChangedTrusted: []Range{r}}, a.fn)
		}
	}
}

func (m *matcher) compareRegion(rc *RegionChange, a, b region) {
	ba, bb := a.bytes(), b.bytes()
	if ba == nil || bb == nil {
		rc.Status = Changed
		if a.end-a.start == b.end-b.start {
			rc.Status = Identical
			if a.sec.data != nil || b.sec.data != nil {
				rc.Status = Changed
			}
		}
		return
	}
	if string(ba) == string(bb) {
		rc.Status = Identical
		return
	}
	if len(ba) == len(bb) {
		spans := m.unexplained(ba, a.start, bb, b.start, false)
		if len(spans) == 0 {
			rc.Status = Moved
			return
		}
		rc.Status = Changed
		for _, s := range spans {
			rc.ChangedTrusted = append(rc.ChangedTrusted, Range{a.start + uint64(s[0]), a.start + uint64(s[1])})
			rc.ChangedSuspect = append(rc.ChangedSuspect, Range{b.start + uint64(s[0]), b.start + uint64(s[1])})
		}
		return
	}
	rc.Status = Changed
	p := m.prefix(ba, a.start, bb, b.start)
	s := m.suffix(ba, a.start, bb, b.start, min(len(ba), len(bb))-p)
	rc.ChangedTrusted = []Range{{a.start + uint64(p), a.end - uint64(s)}}
	rc.ChangedSuspect = []Range{{b.start + uint64(p), b.end - uint64(s)}}
}

// Summary is a one-line account of a diff for a terminal or a report.
func (d *Diff) Summary() string {
	if d.Identical {
		return "byte-identical"
	}
	var parts []string
	for _, f := range d.Facts {
		parts = append(parts, fmt.Sprintf("%s %q -> %q", f.Fact, f.Trusted, f.Suspect))
	}
	if len(d.NeededAdded) > 0 {
		parts = append(parts, "new DT_NEEDED "+strings.Join(d.NeededAdded, ", "))
	}
	if len(d.NeededRemoved) > 0 {
		parts = append(parts, "DT_NEEDED removed "+strings.Join(d.NeededRemoved, ", "))
	}
	for _, p := range d.Pointers {
		switch p.Status {
		case Added:
			parts = append(parts, fmt.Sprintf("%s[%d] added -> %s", p.Table, p.Index, p.Suspect))
		case Removed:
			parts = append(parts, fmt.Sprintf("%s[%d] removed (was %s)", p.Table, p.Index, p.Trusted))
		default:
			parts = append(parts, fmt.Sprintf("%s[%d] %s -> %s", p.Table, p.Index, p.Trusted, p.Suspect))
		}
	}
	fc := d.FunctionCounts
	parts = append(parts, fmt.Sprintf("functions: %d added, %d removed, %d changed, %d unchanged (%d identical, %d moved)",
		fc.Added, fc.Removed, fc.Changed, fc.Identical+fc.Moved, fc.Identical, fc.Moved))
	var names []string
	for _, r := range d.Injected() {
		names = append(names, fmt.Sprintf("%s %s", r.Status, r.Name))
	}
	if len(names) > 12 {
		names = append(names[:12], fmt.Sprintf("… %d more", len(names)-12))
	}
	if len(names) > 0 {
		parts = append(parts, strings.Join(names, ", "))
	}
	return strings.Join(parts, "; ")
}
