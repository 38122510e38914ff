package collector

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/cordon-forensics/cordon/formats/snapshot"
)

// bpf.go lists eBPF objects. Pinned objects are files of the BPF file
// system (/sys/fs/bpf), listed like any tree (bounded, links not
// followed). Loaded programs and maps come from bpf(2): BPF_PROG_GET_NEXT_ID
// walks the ids, BPF_PROG_GET_FD_BY_ID takes a descriptor (a reference
// held only while it is open) and BPF_OBJ_GET_INFO_BY_FD reads struct
// bpf_prog_info (include/uapi/linux/bpf.h): nothing is loaded, attached or
// changed. It needs CAP_SYS_ADMIN (or CAP_BPF): without it the refusal is
// recorded.

// bpf(2) commands (include/uapi/linux/bpf.h).
const (
	bpfProgGetNextID  = 11
	bpfMapGetNextID   = 12
	bpfProgGetFDByID  = 13
	bpfMapGetFDByID   = 14
	bpfObjGetInfoByFD = 15
)

// bpfProgTypes names enum bpf_prog_type.
var bpfProgTypes = []string{"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp", "perf_event",
	"cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device", "sk_msg",
	"raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport", "flow_dissector",
	"cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm", "sk_lookup",
	"syscall", "netfilter"}

func bpfCall(cmd int, attr []byte) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(unsafe.Pointer(&attr[0])), uintptr(len(attr)))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// bpfIDs walks one kind of id (programs or maps).
func bpfIDs(next int) ([]uint32, error) {
	var ids []uint32
	start := uint32(0)
	for len(ids) < maxBPFObjects {
		attr := make([]byte, 16)
		binary.NativeEndian.PutUint32(attr[0:], start)
		if _, err := bpfCall(next, attr); err != nil {
			if errors.Is(err, unix.ENOENT) {
				return ids, nil
			}
			return ids, err
		}
		id := binary.NativeEndian.Uint32(attr[4:])
		ids = append(ids, id)
		start = id
	}
	return ids, fmt.Errorf("more than %d objects: the rest left out", maxBPFObjects)
}

// bpfInfo takes a descriptor on an object by id and reads its info.
func bpfInfo(getFD int, id uint32, size int) ([]byte, error) {
	attr := make([]byte, 16)
	binary.NativeEndian.PutUint32(attr[0:], id)
	fd, err := bpfCall(getFD, attr)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	info := make([]byte, size)
	ia := make([]byte, 16)
	binary.NativeEndian.PutUint32(ia[0:], uint32(fd))
	binary.NativeEndian.PutUint32(ia[4:], uint32(size))
	binary.NativeEndian.PutUint64(ia[8:], uint64(uintptr(unsafe.Pointer(&info[0]))))
	if _, err := bpfCall(bpfObjGetInfoByFD, ia); err != nil {
		return nil, err
	}
	return info, nil
}

func cString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func readBPF(ctx context.Context, env *Env) snapshot.BPFState {
	st := snapshot.BPFState{Pinned: []snapshot.BPFPinned{}, Programs: []snapshot.BPFProgram{}, Maps: []snapshot.BPFMap{}}
	root := filepath.Join(env.SysRoot, "fs", "bpf")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				st.Errors = append(st.Errors, err.Error())
			}
			return nil
		}
		if p == root || ctx.Err() != nil {
			return nil
		}
		if len(st.Pinned) >= maxBPFObjects {
			return fs.SkipAll
		}
		info, err := Stat(p)
		if err != nil {
			st.Errors = append(st.Errors, err.Error())
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		st.Pinned = append(st.Pinned, snapshot.BPFPinned{Path: "/sys/fs/bpf/" + rel, Type: info.Type, UID: info.UID, Mtime: info.Mtime})
		return nil
	})
	if err != nil {
		st.Errors = append(st.Errors, err.Error())
	}
	boot, _ := bootTime()
	ids, err := bpfIDs(bpfProgGetNextID)
	if err != nil {
		st.Errors = append(st.Errors, "programs: "+err.Error())
	}
	for _, id := range ids {
		info, err := bpfInfo(bpfProgGetFDByID, id, 88)
		if err != nil {
			if !errors.Is(err, unix.ENOENT) { // unloaded meanwhile
				st.Errors = append(st.Errors, fmt.Sprintf("program %d: %v", id, err))
			}
			continue
		}
		ne := binary.NativeEndian
		typ := ne.Uint32(info[0:])
		p := snapshot.BPFProgram{ID: ne.Uint32(info[4:]), Tag: hex.EncodeToString(info[8:16]), JitedLen: ne.Uint32(info[16:]),
			XlatedLen: ne.Uint32(info[20:]), UID: ne.Uint32(info[48:]), MapIDs: int(ne.Uint32(info[52:])),
			Name: cString(info[64:80]), GPL: ne.Uint32(info[84:])&1 == 1}
		p.Type = fmt.Sprintf("type %d", typ)
		if int(typ) < len(bpfProgTypes) {
			p.Type = bpfProgTypes[typ]
		}
		if lt := ne.Uint64(info[40:]); lt != 0 && !boot.IsZero() {
			p.LoadedAt = boot.Add(time.Duration(lt)).UTC()
		}
		st.Programs = append(st.Programs, p)
	}
	mids, err := bpfIDs(bpfMapGetNextID)
	if err != nil {
		st.Errors = append(st.Errors, "maps: "+err.Error())
	}
	for _, id := range mids {
		info, err := bpfInfo(bpfMapGetFDByID, id, 40)
		if err != nil {
			if !errors.Is(err, unix.ENOENT) {
				st.Errors = append(st.Errors, fmt.Sprintf("map %d: %v", id, err))
			}
			continue
		}
		ne := binary.NativeEndian
		st.Maps = append(st.Maps, snapshot.BPFMap{Type: ne.Uint32(info[0:]), ID: ne.Uint32(info[4:]), KeySize: ne.Uint32(info[8:]),
			ValueSize: ne.Uint32(info[12:]), MaxEntries: ne.Uint32(info[16:]), Name: cString(info[24:40])})
	}
	sort.Slice(st.Programs, func(i, j int) bool { return st.Programs[i].ID < st.Programs[j].ID })
	sort.Slice(st.Maps, func(i, j int) bool { return st.Maps[i].ID < st.Maps[j].ID })
	return st
}
