// Package rules holds Cordon's built-in detection rules as data: YAML files
// an analyst can read and extend (see findings.Rule for the format).
package rules

import "embed"

// FS holds the built-in rule files (*.yaml).
//
//go:embed *.yaml
var FS embed.FS
