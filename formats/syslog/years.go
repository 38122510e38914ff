package syslog

// years.go infers the year of traditional lines ("Nov  2 10:24:55", no
// year) for a whole file at once, in the first of the two passes:
//
//  1. Each line's place in the year (month, day, time) is compared with the
//     line before. A step back of more than a month is a New Year crossed
//     (the line is a year later than the one before); a step forward of
//     more than eleven months is New Year crossed backwards (a line written
//     just before midnight on 31 December, logged after one of 1 January).
//     The lines between two such steps share a year: a group.
//  2. A group's year comes, by preference, from what the file states: a
//     line with a full timestamp (RFC 3339, RFC 5424, "Mmm dd yyyy"), or
//     a message that states the date of its own line (anacron's "started
//     on YYYY-MM-DD", the kernel's "setting system clock to YYYY-MM-DD",
//     an ftpd's ctime with its year), each taken only when its month and
//     day are those of the line (a date an attacker wrote into a user name
//     is not the line's own). Groups between stated ones count from the
//     nearest later statement (or earlier, after the last).
//  3. Else from the file's mtime (Origin.ModTime), which is at or after
//     the last line: the last group takes the mtime's year, or the year
//     before when the last line would otherwise lie more than a day after
//     the mtime, and each earlier group one year less. Without an mtime,
//     the collection time (Origin.ReadAt) stands for it; without either,
//     the analysis's own year is assumed, and a warning says the file's
//     years are not anchored.
//  4. A group holding a "Feb 29" line must be a leap year: if it is not,
//     it and every group before it move back to the nearest leap year (the
//     file lost a year somewhere after it), and the derivation says so.
//
// What remains wrong: a file that spans more than a year without a line
// in some whole year, and a file whose mtime an attacker changed. The
// derivation of every event says which rule gave its year.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// maxYearChanges bounds the New Year crossings remembered: a hostile file
// alternating December and January lines would otherwise grow the plan.
const maxYearChanges = 1 << 16

// yearChange: from line on, the group is rel.
type yearChange struct {
	line int64
	rel  int
}

type yearGroup struct {
	feb29       bool
	feb29Line   int64
	stated      int // a year the file states for this group (0: none)
	statedLine  int64
	statedBy    string
	conflicting bool
}

type yearWarning struct {
	line int64
	text string
}

type yearPlan struct {
	o   timeline.Origin
	loc *time.Location

	// first pass
	n        int // timed lines seen
	rel      int // group of the last timed line
	lastPos  int64
	lastLine int64
	lastMon  time.Month
	lastDay  int
	lastClk  [3]int
	changes  []yearChange
	groups   map[int]*yearGroup
	cut      bool

	// resolved
	years      map[int]int
	notes      map[int]string
	unanchored string
	warnings   []yearWarning

	// second pass: where the lookup is
	at  int
	cur int
}

func newYearPlan(o timeline.Origin, loc *time.Location) *yearPlan {
	return &yearPlan{o: o, loc: loc, groups: map[int]*yearGroup{}}
}

// position is a time's place in a leap year, in seconds.
func position(mon time.Month, day, hh, mm, ss int) int64 {
	d := time.Date(2000, mon, day, 0, 0, 0, 0, time.UTC).YearDay() - 1
	return int64(d)*86400 + int64(hh)*3600 + int64(mm)*60 + int64(ss)
}

const (
	month       = 31 * 86400
	elevenMonth = 335 * 86400
)

func (yp *yearPlan) group(rel int) *yearGroup {
	g := yp.groups[rel]
	if g == nil {
		g = &yearGroup{}
		yp.groups[rel] = g
	}
	return g
}

// add takes one line's header into the plan.
func (yp *yearPlan) add(h *header, line int64) {
	if h.noTime {
		return
	}
	mon, day, hh, mm, ss := h.mon, h.day, h.hh, h.mm, h.ss
	stated, by := 0, ""
	switch {
	case h.hasFull:
		lt := h.full.In(yp.loc)
		mon, day, hh, mm, ss = lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second()
		stated, by = lt.Year(), "a line with a full timestamp"
	case h.year != 0:
		stated, by = h.year, "a timestamp written with its year"
	default:
		stated, by = statedYear(h)
	}
	pos := position(mon, day, hh, mm, ss)
	if yp.n > 0 && !yp.cut {
		d := pos - yp.lastPos
		switch {
		case d < -month:
			yp.rel++
		case d > elevenMonth:
			yp.rel--
		}
		if d < -month || d > elevenMonth {
			if len(yp.changes) >= maxYearChanges {
				yp.cut = true
				yp.warnings = append(yp.warnings, yearWarning{line, fmt.Sprintf("more than %d New Year crossings in one file: the years of the lines from here on are those of the line before", maxYearChanges)})
				yp.rel = yp.changes[len(yp.changes)-1].rel
			} else {
				yp.changes = append(yp.changes, yearChange{line, yp.rel})
			}
		}
	}
	yp.n++
	yp.lastPos, yp.lastLine, yp.lastMon, yp.lastDay, yp.lastClk = pos, line, mon, day, [3]int{hh, mm, ss}
	if len(yp.groups) >= maxYearChanges+1 && yp.groups[yp.rel] == nil {
		return
	}
	g := yp.group(yp.rel)
	if !h.hasFull && h.year == 0 && mon == time.February && day == 29 && !g.feb29 {
		g.feb29, g.feb29Line = true, line
	}
	if stated != 0 {
		switch {
		case g.stated == 0:
			g.stated, g.statedLine, g.statedBy = stated, line, by
		case g.stated != stated:
			g.conflicting = true
		}
	}
}

// resolve gives each group its year (steps 2 to 4 of the file comment).
func (yp *yearPlan) resolve() {
	yp.years, yp.notes = map[int]int{}, map[int]string{}
	if yp.n == 0 {
		return
	}
	lo, hi := 0, 0
	for rel := range yp.groups {
		lo, hi = min(lo, rel), max(hi, rel)
	}
	hi = max(hi, yp.rel)
	crossings := func(from, to int) string {
		d := to - from
		if d < 0 {
			d = -d
		}
		switch d {
		case 0:
			return ""
		case 1:
			return ", 1 New Year crossed"
		}
		return fmt.Sprintf(", %d New Years crossed", d)
	}
	var statedRels []int
	for rel := lo; rel <= hi; rel++ {
		if g := yp.groups[rel]; g != nil && g.stated != 0 {
			statedRels = append(statedRels, rel)
			if g.conflicting {
				yp.warnings = append(yp.warnings, yearWarning{g.statedLine, fmt.Sprintf("lines of the same year state different years (first %d, at line %d): the first is used", g.stated, g.statedLine)})
			}
		}
	}
	if len(statedRels) > 0 {
		for rel := lo; rel <= hi; rel++ {
			// the nearest statement at or after this group, else before
			from := statedRels[len(statedRels)-1]
			for _, s := range statedRels {
				if s >= rel {
					from = s
					break
				}
			}
			g := yp.groups[from]
			yp.years[rel] = g.stated + (rel - from)
			yp.notes[rel] = fmt.Sprintf("syslog line without a year: year %d from the year the file states (%s, line %d)%s",
				yp.years[rel], g.statedBy, g.statedLine, crossings(rel, from))
		}
		// a stated year that puts the file's end after it was last written is suspect
		if ref, what := yp.reference(); !ref.IsZero() {
			last := time.Date(yp.years[yp.rel], yp.lastMon, yp.lastDay, yp.lastClk[0], yp.lastClk[1], yp.lastClk[2], 0, yp.loc)
			if last.After(ref.Add(24 * time.Hour)) {
				yp.warnings = append(yp.warnings, yearWarning{yp.lastLine, fmt.Sprintf("the years the file states put its last line at %s, after %s %s: the stated years are kept",
					last.UTC().Format(time.RFC3339), what, ref.UTC().Format(time.RFC3339))})
			}
		}
	} else {
		ref, what := yp.reference()
		basis := ""
		if ref.IsZero() {
			ref, what = time.Now(), "the analysis's own clock"
			yp.unanchored = fmt.Sprintf("no year stated in the file and neither its mtime nor its collection time known: its lines are dated in %d (the analysis's year), which nothing anchors", ref.In(yp.loc).Year())
		}
		y := ref.In(yp.loc).Year()
		if time.Date(y, yp.lastMon, yp.lastDay, yp.lastClk[0], yp.lastClk[1], yp.lastClk[2], 0, yp.loc).After(ref.Add(24 * time.Hour)) {
			y--
		}
		basis = fmt.Sprintf("%s %s", what, ref.UTC().Format(time.RFC3339))
		for rel := lo; rel <= hi; rel++ {
			yp.years[rel] = y - (yp.rel - rel)
			yp.notes[rel] = fmt.Sprintf("syslog line without a year: year %d inferred from %s, counting back from the file's last line (line %d)%s",
				yp.years[rel], basis, yp.lastLine, crossings(rel, yp.rel))
		}
	}
	// Feb 29 only in leap years: move this group and those before it
	shift := 0
	shiftNote := ""
	for rel := hi; rel >= lo; rel-- {
		y := yp.years[rel] - shift
		if g := yp.groups[rel]; g != nil && g.feb29 && !isLeap(y) {
			ly := previousLeap(y)
			shift += y - ly
			shiftNote = fmt.Sprintf("; moved back to %d: line %d is Feb 29, so its year is a leap year (the nearest before %d)", ly, g.feb29Line, y)
			yp.warnings = append(yp.warnings, yearWarning{g.feb29Line, fmt.Sprintf("a Feb 29 line in a year inferred as %d, which has none: it and the lines before it are dated %d years earlier", y, y-ly)})
		}
		if shift != 0 {
			yp.years[rel] -= shift
			yp.notes[rel] = rewriteYear(yp.notes[rel], yp.years[rel]) + shiftNote
		}
	}
}

// rewriteYear puts the final year at the head of a note.
func rewriteYear(note string, y int) string {
	const head = "syslog line without a year: year "
	if rest, ok := strings.CutPrefix(note, head); ok {
		if sp := strings.IndexByte(rest, ' '); sp > 0 {
			return head + strconv.Itoa(y) + " (first inferred " + rest[:sp] + ")" + rest[sp:]
		}
	}
	return note
}

// reference is the time the file's last line is at or before: its mtime,
// else when the collector read it.
func (yp *yearPlan) reference() (time.Time, string) {
	switch {
	case !yp.o.ModTime.IsZero():
		return yp.o.ModTime, "the file's mtime"
	case !yp.o.ReadAt.IsZero():
		return yp.o.ReadAt, "the time the file was collected"
	}
	return time.Time{}, ""
}

// year returns the year of the timed line n (lines are asked in order).
func (yp *yearPlan) year(n int64) (int, string) {
	for yp.at < len(yp.changes) && yp.changes[yp.at].line <= n {
		yp.cur = yp.changes[yp.at].rel
		yp.at++
	}
	y, ok := yp.years[yp.cur]
	if !ok {
		return time.Now().Year(), "syslog line without a year: no year inferred for it; the analysis's year assumed"
	}
	return y, yp.notes[yp.cur]
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// previousLeap returns the nearest leap year at or before y.
func previousLeap(y int) int {
	for !isLeap(y) {
		y--
	}
	return y
}

// statedYear reads a year a message states for its own line (see the
// file comment): the message's date must have the line's month and day
// (a day apart is allowed: the kernel writes UTC, the header local time).
func statedYear(h *header) (int, string) {
	prog := programOf(h.prog)
	msg := h.message
	var y int
	var mon time.Month
	var day int
	var by string
	switch {
	case prog == "anacron" && strings.HasPrefix(msg, "Anacron ") && strings.Contains(msg, " started on "):
		_, d, _ := strings.Cut(msg, " started on ")
		y, mon, day = isoDate(d)
		by = "anacron's start line"
	case prog == "kernel" && strings.Contains(msg, "setting system clock to "):
		_, d, _ := strings.Cut(msg, "setting system clock to ")
		y, mon, day = isoDate(d)
		by = "the kernel's RTC line"
	case strings.HasSuffix(prog, "ftpd"):
		y, mon, day = ctimeDate(msg)
		by = "an ftpd's dated line"
	default:
		return 0, ""
	}
	if y < 1970 || y > 9999 {
		return 0, ""
	}
	a := time.Date(2000, mon, day, 0, 0, 0, 0, time.UTC)
	b := time.Date(2000, h.mon, h.day, 0, 0, 0, 0, time.UTC)
	if d := a.Sub(b); d > 24*time.Hour || d < -24*time.Hour {
		return 0, ""
	}
	return y, by
}

// isoDate reads "YYYY-MM-DD" at the start of s.
func isoDate(s string) (int, time.Month, int) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4) != 4 || digits(s[5:], 2) != 2 || digits(s[8:], 2) != 2 {
		return 0, 0, 0
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:10])
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0
	}
	return y, time.Month(m), d
}

// ctimeDate reads the first "Www Mmm [d]d hh:mm:ss yyyy" in s.
func ctimeDate(s string) (int, time.Month, int) {
	if len(s) > 512 {
		s = s[:512]
	}
	for _, f := range []string{"Mon Jan _2 15:04:05 2006"} {
		for i := 0; i+len(f) <= len(s); i++ {
			switch s[i:min(i+3, len(s))] {
			case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
				if t, err := time.Parse(f, s[i:i+len(f)]); err == nil {
					return t.Year(), t.Month(), t.Day()
				}
			}
		}
	}
	return 0, 0, 0
}
