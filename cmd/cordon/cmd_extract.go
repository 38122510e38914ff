package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/ctxio"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	registerVerb[extractOptions]("extract", "verify a bundle and write its signed entries into a directory", extractHelp)
}

const extractHelp = `cordon extract: verify a bundle and write its signed entries into DIR

Usage:
  cordon extract BUNDLE -o DIR [--pubkey KEY|FILE] [--identity AGE_KEY_FILE] [--include-unsigned]

The bundle is verified first; then it is read a second time and every entry
a verified signature covers is written, hashed again as it is written (an
entry that differs from its signed record is removed and reported). What is
written is bounded by the signed records' sizes: an entry no signature
covers (a cut bundle's tail, or one added to the file) is listed, not
written, unless --include-unsigned, and then each is bounded by --max-entry.
It never writes outside DIR (every name is checked, and files are created
through an os.Root), never overwrites, writes only regular files, and
bounds the zstd decoder (a zstd bomb is an error). Afterwards, in DIR,
sha256sum -c SHA256SUMS and minisign -Vm manifest.json -p cordon/cordon.pub
check the result without Cordon.

Examples:
  cordon extract web01.cordon -o web01/
  cordon extract web01.cordon.age --identity analyst.agekey -o web01/
  cordon extract cut.cordon -o cut/ --include-unsigned

Exit codes:
  0    extracted and intact
  1    extracted, but the bundle failed verification or is incomplete (see the list)
  2    usage error, or the bundle could not be read
  3    refused: DIR is not empty, or an entry could not be written safely
  130  interrupted (what was written stays; the bundle was not fully extracted)
`

// maxControlTotal bounds the control documents (checkpoints, manifest,
// SHA256SUMS, signatures) held in memory and written.
const maxControlTotal = 256 << 20

type extractOptions struct {
	verify          verifyOptions
	dir             string
	maxEntry        int64
	includeUnsigned bool
}

func (o *extractOptions) addFlags(fs *pflag.FlagSet) {
	o.verify.addFlags(fs)
	fs.StringVarP(&o.dir, "output", "o", "", "directory to extract into (created; must be empty)")
	fs.Int64Var(&o.maxEntry, "max-entry", 64<<30, "with --include-unsigned: refuse any unsigned entry larger than this many bytes")
	fs.BoolVar(&o.includeUnsigned, "include-unsigned", false, "also write the entries no verified signature covers (listed either way)")
}

func (o *extractOptions) run(ctx context.Context, std stdio, args []string) error {
	if len(args) != 1 || o.dir == "" {
		return usageErrorf("BUNDLE and -o DIR are needed (see --help)")
	}
	vo, err := o.verify.options()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return withCode(exitUsage, err)
	}
	if ents, _ := os.ReadDir(o.dir); len(ents) > 0 {
		return withCode(exitRefused, fmt.Errorf("%s is not empty: nothing is overwritten", o.dir))
	}
	root, err := os.OpenRoot(o.dir)
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer root.Close()
	x := &extraction{root: root}

	// Pass 1: verify; keep the header, the public key and the control
	// documents, which are small and bounded.
	f, err := os.Open(args[0])
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer f.Close()
	control := map[string][]byte{}
	controlBytes := 0
	vo.WantEntry = func(name string, size int64) bool {
		return (name == bundle.HeaderName || name == bundle.PublicKeyName) && size <= bundle.MaxHeaderSize
	}
	vo.OnEntry = func(name string, size int64, r io.Reader) error {
		b, err := readAllBounded(r, bundle.MaxHeaderSize)
		if err == nil && control[name] == nil {
			control[name] = b
		}
		return err
	}
	vo.OnControl = func(name string, data []byte) error {
		if controlBytes+len(data) <= maxControlTotal && control[name] == nil {
			controlBytes += len(data)
			control[name] = data
		}
		return nil
	}
	rep, verr := bundle.Verify(ctxio.Reader(ctx, f), vo)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	printReport(std.out, args[0], rep)
	if verr != nil && rep.Entries == 0 {
		return withCode(exitUsage, verr)
	}
	names := make([]string, 0, len(control))
	for n := range control {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		x.write(n, int64(len(control[n])), bytesReader(control[n]))
	}

	// Pass 2: the signed entries, hashed again as they are written.
	signed := make(map[string]bundle.EntryRecord, len(rep.Verified))
	for _, r := range rep.Verified {
		signed[r.Name] = r
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return withCode(exitUsage, err)
	}
	var unsigned []string
	err = bundle.ReadEntries(ctxio.Reader(ctx, f), vo.Identities, signed, true, func(e bundle.StreamEntry, r io.Reader) error {
		if !e.Signed {
			unsigned = append(unsigned, e.Name)
			if !o.includeUnsigned || e.Size > o.maxEntry {
				return nil
			}
		}
		x.current = e.Name
		return x.write(e.Name, e.Size, r)
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, bundle.ErrEntryChanged) && x.current != "" {
		_ = root.Remove(x.current) // its bytes are not the signed ones
		fmt.Fprintf(std.err, "cordon extract: %s changed between the two passes and was removed: %s\n", safeterm.Escape(x.current), safeterm.Escape(err.Error()))
	} else if err != nil && !errors.Is(err, bundle.ErrStreamCut) {
		fmt.Fprintf(std.err, "cordon extract: second pass: %s\n", safeterm.Escape(err.Error()))
	}
	if rep.Status != bundle.StatusIntact || len(unsigned) > 0 {
		what := "listed, NOT written (--include-unsigned writes them)"
		if o.includeUnsigned {
			what = "written, but NOT covered by a verified signature"
		}
		fmt.Fprintf(std.err, "cordon extract: WARNING: the bundle is %s: %d entries written are covered by a verified signature; %d entries are %s:\n",
			rep.Status, len(rep.Verified), len(unsigned), what)
		for _, n := range unsigned {
			fmt.Fprintf(std.err, "  %s\n", safeterm.Escape(n))
		}
	}
	if x.refused > 0 {
		return withCode(exitRefused, fmt.Errorf("%d entries refused (unsafe name, or already present)", x.refused))
	}
	if rep.Status != bundle.StatusIntact || err != nil {
		return withCode(exitFailed, nil)
	}
	return nil
}

// extraction writes entries under a root.
type extraction struct {
	root    *os.Root
	refused int
	current string // the entry being written
}

// write writes one entry of size bytes; a name that cannot be written
// safely is counted as refused, and an entry cut short is removed.
func (x *extraction) write(name string, size int64, r io.Reader) error {
	if bundle.ValidName(name) != nil {
		x.refused++
		return nil // the verifier reports the name; nothing is written
	}
	if d := path.Dir(name); d != "." {
		if err := x.root.MkdirAll(d, 0o700); err != nil {
			x.refused++
			return nil
		}
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		x.refused++
		return nil
	}
	n, err := io.Copy(f, io.LimitReader(r, size))
	cerr := f.Close()
	if err != nil || cerr != nil || n != size {
		_ = x.root.Remove(name) // an entry cut off mid-stream is not recovered
		if err != nil {
			return err
		}
	}
	return nil
}

func readAllBounded(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("larger than %d bytes", max)
	}
	return b, err
}
