package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// Credential files found in homes and /etc (collector source "accounts"):
// their presence, mode and owner (accounts/credential_files.json).
func init() {
	Register(Parser{
		Name:  "credential-files",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.CredentialFilesEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			cs, err := snapshot.ReadCredentialFiles(r)
			if err != nil {
				return err
			}
			EmitResult(snapshot.CredentialFileEvents(cs, o), emit)
			return nil
		},
	})
}
