package utmp

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/cordon-forensics/cordon/timeline"
)

// Lastlog: <lastlog.h>'s struct lastlog is {int32 ll_time; char
// ll_line[32]; char ll_host[256]}, 292 bytes, one per UID. With UIDs in
// the millions (containers, LDAP) the file is gigabytes of holes, so the
// collector keeps it compact, in the entry LastlogEntry: each non-empty
// record prefixed by its UID as uint32 little-endian, in ascending UID
// order (AppendLastlog writes one, ParseLastlog reads them). The original
// file's metadata (size included) is in the entry's record.
const (
	// LastlogEntry is the bundle entry of the compact lastlog.
	LastlogEntry       = "logs/lastlog.records"
	LastlogRecordSize  = 292
	LastlogCompactSize = 4 + LastlogRecordSize
	// LastlogDataset is the event.dataset of lastlog events.
	LastlogDataset = "lastlog"
	// MaxLastlogRecords bounds the records read (the collector keeps 100,000).
	MaxLastlogRecords = 1_000_000
)

// AppendLastlog appends the compact form of one lastlog record (UID, then
// the LastlogRecordSize raw bytes) to dst.
func AppendLastlog(dst []byte, uid uint32, record []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uid)
	return append(dst, record[:LastlogRecordSize]...)
}

// ParseLastlog reads the compact lastlog and emits one "last login" event
// per UID. ll_time is in the host's byte order: little-endian unless only
// big-endian gives a plausible time. User names come from o.Users.
func ParseLastlog(r io.Reader, o timeline.Origin, event func(timeline.Event), warn func(timeline.Warning)) error {
	buf := make([]byte, LastlogCompactSize)
	var off int64
	prev := int64(-1)
	for n := 0; ; n++ {
		k, err := io.ReadFull(r, buf)
		if err == io.EOF {
			return nil
		}
		if err == io.ErrUnexpectedEOF {
			warn(timeline.Warning{Entry: o.Entry, Offset: off, Message: fmt.Sprintf("lastlog: a partial record of %d bytes at the end", k)})
			return nil
		}
		if err != nil {
			return fmt.Errorf("lastlog: reading %s: %w", o.Entry, err)
		}
		if n >= MaxLastlogRecords {
			warn(timeline.Warning{Entry: o.Entry, Offset: off, Message: fmt.Sprintf("lastlog: more than %d records: the rest not read", MaxLastlogRecords)})
			return nil
		}
		uid := binary.LittleEndian.Uint32(buf[:4])
		if int64(uid) <= prev {
			warn(timeline.Warning{Entry: o.Entry, Offset: off, Message: fmt.Sprintf("lastlog: UID %d after UID %d: records out of order", uid, prev)})
		}
		prev = int64(uid)
		if ev, ok := lastlogEvent(uid, buf[4:], o, off, warn); ok {
			event(ev)
		}
		off += LastlogCompactSize
	}
}

func plausibleTime(sec int64) bool {
	return sec > 631152000 && sec < 4102444800 // 1990 to 2100
}

func lastlogEvent(uid uint32, rec []byte, o timeline.Origin, off int64, warn func(timeline.Warning)) (timeline.Event, bool) {
	sec := int64(int32(binary.LittleEndian.Uint32(rec[:4])))
	order := ""
	if be := int64(int32(binary.BigEndian.Uint32(rec[:4]))); !plausibleTime(sec) && plausibleTime(be) {
		sec, order = be, " (big-endian)"
	}
	line, host := field(rec[4:36]), field(rec[36:292])
	name := o.Users[uid]
	who := "UID " + strconv.FormatUint(uint64(uid), 10)
	if name != "" {
		who += " (" + name + ")"
	}
	if sec <= 0 || !plausibleTime(sec) {
		warn(timeline.Warning{Entry: o.Entry, Offset: off, Message: fmt.Sprintf("lastlog: %s has a record with an implausible time %d (line %q, host %q)", who, sec, line, host)})
		return timeline.Event{}, false
	}
	msg := who + " last logged in"
	if line != "" {
		msg += " on " + line
	}
	ev := timeline.Event{Timestamp: time.Unix(sec, 0).UTC(),
		Event: timeline.EventFields{Kind: "state", Category: []string{"authentication", "session"}, Type: []string{"start", "info"},
			Action: "last-login", Outcome: "success", Dataset: LastlogDataset},
		User:   &timeline.User{ID: strconv.FormatUint(uint64(uid), 10), Name: name},
		Labels: map[string]string{},
		Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningLogin,
			TimeDerivation: "lastlog's ll_time, whole seconds" + order, Provenance: o.Provenance(0, off)}}
	if line != "" {
		ev.Labels["tty"] = line
	}
	if host != "" {
		msg += " from " + host
		if a, err := netip.ParseAddr(host); err == nil {
			ev.Source = &timeline.Endpoint{IP: a.Unmap().String()}
		} else {
			ev.Source = &timeline.Endpoint{Address: host}
		}
	}
	ev.Message = msg + " (lastlog)"
	if o.Host != "" {
		ev.Host = &timeline.Host{Name: o.Host}
	}
	return ev, true
}
