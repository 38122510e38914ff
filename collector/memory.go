package collector

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

func init() {
	Register(Source{
		Name:    "memory",
		Order:   20,
		Live:    true,
		Budget:  10 * time.Minute,
		Help:    "process memory (--memory suspect|all|none) as ELF core files with /proc/PID/maps, unreadable pages zero-filled and recorded",
		Collect: collectMemory,
	})
}

const (
	budgetMemory = "memory"
	pageSize     = 4096
	memChunk     = 1 << 20 // bytes read from /proc/PID/mem at a time
	maxRegions   = 65000   // program headers fit e_phnum (< PN_XNUM)
	maxMaps      = 32 << 20
)

func collectMemory(ctx context.Context, env *Env) error {
	if env.Opts.Memory == MemoryNone || env.Opts.Memory == "" {
		env.Note("--memory none: no process memory dumped")
		return nil
	}
	procs, err := scanProcesses(ctx, env)
	if err != nil && len(procs) == 0 {
		return fmt.Errorf("listing processes: %w", err)
	}
	self := os.Getpid()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	dumped, procsDumped := int64(0), 0
	for _, p := range procs {
		if p.PID == self || !env.chosen(p, env.Opts.Memory == MemoryAll) {
			continue
		}
		if p.Exe == "" && len(env.Opts.TargetPIDs) == 0 {
			continue // kernel threads have no memory of their own
		}
		if ctx.Err() != nil {
			env.Errorf("", "memory dumps cut by the deadline")
			break
		}
		d, err := dumpProcess(ctx, env, p)
		if err != nil {
			return err
		}
		if d.CoreEntry != "" {
			procsDumped++
			dumped += d.Dumped
		}
		if err := enc.Encode(d); err != nil {
			return err
		}
	}
	if _, err := env.AddBytes(bundle.EntryMeta{Name: snapshot.MemoryIndexEntry, ReadAt: env.Now().UTC()}, buf.Bytes()); err != nil {
		return err
	}
	env.Note("memory of %d processes, %s", procsDumped, FormatSize(dumped))
	return nil
}

// ParseMaps reads /proc/PID/maps lines "start-end perms offset dev inode path".
func ParseMaps(data []byte) ([]snapshot.MemoryRegion, []string) {
	var out []snapshot.MemoryRegion
	var bad []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		f := strings.Fields(text)
		if len(f) < 5 {
			bad = append(bad, fmt.Sprintf("maps line %d: %d fields", line, len(f)))
			continue
		}
		a, b, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(a, 16, 64)
		end, err2 := strconv.ParseUint(b, 16, 64)
		off, err3 := strconv.ParseUint(f[2], 16, 64)
		if !ok || err1 != nil || err2 != nil || err3 != nil || end < start {
			bad = append(bad, fmt.Sprintf("maps line %d: bad range or offset", line))
			continue
		}
		r := snapshot.MemoryRegion{Start: start, End: end, Perms: f[1], Offset: off}
		if len(f) > 5 {
			r.Path = afterFields(text, 5)
		}
		out = append(out, r)
	}
	return out, bad
}

// skipReason says why a region is not read at all.
func skipReason(r snapshot.MemoryRegion) string {
	switch {
	case len(r.Perms) == 0 || r.Perms[0] != 'r':
		return "not readable"
	case r.End > math.MaxInt64:
		return "beyond a signed 64-bit file offset ([vsyscall])"
	case r.Path == "[vvar]" || r.Path == "[vvar_vclock]":
		return "kernel time data page"
	case strings.HasPrefix(r.Path, "/dev/") && !strings.HasPrefix(r.Path, "/dev/shm/") && !strings.HasPrefix(r.Path, "/dev/zero"):
		return "device mapping: reading it could act on the device"
	}
	return ""
}

// dumpProcess writes proc/PID/maps and memory/PID/core for one process.
func dumpProcess(ctx context.Context, env *Env, p procIdentity) (snapshot.MemoryDump, error) {
	d := snapshot.MemoryDump{PID: p.PID, StartTicks: p.StartTicks, Comm: p.Comm, Exe: p.Exe, Regions: []snapshot.MemoryRegion{}}
	mapsPath := env.procPath(p.PID, "maps")
	memPath := env.procPath(p.PID, "mem")
	fail := func(path string, err error) (snapshot.MemoryDump, error) {
		d.Error = err.Error()
		env.Missing(path, nil, err)
		return d, nil
	}
	// Open mem first: the fd stays bound to this process's address space,
	// so a PID reused afterwards cannot slip another process's memory in.
	fd, err := unix.Open(memPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(memPath, &os.PathError{Op: "open", Path: memPath, Err: err})
	}
	mem := os.NewFile(uintptr(fd), memPath)
	defer mem.Close()
	maps, cut, err := ReadSmall(ctx, mapsPath, maxMaps)
	if err != nil {
		return fail(mapsPath, err)
	}
	if err := samePID(ctx, env, p); err != nil {
		return fail(memPath, err)
	}
	meta := bundle.EntryMeta{Name: snapshot.MapsEntry(int64(p.PID)), HostPath: mapsPath, ReadAt: env.Now().UTC(), Truncated: cut}
	rec, err := env.AddBytes(meta, maps)
	if err != nil {
		return d, err
	}
	d.MapsEntry = rec.Name
	regions, bad := ParseMaps(maps)
	for _, b := range bad {
		env.Errorf(mapsPath, "%s", b)
	}
	if len(regions) > maxRegions {
		env.Errorf(mapsPath, "%d mappings: only the first %d dumped", len(regions), maxRegions)
		regions = regions[:maxRegions]
	}
	// Plan: every readable region in address order, within the per-process
	// cap; then take the plan's bytes from the total budget.
	var want int64
	for i := range regions {
		r := &regions[i]
		if why := skipReason(*r); why != "" {
			r.Skipped = why
			continue
		}
		want += int64(r.End - r.Start)
	}
	allowed := min(want, env.Opts.MaxMemoryPerProc)
	allowed = env.TakeBudget(budgetMemory, env.Opts.MaxMemory, allowed)
	left := allowed
	for i := range regions {
		r := &regions[i]
		if r.Skipped != "" {
			continue
		}
		size := int64(r.End - r.Start)
		r.Dumped = min(size, left)
		left -= r.Dumped
		switch {
		case r.Dumped == 0:
			r.Skipped = "memory budget spent (--max-memory, --max-memory-per-process)"
		case r.Dumped < size:
			r.Skipped = fmt.Sprintf("cut after %d of %d bytes by the memory budget", r.Dumped, size)
		}
	}
	hdr := buildCore(p, regions)
	total := int64(len(hdr))
	for _, r := range regions {
		total += r.Dumped
	}
	cr := &coreReader{ctx: ctx, mem: mem, header: hdr, regions: regions, buf: make([]byte, memChunk)}
	name := snapshot.CoreEntry(int64(p.PID))
	cmeta := bundle.EntryMeta{Name: name, HostPath: memPath, ReadAt: env.Now().UTC(),
		Note: "ELF core: one PT_LOAD per mapping; unreadable pages zero-filled, listed in " + snapshot.MemoryIndexEntry}
	if allowed < want {
		cmeta.Truncated = true
		cmeta.Note += fmt.Sprintf("; %d of %d readable bytes dumped (memory budget)", allowed, want)
	}
	crec, err := env.Add(cmeta, NewStallReader(ctx, cr, 0), total)
	if err != nil {
		return d, err
	}
	d.CoreEntry = crec.Name
	d.Regions = cr.regions
	for _, r := range d.Regions {
		d.Dumped += r.Dumped
		for _, h := range r.Holes {
			d.Holes += int64(h.End - h.Start)
		}
	}
	if cr.exited != nil {
		d.Error = cr.exited.Error()
	}
	if crec.Error != "" {
		d.Error = crec.Error
	}
	return d, nil
}

// buildCore lays the ELF core out (elf(5), gdb's corelow): the ELF header,
// a PT_NOTE (NT_PRPSINFO and NT_FILE) and one PT_LOAD per mapping, then
// the notes, then every dumped region's bytes, page aligned, in order. It
// sets each region's CoreOffset.
func buildCore(p procIdentity, regions []snapshot.MemoryRegion) []byte {
	le := binary.LittleEndian
	notes := coreNotes(p, regions)
	phnum := 1 + len(regions)
	phoff := 64
	notesOff := phoff + 56*phnum
	dataOff := (notesOff + len(notes) + pageSize - 1) &^ (pageSize - 1)
	out := make([]byte, dataOff)
	copy(out, elfIdent)
	le.PutUint16(out[16:], 4) // ET_CORE
	le.PutUint16(out[18:], coreMachine())
	le.PutUint32(out[20:], 1)             // EV_CURRENT
	le.PutUint64(out[32:], uint64(phoff)) // e_phoff
	le.PutUint16(out[52:], 64)            // e_ehsize
	le.PutUint16(out[54:], 56)            // e_phentsize
	le.PutUint16(out[56:], uint16(phnum))
	ph := out[phoff:]
	// PT_NOTE
	le.PutUint32(ph[0:], 4)
	le.PutUint64(ph[8:], uint64(notesOff))
	le.PutUint64(ph[32:], uint64(len(notes)))
	le.PutUint64(ph[48:], 4)
	copy(out[notesOff:], notes)
	off := int64(dataOff)
	for i := range regions {
		r := &regions[i]
		h := ph[56*(i+1):]
		le.PutUint32(h[0:], 1) // PT_LOAD
		var flags uint32
		if strings.Contains(r.Perms, "r") {
			flags |= 4
		}
		if strings.Contains(r.Perms, "w") {
			flags |= 2
		}
		if strings.Contains(r.Perms, "x") {
			flags |= 1
		}
		le.PutUint32(h[4:], flags)
		r.CoreOffset = off
		le.PutUint64(h[8:], uint64(off))
		le.PutUint64(h[16:], r.Start)
		le.PutUint64(h[32:], uint64(r.Dumped))
		le.PutUint64(h[40:], r.End-r.Start)
		le.PutUint64(h[48:], pageSize)
		off += r.Dumped
	}
	return out
}

var elfIdent = []byte{0x7f, 'E', 'L', 'F', 2 /* ELFCLASS64 */, 1 /* little endian */, 1 /* EV_CURRENT */, 0 /* System V */}

func coreMachine() uint16 {
	switch runtime.GOARCH {
	case "amd64":
		return 62
	case "arm64":
		return 183
	case "riscv64":
		return 243
	case "ppc64le":
		return 21
	}
	return 0
}

// coreNotes builds NT_PRPSINFO (pid, comm) and NT_FILE (the file-backed
// mappings) as the kernel's binfmt_elf writes them. There is no
// NT_PRSTATUS: registers need ptrace, which Cordon does not use.
func coreNotes(p procIdentity, regions []snapshot.MemoryRegion) []byte {
	le := binary.LittleEndian
	var b bytes.Buffer
	note := func(typ uint32, desc []byte) {
		var h [12]byte
		le.PutUint32(h[0:], 5) // "CORE\0"
		le.PutUint32(h[4:], uint32(len(desc)))
		le.PutUint32(h[8:], typ)
		b.Write(h[:])
		b.WriteString("CORE\x00\x00\x00\x00")
		b.Write(desc)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	// struct elf_prpsinfo (x86_64 and arm64 layout): 136 bytes.
	ps := make([]byte, 136)
	ps[1] = 'R'
	le.PutUint32(ps[24:], uint32(p.PID))
	copy(ps[40:56], p.Comm)
	copy(ps[56:135], p.Comm)
	note(3, ps) // NT_PRPSINFO
	var files []snapshot.MemoryRegion
	for _, r := range regions {
		if strings.HasPrefix(r.Path, "/") {
			files = append(files, r)
		}
	}
	var fb bytes.Buffer
	var w [8]byte
	put := func(v uint64) { le.PutUint64(w[:], v); fb.Write(w[:]) }
	put(uint64(len(files)))
	put(pageSize)
	for _, r := range files {
		put(r.Start)
		put(r.End)
		put(r.Offset / pageSize)
	}
	for _, r := range files {
		fb.WriteString(r.Path)
		fb.WriteByte(0)
	}
	note(0x46494c45, fb.Bytes()) // NT_FILE
	return b.Bytes()
}

// coreReader streams the core: header, then each region read from
// /proc/PID/mem with pread at its address. A chunk that fails is retried
// page by page; pages that still fail are zero-filled and recorded as
// holes. When the process exits the rest is zero-filled and recorded.
type coreReader struct {
	ctx     context.Context
	mem     *os.File
	header  []byte
	regions []snapshot.MemoryRegion
	buf     []byte

	hpos   int
	ri     int    // current region
	rdone  int64  // bytes of the current region delivered
	pend   []byte // bytes read but not yet delivered
	exited error
}

func (c *coreReader) Read(p []byte) (int, error) {
	if c.hpos < len(c.header) {
		n := copy(p, c.header[c.hpos:])
		c.hpos += n
		return n, nil
	}
	if len(c.pend) > 0 {
		n := copy(p, c.pend)
		c.pend = c.pend[n:]
		return n, nil
	}
	for c.ri < len(c.regions) && c.rdone >= c.regions[c.ri].Dumped {
		c.ri++
		c.rdone = 0
	}
	if c.ri >= len(c.regions) {
		return 0, io.EOF
	}
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	r := &c.regions[c.ri]
	n := min(int64(len(c.buf)), r.Dumped-c.rdone)
	chunk := c.buf[:n]
	addr := r.Start + uint64(c.rdone)
	c.fill(r, chunk, addr)
	c.rdone += n
	c.pend = chunk
	k := copy(p, c.pend)
	c.pend = c.pend[k:]
	return k, nil
}

// fill reads chunk at addr, page by page where the whole read fails.
func (c *coreReader) fill(r *snapshot.MemoryRegion, chunk []byte, addr uint64) {
	if c.exited != nil {
		clear(chunk)
		c.hole(r, addr, addr+uint64(len(chunk)), c.exited)
		return
	}
	n, err := c.mem.ReadAt(chunk, int64(addr))
	if err == nil && n == len(chunk) {
		return
	}
	for off := 0; off < len(chunk); off += pageSize {
		page := chunk[off:min(off+pageSize, len(chunk))]
		a := addr + uint64(off)
		if c.exited == nil {
			k, err := c.mem.ReadAt(page, int64(a))
			if err == nil && k == len(page) {
				continue
			}
			if k == 0 && (err == io.EOF || errors.Is(err, syscall.ESRCH)) {
				// read(2) of mem gives 0 once the address space is gone.
				c.exited = fmt.Errorf("process exited during the dump at 0x%x: the rest is zero-filled", a)
			}
			if c.exited == nil {
				clear(page)
				c.hole(r, a, a+uint64(len(page)), err)
				continue
			}
		}
		clear(page)
		c.hole(r, a, a+uint64(len(page)), c.exited)
	}
}

func (c *coreReader) hole(r *snapshot.MemoryRegion, start, end uint64, err error) {
	msg := "short read"
	if err != nil {
		msg = err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
	}
	if n := len(r.Holes); n > 0 && r.Holes[n-1].End == start && r.Holes[n-1].Error == msg {
		r.Holes[n-1].End = end
		return
	}
	r.Holes = append(r.Holes, snapshot.Hole{Start: start, End: end, Error: msg})
}
