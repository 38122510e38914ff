package snapshot

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/cordon-forensics/cordon/timeline"
)

// MaxKernelState bounds kernel/state.json (a few thousand modules and
// eBPF objects are a few MiB).
const MaxKernelState = 32 << 20

// ReadKernelState reads kernel/state.json.
func ReadKernelState(r io.Reader) (KernelState, error) {
	var st KernelState
	err := readSmallJSON(r, MaxKernelState, "kernel state", &st)
	return st, err
}

// taintModuleLetters are the taint flags a loaded module carries in its
// own /sys/module/NAME/taint: when the kernel has one and no listed module
// does, the module that set it is gone from the list (unloaded, or hidden).
const taintModuleLetters = "POEFCX"

// KernelStateEvents turns kernel/state.json into events observed when it
// was read: the kernel's taint, core_pattern and security sysctls (one
// "kernel-state" event), each loaded module, each binfmt_misc
// registration, each eBPF program (at its load time), map and pinned
// object (at its mtime).
func KernelStateEvents(st KernelState, o timeline.Origin) timeline.Result {
	var res timeline.Result
	at := st.ReadAt
	if at.IsZero() {
		at = o.ReadAt
	}
	if at.IsZero() {
		res.Warn(o, 0, 0, "%s", ErrNoReadAt)
		return res
	}
	mk := func(action, msg string, category ...string) timeline.Event {
		ev := observed(o, 0, 0, "kernel", action, msg, category...)
		ev.Timestamp = at.UTC()
		ev.Cordon.TimeDerivation = "the collector's clock when the kernel's state was read"
		return ev
	}

	// The kernel's own state.
	flags := strings.Join(st.TaintedFlags, "")
	ev := mk("kernel-state", fmt.Sprintf("kernel taint %d (flags %q), core_pattern %q", st.Tainted, flags, st.CorePattern), "host", "configuration")
	ev.Labels["tainted"] = strconv.FormatUint(st.Tainted, 10)
	ev.Labels["tainted_flags"] = flags
	ev.Labels["core_pattern"] = st.CorePattern
	if strings.HasPrefix(strings.TrimSpace(st.CorePattern), "|") {
		ev.Labels["core_pattern.pipe"] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(st.CorePattern), "|"))
	}
	for k, v := range st.Sysctls {
		ev.Labels["sysctl."+k] = v
	}
	for k, v := range st.Errors {
		ev.Labels["error."+k] = v
	}
	// Taint a module set, with no listed module carrying it.
	carried := map[string]bool{}
	for _, m := range st.Modules {
		for _, c := range m.Taint {
			carried[string(c)] = true
		}
	}
	var orphan []string
	for _, f := range st.TaintedFlags {
		if len(f) == 1 && strings.Contains(taintModuleLetters, f) && !carried[f] {
			orphan = append(orphan, f)
		}
	}
	if len(orphan) > 0 && st.Errors["modules"] == "" {
		ev.Labels["taint.unexplained"] = strings.Join(orphan, "")
		ev.Message += fmt.Sprintf("; no loaded module carries taint %q: the module that set it was unloaded or hides itself", strings.Join(orphan, ""))
	}
	res.Events = append(res.Events, ev)

	_, depErr := st.Errors["modules.dep"]
	for _, m := range st.Modules {
		e := mk("kernel-module-loaded", "", "driver", "host")
		e.Labels["module.name"] = m.Name
		e.Labels["module.state"] = m.State
		e.Labels["module.size"] = strconv.FormatInt(m.Size, 10)
		e.Labels["module.refcount"] = strconv.Itoa(m.RefCount)
		if m.Taint != "" {
			e.Labels["module.taint"] = m.Taint
		}
		if len(m.UsedBy) > 0 {
			e.Labels["module.used_by"] = strings.Join(m.UsedBy, ",")
		}
		var notes []string
		if m.OutOfTree {
			e.Labels["module.out_of_tree"] = "true"
			notes = append(notes, "out of tree")
		}
		if m.Unsigned {
			e.Labels["module.unsigned"] = "true"
			notes = append(notes, "unsigned")
		}
		for k, v := range map[string]string{"module.version": m.Version, "module.srcversion": m.SrcVersion, "module.error": m.Error} {
			if v != "" {
				e.Labels[k] = v
			}
		}
		if m.File != "" {
			e.File = &timeline.File{Path: m.File, Name: baseName(m.File)}
		} else if !depErr {
			// modules.dep was read and does not list it
			e.Labels["module.in_modules_dep"] = "false"
			notes = append(notes, "not in modules.dep")
		}
		if s := m.Signature; s != nil {
			for k, v := range map[string]string{"module.signer": s.Signer, "module.signer_org": s.SignerOrg,
				"module.key_id": s.KeyID, "module.hash_algo": s.HashAlgo, "module.signature_error": s.Error} {
				if v != "" {
					e.Labels[k] = v
				}
			}
			if s.Signer != "" {
				notes = append(notes, "signed by "+strconv.Quote(s.Signer))
			}
		}
		e.Message = fmt.Sprintf("kernel module %q loaded (%s, taint %q)", m.Name, m.State, m.Taint)
		if len(notes) > 0 {
			e.Message += ": " + strings.Join(notes, ", ")
		}
		res.Events = append(res.Events, e)
	}

	for _, b := range st.BinfmtMisc {
		e := mk("binfmt-registered", "", "configuration", "host")
		e.Labels["binfmt.name"] = b.Name
		e.Labels["binfmt.interpreter"] = binfmtInterpreter(b.Content)
		e.Labels["binfmt.enabled"] = strconv.FormatBool(!strings.HasPrefix(b.Content, "disabled"))
		e.Message = fmt.Sprintf("binfmt_misc registration %q: interpreter %q", b.Name, e.Labels["binfmt.interpreter"])
		res.Events = append(res.Events, e)
	}

	for _, p := range st.BPF.Programs {
		e := mk("bpf-program-loaded", "", "host", "process")
		e.Labels["bpf.id"] = strconv.FormatUint(uint64(p.ID), 10)
		e.Labels["bpf.type"] = p.Type
		e.Labels["bpf.name"] = p.Name
		e.Labels["bpf.tag"] = p.Tag
		e.Labels["bpf.uid"] = strconv.FormatUint(uint64(p.UID), 10)
		e.Labels["bpf.map_count"] = strconv.Itoa(p.MapIDs)
		e.Labels["bpf.gpl_compatible"] = strconv.FormatBool(p.GPL)
		e.User = &timeline.User{ID: strconv.FormatUint(uint64(p.UID), 10)}
		if n, ok := o.Users[p.UID]; ok {
			e.User.Name = n
		}
		e.Message = fmt.Sprintf("eBPF program %d %q of type %s loaded by uid %d (tag %s, %d maps)", p.ID, p.Name, p.Type, p.UID, p.Tag, p.MapIDs)
		if !p.LoadedAt.IsZero() {
			e.Timestamp = p.LoadedAt.UTC()
			e.Event.Kind = "event"
			e.Event.Type = []string{"start"}
			e.Cordon.TimeMeaning = timeline.MeaningStart
			e.Cordon.TimeDerivation = "the program's load time (bpf_prog_info.load_time, nanoseconds since boot) plus the boot time"
		}
		res.Events = append(res.Events, e)
	}
	for _, m := range st.BPF.Maps {
		e := mk("bpf-map", fmt.Sprintf("eBPF map %d %q (type %d, key %d bytes, value %d bytes, %d entries)", m.ID, m.Name, m.Type, m.KeySize, m.ValueSize, m.MaxEntries), "host")
		e.Labels["bpf.id"] = strconv.FormatUint(uint64(m.ID), 10)
		e.Labels["bpf.name"] = m.Name
		e.Labels["bpf.map_type"] = strconv.FormatUint(uint64(m.Type), 10)
		res.Events = append(res.Events, e)
	}
	for _, p := range st.BPF.Pinned {
		e := mk("bpf-pinned", fmt.Sprintf("eBPF object pinned at %q (%s, uid %d)", p.Path, p.Type, p.UID), "host", "file")
		e.File = &timeline.File{Path: p.Path, Name: baseName(p.Path), Type: p.Type, UID: strconv.FormatUint(uint64(p.UID), 10), Mtime: p.Mtime}
		e.Labels["bpf.uid"] = strconv.FormatUint(uint64(p.UID), 10)
		if !p.Mtime.IsZero() {
			e.Timestamp = p.Mtime.UTC()
			e.Event.Kind = "event"
			e.Cordon.TimeMeaning = timeline.MeaningModified
			e.Cordon.TimeDerivation = "mtime of the file under /sys/fs/bpf (set when it was pinned)"
		}
		res.Events = append(res.Events, e)
	}
	for _, x := range st.BPF.Errors {
		res.Warn(o, 0, 0, "eBPF: %s", x)
	}
	sort.SliceStable(res.Events, func(i, j int) bool { return res.Events[i].Timestamp.Before(res.Events[j].Timestamp) })
	return res
}

// binfmtInterpreter reads the "interpreter PATH" line of a binfmt_misc
// registration ("" when there is none).
func binfmtInterpreter(content string) string {
	for _, l := range strings.Split(content, "\n") {
		if rest, ok := strings.CutPrefix(l, "interpreter "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}
