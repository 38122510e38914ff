package importer

import (
	"github.com/cordon-forensics/cordon/internal/clip"
	"github.com/cordon-forensics/cordon/internal/validutf8"
)

// safe returns s as valid UTF-8 without losing anything (member names
// and text outputs are the host's).
func safe(s string) string { return validutf8.String(s) }

func safeBytes(b []byte) string { return validutf8.Bytes(b) }

// cut bounds s to n bytes without splitting a UTF-8 sequence, marking the cut.
func cut(s string, n int) string { return clip.Cut(s, n) }
