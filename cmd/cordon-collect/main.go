// Command cordon-collect collects a live Linux host (or a mounted image of a
// dead one) into one signed, zstd-compressed evidence bundle.
//
// It is built static (CGO_ENABLED=0), links neither Bleve nor os/exec, and
// writes nothing on the host but the bundle it is asked for: with -o - the
// bundle streams to standard output (ssh host sudo cordon-collect -o - > host.cordon).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/cordon-forensics/cordon/collector"
	"github.com/cordon-forensics/cordon/formats/bundle"
)

// Version is the collector's version, set at build time with
// -ldflags "-X main.Version=…".
var Version = "0.1.0-dev"

// Exit codes.
const (
	exitOK          = 0 // the bundle is complete and signed
	exitSome        = 1 // the bundle is complete, but a source failed or timed out (see the manifest)
	exitUsage       = 2 // bad flags: nothing was collected
	exitOutput      = 3 // the bundle could not be written (it may hold a verifiable prefix)
	exitInterrupted = 4 // interrupted by a signal: the bundle is signed and its manifest says so (or, if it could not be finalised in time, a verifiable prefix)
)

// finaliseWithin bounds how long an interrupted collection may take to
// sign its manifest: past it, the collector exits and the bundle is the
// prefix up to its last checkpoint (cordon verify reports it incomplete).
const finaliseWithin = 2 * time.Second

const usage = `cordon-collect: collect this host into one signed evidence bundle

Usage:
  cordon-collect -o FILE|- [flags]

It snapshots the volatile state first (sockets, processes, deleted
executables and their memory), then logs, configuration, persistence and a
file timeline. It runs no program of the host and writes only the bundle.

Examples:
  # on the suspect host, as root, bundle to a USB stick
  cordon-collect -o /media/usb/web01.cordon --case IR-2026-031 --examiner "J. Doe"

  # stream over ssh: nothing is written on the suspect disk
  ssh root@web01 ./cordon-collect -o - > web01.cordon

  # capture 30 s of loopback and eth0 traffic alongside, sign with your own key
  # passed through a descriptor, and encrypt to the analyst's age key
  cordon-collect -o - --capture lo --capture eth0 --capture-for 30s \
      --sign-key fd:3 3<responder.key --encrypt-to age1... > web01.cordon.age

  # a dead host's disk mounted read-only at /mnt/img (the /proc sources are skipped)
  cordon-collect --root /mnt/img -o img.cordon

The bundle's SHA-256, the signing key's fingerprint and public key are
printed on standard error at the end: copy them onto the custody form.

Exit codes:
  0  bundle complete and signed
  1  bundle complete and signed, but a source failed or timed out (see the manifest)
  2  usage error: nothing collected
  3  the bundle could not be written completely (a full disk, or a pipe closed
     early as in -o - | head): what was written verifies up to its last checkpoint
  4  interrupted (SIGINT, SIGTERM, SIGHUP): the sources under way stop within a
     second and the bundle is signed with its manifest marked "interrupted"; a
     second signal exits at once, leaving a prefix that verifies as incomplete

Capture lead:
  With --capture-lead the capture starts first and the snapshot waits. Once
  the capture runs, one line says so on standard error (even with --quiet):
    cordon-collect: capture running on lo, eth0; lead up to 2m0s (SIGUSR1 ends it)
  SIGUSR1 ends the lead at once ("done watching, snapshot now"): the manifest's
  volatile phase note and the capture's detail say so, and the capture's end
  (--capture-for, counted from its start) comes forward by the time saved, so
  it still runs --capture-for minus --capture-lead past the snapshot's start.
  A SIGUSR1 before the lead ends it as it begins; one after it is ignored.

Flags:
`

type cliOptions struct {
	output        string
	caseID        string
	evidenceID    string
	examiner      string
	notes         []string
	referenceTime string
	signKey       string
	signKeyPass   string
	encryptTo     []string
	listSources   bool
	version       bool
	quiet         bool
	force         bool
	collect       collector.Options
}

func main() {
	collector.ApplyMemoryLimit()
	// A write to a closed pipe (-o - | head) returns EPIPE instead of
	// killing the collector: it then exits with exitOutput and says why.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		<-ctx.Done()
		stop() // a second signal takes its default action: exit at once
	}()
	// SIGUSR1 ends the capture lead: the responder has staged or watched
	// what the capture had to see, snapshot now. It is caught from the
	// start (its default action would end the collector); one arriving
	// before the lead ends it as soon as it begins, later ones are ignored.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	leadEnd := make(chan struct{})
	go func() {
		<-usr1
		close(leadEnd)
		for range usr1 {
		}
	}()
	os.Exit(run(ctx, os.Args, os.Stdout, os.Stderr, leadEnd))
}

// run is the collector's command line; closing leadEnd ends the capture lead.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, leadEnd <-chan struct{}) int {
	opts := cliOptions{collect: collector.DefaultOptions()}
	fs := pflag.NewFlagSet("cordon-collect", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.StringVarP(&opts.output, "output", "o", "", "write the bundle to FILE, or - for standard output (required)")
	fs.BoolVar(&opts.force, "force", false, "overwrite FILE if it exists")
	fs.StringVar(&opts.caseID, "case", "", "case identifier, recorded in the manifest")
	fs.StringVar(&opts.evidenceID, "evidence-id", "", "evidence identifier (default: HOST-TIME-RANDOM)")
	fs.StringVar(&opts.examiner, "examiner", "", "who collects, recorded in the manifest")
	fs.StringArrayVar(&opts.notes, "note", nil, "a note for the manifest (repeatable)")
	fs.StringVar(&opts.referenceTime, "reference-time", "", "the time on a trusted clock (RFC 3339, or @UNIX) when the collection starts: the host's clock offset is recorded against it")
	fs.StringVar(&opts.signKey, "sign-key", "", "sign with this minisign secret key (a FILE, or fd:N for an inherited descriptor) instead of a fresh one-time key")
	fs.StringVar(&opts.signKeyPass, "sign-key-password-file", "", "read the secret key's password from this FILE or fd:N (else it is asked on the terminal)")
	fs.StringArrayVar(&opts.encryptTo, "encrypt-to", nil, "encrypt the bundle to this age recipient (age1…; repeatable)")
	fs.BoolVar(&opts.listSources, "list-sources", false, "list the sources in the order they run, and exit")
	fs.BoolVarP(&opts.quiet, "quiet", "q", false, "print only the custody lines at the end")
	fs.BoolVar(&opts.version, "version", false, "print the version and exit")
	opts.collect.BindFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fmt.Fprint(stderr, fs.FlagUsages())
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	switch {
	case opts.version:
		fmt.Fprintf(stdout, "cordon-collect %s (%s)\n", Version, runtime.Version())
		return exitOK
	case opts.listSources:
		for _, s := range collector.Registered() {
			kind := ""
			if s.Live {
				kind = " (live only)"
			}
			if s.Background {
				kind += " (background)"
			}
			fmt.Fprintf(stdout, "%-16s %3d  %s%s\n", s.Name, s.Order, s.Help, kind)
		}
		return exitOK
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "cordon-collect: unexpected argument %q (see --help)\n", fs.Arg(0))
		return exitUsage
	case opts.output == "":
		fmt.Fprintln(stderr, "cordon-collect: -o FILE or -o - is required (see --help)")
		return exitUsage
	}
	if err := collect(ctx, opts, args, stdout, stderr, leadEnd); err != nil {
		fmt.Fprintf(stderr, "cordon-collect: %v\n", err)
		var ue usageError
		var pe partialError
		var ie interruptedError
		switch {
		case errors.As(err, &ue):
			return exitUsage
		case errors.As(err, &ie):
			return exitInterrupted
		case errors.As(err, &pe):
			return exitSome
		}
		return exitOutput
	}
	return exitOK
}

type usageError struct{ error }
type partialError struct{ error }
type interruptedError struct{ error }

// stopOnOutputError is the collection's sink: when the bundle's output
// fails (a full disk, a closed pipe), it cancels the collection instead of
// letting every source go on into a writer that can no longer write.
type stopOnOutputError struct {
	*bundle.Writer
	cancel context.CancelCauseFunc
}

func (s stopOnOutputError) Add(meta bundle.EntryMeta, r io.Reader, size int64) (bundle.EntryRecord, error) {
	rec, err := s.Writer.Add(meta, r, size)
	if err != nil {
		if oerr := s.Writer.Err(); oerr != nil {
			s.cancel(fmt.Errorf("%w: %w", errOutput, oerr))
		}
	}
	return rec, err
}

func (s stopOnOutputError) AddBytes(meta bundle.EntryMeta, data []byte) (bundle.EntryRecord, error) {
	return s.Add(meta, bytes.NewReader(data), int64(len(data)))
}

var errOutput = errors.New("the bundle's output failed")

func collect(parent context.Context, opts cliOptions, args []string, stdout, stderr io.Writer, leadEnd <-chan struct{}) error {
	clockStart := time.Now().UTC()
	var refTime time.Time
	if opts.referenceTime != "" {
		t, err := parseTime(opts.referenceTime)
		if err != nil {
			return usageError{err}
		}
		refTime = t
	}
	switch opts.collect.Memory {
	case collector.MemoryNone, collector.MemorySuspect, collector.MemoryAll:
	default:
		return usageError{fmt.Errorf("--memory %q: want none, suspect or all", opts.collect.Memory)}
	}
	if opts.collect.Root != "/" {
		if fi, err := os.Stat(opts.collect.Root); err != nil || !fi.IsDir() {
			return usageError{fmt.Errorf("--root %q is not a directory", opts.collect.Root)}
		}
	}
	env := collector.NewEnv(opts.collect, nil)
	sources, skipped, err := collector.Selected(env.Opts, env.Live)
	if err != nil {
		return usageError{err}
	}
	recipients, err := parseRecipients(opts.encryptTo)
	if err != nil {
		return usageError{err}
	}
	key, ephemeral, err := signingKey(opts, stderr)
	if err != nil {
		return usageError{err}
	}
	facts := collector.ReadHostFacts(env)
	facts.ClockStart = clockStart
	if !refTime.IsZero() {
		facts.ReferenceTime = refTime
		off := clockStart.Sub(refTime).Seconds()
		facts.ClockOffsetSeconds = &off
	}
	evidenceID := opts.evidenceID
	if evidenceID == "" {
		evidenceID = defaultEvidenceID(facts.Hostname, clockStart)
	}

	out, closeOut, err := openOutput(opts.output, opts.force, stdout)
	if err != nil {
		return usageError{err}
	}
	buf := bufio.NewWriterSize(out, 256<<10)
	w, err := bundle.NewWriter(buf, bundle.Options{
		Key:        key,
		Ephemeral:  ephemeral,
		EvidenceID: evidenceID,
		CaseID:     opts.caseID,
		Collector:  "cordon-collect " + Version,
		Recipients: recipients,
	})
	if err != nil {
		closeOut()
		return fmt.Errorf("writing the bundle to %s: %w", outputName(opts.output), err)
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	env.Sink = stopOnOutputError{Writer: w, cancel: cancel}
	progress := func(format string, a ...any) {
		if !opts.quiet {
			fmt.Fprintf(stderr, "cordon-collect: "+format+"\n", a...)
		}
	}
	progress("evidence %s: %d sources, %d skipped", evidenceID, len(sources), len(skipped))
	var progressMu sync.Mutex
	env.Progress = func(st bundle.SourceStatus) {
		progressMu.Lock()
		defer progressMu.Unlock()
		progress("%-14s %-11s %5d entries %9s %s", st.Name, st.Status, st.Entries, collector.HumanSize(st.Bytes), oneLine(st.Detail))
	}
	env.LeadEnd, env.LeadEndName = leadEnd, "SIGUSR1"
	env.OnLead = func(l collector.LeadInfo) {
		// Printed even with --quiet: a script waits on this line before
		// it starts what the capture must see.
		fmt.Fprintf(stderr, "cordon-collect: %s\n", leadLine(l))
	}
	outcome := collector.Run(ctx, env, sources)
	statuses := outcome.Sources
	failed := outcome.Failed()
	facts.ClockEnd = time.Now().UTC()
	custody := bundle.Custody{
		CaseID:     opts.caseID,
		EvidenceID: evidenceID,
		Examiner:   opts.examiner,
		Notes:      opts.notes,
		Host:       facts,
		Collector: bundle.CollectorFacts{
			Name:        "cordon-collect",
			Version:     Version,
			SHA256:      selfSHA256(),
			CommandLine: args,
			EUID:        os.Geteuid(),
			EGID:        os.Getegid(),
			GoVersion:   runtime.Version(),
			PID:         os.Getpid(),
		},
		Options: effectiveOptions(opts),
		Sources: append(statuses, skipped...),
		Phases:  outcome.Phases,
		Errors:  env.Errors(),
	}
	interrupted := parent.Err() != nil
	if interrupted {
		custody.Interrupted = fmt.Sprintf("interrupted by a signal at %s: sources that had not finished are marked interrupted", facts.ClockEnd.Format(time.RFC3339Nano))
	}
	var sum bundle.Summary
	closed := make(chan error, 1)
	go func() {
		// An entry abandoned by an interrupted source may still hold the
		// writer: this waits for it, within finaliseWithin.
		if oerr := w.Err(); oerr != nil {
			closed <- fmt.Errorf("%w (what was written verifies up to its last checkpoint)", oerr)
			return
		}
		s, err := w.Close(custody)
		sum = s
		closed <- err
	}()
	var deadline <-chan time.Time
	if interrupted {
		deadline = time.After(finaliseWithin)
	}
	select {
	case err = <-closed:
	case <-deadline:
		return interruptedError{fmt.Errorf("interrupted, and the bundle could not be finalised within %v (an entry was still being written): it ends at its last checkpoint, which cordon verify reports as incomplete", finaliseWithin)}
	}
	if cerr := closeOut(); err == nil && cerr != nil {
		err = fmt.Errorf("closing %s: %w", opts.output, cerr)
	}
	if err != nil {
		return fmt.Errorf("writing the bundle to %s: %w", outputName(opts.output), err)
	}
	keyKind := "one-time key made for this collection (held in memory only)"
	if !ephemeral {
		keyKind = "responder's key " + opts.signKey
	}
	where := outputName(opts.output)
	if interrupted {
		fmt.Fprintf(stderr, "cordon-collect: interrupted: the bundle on %s is signed and marked interrupted\n", where)
	}
	fmt.Fprintf(stderr, "cordon-collect: bundle complete on %s: %s, %d entries, %d missing, %d checkpoints\n",
		where, collector.HumanSize(sum.Bytes), sum.Entries, sum.Missing, sum.Checkpoints)
	fmt.Fprintf(stderr, "Copy onto the custody form:\n")
	fmt.Fprintf(stderr, "  evidence id:      %s\n", evidenceID)
	fmt.Fprintf(stderr, "  bundle SHA-256:   %s\n", sum.SHA256)
	fmt.Fprintf(stderr, "  key fingerprint:  %s (%s)\n", sum.KeyID, keyKind)
	fmt.Fprintf(stderr, "  public key:       %s\n", publicKeyLine(sum.PublicKey))
	if interrupted {
		return interruptedError{errors.New("collection interrupted by a signal: see the manifest's sources")}
	}
	if failed > 0 {
		return partialError{fmt.Errorf("%d source(s) failed or timed out: see the manifest's sources and errors", failed)}
	}
	return nil
}

// leadLine is the line printed when the capture lead begins.
func leadLine(l collector.LeadInfo) string {
	var b strings.Builder
	if len(l.Capturing) == 0 {
		b.WriteString("capture not running (it could not start: see the manifest's errors)")
	} else {
		b.WriteString("capture running on " + oneLine(strings.Join(l.Capturing, ", ")))
	}
	if len(l.Failed) > 0 {
		b.WriteString(" (failed on " + oneLine(strings.Join(l.Failed, ", ")) + ")")
	}
	fmt.Fprintf(&b, "; lead up to %v (SIGUSR1 ends it)", l.Lead)
	return b.String()
}

func outputName(o string) string {
	if o == "-" {
		return "standard output"
	}
	return o
}

func openOutput(path string, force bool, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "-" {
		if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return nil, nil, errors.New("standard output is a terminal: redirect it (-o - > FILE) or pass -o FILE")
		}
		return stdout, func() error { return nil }, nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, nil, fmt.Errorf("%s exists: evidence is never overwritten without --force", path)
		}
		return nil, nil, err
	}
	return f, func() error {
		if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
			f.Close()
			return err
		}
		return f.Close()
	}, nil
}

func signingKey(opts cliOptions, stderr io.Writer) (minisign.PrivateKey, bool, error) {
	if opts.signKey == "" {
		_, priv, err := bundle.GenerateKey()
		return priv, true, err
	}
	password := func() (string, error) {
		if opts.signKeyPass != "" {
			b, err := readSmallFile(opts.signKeyPass)
			if err != nil {
				return "", err
			}
			return strings.TrimRight(string(b), "\r\n"), nil
		}
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return "", fmt.Errorf("the key is encrypted and there is no terminal to ask its password on: pass --sign-key-password-file")
		}
		defer tty.Close()
		fmt.Fprint(tty, "Password for the signing key: ")
		pw, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		return string(pw), err
	}
	key, err := bundle.LoadPrivateKey(opts.signKey, password)
	return key, false, err
}

func readSmallFile(path string) ([]byte, error) {
	var f *os.File
	if n, ok := strings.CutPrefix(path, "fd:"); ok {
		var fd int
		if _, err := fmt.Sscanf(n, "%d", &fd); err != nil {
			return nil, fmt.Errorf("%q: want fd:N", path)
		}
		f = os.NewFile(uintptr(fd), path)
	} else {
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, err
		}
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 4096))
}

func parseRecipients(list []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range list {
		rs, err := age.ParseRecipients(strings.NewReader(s))
		if err != nil {
			return nil, fmt.Errorf("--encrypt-to %q: %w", s, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

func parseTime(s string) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		var sec float64
		if _, err := fmt.Sscanf(rest, "%f", &sec); err != nil {
			return time.Time{}, fmt.Errorf("--reference-time %q: want RFC 3339 or @UNIX", s)
		}
		return time.Unix(0, int64(sec*1e9)).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--reference-time %q: want RFC 3339 or @UNIX", s)
	}
	return t.UTC(), nil
}

func defaultEvidenceID(host string, t time.Time) string {
	var r [3]byte
	_, _ = rand.Read(r[:])
	h := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' {
			return c
		}
		return '_'
	}, host)
	if h == "" {
		h = "host"
	}
	if len(h) > 64 {
		h = h[:64]
	}
	return fmt.Sprintf("%s-%s-%s", h, t.Format("20060102T150405Z"), hex.EncodeToString(r[:]))
}

// selfSHA256 hashes the collector's own executable, as the kernel maps it.
func selfSHA256() string {
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		return "unavailable: " + err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, 1<<30)); err != nil {
		return "unavailable: " + err.Error()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func effectiveOptions(opts cliOptions) map[string]string {
	out := opts.collect.Record()
	out["EncryptedTo"] = strconv.Itoa(len(opts.encryptTo))
	return out
}

func publicKeyLine(pubTxt string) string {
	lines := strings.Split(strings.TrimSpace(pubTxt), "\n")
	return lines[len(lines)-1]
}

func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
