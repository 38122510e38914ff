// Package utmp reads the login records of Linux hosts: /var/log/wtmp (every
// login, logout, boot, shutdown and run-level change), /var/log/btmp (failed
// logins) and /run/utmp (who is logged in now), and their rotated
// generations. All three are arrays of glibc's fixed-size struct utmp
// (utmp(5), glibc bits/utmp.h): 384 bytes on x86-64 and 32-bit ports, 400
// on aarch64 and other ports with a 64-bit ut_tv, in the byte order of the
// host that wrote them. Parse detects the layout from the first records
// (see Detect and Layout) unless Options says it, and makes one event of
// each record.
//
// The files are written by whoever is root on the host, so every byte is
// hostile: strings are fixed fields cut at their first NUL (never a
// length), kept as UTF-8 with other bytes written as \xNN, and a record
// that cannot be a utmp record is a warning with its offset, never a
// crash and never skipped without a word.
package utmp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
	"github.com/cordon-forensics/cordon/timeline"
)

// Record types (ut_type), from utmp(5).
const (
	Empty        = 0 // no valid information: a free slot
	RunLevel     = 1 // run level changed (and shutdown, with ut_user "shutdown")
	BootTime     = 2 // system boot; ut_host holds the kernel release
	NewTime      = 3 // clock after a change
	OldTime      = 4 // clock before a change
	InitProcess  = 5 // process spawned by init
	LoginProcess = 6 // a getty waiting for a login; sshd's failed logins in btmp
	UserProcess  = 7 // a user logged in
	DeadProcess  = 8 // a session ended (logout)
	Accounting   = 9 // not used by Linux
)

var typeNames = [...]string{"EMPTY", "RUN_LVL", "BOOT_TIME", "NEW_TIME", "OLD_TIME", "INIT_PROCESS", "LOGIN_PROCESS", "USER_PROCESS", "DEAD_PROCESS", "ACCOUNTING"}

// TypeName returns the utmp.h name of a record type ("USER_PROCESS"), or
// the number for one that is not.
func TypeName(t int16) string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return strconv.Itoa(int(t))
}

// Kind is which of the three files a record is read from: it decides what
// a record means (any record of btmp is a failed login).
type Kind string

// The kinds, which are also the events' event.dataset.
const (
	KindWtmp Kind = "wtmp"
	KindBtmp Kind = "btmp"
	KindUtmp Kind = "utmp"
)

// KindOf returns the kind of file a host path names by its base name:
// btmp* is KindBtmp, utmp* KindUtmp, anything else (wtmp, wtmp.1,
// wtmp-20260301) KindWtmp.
func KindOf(hostPath string) Kind {
	base := path.Base(hostPath)
	switch {
	case strings.HasPrefix(base, "btmp"):
		return KindBtmp
	case strings.HasPrefix(base, "utmp"):
		return KindUtmp
	}
	return KindWtmp
}

// Options lets a caller say what the data cannot.
type Options struct {
	// Layout of the records; the zero Layout detects it (Detect).
	Layout Layout
	// Kind of file; "" takes it from the origin's host path (KindOf).
	Kind Kind
}

// MaxItemised bounds the warnings about single records (corrupt ones,
// unreadable times) given one by one; the rest are counted in one more
// warning (a gigabyte of garbage must not become millions of warnings).
const MaxItemised = 1000

// Record is one struct utmp as read, strings cut at their first NUL and
// made safe (see Parse).
type Record struct {
	Type                        int16
	PID                         int32
	Line, ID, User, Host        string
	ExitTermination, ExitStatus int16
	Session                     int64
	Sec, Usec                   int64    // ut_tv
	Addr                        [16]byte // ut_addr_v6, as stored: network byte order
}

// Decode reads one record of layout l from b, which must hold l.Size bytes.
func (l Layout) Decode(b []byte) (Record, error) {
	if !l.valid() {
		return Record{}, fmt.Errorf("utmp: invalid layout %d bytes", l.Size)
	}
	if len(b) != l.Size {
		return Record{}, fmt.Errorf("utmp: record of %d bytes, want %d", len(b), l.Size)
	}
	o := l.Order
	r := Record{
		Type:            int16(o.Uint16(b[0:2])),
		PID:             int32(o.Uint32(b[4:8])),
		Line:            field(b[8:40]),
		ID:              field(b[40:44]),
		User:            field(b[44:76]),
		Host:            field(b[76:332]),
		ExitTermination: int16(o.Uint16(b[332:334])),
		ExitStatus:      int16(o.Uint16(b[334:336])),
	}
	r.Sec, r.Usec = l.times(b)
	if l.Size == Size400 {
		r.Session = int64(o.Uint64(b[336:344]))
		copy(r.Addr[:], b[360:376])
	} else {
		r.Session = int64(int32(o.Uint32(b[336:340])))
		copy(r.Addr[:], b[348:364])
	}
	return r, nil
}

// field returns a fixed-size C string field up to its first NUL (or whole,
// when it fills the field, as utmp allows), with bytes that are not UTF-8
// and control characters written as \xNN: a user name is attacker-chosen
// and must neither vanish nor drive a terminal.
func field(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	s := textio.Safe(b)
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0 {
		return s
	}
	var sb strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			fmt.Fprintf(&sb, `\x%02x`, r)
		} else {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// IP returns the remote address of the record: ut_addr_v6 when set (an
// IPv4 address is its first word, the others zero; otherwise it is IPv6,
// the rule utmpdump(1) and last(1) follow),
// else ut_host when that is an IP address. ok is false when neither is.
func (r Record) IP() (netip.Addr, bool) {
	var zero [16]byte
	if r.Addr != zero {
		if [12]byte(r.Addr[4:16]) == [12]byte{} {
			return netip.AddrFrom4([4]byte(r.Addr[:4])), true
		}
		return netip.AddrFrom16(r.Addr).Unmap(), true
	}
	if a, err := netip.ParseAddr(r.Host); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

// Parse reads utmp records from r (layout detected, kind from the origin's
// host path) and hands each event and warning to the callbacks. It returns
// an error only when r itself fails.
func Parse(r io.Reader, o timeline.Origin, event func(timeline.Event), warn func(timeline.Warning)) error {
	return ParseWith(r, o, Options{}, event, warn)
}

// ParseWith is Parse with the layout or kind given by the caller.
//
// One event is made of each record, in file order, with its byte offset.
// A record whose ut_type is not 0..9 is corrupt: a warning, not an event.
// So is a record that cannot be real (unreal): one no findings may rest on.
// An all-zero record (an EMPTY slot, or one a log cleaner zeroed) has
// nothing to report: such records are counted in one warning at the end,
// with the first and last offset, rather than made events; an EMPTY record
// with anything in it is an event ("empty-record"), since data left in a
// freed slot is worth seeing. A trailing partial record is a warning.
// Records are fixed-size and carry no marker, so there is no resynchronising
// after inserted bytes: what follows reads as corrupt records, warned.
func ParseWith(r io.Reader, o timeline.Origin, opt Options, event func(timeline.Event), warn func(timeline.Warning)) error {
	kind := opt.Kind
	if kind == "" {
		kind = KindOf(textio.HostPath(o))
	}
	w := func(off int64, format string, args ...any) {
		warn(timeline.Warning{Entry: o.Entry, Offset: off, Message: string(kind) + ": " + fmt.Sprintf(format, args...)})
	}

	sample := make([]byte, DetectRecords*Size400)
	n, err := io.ReadFull(r, sample)
	atEOF := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !atEOF {
		return fmt.Errorf("utmp: reading %s: %w", o.Entry, err)
	}
	sample = sample[:n]
	l := opt.Layout
	if l.Size == 0 && l.Order == nil {
		var ok bool
		l, ok = Detect(sample, atEOF)
		if !ok && !allZero(sample) {
			w(0, "record layout not recognised from the first records (none has a type and time that fit): read as %s", l)
		}
	} else if !l.valid() {
		return fmt.Errorf("utmp: Options.Layout %d bytes is not %d or %d, little- or big-endian", l.Size, Size384, Size400)
	}

	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(sample), r), 64<<10)
	buf := make([]byte, l.Size)
	var (
		off                 int64
		zeros, corrupt      int64
		firstZero, lastZero int64
		itemised, more      int64
		firstMore, lastMore int64
	)
	// note warns of one record, up to MaxItemised; the rest are counted
	note := func(off int64, format string, args ...any) {
		if itemised < MaxItemised {
			itemised++
			w(off, format, args...)
			return
		}
		if more == 0 {
			firstMore = off
		}
		more++
		lastMore = off
	}
	summary := func() {
		if zeros > 0 {
			w(firstZero, "%d all-zero records (EMPTY, nothing in them) not made events: first at offset %d, last at offset %d (a free slot, or a record a log cleaner zeroed)", zeros, firstZero, lastZero)
		}
		if more > 0 {
			w(firstMore, "%d more record warnings not itemised (over %d), offsets %d to %d; %d corrupt records in all", more, MaxItemised, firstMore, lastMore, corrupt)
		}
	}
	for ; ; off += int64(l.Size) {
		k, err := io.ReadFull(br, buf)
		if err == io.EOF {
			break
		}
		if err == io.ErrUnexpectedEOF {
			w(off, "truncated record at offset %d, %d bytes (a %s record is %d)", off, k, l, l.Size)
			break
		}
		if err != nil {
			summary()
			return fmt.Errorf("utmp: reading %s at offset %d: %w", o.Entry, off, err)
		}
		if allZero(buf) {
			if zeros == 0 {
				firstZero = off
			}
			zeros++
			lastZero = off
			continue
		}
		rec, _ := l.Decode(buf)
		if rec.Type < Empty || rec.Type > Accounting {
			corrupt++
			note(off, "corrupt record at offset %d: ut_type %d is not a utmp type (0..9): not read", off, rec.Type)
			continue
		}
		if why := unreal(rec, buf, o); why != "" {
			corrupt++
			note(off, "record at offset %d cannot be real (%s): not read: %s", off, why, textio.Cut(rec.dump(), 512))
			continue
		}
		ev, problem := makeEvent(rec, l, kind, o, off)
		if problem != "" {
			note(off, "record at offset %d (%s): %s", off, TypeName(rec.Type), problem)
		}
		event(ev)
	}
	summary()
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Bounds of what a real record can hold (unreal).
const (
	// futureSlack: a record may be this far after the collection (clocks
	// of the host and of the collector disagree), no further.
	futureSlack = 24 * time.Hour
	// beforeBirth: a record may be this far before its file was created (a
	// rotated generation is born at one rotation and renamed at the next),
	// no further; a copy made by hand is younger than its records, and its
	// birth bounds nothing (see unreal).
	beforeBirth = 366 * 24 * time.Hour
	// maxPID is the largest pid_max Linux allows (PID_MAX_LIMIT, 2^22).
	maxPID = 1 << 22
)

// unreal says why a record cannot have been written by a real host (""
// when it can): its microseconds out of 0..999999, a name that is not
// printable text (glibc copies the user, line, id and host given by
// login, sshd, getty: printable names, never control bytes or invalid
// UTF-8), a process ID no kernel gives, a time after the collection or
// long before the file was born. Random bytes, a record written by a
// program that does not know the layout, and a file of another format
// read as utmp fail these; real records do not.
func unreal(r Record, raw []byte, o timeline.Origin) string {
	if r.Usec < 0 || r.Usec >= 1e6 {
		return fmt.Sprintf("ut_tv.tv_usec %d is not 0..999999", r.Usec)
	}
	for _, f := range []struct {
		name     string
		from, to int
	}{{"ut_line", 8, 40}, {"ut_id", 40, 44}, {"ut_user", 44, 76}, {"ut_host", 76, 332}} {
		if !printable(raw[f.from:f.to]) {
			return f.name + " is not printable text"
		}
	}
	if r.Type != RunLevel && (r.PID < 0 || r.PID > maxPID) {
		return fmt.Sprintf("ut_pid %d is no process ID", r.PID)
	}
	if r.Sec == 0 {
		return ""
	}
	t := time.Unix(r.Sec, r.Usec*1000)
	ref, refName := o.ReadAt, "the collection"
	if ref.IsZero() {
		ref, refName = o.ModTime, "the file's mtime"
	}
	if !ref.IsZero() && t.After(ref.Add(futureSlack)) {
		return fmt.Sprintf("its time %s is after %s %s", t.UTC().Format(time.RFC3339), refName, ref.UTC().Format(time.RFC3339))
	}
	// the birth time bounds the records only for a file written after it
	// was born: a copy (cp, a restored backup, files staged for --root) is
	// born after its last write, or at it, and holds records of any age
	if !o.Birth.IsZero() && o.Birth.Before(o.ModTime.Add(-time.Minute)) && t.Before(o.Birth.Add(-beforeBirth)) {
		return fmt.Sprintf("its time %s is more than a year before the file was created (%s)", t.UTC().Format(time.RFC3339), o.Birth.UTC().Format(time.RFC3339))
	}
	return ""
}

// printable reports whether a fixed string field, up to its first NUL, is
// valid UTF-8 of printable characters (spaces allowed).
func printable(b []byte) bool {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if !utf8.Valid(b) {
		return false
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
		b = b[n:]
	}
	return true
}

// Time meanings of the records that are not logins, logouts or boots.
const (
	MeaningFailedLogin timeline.Meaning = "failed login"
	MeaningRunLevel    timeline.Meaning = "run level changed"
	MeaningShutdown    timeline.Meaning = "shutdown"
	MeaningClockOld    timeline.Meaning = "clock before change"
	MeaningClockNew    timeline.Meaning = "clock after change"
	MeaningLoginPrompt timeline.Meaning = "login prompt started"
)

// maxTime is the last second time.Time formats with a four-digit year.
const maxTime = 253402300799

// makeEvent makes the event of one record; problem says what about its
// time could not be read (the event is made anyway).
func makeEvent(r Record, l Layout, kind Kind, o timeline.Origin, off int64) (timeline.Event, string) {
	ip, hasIP := r.IP()
	from := ""
	if r.Host != "" {
		from = " from " + r.Host
		if hasIP && r.Host != ip.String() {
			from += " (" + ip.String() + ")"
		}
	} else if hasIP {
		from = " from " + ip.String()
	}
	on := ""
	if r.Line != "" {
		on = " on " + r.Line
	}
	ev := timeline.Event{
		Event: timeline.EventFields{
			Kind:     "event",
			Dataset:  string(kind),
			Original: textio.Cut(r.dump(), textio.MaxOriginal),
		},
		Labels: map[string]string{"ut_type": TypeName(r.Type)},
		Cordon: timeline.Cordon{Provenance: o.Provenance(0, off)},
	}
	if o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	if r.Line != "" {
		ev.Labels["tty"] = r.Line
	}
	if r.ID != "" {
		ev.Labels["ut_id"] = r.ID
	}
	if r.Session != 0 {
		ev.Labels["session"] = strconv.FormatInt(r.Session, 10)
	}
	if r.ExitTermination != 0 || r.ExitStatus != 0 {
		ev.Labels["exit"] = fmt.Sprintf("termination %d, status %d", r.ExitTermination, r.ExitStatus)
	}
	remote := func() {
		if hasIP {
			ev.Source = &timeline.Endpoint{IP: ip.String()}
		}
		if r.Host != "" && (!hasIP || r.Host != ip.String()) {
			if ev.Source == nil {
				ev.Source = &timeline.Endpoint{}
			}
			ev.Source.Address = r.Host
		}
	}
	user := func() {
		if r.User != "" {
			ev.User = &timeline.User{Name: r.User}
		}
	}
	pid := func() {
		if r.PID != 0 {
			ev.Process = &timeline.Process{PID: int64(r.PID)}
		}
	}
	pseudo := func() { // the "user" and "host" of boot and run-level records are no user and no host
		if r.User != "" {
			ev.Labels["ut_user"] = r.User
		}
		if r.Host != "" {
			ev.Labels["kernel"] = r.Host
		}
	}
	e := &ev.Event
	switch {
	case kind == KindBtmp:
		// lastb(1) lists every btmp record as a failed attempt, whatever
		// its type: login(1) writes USER_PROCESS, sshd LOGIN_PROCESS.
		e.Category, e.Type, e.Action, e.Outcome = []string{"authentication"}, []string{"start"}, "login-failed", "failure"
		ev.Cordon.TimeMeaning = MeaningFailedLogin
		user()
		pid()
		remote()
		ev.Message = fmt.Sprintf("failed login for %s%s%s", orUnknown(r.User), on, from)
	case r.Type == UserProcess:
		e.Category, e.Type, e.Action, e.Outcome = []string{"authentication", "session"}, []string{"start"}, "user-login", "success"
		ev.Cordon.TimeMeaning = timeline.MeaningLogin
		user()
		pid()
		remote()
		ev.Message = fmt.Sprintf("%s logged in%s%s", orUnknown(r.User), on, from)
	case r.Type == DeadProcess:
		e.Category, e.Type, e.Action = []string{"session"}, []string{"end"}, "user-logout"
		ev.Cordon.TimeMeaning = timeline.MeaningLogout
		user()
		pid()
		remote()
		ev.Message = "session ended" + on
		if r.User != "" {
			ev.Message = r.User + " logged out" + on
		}
	case r.Type == LoginProcess:
		e.Category, e.Type, e.Action = []string{"authentication"}, []string{"start"}, "login-process"
		ev.Cordon.TimeMeaning = MeaningLoginPrompt
		user()
		pid()
		remote()
		ev.Message = "login prompt" + on
	case r.Type == InitProcess:
		e.Category, e.Type, e.Action = []string{"process"}, []string{"start"}, "init-process"
		ev.Cordon.TimeMeaning = timeline.MeaningStart
		user()
		pid()
		remote()
		ev.Message = "process started by init" + on
		if r.ID != "" {
			ev.Message += " (inittab id " + r.ID + ")"
		}
	case r.Type == BootTime:
		e.Category, e.Type, e.Action = []string{"host"}, []string{"start"}, "system-boot"
		ev.Cordon.TimeMeaning = timeline.MeaningBoot
		pseudo()
		ev.Message = "system boot"
		if r.Host != "" {
			ev.Message += ", kernel " + r.Host
		}
	case r.Type == RunLevel:
		// ut_pid holds the new run level in its low byte and the previous
		// one in the next (sysvinit; systemd-update-utmp writes the same).
		e.Category, e.Type = []string{"host"}, []string{"change"}
		pseudo()
		level, prev := byte(r.PID), byte(r.PID>>8)
		ev.Labels["runlevel"] = runLevel(level)
		if prev != 0 {
			ev.Labels["previous_runlevel"] = runLevel(prev)
		}
		if r.User == "shutdown" {
			e.Action, e.Type = "system-shutdown", []string{"end"}
			ev.Cordon.TimeMeaning = MeaningShutdown
			ev.Message = "system shutdown"
		} else {
			e.Action = "run-level"
			ev.Cordon.TimeMeaning = MeaningRunLevel
			ev.Message = "run level " + runLevel(level)
			if prev != 0 {
				ev.Message += " (was " + runLevel(prev) + ")"
			}
		}
	case r.Type == NewTime || r.Type == OldTime:
		e.Category, e.Type, e.Action = []string{"host"}, []string{"change"}, "clock-changed"
		pseudo()
		if r.Type == NewTime {
			ev.Cordon.TimeMeaning = MeaningClockNew
			ev.Message = "system clock changed: time after the change"
		} else {
			ev.Cordon.TimeMeaning = MeaningClockOld
			ev.Message = "system clock changed: time before the change"
		}
	case r.Type == Accounting:
		e.Category, e.Type, e.Action = []string{"host"}, []string{"info"}, "accounting"
		ev.Cordon.TimeMeaning = timeline.MeaningLogged
		user()
		pid()
		remote()
		ev.Message = "accounting record" + on
	default: // Empty, with something in it
		e.Category, e.Type, e.Action = []string{"session"}, []string{"info"}, "empty-record"
		ev.Cordon.TimeMeaning = timeline.MeaningLogged
		user()
		pid()
		remote()
		ev.Message = "EMPTY record with data left in it" + on
		if r.User != "" {
			ev.Message += " (user " + r.User + ")"
		}
	}

	// ut_tv: seconds and microseconds since the epoch, UTC.
	problem := ""
	sec, usec := r.Sec, r.Usec
	if usec < 0 || usec >= 1e6 {
		problem = fmt.Sprintf("ut_tv.tv_usec %d is not 0..999999: ignored", usec)
		usec = 0
	}
	what := fmt.Sprintf("ut_tv of a %s %s record (%s)", kind, TypeName(r.Type), l)
	switch {
	case sec == 0 && usec == 0:
		ev.Cordon.TimeDerivation = what + " is 0: no time"
		if r.Type != Empty {
			problem = "ut_tv is 0: kept with no time"
		}
	case sec < 0 || sec > maxTime:
		ev.Cordon.TimeDerivation = what + " out of range: no time"
		problem = fmt.Sprintf("ut_tv.tv_sec %d is out of range: kept with no time", sec)
	default:
		ev.Timestamp = time.Unix(sec, usec*1000).UTC()
		ev.Cordon.TimeDerivation = what + ": seconds and microseconds since the epoch, UTC"
	}
	return ev, problem
}

func orUnknown(s string) string {
	if s == "" {
		return "(no user)"
	}
	return s
}

// runLevel writes a run level byte as init does: '0'..'6', 'S', …; any
// other byte as a number.
func runLevel(b byte) string {
	if b > 0x20 && b < 0x7f {
		return string(rune(b))
	}
	return strconv.Itoa(int(b))
}

// dump is the record in the form of utmpdump(1): the raw record in text,
// for Event.Original.
func (r Record) dump() string {
	ip := ""
	if a, ok := r.IP(); ok {
		ip = a.String()
	}
	return fmt.Sprintf("[%d] [%05d] [%s] [%s] [%s] [%s] [%s] [%d.%06d]", r.Type, r.PID, r.ID, r.User, r.Line, r.Host, ip, r.Sec, r.Usec)
}
