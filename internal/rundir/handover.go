package rundir

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Handed is a runtime directory as an upgrade in place hands it over to
// the poold that execs in the same process: its path and the fds of its
// locks, held across the exec, so that no sweep finds it stale meanwhile.
type Handed struct {
	Path     string
	Lock     int
	NameLock int    // -1 when the pool claims no name
	NameFile string // the name lock's file in the base
}

// FDs are the fds that must survive the exec.
func (h Handed) FDs() []int {
	if h.NameLock < 0 {
		return []int{h.Lock}
	}
	return []int{h.Lock, h.NameLock}
}

// HandOver stops watching the directory, whose locks stay held, and
// returns it for the next poold (Resume). The Dir is unusable after it.
func (d *Dir) HandOver() (Handed, error) {
	if d.watcher != nil {
		d.watcher.Close()
		<-d.watched
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	h := Handed{Path: d.path, Lock: int(d.lock.Fd()), NameLock: -1}
	if d.name != nil {
		h.NameLock, h.NameFile = int(d.name.f.Fd()), d.name.file
	}
	return h, nil
}

// Resume takes over a runtime directory a poold handed over before it
// exec'd this one (HandOver) in BASE as opts gives it, and owns its fds:
// no sweep, no claim, the locks are already held.
func Resume(opts Options, h Handed) (*Dir, error) {
	base := opts.Base
	if base == "" {
		base = Base(os.Getenv, os.Geteuid())
	}
	if abs, err := filepath.Abs(base); err != nil || filepath.Dir(h.Path) != abs {
		return nil, fmt.Errorf("runtime directory %s handed over is not in %s", h.Path, base)
	}
	d := &Dir{path: h.Path, base: base, uid: os.Geteuid(), log: opts.Log, lost: make(chan error, 1)}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	made, err := os.Lstat(h.Path)
	if err != nil {
		return nil, fmt.Errorf("runtime directory: %w", err)
	}
	d.made, d.lock = made, os.NewFile(uintptr(h.Lock), filepath.Join(h.Path, LockFile))
	if h.NameLock >= 0 {
		root, err := OpenBase(base, d.uid)
		if err != nil {
			return nil, errors.Join(err, d.lock.Close())
		}
		d.name = &NameLock{root: root, file: h.NameFile, f: os.NewFile(uintptr(h.NameLock), h.NameFile)}
	}
	for _, fd := range h.FDs() {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
			return nil, fmt.Errorf("runtime directory: lock fd %d: %w", fd, err)
		}
	}
	if err := d.startWatch(); err != nil {
		return nil, errors.Join(err, d.Remove())
	}
	return d, nil
}
