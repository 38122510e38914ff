package correlate

import (
	"regexp"
	"strings"

	"github.com/cordon-forensics/cordon/timeline"
)

// Statements that make PostgreSQL run programs or touch host files.
var (
	reDangerous = regexp.MustCompile(`(?is)\bcopy\b.*\b(to|from)\s+program\b|\bcreate\s+(or\s+replace\s+)?function\b.*\blanguage\s+'?(c|plpython3?u|plperlu|pltclu|plsh)\b|\blo_(export|import)\s*\(|\bpg_read_(server_files|binary_file|file)\b|\bpg_ls_dir\s*\(|\bpg_execute_server_program\b`)
	reProgram   = regexp.MustCompile(`(?is)\bprogram\s+(?:e?'((?:[^']|'')*)'|\$([a-z_]*)\$(.*?)\$[a-z_]*\$)`)
	// rePathWrite finds a path a shell command writes: "> /tmp/x", "-o /tmp/x", "-O /tmp/x", "tee /tmp/x".
	rePathWrite = regexp.MustCompile(`(?:>>?|\s-[oO]|\btee)\s*(/[^\s;&|'"<>]+)`)
	// rePathRun finds the path a shell command starts: "exec /tmp/x", "nohup /tmp/x", a command word "/tmp/x".
	rePathRun = regexp.MustCompile(`(?:^|[;&|]\s*|\bexec\s+|\bnohup\s+|\bsetsid\s+|\bsh\s+|\bbash\s+)(/[^\s;&|'"<>]+)`)
)

// dangerousSQL says whether a statement executes programs or reaches host
// files, and the program string of a COPY … PROGRAM. A parser's own mark
// (labels or tags) counts as well as the statement's text.
func dangerousSQL(ev *timeline.Event, sql string) (bool, string) {
	program := ev.Labels["postgresql.program"]
	if program == "" {
		if m := reProgram.FindStringSubmatch(sql); m != nil {
			program = m[1]
			if m[3] != "" {
				program = m[3]
			}
			program = strings.ReplaceAll(program, "''", "'")
		}
	}
	marked := ev.Labels["postgresql.dangerous"] != "" || ev.Labels["postgresql.command_execution"] == "true"
	return marked || reDangerous.MatchString(sql), program
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
