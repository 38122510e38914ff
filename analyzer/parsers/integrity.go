package parsers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/config"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The two sides of the package-integrity check (CORDON-INT-001): the
// programs the collector hashed (integrity/binaries.jsonl, dataset
// "binaries") and dpkg's md5sums lists (fs/var/lib/dpkg/info/*.md5sums,
// dataset "dpkg", one state event per file of a package).
func init() {
	Register(Parser{
		Name:  "binaries",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.BinariesEntry },
		Parse: parseBinaries,
	})
	Register(Parser{
		Name:  "dpkg-diversions",
		Match: func(e bundle.EntryRecord) bool { return e.Name == bundle.FileEntry("/var/lib/dpkg/diversions") },
		Parse: parseDiversions,
	})
	Register(Parser{
		Name: "dpkg-md5sums",
		Match: func(e bundle.EntryRecord) bool {
			return strings.HasPrefix(e.Name, bundle.FileEntry("/var/lib/dpkg/info/")) && strings.HasSuffix(e.Name, ".md5sums")
		},
		Parse: parseMd5sums,
	})
}

func parseBinaries(r io.Reader, o timeline.Origin, emit Emit) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var line, off int64
	for sc.Scan() {
		line++
		start := off
		off += int64(len(sc.Bytes())) + 1
		var b snapshot.BinaryRecord
		if err := json.Unmarshal(sc.Bytes(), &b); err != nil || b.Path == "" {
			emit.Warn(timeline.Warning{Entry: o.Entry, Line: line, Offset: start, Message: "not a binary record"})
			continue
		}
		at, meaning, deriv := b.Mtime.UTC(), timeline.MeaningModified, "the program's mtime, read at collection"
		if b.Mtime.IsZero() {
			// an imported list of hashes only (UAC hash_executables)
			at, meaning, deriv = o.ReadAt.UTC(), timeline.MeaningObserved, "the program's mtime is not in the evidence: the time its list was stored in the bundle"
		}
		ev := timeline.Event{Timestamp: at,
			Message: fmt.Sprintf("program %s: %d bytes, md5 %s, sha256 %s", b.Path, b.Size, b.MD5, b.SHA256),
			Event:   timeline.EventFields{Kind: "state", Category: []string{"file"}, Type: []string{"info"}, Action: "binary-hashed", Dataset: "binaries"},
			File:    &timeline.File{Path: b.Path, Name: path.Base(b.Path), Type: "file", Size: b.Size, Inode: b.Inode, Mtime: b.Mtime, Ctime: b.Ctime},
			Cordon:  timeline.Cordon{TimeMeaning: meaning, TimeDerivation: deriv, Provenance: o.Provenance(line, start)}}
		if b.MD5 != "" {
			ev.File.Hash = &timeline.Hash{MD5: b.MD5, SHA256: b.SHA256}
		}
		if b.Error != "" {
			ev.Labels = map[string]string{"error": b.Error}
		}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		emit.Event(ev)
	}
	return sc.Err()
}

func parseMd5sums(r io.Reader, o timeline.Origin, emit Emit) error {
	pkg := strings.TrimSuffix(path.Base(o.Entry), ".md5sums")
	if i := strings.IndexByte(pkg, ':'); i >= 0 {
		pkg = pkg[:i] // "libc6:amd64"
	}
	sums, ws := config.ParseMd5sums(io.LimitReader(r, 64<<20))
	for _, w := range ws {
		emit.Warn(timeline.Warning{Entry: o.Entry, Line: w.Line, Offset: w.Offset, Message: w.Message})
	}
	for _, s := range sums {
		p := "/" + strings.TrimPrefix(s.Path, "/")
		ev := timeline.Event{Timestamp: o.ModTime.UTC(),
			Message: fmt.Sprintf("package %s lists %s with md5 %s", pkg, p, s.MD5),
			Event:   timeline.EventFields{Kind: "state", Category: []string{"package"}, Type: []string{"info"}, Action: "package-file-md5", Dataset: "dpkg"},
			File:    &timeline.File{Path: p, Name: path.Base(p), Hash: &timeline.Hash{MD5: s.MD5}},
			Labels:  map[string]string{"package.name": pkg},
			Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningModified, TimeDerivation: "the md5sums list's mtime (when the package was installed or upgraded)",
				Provenance: o.Provenance(s.Line, s.Offset)}}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		emit.Event(ev)
	}
	return nil
}

// parseDiversions: one state event per dpkg-divert record. The package
// file listed at From is at To on disk; From holds the diverting
// package's own file (or the administrator's, for package ":").
func parseDiversions(r io.Reader, o timeline.Origin, emit Emit) error {
	ds, ws := config.ParseDiversions(io.LimitReader(r, 16<<20))
	for _, w := range ws {
		emit.Warn(timeline.Warning{Entry: o.Entry, Line: w.Line, Offset: w.Offset, Message: w.Message})
	}
	for _, d := range ds {
		by := "package " + d.Package
		if d.Package == ":" {
			by = "the administrator (a local diversion)"
		}
		ev := timeline.Event{Timestamp: o.ModTime.UTC(),
			Message: fmt.Sprintf("dpkg diversion: packages' %s is installed as %s; %s is %s's", d.From, d.To, d.From, by),
			Event:   timeline.EventFields{Kind: "state", Category: []string{"package"}, Type: []string{"info"}, Action: "package-diversion", Dataset: "dpkg"},
			File:    &timeline.File{Path: d.From, Name: path.Base(d.From)},
			Labels:  map[string]string{"diversion.to": d.To, "diversion.by": d.Package},
			Cordon: timeline.Cordon{TimeMeaning: timeline.MeaningModified, TimeDerivation: "the diversions file's mtime (its last change)",
				Provenance: o.Provenance(d.Line, d.Offset)}}
		if o.Host != "" {
			ev.Host = &timeline.Host{Name: o.Host}
		}
		emit.Event(ev)
	}
	return nil
}
