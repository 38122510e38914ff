package attest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cordon-forensics/cordon/collector"
	"github.com/cordon-forensics/cordon/formats/bundle"
)

// BenchmarkAttestUsrBin attests every program under this machine's
// /usr/bin against the packages' own files: dpkg's md5sums lists
// (/var/lib/dpkg/info, MD5 by path) and every .deb in the apt cache
// (/var/cache/apt/archives, whole files, ELF diffs where they differ).
// The bundle is made first, untimed, by the collector's artifacts source
// copying /usr/bin; the timed part is cordon attest's whole run: verifying
// the bundle while copying the programs out, indexing the trusted
// sources, matching and comparing.
//
//	go test -run '^$' -bench AttestUsrBin -benchtime 1x ./analyzer/attest
func BenchmarkAttestUsrBin(b *testing.B) {
	if _, err := os.Stat("/var/lib/dpkg/info"); err != nil {
		b.Skip("no dpkg database on this machine")
	}
	dir := b.TempDir()
	bundlePath := filepath.Join(dir, "usrbin.cordon")
	f, err := os.Create(bundlePath)
	if err != nil {
		b.Fatal(err)
	}
	_, priv, err := bundle.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	w, err := bundle.NewWriter(f, bundle.Options{Key: priv, Ephemeral: true, EvidenceID: "bench-usr-bin", Collector: "benchmark"})
	if err != nil {
		b.Fatal(err)
	}
	opts := collector.DefaultOptions()
	opts.Artifacts, opts.ArtifactsCopy, opts.NoPriorityLowering = []string{"/usr/bin"}, true, true
	env := collector.NewEnv(opts, w)
	src, _ := collector.Lookup("artifacts")
	st := collector.Run(context.Background(), env, []collector.Source{src})
	if _, err := w.Close(bundle.Custody{EvidenceID: "bench-usr-bin", Sources: st}); err != nil {
		b.Fatal(err)
	}
	f.Close()
	debs, _ := filepath.Glob("/var/cache/apt/archives/*.deb")
	fi, _ := os.Stat(bundlePath)
	b.Logf("bundle: %d bytes (%s); trusted: dpkg md5sums and %d .debs from the apt cache", fi.Size(), st[0].Detail, len(debs))
	b.ResetTimer()
	var res *Result
	for i := 0; i < b.N; i++ {
		if res != nil {
			res.Close()
		}
		res, err = Run(context.Background(), Options{Bundles: []string{bundlePath}, Trusted: debs, TrustedMD5Sums: []string{"/var/lib/dpkg/info"}, TempDir: dir})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	defer res.Close()
	b.ReportMetric(float64(len(res.Items)), "programs")
	b.ReportMetric(float64(res.Counts[VerdictIdentical]), "identical")
	b.ReportMetric(float64(res.Counts[VerdictDiffers]), "differ")
	b.ReportMetric(float64(res.Counts[VerdictNoTrusted]), "untrusted")
	diffs, byDeb := 0, 0
	for i := range res.Items {
		if t := res.Items[i].Trusted; t != nil && t.Kind == SourceDeb {
			byDeb++
		}
		if res.Items[i].Diff != nil {
			diffs++
		}
		if res.Items[i].Verdict == VerdictDiffers {
			b.Logf("differs: %s (%s)", res.Items[i].Path, trustedLabel(res.Items[i].Trusted))
		}
	}
	b.ReportMetric(float64(diffs), "elf-diffs")
	b.ReportMetric(float64(byDeb), "against-debs")
}
