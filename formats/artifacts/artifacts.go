// Package artifacts owns what the collector's "artifacts" source writes:
// the build outputs found under the directories given with --artifacts
// (a CI workspace, a target directory), hashed and, with --artifacts-copy,
// copied, and the in-toto/SLSA provenance files found beside them, always
// copied. The analyst's `cordon attest` compares them with trusted
// rebuilds and checks the provenance against them.
package artifacts

import (
	"path"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// IndexEntry holds one Record per line, in walk order.
const IndexEntry = "artifacts/index.jsonl"

// EntryPrefix starts the names of copied files: EntryPrefix + host path
// (bundle.NameFor).
const EntryPrefix = "artifacts"

// Record is one file under an artifacts directory.
type Record struct {
	// Root is the --artifacts directory, Path the file's host path, Rel
	// its path under Root.
	Root  string    `json:"root"`
	Path  string    `json:"path"`
	Rel   string    `json:"rel"`
	Type  string    `json:"type"` // file, symlink, dir, fifo, …
	Link  string    `json:"link,omitempty"`
	Size  int64     `json:"size"`
	Mode  uint32    `json:"mode"`
	Mtime time.Time `json:"mtime"`
	Ctime time.Time `json:"ctime"`
	Inode uint64    `json:"inode"`
	// MD5 and SHA256 are of the first Read bytes (Truncated when fewer
	// than Size: the per-file or total bound).
	MD5       string        `json:"md5,omitempty"`
	SHA256    string        `json:"sha256,omitempty"`
	Read      int64         `json:"read"`
	Truncated bool          `json:"truncated,omitempty"`
	ELF       *snapshot.ELF `json:"elf,omitempty"`
	// Provenance marks an in-toto/SLSA file (always copied).
	Provenance bool   `json:"provenance,omitempty"`
	Entry      string `json:"entry,omitempty"`
	Error      string `json:"error,omitempty"`
}

// provenanceSuffixes name the files in-toto and SLSA tools write.
var provenanceSuffixes = []string{".intoto.jsonl", ".intoto.json", ".att.json", ".dsse", ".dsse.json", ".sigstore", ".sigstore.json", ".provenance.json", ".slsa.json"}

// IsProvenance reports whether a file name is that of an attestation.
func IsProvenance(name string) bool {
	base := strings.ToLower(path.Base(name))
	if base == "provenance.json" || base == "attestation.json" {
		return true
	}
	for _, s := range provenanceSuffixes {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	return false
}
