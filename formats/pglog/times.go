package pglog

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/internal/textio"
)

// parseTime reads a log timestamp as PostgreSQL writes it: %m
// "2026-11-23 03:15:13.070 UTC", %t "2026-11-23 03:15:13 UTC" (the zone is
// log_timezone's abbreviation or a numeric offset such as "+01" or
// "-0500"), %n "1763867713.070" (Unix seconds). It returns the time and how
// it was read, for the event's TimeDerivation. loc is the host's time
// zone: an abbreviation it knows gets its offset; one it does not is taken
// as UTC, and the derivation says so.
func parseTime(s string, loc *time.Location) (time.Time, string, error) {
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
		if loc == nil {
			loc = time.UTC
		}
		t, err := time.ParseInLocation(layout, date, loc)
		return t, "PostgreSQL log line without a zone: read in the host's time zone " + loc.String(), err
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
	if loc != nil {
		t, err := time.ParseInLocation(layout+" MST", date+" "+zone, loc)
		if err == nil {
			if name, _ := t.Zone(); name == zone {
				if _, off := t.Zone(); off != 0 || zone == "WET" || zone == "GMT" {
					return t, "PostgreSQL log line, zone " + zone + " of the host's time zone " + loc.String(), nil
				}
			}
		}
	}
	t, err := time.ParseInLocation(layout, date, time.UTC)
	return t, "PostgreSQL log line, zone abbreviation " + zone + zoneGuessed, err
}

// zoneGuessed ends the derivation of a time whose zone abbreviation was
// not resolved: the parser warns once per abbreviation.
const zoneGuessed = " unknown to the host's time zone: taken as UTC"

// time reads a timestamp as parseTime does, warning once per zone
// abbreviation it could not resolve (log_timezone is the cluster's: pass
// the host's zone in Origin.Location to resolve it).
func (p *parser) time(s string, line, off int64) (time.Time, string, error) {
	t, note, err := parseTime(s, p.o.Location)
	if err == nil && strings.HasSuffix(note, zoneGuessed) {
		zone := s[strings.LastIndexByte(strings.TrimSpace(s), ' ')+1:]
		if !p.zonesWarned[zone] && len(p.zonesWarned) < 64 {
			if p.zonesWarned == nil {
				p.zonesWarned = map[string]bool{}
			}
			p.zonesWarned[zone] = true
			p.warnf(line, off, "time zone abbreviation %q is not the host's (%s): its times are taken as UTC", textio.Cut(textio.SafeString(zone), 32), locName(p.o.Location))
		}
	}
	return t, note, err
}

func locName(l *time.Location) string {
	if l == nil {
		return "none given"
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
