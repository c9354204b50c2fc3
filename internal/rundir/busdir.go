package rundir

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/enum"
)

// HeldBusDir is a pool's bus directory, made and locked by MakeBusDir.
type HeldBusDir struct {
	Path string
	lock *os.File
}

// MakeBusDir makes the bus directory of the pool whose runtime directory
// is runtimeDir (0711: every user who reaches BASE reaches the bus) and
// takes its lock, which tells the sweep of the next poold that this bus is
// alive, whatever happens to the runtime directory beside it.
func MakeBusDir(runtimeDir string) (*HeldBusDir, error) {
	dir := BusDir(runtimeDir)
	if err := os.Mkdir(dir, 0o711); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	lock, err := Lock(dir)
	if err != nil {
		return nil, err
	}
	return &HeldBusDir{Path: dir, lock: lock}, nil
}

// Remove removes the directory, then lets its lock go.
func (d *HeldBusDir) Remove() error {
	return errors.Join(os.RemoveAll(d.Path), d.lock.Close())
}

// Liveness is what a bus directory's lock says of its poold.
type Liveness int

const (
	// Alive: a poold holds the lock.
	Alive Liveness = iota + 1
	// Gone: nobody holds the lock, or there is none.
	Gone
	// Unknown: the lock is private to the pool's user.
	Unknown
)

var livenesses = enum.Names[Liveness]{What: "liveness", Type: "Liveness", Names: []string{"alive", "gone", "unknown"}}

func (l Liveness) String() string { return livenesses.String(l) }

// BusAlive tells a live pool's bus directory from a stale one: poold holds
// its lock while it runs (that of its runtime directory for a poold from
// before bus directories had one). It only reads the lock, so users other
// than the pool's may call it; those who cannot open the lock get Unknown.
func BusAlive(busDir string) Liveness {
	fd, err := unix.Open(filepath.Join(busDir, LockFile), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if runDir, ok := RuntimeDirOf(busDir); ok && errors.Is(err, unix.ENOENT) {
		fd, err = unix.Open(filepath.Join(runDir, LockFile), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	}
	switch {
	case errors.Is(err, unix.EACCES):
		return Unknown
	case err != nil:
		return Gone // no runtime directory, or no lock: stale
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB); err == nil {
		unix.Flock(fd, unix.LOCK_UN)
		return Gone
	}
	return Alive
}
