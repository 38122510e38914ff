package pglog

import (
	"regexp"
	"strings"
)

// Kinds of statements that make the server run programs or reach host files.
const (
	KindCopyProgram   = "copy-program"       // COPY … TO/FROM PROGRAM
	KindFunctionC     = "function-language"  // CREATE FUNCTION … LANGUAGE C or an untrusted language
	KindLargeObject   = "large-object-file"  // lo_import / lo_export
	KindServerFile    = "server-file"        // pg_read_file, pg_read_binary_file, pg_ls_dir, COPY … TO/FROM 'file', GRANT pg_read_server_files …
	KindAlterSystem   = "alter-system"       // ALTER SYSTEM
	KindExtension     = "create-extension"   // CREATE EXTENSION
	KindRoleSuperuser = "superuser-role"     // CREATE/ALTER ROLE … SUPERUSER
	KindProgramConfig = "program-in-setting" // archive_command, ssl_passphrase_command … set to a program
)

var dangerous = []struct {
	kind string
	re   *regexp.Regexp
}{
	{KindCopyProgram, regexp.MustCompile(`(?is)\bcopy\b.*\b(to|from)\s+program\b`)},
	// a function (or procedure, or DO block) in C or an untrusted language
	// runs whatever it says as the server's OS user
	{KindFunctionC, regexp.MustCompile(`(?is)\bcreate\s+(or\s+replace\s+)?(function|procedure)\b.*\blanguage\s+'?"?(c|internal|plpython[23]?u|plperlu|pltclu|plsh|plv8u)\b|\bdo\b.*\blanguage\s+'?"?(plpython[23]?u|plperlu|pltclu|plsh)\b`)},
	{KindLargeObject, regexp.MustCompile(`(?is)\blo_(export|import)\s*\(`)},
	// COPY … TO/FROM 'file' names a server file (STDIN/STDOUT are not quoted);
	// the roles pg_read_server_files, pg_write_server_files and
	// pg_execute_server_program grant the same to non-superusers.
	{KindServerFile, regexp.MustCompile(`(?is)\bpg_(read_(binary_file|file)|ls_(dir|logdir|waldir|tmpdir|archive_statusdir)|stat_file)\s*\(|\bcopy\b[^;]*\b(to|from)\s+e?'|\bgrant\b.*\bpg_(read_server_files|write_server_files|execute_server_program)\b`)},
	{KindAlterSystem, regexp.MustCompile(`(?is)^\s*alter\s+system\b`)},
	{KindExtension, regexp.MustCompile(`(?is)\bcreate\s+extension\b`)},
	{KindRoleSuperuser, regexp.MustCompile(`(?is)\b(create|alter)\s+(role|user)\b.*\bsuperuser\b`)},
	{KindProgramConfig, regexp.MustCompile(`(?is)\b(archive_command|restore_command|ssl_passphrase_command|shared_preload_libraries|local_preload_libraries|session_preload_libraries|dynamic_library_path)\b`)},
}

var reProgram = regexp.MustCompile(`(?is)\bprogram\s+(?:e?'((?:[^']|'')*)'|\$([a-z_]*)\$(.*?)\$[a-z_]*\$)`)

// Dangerous says whether a statement makes the server run a program or
// reach host files, and which kind (one of the Kind constants, "" if
// neither), with the program string of a COPY … PROGRAM.
func Dangerous(sql string) (kind, program string) {
	if len(sql) > MaxStatement {
		sql = sql[:MaxStatement]
	}
	if !mayBeDangerous(sql) {
		return "", ""
	}
	for _, d := range dangerous {
		if d.re.MatchString(sql) {
			kind = d.kind
			break
		}
	}
	if kind == KindCopyProgram {
		if m := reProgram.FindStringSubmatch(sql); m != nil {
			program = m[1]
			if m[3] != "" {
				program = m[3]
			}
			program = strings.ReplaceAll(program, "''", "'")
		}
	}
	return kind, program
}

// keywords holds a word each expression of dangerous needs, lower case:
// statements with none of them (most) skip the expressions.
var keywords = []string{"copy", "language", "lo_", "pg_", "alter", "extension", "superuser", "_command", "preload", "library"}

func mayBeDangerous(sql string) bool {
	lower := strings.ToLower(sql)
	for _, k := range keywords {
		if strings.Contains(lower, k) {
			return true
		}
	}
	return false
}
