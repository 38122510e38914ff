package importer

import (
	"regexp"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
)

// Cat-Scale (github.com/WithSecureLabs/LinuxCatScale) 1.3 writes
// catscale_HOST-YYYYMMDD-HHMM.tar.gz holding its output directory
// (catscale_out/ unless -d): Process_and_Network/, Logs/, System_Info/,
// Persistence/, User_Files/, Docker/, Podman/, Virsh/, Misc/, every file
// named HOST-YYYYMMDD-HHMM-WHAT. Host files are in nested .tar.gz
// archives (Logs/*-var-log.tar.gz, System_Info/*-etc-key-files.tar.gz, …)
// whose member names are host paths without their leading "/". It prints
// the archive's SHA-1 on the console and writes no acquisition log.
func catscaleLayout() *Layout {
	const pn = `Process_and_Network/[^/]*-`
	return &Layout{
		ID: "catscale", Name: "Cat-Scale",
		Detect: func(first string) (string, bool) {
			dir, _, _ := strings.Cut(first, "/")
			if dir == "" {
				return "", false
			}
			// the root is the output directory (-d; catscale_out by default),
			// also when --layout names the layout of an archive not recognised
			ok := dir == "catscale_out" || strings.Contains(first, "/Process_and_Network/") || strings.Contains(first, "/Misc/") && strings.Contains(first, "-full-timeline")
			return dir, ok
		},
		Rules: []Rule{
			{Name: "ps", Pattern: pn + `processes-(axwwSo|auxSww|auxww|eF|ef|e)\.txt`, Kind: Parse, Parse: "ps"},
			{Name: "proc-status", Pattern: pn + `process-details\.txt`, Kind: Parse, Parse: "proc-status"},
			{Name: "process-hashes", Pattern: pn + `processhashes\.txt`, Kind: Parse, Parse: "exe-hashes"},
			{Name: "exe-links", Pattern: pn + `process-exe-links\.txt`, Kind: Parse, Parse: "exe-links"},
			{Name: "fd-links", Pattern: pn + `process-fd-links\.txt`, Kind: Parse, Parse: "fd-links"},
			{Name: "cmdline", Pattern: pn + `process-cmdline\.txt`, Kind: Parse, Parse: "head-cmdline"},
			{Name: "lsof", Pattern: pn + `lsof-list-open-files\.txt`, Kind: Parse, Parse: "lsof"},
			{Name: "ss", Pattern: pn + `ss-[a-z]+\.txt`, Kind: Parse, Parse: "ss"},
			{Name: "netstat", Pattern: pn + `netstat-[a-zA-Z]+\.txt`, Kind: Parse, Parse: "netstat"},
			{Name: "ssh-folders", Pattern: pn + `ssh-folders\.tar\.gz`, Kind: Nested},
			{Name: "var-log", Pattern: `Logs/[^/]*-var-(log|crash|adm)\.tar\.gz`, Kind: Nested},
			{Name: "w", Pattern: `Logs/[^/]*-whoandwhat\.txt`, Kind: Parse, Parse: "catscale-w"},
			{Name: "etc", Pattern: `System_Info/[^/]*-etc-(key|modified)-files\.tar\.gz`, Kind: Nested},
			{Name: "date", Pattern: `System_Info/[^/]*-host-date-timezone\.txt`, Kind: Parse, Parse: "catscale-date"},
			{Name: "home-files", Pattern: `User_Files/hidden-user-home-dir\.tar\.gz`, Kind: Nested},
			{Name: "cron", Pattern: `Persistence/[^/]*-cron-folder\.tar\.gz`, Kind: Nested},
			{Name: "timeline", Pattern: `Misc/[^/]*-full-timeline\.csv`, Kind: Entry, Entry: StatTimelineEntry, Source: "filetimeline"},
			{Name: "program-hashes", Pattern: `Misc/[^/]*-exec-perm-files\.txt`, Kind: Parse, Parse: "program-hashes"},
			{Name: "console-errors", Pattern: `[^/]*-console-error-log\.txt`, Kind: Parse, Parse: "catscale-errors"},
		},
		Lacks: []string{
			"no packet capture: Cat-Scale does not capture traffic",
			"no process memory: Cat-Scale dumps none",
			"no copy of any running executable: Cat-Scale lists their SHA-1 only (processhashes.txt); a deleted binary is gone with its process",
			"process start times to the minute at best: ps's STIME column (HH:MM, or the day for older processes)",
			"no time zone: Cat-Scale prints its date in UTC; the host's offset is read from w's clock against the time w's output was written",
			"sockets of one network namespace: ss lists the namespace Cat-Scale ran in (Cordon reads every namespace)",
		},
		Nested: []Rule{
			{Name: "host-passwd", Pattern: `(?P<path>etc/passwd)`, Kind: HostFile, HostPath: "/${path}", Parse: "passwd"},
			{Name: "host-file", Pattern: `(?P<path>.+)`, Kind: HostFile, HostPath: "/${path}"},
		},
	}
}

var reCatScaleDate = regexp.MustCompile(`Date : (.*)$`)

// parseCatScaleDate reads "Date : Tue Dec 1 14:51:31 2026 +00:00": the
// collection's start (Cat-Scale prints it in UTC: TZ=UTC date +'%c %:z').
func parseCatScaleDate(r *run, c *memberCtx, data []byte) {
	m := reCatScaleDate.FindStringSubmatch(strings.TrimSpace(safeBytes(data)))
	if m == nil {
		return
	}
	s := strings.Join(strings.Fields(m[1]), " ")
	for _, layout := range []string{"Mon Jan 2 15:04:05 2006 -07:00", "Mon 02 Jan 2006 03:04:05 PM MST -07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			r.collector.started = t.UTC()
			return
		}
	}
}

var reUptimeClock = regexp.MustCompile(`^\s*([0-9]{2}):([0-9]{2}):([0-9]{2}) up `)

// parseCatScaleW reads the first line of w(1) (" 14:51:48 up 24 min, …"):
// the host's local clock when w ran. Against the member's mtime (UTC, set
// when w's output was written) it gives the host's offset from UTC, which
// ps's STIME column (local time) needs: Cat-Scale records no time zone.
func parseCatScaleW(r *run, c *memberCtx, data []byte) {
	line, _, _ := strings.Cut(safeBytes(data), "\n")
	m := reUptimeClock.FindStringSubmatch(line)
	if m == nil || c.mtime.IsZero() {
		return
	}
	h, mi, s := atoi(m[1]), atoi(m[2]), atoi(m[3])
	utc := c.mtime.UTC()
	local := time.Date(utc.Year(), utc.Month(), utc.Day(), h, mi, s, 0, time.UTC)
	diff := local.Sub(utc)
	// the clocks agree to the day: bring the difference into (-14h, +14h]
	for diff > 14*time.Hour {
		diff -= 24 * time.Hour
	}
	for diff <= -14*time.Hour {
		diff += 24 * time.Hour
	}
	quarter := 15 * time.Minute
	off := (diff + quarter/2).Truncate(quarter)
	if diff < 0 {
		off = -((-diff + quarter/2).Truncate(quarter))
	}
	if !r.locFromTZ {
		r.loc = time.FixedZone(offsetName(int(off.Seconds())), int(off.Seconds()))
		r.collector.zone = r.loc.String() + " (the host's clock in w's output against the time the output was written)"
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func offsetName(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return string(sign) + twoDigits(sec/3600) + ":" + twoDigits(sec%3600/60)
}

func twoDigits(n int) string { return string(rune('0'+n/10%10)) + string(rune('0'+n%10)) }

// parseCatScaleErrors reads the console error log: its first lines say
// what the host is and when the collection started; the rest are the
// errors of the tools Cat-Scale ran, recorded as collection errors.
func parseCatScaleErrors(r *run, c *memberCtx, data []byte) {
	lines := strings.Split(safeBytes(data), "\n")
	in := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "=====") && strings.Contains(l, "Console Errors"):
			in = true
		case strings.HasPrefix(l, "Date : ") && r.collector.started.IsZero():
			parseCatScaleDate(r, c, []byte(l))
		case in && strings.TrimSpace(l) != "" && len(r.errors) < 10_000:
			r.errors = append(r.errors, bundle.ErrorRecord{At: c.mtime, Source: "cat-scale", Error: cut(l, 1024)})
		}
	}
}
