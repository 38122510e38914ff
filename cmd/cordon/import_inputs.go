package main

// import_inputs.go lets the verbs that analyze bundles (analyze, findings,
// report) take another collector's archive where a bundle is expected: it
// is imported first (cordon import), into the case directory for analyze,
// into a temporary directory for findings and report without --case.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"aead.dev/minisign"
	"github.com/spf13/pflag"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/importer"
	"github.com/cordon-forensics/cordon/internal/safeterm"
)

// importOptionsGroup says how an archive given as a bundle is imported.
type importOptionsGroup struct {
	key, pwFile string
}

func (o *importOptionsGroup) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.key, "import-key", "", "for a UAC or Cat-Scale archive given as a bundle: the analyst's import key (default: a one-time key, the bundle is then self-signed)")
	fs.StringVar(&o.pwFile, "import-password-file", "", "the import key's password, in FILE")
}

// importArchives replaces each archive among paths by the bundle imported
// from it, written into dir (created if needed). It prints the custody
// statement and any failed check of each.
func (o *importOptionsGroup) importArchives(ctx context.Context, std stdio, paths []string, dir string) ([]string, error) {
	var key *minisign.PrivateKey
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		isArchive, err := importer.IsArchive(p)
		if err != nil {
			return nil, withCode(exitUsage, err)
		}
		if !isArchive {
			out = append(out, p)
			continue
		}
		if key == nil {
			k, err := o.loadKey(std)
			if err != nil {
				return nil, err
			}
			key = &k
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, withCode(exitUsage, err)
		}
		name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p), ".gz"), ".tgz"), ".tar") + ".cordon"
		target := filepath.Join(dir, name)
		if _, err := os.Stat(target); err == nil {
			// imported before into this case: the bundle is what the case refers to
			fmt.Fprintf(std.err, "cordon: %s: imported before, as %s\n", safeterm.Escape(p), safeterm.Escape(target))
			out = append(out, target)
			continue
		}
		w, err := (&outputOptions{path: target}).open(std.out)
		if err != nil {
			return nil, err
		}
		bw := bufio.NewWriterSize(w, 256<<10)
		res, err := importer.Import(ctx, p, bw, importer.Options{Key: *key, Importer: "cordon " + Version, CommandLine: os.Args})
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			err = w.Commit()
		}
		if err != nil {
			w.Abort()
			if errors.Is(err, importer.ErrNotArchive) || errors.Is(err, importer.ErrUnknownLayout) {
				return nil, withCode(exitUsage, fmt.Errorf("%s: %w", p, err))
			}
			return nil, withCode(exitFailed, fmt.Errorf("%s: %w", p, err))
		}
		fmt.Fprintf(std.err, "cordon: %s: %s; bundle %s\n", safeterm.Escape(p), safeterm.Escape(res.Import.Statement), safeterm.Escape(target))
		for _, c := range res.Failed {
			fmt.Fprintf(std.err, "cordon: %s: ! %s %s %s: %s\n", safeterm.Escape(p), c.Kind, safeterm.Escape(c.Subject), c.Algorithm, c.Result)
		}
		out = append(out, target)
	}
	return out, nil
}

func (o *importOptionsGroup) loadKey(std stdio) (minisign.PrivateKey, error) {
	if o.key == "" {
		_, k, err := bundle.GenerateKey()
		if err == nil {
			fmt.Fprintf(std.err, "cordon: no --import-key: archives are imported with a one-time key (the bundles are self-signed)\n")
		}
		return k, err
	}
	k, err := bundle.LoadPrivateKey(o.key, func() (string, error) {
		if o.pwFile == "" {
			return "", errors.New("the import key is encrypted: pass --import-password-file")
		}
		b, err := os.ReadFile(o.pwFile)
		return strings.TrimRight(string(b), "\r\n"), err
	})
	if err != nil {
		return k, withCode(exitUsage, fmt.Errorf("--import-key: %w", err))
	}
	return k, nil
}
