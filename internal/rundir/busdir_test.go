package rundir

import (
	"os"
	"path/filepath"
	"testing"
)

// A bus directory is alive while MakeBusDir's lock is held, or, without a
// lock of its own, while its runtime directory's is (a poold from before
// bus directories had one); gone otherwise.
func TestBusAlive(t *testing.T) {
	base := t.TempDir()
	runDir := filepath.Join(base, "app.1")
	must(t, os.Mkdir(runDir, 0o700))
	held, err := MakeBusDir(runDir)
	must(t, err)
	if got := BusAlive(held.Path); got != Alive {
		t.Errorf("held: %v, want alive", got)
	}
	if fi, err := os.Stat(held.Path); err != nil || fi.Mode().Perm() != 0o711 {
		t.Errorf("bus directory: %v, %v; want 0711", fi, err)
	}
	must(t, held.lock.Close())
	if got := BusAlive(held.Path); got != Gone {
		t.Errorf("its lock let go: %v, want gone", got)
	}
	must(t, os.Remove(filepath.Join(held.Path, LockFile)))
	if got := BusAlive(held.Path); got != Gone {
		t.Errorf("no lock, nor one of its runtime directory: %v, want gone", got)
	}
	runLock, err := Lock(runDir)
	must(t, err)
	if got := BusAlive(held.Path); got != Alive {
		t.Errorf("no lock, its runtime directory's held: %v, want alive", got)
	}
	runLock.Close()
}
