package export

// state.go keeps how far an export got, so that an interrupted one can be
// continued: a small JSON file written atomically (temporary file, fsync,
// rename) after batches are acknowledged, in order. Only a prefix of the
// document stream is ever recorded as done: batches acknowledged after one
// still in flight are sent again on resume (an engine that honours _id
// answers 409 for them; one that does not, like VictoriaLogs, stores them
// twice).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cordon-forensics/cordon/internal/atomicfile"
)

// stateVersion is the version of the state file's layout.
const stateVersion = 1

// State is an export's progress, as the state file holds it.
type State struct {
	Version       int    `json:"version"`
	Source        string `json:"source"` // Options.Source: what was being exported
	URL           string `json:"url"`
	EventsIndex   string `json:"events_index"`
	FindingsIndex string `json:"findings_index"`
	// EventsDone and FindingsDone count the leading documents of each
	// stream whose batches were answered.
	EventsDone   int64       `json:"events_done"`
	FindingsDone int64       `json:"findings_done"`
	Complete     bool        `json:"complete"`
	Events       Counts      `json:"events"`
	Findings     Counts      `json:"findings"`
	Rejections   []Rejection `json:"rejections,omitempty"`
	Updated      time.Time   `json:"updated"`
}

// readState reads a state file; a missing one is (nil, nil).
func readState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the export state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("export state %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("export state %s: version %d, this cordon reads version %d", path, st.Version, stateVersion)
	}
	if st.EventsDone < 0 || st.FindingsDone < 0 {
		return nil, fmt.Errorf("export state %s: negative counts", path)
	}
	return &st, nil
}

// write replaces the state file atomically.
func (st *State) write(path string) error {
	st.Version = stateVersion
	st.Updated = time.Now().UTC()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing the export state: %w", err)
	}
	if err := atomicfile.Write(path, append(data, '\n')); err != nil {
		return fmt.Errorf("writing the export state: %w", err)
	}
	return nil
}
