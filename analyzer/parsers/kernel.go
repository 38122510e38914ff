package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The running kernel (collector source "kernel"): its taint, modules and
// their signatures, core_pattern, security sysctls, binfmt_misc and eBPF
// objects (kernel/state.json), and its ring buffer (kernel/kmsg.txt),
// each record timed by the boot time the custody records.
func init() {
	Register(Parser{
		Name:  "kernel-state",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.KernelStateEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			st, err := snapshot.ReadKernelState(r)
			if err != nil {
				return err
			}
			EmitResult(snapshot.KernelStateEvents(st, o), emit)
			return nil
		},
	})
	Register(Parser{
		Name:  "kmsg",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.KmsgEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			if o.BootTime.IsZero() {
				emit.Warn(timeline.Warning{Entry: o.Entry, Message: snapshot.KmsgNoBootTime})
			}
			return snapshot.ReadKmsg(r, o, func(rec snapshot.KmsgRecord) {
				emit.Event(snapshot.KmsgEvent(rec, o.BootTime, o))
			}, emit.Warn)
		},
	})
}
