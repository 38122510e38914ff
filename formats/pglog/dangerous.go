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
	KindServerFile    = "server-file"        // pg_read_file, pg_read_binary_file, pg_ls_dir, COPY … TO/FROM 'file'
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
	{KindFunctionC, regexp.MustCompile(`(?is)\bcreate\s+(or\s+replace\s+)?function\b.*\blanguage\s+'?"?(c|internal|plpython3?u|plperlu|pltclu|plsh|plv8u)\b`)},
	{KindLargeObject, regexp.MustCompile(`(?is)\blo_(export|import)\s*\(`)},
	{KindServerFile, regexp.MustCompile(`(?is)\bpg_(read_(server_files|binary_file|file)|ls_dir|stat_file)\s*\(|\bcopy\b[^;]*\b(to|from)\s+'/`)},
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
