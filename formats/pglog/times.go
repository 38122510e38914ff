package pglog

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// zones resolves the zone abbreviations of %t and %m ("AEST", "CET",
// "EST"): PostgreSQL prints log_timezone's abbreviation for the time
// (elog.c, via pg_strftime "%Z"), so an abbreviation is resolved, in order,
// by the cluster's log_timezone (from its signed postgresql.conf), by the
// host's time zone, then by a table of abbreviations that mean one offset
// wherever the tz database uses them (abbreviations.go). One none of them
// resolves is taken as UTC and warned about.
type zones struct {
	logTZ *time.Location // the cluster's log_timezone, nil when unknown
	host  *time.Location // the host's time zone, nil when unknown
}

// parseTime reads a log timestamp as PostgreSQL writes it: %m
// "2026-11-23 03:15:13.070 UTC", %t "2026-11-23 03:15:13 UTC" (the zone is
// log_timezone's abbreviation or a numeric offset such as "+01" or
// "-0500"), %n "1763867713.070" (Unix seconds). It returns the time and how
// it was read, for the event's TimeDerivation.
func parseTime(s string, z zones) (time.Time, string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, "", fmt.Errorf("no timestamp")
	}
	if !strings.Contains(s, "-") {
		sec, err := strconv.ParseFloat(s, 64)
		if err != nil || sec < 0 || sec > 1e11 {
			return time.Time{}, "", fmt.Errorf("timestamp %q", s)
		}
		whole := int64(sec)
		return time.Unix(whole, int64((sec-float64(whole))*1e9)).UTC(), "PostgreSQL log line, %n (Unix seconds)", nil
	}
	date, zone := s, ""
	if i := strings.LastIndexByte(s, ' '); i > 10 {
		date, zone = s[:i], s[i+1:]
	}
	layout := "2006-01-02 15:04:05.999999999"
	switch {
	case zone == "":
		loc, note := z.logTZ, "the cluster's log_timezone "
		if loc == nil {
			loc, note = z.host, "the host's time zone "
		}
		if loc == nil {
			t, err := time.ParseInLocation(layout, date, time.UTC)
			return t, "PostgreSQL log line without a zone, the zone unknown: read as UTC", err
		}
		t, err := time.ParseInLocation(layout, date, loc)
		return t, "PostgreSQL log line without a zone: read in " + note + loc.String(), err
	case zone[0] == '+' || zone[0] == '-':
		off, err := parseOffset(zone)
		if err != nil {
			return time.Time{}, "", err
		}
		t, err := time.ParseInLocation(layout, date, time.FixedZone(zone, off))
		return t, "PostgreSQL log line, zone offset " + zone, err
	case zone == "UTC" || zone == "GMT" || zone == "Z":
		t, err := time.ParseInLocation(layout, date, time.UTC)
		return t, "PostgreSQL log line, zone " + zone, err
	}
	for _, c := range []struct {
		loc  *time.Location
		what string
	}{{z.logTZ, "the cluster's log_timezone"}, {z.host, "the host's time zone"}} {
		if c.loc == nil {
			continue
		}
		// the offset the location gives this abbreviation at that date (or
		// a few hours away: the hour after a DST change is written with the
		// abbreviation it ends)
		t0, err := time.ParseInLocation(layout, date, c.loc)
		if err != nil {
			return time.Time{}, "", err
		}
		for _, d := range []time.Duration{0, -6 * time.Hour, 6 * time.Hour} {
			if name, off := t0.Add(d).Zone(); name == zone {
				t, err := time.ParseInLocation(layout, date, time.FixedZone(zone, off))
				return t, fmt.Sprintf("PostgreSQL log line, zone %s of %s %s", zone, c.what, c.loc), err
			}
		}
	}
	if off, ok := abbreviations[zone]; ok {
		t, err := time.ParseInLocation(layout, date, time.FixedZone(zone, off))
		return t, fmt.Sprintf("PostgreSQL log line, zone %s (UTC%s wherever the tz database uses it)", zone, offsetString(off)), err
	}
	t, err := time.ParseInLocation(layout, date, time.UTC)
	return t, "PostgreSQL log line, zone abbreviation " + zone + zoneGuessed, err
}

// offsetString writes an offset as "+10:00".
func offsetString(off int) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s%02d:%02d", sign, off/3600, off%3600/60)
}

// zoneGuessed ends the derivation of a time whose zone abbreviation was
// not resolved: the parser warns once per abbreviation.
const zoneGuessed = " neither the cluster's log_timezone, the host's time zone nor the table of unambiguous abbreviations resolves: taken as UTC"

// time reads a timestamp as parseTime does, warning once per zone
// abbreviation it could not resolve.
func (p *parser) time(s string, line, off int64) (time.Time, string, error) {
	t, note, err := parseTime(s, p.zones)
	if err == nil && strings.HasSuffix(note, zoneGuessed) {
		zone := s[strings.LastIndexByte(strings.TrimSpace(s), ' ')+1:]
		if !p.zonesWarned[zone] && len(p.zonesWarned) < 64 {
			if p.zonesWarned == nil {
				p.zonesWarned = map[string]bool{}
			}
			p.zonesWarned[zone] = true
			p.warnf(line, off, "time zone abbreviation %q is not resolved (log_timezone %s, host time zone %s, and it means several offsets or none in the tz database): its times are taken as UTC",
				textio.Cut(textio.SafeString(zone), 32), locName(p.zones.logTZ), locName(p.zones.host))
		}
	}
	return t, note, err
}

func locName(l *time.Location) string {
	if l == nil {
		return "unknown"
	}
	return l.String()
}

func parseOffset(z string) (int, error) {
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	d := strings.ReplaceAll(z[1:], ":", "")
	var h, m int
	var err error
	switch len(d) {
	case 2:
		h, err = strconv.Atoi(d)
	case 4:
		h, err = strconv.Atoi(d[:2])
		if err == nil {
			m, err = strconv.Atoi(d[2:])
		}
	default:
		return 0, fmt.Errorf("zone offset %q", z)
	}
	if err != nil || h > 15 || m > 59 {
		return 0, fmt.Errorf("zone offset %q", z)
	}
	return sign * (h*3600 + m*60), nil
}
