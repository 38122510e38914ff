package snapshot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// The kernel ring buffer as the collector copies /dev/kmsg
// (kernel/kmsg.txt): one record a line,
//
//	PRIORITY,SEQUENCE,MICROSECONDS,FLAGS[,MORE…];MESSAGE
//
// followed by continuation lines, each starting with a space, that hold
// the record's dictionary ("SUBSYSTEM=pci", "DEVICE=+pci:0000:00:01.0").
// MICROSECONDS is the kernel's clock since boot (local_clock: it stops
// while the machine is suspended); PRIORITY is facility*8+level
// (Documentation/ABI/testing/dev-kmsg). The kernel escapes non-printable
// bytes of the message as \xNN; what a bundle holds is still hostile.

// MaxKmsgLine bounds one line: a kernel record is at most about 1 KiB of
// text and its dictionary; a longer line is damaged or forged.
const MaxKmsgLine = 64 << 10

// maxKmsgMicros bounds the time since boot (about 142 years): a larger
// value is forged, and would overflow a time.Duration.
const maxKmsgMicros = 1 << 52

// maxKmsgDict bounds the dictionary lines kept per record.
const maxKmsgDict = 16

// KmsgRecord is one /dev/kmsg record.
type KmsgRecord struct {
	Facility int
	Level    int
	Seq      uint64
	Micros   uint64
	Flags    string
	Message  string
	Dict     []string
	Line     int64
	Offset   int64
}

var kmsgLevels = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

var kmsgFacilities = []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp"}

// ParseKmsgLine reads the header of one record line. ok is false for a
// line that is not a record.
func ParseKmsgLine(line string) (KmsgRecord, bool) {
	var r KmsgRecord
	head, msg, found := strings.Cut(line, ";")
	if !found {
		return r, false
	}
	f := strings.Split(head, ",")
	if len(f) < 4 {
		return r, false
	}
	pri, err1 := strconv.ParseUint(f[0], 10, 16)
	seq, err2 := strconv.ParseUint(f[1], 10, 64)
	us, err3 := strconv.ParseUint(f[2], 10, 63)
	if err1 != nil || err2 != nil || err3 != nil || pri > 1023 || us > maxKmsgMicros {
		return r, false
	}
	r.Facility, r.Level = int(pri>>3), int(pri&7)
	r.Seq, r.Micros, r.Flags = seq, us, f[3]
	r.Message = msg
	return r, true
}

// ReadKmsg reads kernel/kmsg.txt, calling fn with each record (its
// dictionary lines gathered). A line that is neither a record nor a
// continuation, or is too long, is a warning with its place.
func ReadKmsg(r io.Reader, o timeline.Origin, fn func(KmsgRecord), warn func(timeline.Warning)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var line, off int64
	var cur *KmsgRecord
	flush := func() {
		if cur != nil {
			fn(*cur)
			cur = nil
		}
	}
	for {
		buf, n, long, err := readLine(br, MaxKmsgLine)
		if n > 0 {
			line++
			start := off
			off += n
			s := strings.TrimSuffix(string(buf), "\r")
			switch {
			case long:
				warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: start, Message: fmt.Sprintf("kmsg line longer than %d bytes: not read", MaxKmsgLine)})
			case s == "":
			case s[0] == ' ':
				if cur == nil {
					warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: start, Message: "kmsg continuation line without a record before it"})
				} else if len(cur.Dict) < maxKmsgDict {
					cur.Dict = append(cur.Dict, strings.TrimSpace(s))
				}
			default:
				flush()
				rec, ok := ParseKmsgLine(s)
				if !ok {
					warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: start, Message: "not a /dev/kmsg record (PRIORITY,SEQUENCE,MICROSECONDS,FLAGS;MESSAGE)"})
					break
				}
				rec.Line, rec.Offset = line, start
				cur = &rec
			}
		}
		if errors.Is(err, io.EOF) {
			flush()
			return nil
		}
		if err != nil {
			flush()
			return fmt.Errorf("reading %s: %w", o.Entry, err)
		}
	}
}

// KmsgNoBootTime is the warning for a ring buffer read without a known
// boot time: its events are placed at the Unix epoch plus their offset
// since boot.
const KmsgNoBootTime = "the host's boot time is unknown: kernel messages are placed at 1970-01-01 plus their time since boot (the offset is in labels.kmsg.since_boot_us)"

// KmsgEvent turns one record into an event timed by boot (boot time plus
// the record's microseconds since boot); with a zero boot the time is the
// epoch plus that offset, and the derivation says so.
func KmsgEvent(r KmsgRecord, boot time.Time, o timeline.Origin) timeline.Event {
	at := boot.Add(time.Duration(r.Micros) * time.Microsecond)
	deriv := "the host's boot time (custody) plus the record's microseconds since boot (the kernel's clock, which stops during suspend)"
	if boot.IsZero() {
		at = epoch.Add(time.Duration(r.Micros) * time.Microsecond)
		deriv = "boot time unknown: 1970-01-01 plus the record's microseconds since boot"
	}
	ev := timeline.Event{
		Timestamp: at.UTC(),
		Message:   r.Message,
		Event: timeline.EventFields{Kind: "event", Category: []string{"host"}, Type: []string{"info"},
			Action: "kernel-message", Dataset: "kmsg"},
		Labels: map[string]string{
			"kmsg.seq":           strconv.FormatUint(r.Seq, 10),
			"kmsg.since_boot_us": strconv.FormatUint(r.Micros, 10),
			"kmsg.level":         levelName(r.Level),
			"kmsg.facility":      facilityName(r.Facility),
		},
		Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningLogged, TimeDerivation: deriv, Provenance: o.Provenance(r.Line, r.Offset)},
	}
	if r.Flags != "-" && r.Flags != "" {
		ev.Labels["kmsg.flags"] = r.Flags
	}
	for _, d := range r.Dict {
		k, v, ok := strings.Cut(d, "=")
		key := "kmsg." + strings.ToLower(k)
		if _, taken := ev.Labels[key]; ok && k != "" && len(k) <= 64 && !taken {
			ev.Labels[key] = v
		}
	}
	if o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	return ev
}

func levelName(l int) string {
	if l >= 0 && l < len(kmsgLevels) {
		return kmsgLevels[l]
	}
	return strconv.Itoa(l)
}

func facilityName(f int) string {
	if f >= 0 && f < len(kmsgFacilities) {
		return kmsgFacilities[f]
	}
	return strconv.Itoa(f)
}
