package correlate

import (
	"regexp"

	"github.com/cordon-forensics/cordon/formats/pglog"
	"github.com/cordon-forensics/cordon/timeline"
)

var (
	// rePathWrite finds a path a shell command writes: "> /tmp/x", "-o /tmp/x", "-O /tmp/x", "tee /tmp/x".
	rePathWrite = regexp.MustCompile(`(?:>>?|\s-[oO]|\btee)\s*(/[^\s;&|'"<>]+)`)
	// rePathRun finds the path a shell command starts: "exec /tmp/x", "nohup /tmp/x", a command word "/tmp/x".
	rePathRun = regexp.MustCompile(`(?:^|[;&|]\s*|\bexec\s+|\bnohup\s+|\bsetsid\s+|\bsh\s+|\bbash\s+)(/[^\s;&|'"<>]+)`)
)

// dangerousSQL says whether a statement executes programs or reaches host
// files, and the program string of a COPY … PROGRAM: the parser's mark when
// it made one, else pglog's reading of the statement.
func dangerousSQL(ev *timeline.Event, sql string) (bool, string) {
	if kind := ev.Labels["postgresql.dangerous"]; kind != "" {
		return true, ev.Labels["postgresql.program"]
	}
	kind, program := pglog.Dangerous(sql)
	return kind != "", program
}

// programPaths returns the paths a shell command writes and those it runs.
func programPaths(program string) (written, run []string) {
	for _, m := range rePathWrite.FindAllStringSubmatch(program, -1) {
		written = append(written, m[1])
	}
	for _, m := range rePathRun.FindAllStringSubmatch(program, -1) {
		run = append(run, m[1])
	}
	return written, run
}
