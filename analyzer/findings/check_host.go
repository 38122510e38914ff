package findings

// Checks over the host's files and logs: gaps in a log, persistence files
// changed shortly before the collection, no firewall rule on disk, and
// package files whose hash differs from the package's md5sums.

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

func init() {
	registerCheck("log-gap", newLogGap)
	registerCheck("changed-before-collection", newChangedBefore)
	registerCheck("no-firewall", func(params) (Checker, error) { return &noFirewall{files: sample{n: 10}, collect: sample{n: 1}}, nil })
	registerCheck("package-integrity", func(params) (Checker, error) {
		return &integrity{pkg: map[string][]pkgFile{}, disk: map[string]timeline.Event{}, div: map[string]diversion{}}, nil
	})
}

// logGap: a log file (one bundle entry) with no line for longer than gap,
// while the other logs of the same bundle have lines in that time: lines
// removed, or logging stopped. Entries with fewer than min lines are left alone.
type logGap struct {
	gap     time.Duration
	min     int
	entries map[string]*gapEntry // bundle\x00entry
	total   int
}

type gapEntry struct {
	bundle, entry string
	marks         []gapMark
}

type gapMark struct {
	t         int64
	line, off int64
	sha       string
}

const maxGapMarks = 2_000_000

// less orders marks by time, then place: a total order within one entry.
func (m gapMark) less(o gapMark) bool {
	if m.t != o.t {
		return m.t < o.t
	}
	if m.line != o.line {
		return m.line < o.line
	}
	if m.off != o.off {
		return m.off < o.off
	}
	return m.sha < o.sha
}

func newLogGap(p params) (Checker, error) {
	gap, err := p.duration("gap", 6*time.Hour)
	if err != nil {
		return nil, err
	}
	min, err := p.int("min", 50)
	return &logGap{gap: gap, min: min, entries: map[string]*gapEntry{}}, err
}

func (g *logGap) Add(ev *timeline.Event) {
	pv := ev.Cordon.Provenance
	if ev.Timestamp.IsZero() || g.total >= maxGapMarks {
		return
	}
	k := pv.Bundle + "\x00" + pv.Entry
	e := g.entries[k]
	if e == nil {
		e = &gapEntry{bundle: pv.Bundle, entry: pv.Entry}
		g.entries[k] = e
	}
	e.marks = append(e.marks, gapMark{t: ev.Timestamp.UnixNano(), line: pv.Line, off: pv.Offset, sha: pv.SHA256})
	g.total++
}

func (g *logGap) Results() []Instance {
	keys := make([]string, 0, len(g.entries))
	for k, e := range g.entries {
		sort.Slice(e.marks, func(i, j int) bool { return e.marks[i].less(e.marks[j]) })
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// how many lines other entries of the bundle wrote in (a, b)
	others := func(self *gapEntry, a, b int64) int {
		n := 0
		for _, e := range g.entries {
			if e == self || e.bundle != self.bundle {
				continue
			}
			i := sort.Search(len(e.marks), func(i int) bool { return e.marks[i].t > a })
			j := sort.Search(len(e.marks), func(i int) bool { return e.marks[i].t >= b })
			n += j - i
		}
		return n
	}
	var out []Instance
	for _, k := range keys {
		e := g.entries[k]
		if len(e.marks) < g.min {
			continue
		}
		for i := 1; i < len(e.marks) && len(out) < 50; i++ {
			a, b := e.marks[i-1], e.marks[i]
			if time.Duration(b.t-a.t) <= g.gap {
				continue
			}
			n := others(e, a.t, b.t)
			if n == 0 {
				continue
			}
			ev := func(m gapMark, what string) timeline.Event {
				return timeline.Event{Timestamp: time.Unix(0, m.t).UTC(), Message: what + " of " + e.entry,
					Cordon: timeline.Cordon{Provenance: timeline.Provenance{Bundle: e.bundle, Entry: e.entry, Line: m.line, Offset: m.off, SHA256: m.sha}}}
			}
			out = append(out, Instance{Summary: fmt.Sprintf("%s: no line from %s to %s (%s), while the other logs wrote %d lines then",
				e.entry, ts(time.Unix(0, a.t)), ts(time.Unix(0, b.t)), time.Duration(b.t-a.t).Round(time.Minute), n),
				Evidence: []timeline.Event{ev(a, "the line before the gap"), ev(b, "the line after the gap")}})
		}
	}
	return out
}

// changedBefore: files the rule selects (persistence: cron, systemd units,
// authorized_keys, ld.so.preload, profile scripts) modified, changed or
// born within days before the collection ended (the latest collection
// event of the bundle; without one, the latest event seen).
type changedBefore struct {
	within time.Duration
	files  []timeline.Event
	end    map[string]time.Time // bundle → collection end
	latest map[string]time.Time
}

func newChangedBefore(p params) (Checker, error) {
	d, err := p.duration("within", 7*24*time.Hour)
	return &changedBefore{within: d, end: map[string]time.Time{}, latest: map[string]time.Time{}}, err
}

func (c *changedBefore) See(ev *timeline.Event) {
	b := ev.Cordon.Provenance.Bundle
	if ev.Event.Dataset == "collection" && ev.Event.Action == "collection-finished" {
		c.end[b] = ev.Timestamp
	}
	if ev.Timestamp.After(c.latest[b]) {
		c.latest[b] = ev.Timestamp
	}
}

func (c *changedBefore) Add(ev *timeline.Event) {
	if len(c.files) < 10_000 {
		c.files = append(c.files, keep(ev))
	}
}

func (c *changedBefore) Results() []Instance {
	var out []Instance
	seen := map[string]bool{}
	sortEvents(c.files)
	for _, f := range c.files {
		b := f.Cordon.Provenance.Bundle
		end := c.end[b]
		if end.IsZero() {
			end = c.latest[b]
		}
		if f.Timestamp.Before(end.Add(-c.within)) || f.Timestamp.After(end.Add(time.Minute)) {
			continue
		}
		p := keyOf(&f, "file.path")
		if seen[p+f.Event.Action] || len(out) >= 200 {
			continue
		}
		seen[p+f.Event.Action] = true
		out = append(out, Instance{Summary: fmt.Sprintf("%s: %s at %s, %s before the collection ended", p, f.Cordon.TimeMeaning, ts(f.Timestamp), end.Sub(f.Timestamp).Round(time.Minute)),
			Evidence: []timeline.Event{f}})
	}
	return out
}

// noFirewall: the firewall rule files on disk (dataset "firewall", one
// event per file with labels.rules the count of rules) hold no rule. The
// live netfilter state is not read (that would mean running nft or
// iptables on the suspect host): the finding says "on disk".
type noFirewall struct {
	files   sample
	rules   int
	seen    bool
	collect sample
}

func (n *noFirewall) See(ev *timeline.Event) {
	if ev.Event.Dataset == "collection" && ev.Labels["source"] == "exposure" {
		n.collect.add(ev)
	}
}

func (n *noFirewall) Add(ev *timeline.Event) {
	if ev.Event.Dataset != "firewall" {
		return
	}
	n.seen = true
	r, _ := strconv.Atoi(ev.Labels["rules"])
	n.rules += r
	n.files.add(ev)
}

func (n *noFirewall) Results() []Instance {
	if n.rules > 0 || (!n.seen && len(n.collect.evs) == 0) {
		return nil // rules exist, or the firewall files were not looked for
	}
	sum := "no firewall rule file on disk (ufw, iptables-save, nftables)"
	if n.seen {
		sum = fmt.Sprintf("the firewall rule files on disk (%d) hold no rule", len(n.files.evs))
	}
	return []Instance{{Summary: sum, Evidence: append(append([]timeline.Event{}, n.files.sorted()...), n.collect.sorted()...)}}
}

// integrity: a file under a package's control (dpkg md5sums: dataset
// "dpkg", action "package-file-md5") whose MD5 on disk (file.hash.md5 of a
// file timeline or binaries event) differs. dpkg diversions (action
// "package-diversion") move a package's file: the other packages' sum of
// a diverted path applies to where it was diverted to, the diverting
// package's to the path itself; an administrator's diversion (":") leaves
// the path to the administrator. A path several packages list matches if
// it matches any of them.
type integrity struct {
	pkg  map[string][]pkgFile
	disk map[string]timeline.Event
	div  map[string]diversion
}

type pkgFile struct {
	md5 string
	ev  timeline.Event
}

type diversion struct {
	to, by string
	ev     timeline.Event
}

func (c *integrity) See(ev *timeline.Event) {
	if ev.File == nil {
		return
	}
	p := usrMerged(ev.File.Path)
	if ev.Event.Dataset == "dpkg" && ev.Event.Action == "package-diversion" {
		// One diversion per path; of several, the earliest event's (any order of reading gives the same).
		if old, ok := c.div[p]; (ok && earlier(ev, &old.ev)) || (!ok && len(c.div) < 100_000) {
			c.div[p] = diversion{to: usrMerged(ev.Labels["diversion.to"]), by: ev.Labels["diversion.by"], ev: keep(ev)}
		}
		return
	}
	if ev.File.Hash == nil || ev.File.Hash.MD5 == "" {
		return
	}
	switch {
	case ev.Event.Dataset == "dpkg" && ev.Event.Action == "package-file-md5":
		if len(c.pkg) < 1_000_000 && len(c.pkg[p]) < 8 {
			c.pkg[p] = append(c.pkg[p], pkgFile{ev.File.Hash.MD5, keep(ev)})
		}
	case ev.Event.Dataset == "filetimeline" || ev.Event.Dataset == "binaries":
		if old, ok := c.disk[p]; (ok && earlier(ev, &old)) || (!ok && len(c.disk) < 1_000_000) {
			c.disk[p] = keep(ev)
		}
	}
}

// expected returns the package sums that apply to the file at p on disk.
func (c *integrity) expected() map[string][]pkgFile {
	out := map[string][]pkgFile{}
	for p, fs := range c.pkg {
		d, diverted := c.div[p]
		for _, f := range fs {
			switch {
			case !diverted:
				out[p] = append(out[p], f)
			case f.ev.Labels["package.name"] == d.by:
				out[p] = append(out[p], f) // the diverting package's own file
			default:
				out[d.to] = append(out[d.to], f) // moved aside
			}
		}
	}
	return out
}

func (c *integrity) Add(*timeline.Event) {}

// usrMerged names /bin, /sbin and /lib files by their merged-/usr path, as
// dpkg's older md5sums and the collector may name one file either way.
func usrMerged(p string) string {
	for _, d := range []string{"/bin/", "/sbin/", "/lib/", "/lib64/"} {
		if len(p) > len(d) && p[:len(d)] == d {
			return "/usr" + p
		}
	}
	return p
}

func (c *integrity) Results() []Instance {
	want := c.expected()
	for _, ks := range want { // built from a map: put in the total order
		sort.Slice(ks, func(i, j int) bool { return earlier(&ks[i].ev, &ks[j].ev) })
	}
	paths := make([]string, 0)
	for p := range c.disk {
		if _, ok := want[p]; ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []Instance
next:
	for _, p := range paths {
		d, ks := c.disk[p], want[p]
		for _, k := range ks {
			if d.File.Hash.MD5 == k.md5 {
				continue next
			}
		}
		if len(out) >= 200 {
			break
		}
		k := ks[0]
		out = append(out, Instance{Summary: fmt.Sprintf("%s: MD5 %s on disk, %s in package %s's md5sums", p, d.File.Hash.MD5, k.md5, k.ev.Labels["package.name"]),
			Evidence: []timeline.Event{d, k.ev}})
	}
	return out
}
