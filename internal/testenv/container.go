package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Container is a stand-in for a container a runtime such as Docker starts:
// an overlay root (the host's root below, a writable layer of its own
// above), a /dev bound in, and a cgroup named like Docker's
// (docker-<64 hex>.scope), so that tests exercise what a collector meets
// on a real container host without needing a container runtime.
type Container struct {
	ID       string // 64 hex digits, in the cgroup's name
	Merged   string // the container's root, as the host sees it
	Upper    string // its writable layer
	cgroupFD int
}

// NewContainer makes one; it needs root. Everything is undone at cleanup.
func NewContainer(t testing.TB) *Container {
	t.Helper()
	NeedRoot(t)
	base, err := os.MkdirTemp("/dev/shm", "cordon-ct-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	c := &Container{Upper: filepath.Join(base, "upper"), Merged: filepath.Join(base, "merged")}
	work := filepath.Join(base, "work")
	for _, d := range []string{c.Upper, work, c.Merged} {
		os.Mkdir(d, 0o755)
	}
	if err := unix.Mount("overlay", c.Merged, "overlay", 0, "lowerdir=/,upperdir="+c.Upper+",workdir="+work); err != nil {
		t.Fatalf("mounting the container's overlay: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(c.Merged, unix.MNT_DETACH) })
	if err := unix.Mount("/dev", filepath.Join(c.Merged, "dev"), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		t.Fatalf("binding /dev into the container: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(filepath.Join(c.Merged, "dev"), unix.MNT_DETACH) })
	var id [32]byte
	rand.Read(id[:])
	c.ID = hex.EncodeToString(id[:])
	cg := filepath.Join("/sys/fs/cgroup/unified", "cordon-test-"+strconv.Itoa(os.Getpid())+"-"+c.ID[:8], "docker-"+c.ID+".scope")
	if err := os.MkdirAll(cg, 0o755); err != nil {
		t.Fatalf("cgroup: %v", err)
	}
	t.Cleanup(func() {
		// The container's processes are stopped by later-registered cleanups
		// (they run first); wait for the cgroup to empty.
		for i := 0; i < 100 && os.Remove(cg) != nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		os.Remove(filepath.Dir(cg))
	})
	c.cgroupFD, err = unix.Open(cg, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(c.cgroupFD) })
	return c
}

// SysProcAttr starts a process inside the container (its own mount
// namespace, root and cgroup), as cred when not nil.
func (c *Container) SysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Chroot: c.Merged, Cloneflags: syscall.CLONE_NEWNS, Credential: cred, UseCgroupFD: true, CgroupFD: c.cgroupFD}
}
