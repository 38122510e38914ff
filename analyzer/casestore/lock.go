package casestore

// lock.go holds the case's locks. Several writers may add bundles to one
// case at once (the workers of one `cordon analyze --jobs N`, or several
// cordon processes): each builds its bundle's directory under a temporary
// name on its own, and only two short steps are serialized.
//
//   - The case lock (flock(2) on DIR/.lock) is held only to reserve a
//     bundle (check that the case does not hold it, take its bundle lock,
//     remove what a killed writer left of it) and to publish it (rename its
//     directory into place), and by a reader saving the investigation.
//   - A bundle lock (flock(2) on DIR/bundles/b-….lock) is held by the one
//     writer building that bundle, from its reservation to its publication
//     or abandonment; a second writer of the same bundle is refused at once
//     (ErrBeingAdded). The lock file is created and removed only under the
//     case lock, so no writer ever holds a lock on a file already unlinked.
//
// rename(2) of the build directory onto the final name refuses to replace
// a directory that holds files, so even a writer that got past the locks
// could not overwrite a published bundle. A reader never sees half a
// bundle: it lists only final names. Locks held by a process that is
// killed are released by the kernel; its build directory is removed by the
// next reservation of the same bundle.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrBeingAdded is returned by Begin for a bundle another writer is adding
// to the case right now.
var ErrBeingAdded = errors.New("being added to the case by another cordon")

// Lock takes the case's lock (flock on DIR/.lock) without waiting,
// creating the case directory if needed. The lock is released by the
// returned function and, whatever happens, when the process ends. Writers
// hold it only for moments (see lock.go); a reader that fails to take it
// may try again later.
func Lock(dir string) (func(), error) {
	f, err := openLockFile(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("case %s is being written by another cordon: %w", dir, err)
	}
	return unlockFunc(f), nil
}

// lockWait takes the case's lock, waiting while another writer holds it
// (which is never for long), until ctx is done.
func lockWait(ctx context.Context, dir string) (func(), error) {
	f, err := openLockFile(dir)
	if err != nil {
		return nil, err
	}
	wait := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return unlockFunc(f), nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("case lock: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

func openLockFile(dir string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Join(dir, bundlesDir), 0o755); err != nil {
		return nil, fmt.Errorf("case directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("case lock: %w", err)
	}
	return f, nil
}

func unlockFunc(f *os.File) func() {
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}

// bundleLock is the lock of one bundle being built.
type bundleLock struct {
	path string
	f    *os.File
}

// lockBundle takes the lock of the bundle directory final (its path plus
// ".lock"); the caller holds the case lock.
func lockBundle(final string) (*bundleLock, error) {
	path := final + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("bundle lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", filepath.Base(final), ErrBeingAdded)
		}
		return nil, fmt.Errorf("bundle lock: %w", err)
	}
	return &bundleLock{path: path, f: f}, nil
}

// release removes the lock file and releases the lock; the caller holds
// the case lock (so that nobody opens the file between the two).
func (l *bundleLock) release() {
	if l == nil || l.f == nil {
		return
	}
	os.Remove(l.path)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
