package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

func init() {
	register(verb{name: "extract", summary: "verify a bundle and write its entries into a directory", run: runExtract})
}

const extractHelp = `cordon extract: verify a bundle and write every complete entry into DIR

Usage:
  cordon extract BUNDLE -o DIR [--pubkey KEY|FILE] [--identity AGE_KEY_FILE]

It never writes outside DIR (every name is checked, and files are created
through an os.Root), never overwrites, writes only regular files, bounds each
entry (--max-entry), and bounds the zstd decoder (a zstd bomb is an error).
A bundle cut off mid-write still yields every complete entry; the ones not
covered by a signed checkpoint are listed. Afterwards, in DIR,
sha256sum -c SHA256SUMS and minisign -Vm manifest.json -p cordon/cordon.pub
check the result without Cordon.

Examples:
  cordon extract web01.cordon -o web01/
  cordon extract web01.cordon.age --identity analyst.agekey -o web01/

Exit codes:
  0  extracted and intact
  1  extracted, but the bundle failed verification or is incomplete (see the list)
  2  usage error, or the bundle could not be read
  3  refused: DIR is not empty, or an entry could not be written safely

Flags:
`

func runExtract(args []string, stdout, stderr io.Writer) int {
	var o verifyOptions
	var dir string
	var maxEntry int64
	fs := newFlagSet("extract", extractHelp, stderr)
	o.addFlags(fs)
	fs.StringVarP(&dir, "output", "o", "", "directory to extract into (created; must be empty)")
	fs.Int64Var(&maxEntry, "max-entry", 64<<30, "refuse any entry larger than this many bytes")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 || dir == "" {
		fmt.Fprintln(stderr, "cordon extract: BUNDLE and -o DIR are needed (see --help)")
		return exitUsage
	}
	vo, err := o.options()
	if err != nil {
		fmt.Fprintf(stderr, "cordon extract: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fmt.Fprintf(stderr, "cordon extract: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		fmt.Fprintf(stderr, "cordon extract: %s is not empty: nothing is overwritten\n", safeterm.Escape(dir))
		return exitRefused
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		fmt.Fprintf(stderr, "cordon extract: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	defer root.Close()
	refused := 0
	write := func(name string, size int64, r io.Reader) error {
		if bundle.ValidName(name) != nil || size > maxEntry {
			refused++
			return nil // the verifier reports the name; nothing is written
		}
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o700); err != nil {
				refused++
				return nil
			}
		}
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			refused++
			return nil
		}
		n, err := io.Copy(f, io.LimitReader(r, size))
		cerr := f.Close()
		if err != nil || cerr != nil || n != size {
			_ = root.Remove(name) // an entry cut off mid-stream is not recovered
		}
		return nil
	}
	vo.OnEntry = write
	vo.OnControl = func(name string, data []byte) error {
		return write(name, int64(len(data)), bytesReader(data))
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "cordon extract: %s\n", safeterm.Escape(err.Error()))
		return exitUsage
	}
	defer f.Close()
	rep, err := bundle.Verify(f, vo)
	printReport(stdout, fs.Arg(0), rep)
	if err != nil && rep.Entries == 0 {
		return exitUsage
	}
	if rep.Status != bundle.StatusIntact {
		verified := map[string]bool{}
		for _, r := range rep.Verified {
			verified[r.Name] = true
		}
		fmt.Fprintf(stderr, "cordon extract: WARNING: the bundle is %s; entries extracted but NOT covered by a verified signature:\n", rep.Status)
		_ = fsWalk(root, func(name string) {
			if !verified[name] && !isControlName(name) {
				fmt.Fprintf(stderr, "  %s\n", safeterm.Escape(name))
			}
		})
	}
	if refused > 0 {
		fmt.Fprintf(stderr, "cordon extract: %d entries refused (unsafe name, too large, or already present)\n", refused)
		return exitRefused
	}
	if rep.Status != bundle.StatusIntact {
		return exitFailed
	}
	return exitOK
}
