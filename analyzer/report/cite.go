package report

import (
	"strconv"
)

// A citation is a piece of evidence as the report cites it beside a
// statement: its place (entry:line or entry@offset), the bundle only when
// it is not the section's, and a link to the entry's row, with its
// SHA-256, in the custody appendix.
type citation struct {
	Href  string // "#e1-12", "" when the entry is not in the appendix
	Text  string
	Title string
}

// citer knows the custody appendix's anchors.
type citer struct {
	anchors map[string]string // bundle \x00 entry → anchor id
}

func newCiter(bs []Bundle) citer {
	c := citer{anchors: map[string]string{}}
	for i, b := range bs {
		for j, e := range b.Entries {
			c.anchors[b.EvidenceID+"\x00"+e.Name] = entryAnchor(i, j)
		}
	}
	return c
}

// entryAnchor is the id of an appendix row: numbers only, nothing an
// attacker wrote.
func entryAnchor(bundle, entry int) string {
	return "e" + strconv.Itoa(bundle+1) + "-" + strconv.Itoa(entry+1)
}

func (c citer) cite(section string, r Ref) citation {
	p := r.Provenance
	text := p.Where()
	if p.Bundle != section {
		text = p.Bundle + ": " + text
	}
	ct := citation{Text: text, Title: "bundle " + p.Bundle + ", entry " + p.Where()}
	if p.SHA256 != "" {
		ct.Title += ", SHA-256 " + p.SHA256
	}
	if id, ok := c.anchors[p.Bundle+"\x00"+p.Entry]; ok {
		ct.Href = "#" + id
	}
	return ct
}

// sectionBundle is the bundle all of refs come from, or "" when they
// come from several (each citation then names its bundle).
func sectionBundle(refs []Ref) string {
	b := ""
	for i, r := range refs {
		if i == 0 {
			b = r.Provenance.Bundle
		} else if r.Provenance.Bundle != b {
			return ""
		}
	}
	return b
}
