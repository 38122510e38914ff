package parsers

import (
	"io"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/shellhistory"
	"github.com/cordon-forensics/cordon/timeline"
)

// Shell histories of each home (collector source "accounts"):
// fs/home/<user>/.bash_history, fs/root/.zsh_history, …/fish_history.
func init() {
	Register(Parser{
		Name: "shell-history",
		Match: func(e bundle.EntryRecord) bool {
			if !strings.HasPrefix(e.Name, bundle.FileEntry("/home/")) && !strings.HasPrefix(e.Name, bundle.FileEntry("/root/")) {
				return false
			}
			// history file names are made of safe bytes: the entry name ends as the host path does
			return shellhistory.ShellFor(e.Name) != ""
		},
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			return shellhistory.Parse(r, o, emit.Event, emit.Warn)
		},
	})
}
