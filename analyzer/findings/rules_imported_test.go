package findings

import "github.com/cordon-forensics/cordon/timeline"

func importCheck(action string) timeline.Event {
	return timeline.Event{Message: "check " + action, Event: timeline.EventFields{Dataset: "import", Action: action}}
}

// The imported-evidence rules, kept here so the shared case table stays as it is.
func init() {
	cases["CORDON-IMP-001"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{importCheck("import-hash-mismatch"), importCheck("import-file-missing")},
		neg: []timeline.Event{importCheck("import-hash-verified"), importCheck("import-hash-not-compared"),
			{Event: timeline.EventFields{Dataset: "dpkg", Action: "import-hash-mismatch"}}},
	}
	cases["CORDON-IMP-002"] = struct{ pos, neg []timeline.Event }{
		pos: []timeline.Event{importCheck("import-archive-incomplete")},
		neg: []timeline.Event{importCheck("import-hash-mismatch"), importCheck("import-hash-verified")},
	}
}
