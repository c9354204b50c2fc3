package bustest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/testbound"
)

// RuntimeDir lays out a pool's runtime directory BASE/NAME and starts its
// private bus beside it, each directory with its lock, held as a live
// poold holds them when alive. It returns the runtime directory and the
// bus, both cleaned up when the test ends.
func RuntimeDir(t testing.TB, base, name string, alive bool) (string, *privatebus.Bus) {
	t.Helper()
	dir := filepath.Join(base, name)
	for d, mode := range map[string]os.FileMode{dir: 0o700, rundir.BusDir(dir): 0o711} {
		if err := os.Mkdir(d, mode); err != nil {
			t.Fatal(err)
		}
		lockDir(t, d, alive)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testbound.Scale(30*time.Second))
	defer cancel()
	bus, err := privatebus.Start(ctx, rundir.BusDir(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return dir, bus
}

// lockDir makes dir's lock file, held until the test ends when alive.
func lockDir(t testing.TB, dir string, alive bool) {
	t.Helper()
	fd, err := unix.Open(filepath.Join(dir, rundir.LockFile), unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if alive {
		if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
			t.Fatal(err)
		}
	}
}
