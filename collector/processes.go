package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
)

func init() {
	Register(Source{
		Name:    "processes",
		Order:   10,
		Live:    true,
		Budget:  60 * time.Second,
		Help:    "every process: ids, owners, command line, exe link (deleted, memfd:), start time, namespaces, cgroup, open files",
		Collect: collectProcesses,
	})
}

func collectProcesses(ctx context.Context, env *Env) error {
	pass := env.volatilePass(ctx)
	if pass.Err != nil {
		return pass.Err
	}
	if pass.Cut != "" {
		env.Errorf(env.ProcRoot, "%s", pass.Cut)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, p := range pass.Procs {
		if err := enc.Encode(p); err != nil {
			return fmt.Errorf("encoding process %d: %w", p.PID, err)
		}
	}
	s := pass.Summary
	for _, m := range s.MaskedPIDs {
		env.Errorf(env.procPath(m.PID), "a %s file system is mounted over /proc/%d (source %q, root %q): the process is masked", m.FSType, m.PID, m.Source, m.Root)
	}
	if s.FieldErrors > 0 {
		env.Errorf(env.ProcRoot, "%d processes have fields the kernel would not give (e.g. %s): see their errors in %s", s.FieldErrors, s.FirstFieldError, snapshot.ProcessesEntry)
	}
	meta := bundle.EntryMeta{Name: snapshot.ProcessesEntry, HostPath: env.ProcRoot, ReadAt: pass.Started}
	if _, err := env.AddBytes(meta, buf.Bytes()); err != nil {
		return err
	}
	buf.Reset()
	for _, f := range pass.OpenFiles {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("encoding open file %d/%d: %w", f.PID, f.FD, err)
		}
	}
	ometa := bundle.EntryMeta{Name: snapshot.OpenFilesEntry, HostPath: env.ProcRoot, ReadAt: pass.Started}
	if s.OpenFilesLeftOut > 0 {
		ometa.Truncated = true
		ometa.Note = fmt.Sprintf("%d descriptors beyond the first %d left out", s.OpenFilesLeftOut, maxOpenFiles)
	}
	if _, err := env.AddBytes(ometa, buf.Bytes()); err != nil {
		return err
	}
	if _, err := env.AddJSON(snapshot.ProcessSummaryEntry, s); err != nil {
		return err
	}
	env.Note("%d processes (%d vanished, %d reused during the read), %d suspect, %d open files; read in %v",
		s.Read, s.Vanished, s.Reused, s.Suspect, len(pass.OpenFiles), pass.Finished.Sub(pass.Started).Round(time.Millisecond))
	return nil
}

// idNames maps numeric ids to names from the host's own files.
type idNames struct {
	users, groups map[uint32]string
}

// readIDNames reads /etc/passwd and /etc/group of the host as files (never
// through NSS, which would run the host's code), recording what it could not read.
func readIDNames(ctx context.Context, env *Env) idNames {
	return idNames{
		users:  readIDFile(ctx, env, "/etc/passwd"),
		groups: readIDFile(ctx, env, "/etc/group"),
	}
}

func readIDFile(ctx context.Context, env *Env, hostPath string) map[uint32]string {
	out := map[uint32]string{}
	b, err := readHostFile(ctx, env, hostPath, 16<<20)
	if err != nil {
		env.Errorf(hostPath, "id names not read: %v", err)
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 4)
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		id, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			continue
		}
		if _, dup := out[uint32(id)]; !dup {
			out[uint32(id)] = f[0]
		}
	}
	return out
}

// readHostFile reads a small regular file of the host: stat first, so that
// a FIFO, socket or device is recorded and never opened.
func readHostFile(ctx context.Context, env *Env, hostPath string, max int64) ([]byte, error) {
	p := env.HostPath(hostPath)
	info, err := Stat(p)
	if err != nil {
		return nil, err
	}
	f, err := OpenRegular(p, info)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lr := io.LimitReader(NewStallReader(ctx, f, 0), max+1)
	var b bytes.Buffer
	_, err = b.ReadFrom(lr)
	if int64(b.Len()) > max {
		return b.Bytes()[:max], fmt.Errorf("%s: larger than %d bytes: cut", hostPath, max)
	}
	return b.Bytes(), err
}

var containerIDRe = regexp.MustCompile(`(?:^|[/\-:])([0-9a-f]{64})(?:\.scope)?(?:$|/)`)

// containerID derives a container id from a cgroup path: the last 64-hex
// component (docker-<id>.scope, /docker/<id>, cri-containerd-<id>.scope,
// libpod-<id>.scope, /kubepods/.../<id>).
func containerID(cgroup string) string {
	id := ""
	for _, line := range strings.Split(cgroup, "\n") {
		for _, m := range containerIDRe.FindAllStringSubmatch(line, -1) {
			id = m[1]
		}
	}
	return id
}

func names(ids []uint32, m map[uint32]string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

func sortFDs(l []fdLink) { sort.Slice(l, func(i, j int) bool { return l[i].FD < l[j].FD }) }

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
