package snapshot

import (
	"fmt"
	"strconv"
	"strings"
)

// The names of the per-process and per-namespace entries the volatile
// sources write: one owner for the layout, used by the collector to write
// them and by the analyzer to find them.

// ExeEntry is the recovered executable of process pid (read through /proc/PID/exe).
func ExeEntry(pid int64) string { return fmt.Sprintf("proc/%d/exe", pid) }

// FDEntry is an executable recovered through an open file descriptor (a
// memfd, or a deleted file the process holds open).
func FDEntry(pid int64, fd int) string { return fmt.Sprintf("proc/%d/fd/%d", pid, fd) }

// MapFileEntry is a file mapped by process pid, recovered through
// /proc/PID/map_files/RANGE (rng is the mapping's "start-end" in hex).
func MapFileEntry(pid int64, rng string) string { return fmt.Sprintf("proc/%d/map_files/%s", pid, rng) }

// MapsEntry is /proc/PID/maps of a process whose memory was dumped.
func MapsEntry(pid int64) string { return fmt.Sprintf("proc/%d/maps", pid) }

// CoreEntry is the memory of process pid as an ELF core file.
func CoreEntry(pid int64) string { return fmt.Sprintf("memory/%d/core", pid) }

// NetNSEntry is one /proc/net table (file) of the network namespace with inode ino.
func NetNSEntry(ino uint64, file string) string { return fmt.Sprintf("net/ns/%d/%s", ino, file) }

// ImageKind says what a process image entry holds.
type ImageKind string

// Kinds of process images.
const (
	ImageCore ImageKind = "core" // memory (CoreEntry)
	ImageExe  ImageKind = "exe"  // executable (ExeEntry)
	ImageFD   ImageKind = "fd"   // executable held open (FDEntry)
)

// ParseImageEntry reads the PID and kind of a process image entry: a
// memory core, a recovered executable, or one held by a descriptor. ok is
// false for any other name.
func ParseImageEntry(name string) (pid int64, kind ImageKind, ok bool) {
	parts := strings.Split(name, "/")
	num := func(s string) (int64, bool) {
		if s == "" || strings.Trim(s, "0123456789") != "" || len(s) > 18 {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	switch {
	case len(parts) == 3 && parts[0] == "memory" && parts[2] == "core":
		pid, ok = num(parts[1])
		kind = ImageCore
	case len(parts) == 3 && parts[0] == "proc" && parts[2] == "exe":
		pid, ok = num(parts[1])
		kind = ImageExe
	case len(parts) == 4 && parts[0] == "proc" && parts[2] == "fd":
		pid, ok = num(parts[1])
		if _, fdOK := num(parts[3]); !fdOK {
			ok = false
		}
		kind = ImageFD
	}
	if !ok {
		return 0, "", false
	}
	return pid, kind, true
}
