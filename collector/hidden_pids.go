package collector

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cordon-forensics/cordon/formats/snapshot"
)

func init() {
	Register(Source{
		Name:    "hidden-pids",
		Order:   26,
		Live:    true,
		Budget:  60 * time.Second,
		Help:    "probe every PID up to pid_max for processes hidden from the /proc listing (--probe-hidden-pids)",
		Collect: collectHiddenPIDs,
	})
}

// collectHiddenPIDs runs after the cheap first pass and the copies: with
// pid_max at 4,194,304 the probe is millions of stat calls. A hidden
// process's whole record is kept in proc/hidden_pids.json.
func collectHiddenPIDs(ctx context.Context, env *Env) error {
	if !env.Opts.ProbeHiddenPIDs {
		env.Note("--probe-hidden-pids=false: not probed")
		return nil
	}
	pass := env.volatilePass(ctx)
	if pass.Err != nil {
		return pass.Err
	}
	listed := make([]int, 0, len(pass.Procs))
	for _, p := range pass.Procs {
		listed = append(listed, p.PID)
	}
	h := probeHiddenPIDs(ctx, env, listed)
	if len(h.Hidden) > 0 {
		ids := readIDNames(ctx, env)
		boot, _ := bootTime()
		for i := range h.Hidden {
			p, _ := readProcessPID(ctx, env, h.Hidden[i].PID, ids, boot)
			p.Hidden = true
			h.Hidden[i].Process = &p
		}
	}
	if _, err := env.AddJSON(snapshot.HiddenPIDsEntry, h); err != nil {
		return err
	}
	env.Note("%d PIDs probed up to pid_max %d, %d hidden, complete=%v", h.Probed, h.PIDMax, len(h.Hidden), h.Complete)
	return nil
}

// probeHiddenPIDs compares the /proc listing with a probe of every PID up
// to pid_max. A rootkit that filters getdents(2) on /proc still answers a
// stat of /proc/PID: such a PID, a thread-group leader listed in no
// task/ directory, absent from the listing and still absent when /proc is
// listed again after the probe (it was not merely born meanwhile), is hidden.
func probeHiddenPIDs(ctx context.Context, env *Env, listed []int) snapshot.HiddenPIDs {
	out := snapshot.HiddenPIDs{Listed: len(listed), Complete: true, Hidden: []snapshot.HiddenPID{}}
	b, _, err := ReadSmall(ctx, env.ProcRoot+"/sys/kernel/pid_max", 64)
	pidMax := 4 << 20 // PID_MAX_LIMIT on 64-bit
	if err == nil {
		if n, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && n > 0 {
			pidMax = n
		}
	} else {
		out.Errors = append(out.Errors, fmt.Sprintf("pid_max not read (%v): probing up to %d", err, pidMax))
	}
	out.PIDMax = pidMax
	known := make(map[int]bool, len(listed)*2)
	for _, pid := range listed {
		known[pid] = true
	}
	// Threads answer at /proc/TID too but are listed only under task/.
	for _, pid := range listed {
		names, err := readDirNames(env.procPath(pid, "task"))
		if err != nil {
			continue
		}
		for _, n := range names {
			if tid, err := strconv.Atoi(n); err == nil && !known[tid] {
				known[tid] = true
				out.Threads++
			}
		}
	}
	var candidates []int
	for pid := 1; pid < pidMax; pid++ {
		if pid&1023 == 0 && ctx.Err() != nil {
			out.Complete = false
			out.Errors = append(out.Errors, fmt.Sprintf("probe cut by the deadline at PID %d of %d", pid, pidMax))
			break
		}
		out.Probed++
		if known[pid] {
			continue
		}
		if _, err := os.Lstat(env.procPath(pid)); err == nil {
			candidates = append(candidates, pid)
		}
	}
	out.ObservedAt = env.Now().UTC()
	if len(candidates) == 0 {
		return out
	}
	again, err := listPIDs(env.ProcRoot)
	if err != nil {
		out.Errors = append(out.Errors, fmt.Sprintf("listing /proc again: %v", err))
	}
	relisted := map[int]bool{}
	for _, pid := range again {
		relisted[pid] = true
	}
	for _, pid := range candidates {
		if relisted[pid] {
			continue // born during the probe
		}
		h := snapshot.HiddenPID{PID: pid, TGID: pid}
		if sb, _, err := ReadSmall(ctx, env.procPath(pid, "status"), maxProcTxt); err == nil {
			if s, _ := parseStatusIDs(sb); s.TGID != 0 {
				h.TGID = s.TGID
			}
		} else {
			continue // gone meanwhile
		}
		if h.TGID != pid && (known[h.TGID] || relisted[h.TGID]) {
			continue // a thread of a listed process, born during the probe
		}
		if st, err := readStat(ctx, env, pid); err == nil {
			h.Comm = st.Comm
		}
		h.Exe, _ = os.Readlink(env.procPath(pid, "exe"))
		out.Hidden = append(out.Hidden, h)
	}
	return out
}
