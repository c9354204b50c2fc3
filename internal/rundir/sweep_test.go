package rundir_test

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
	"github.com/poold/poold/internal/testbound"
)

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// The sweep removes a stale pool's directories and kills a dbus-daemon that
// outlived its poold. It leaves alone live pools, also a bus whose runtime
// directory was removed under its running poold (each directory is judged
// by its own lock), directories without a lock, and whatever a symbolic
// link in the base points to.
func TestSweep(t *testing.T) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed")
	}
	base := t.TempDir()
	live, liveBus := bustest.RuntimeDir(t, base, "live.1", true)
	stale, staleBus := bustest.RuntimeDir(t, base, "stale.2", false)
	lost, lostBus := bustest.RuntimeDir(t, base, "lost.3", true)
	if err := os.RemoveAll(lost); err != nil {
		t.Fatal(err)
	}
	victim := t.TempDir() // not in the base: a symlink there must not lead the sweep to it
	for _, d := range []string{filepath.Join(victim, "project"), filepath.Join(victim, "x.bus"), filepath.Join(base, "unit")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(victim, "project", rundir.LockFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(victim, "project"), filepath.Join(base, "link.4")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(base)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	rundir.Sweep(root, func(dir string) { privatebus.KillStale(dir) }, slog.New(slog.DiscardHandler)) //nolint:errcheck // checked below by the daemons' fates

	select { // KillStale saw it exit; its reaper is a goroutine
	case <-staleBus.Done():
	case <-time.After(testbound.Scale(10 * time.Second)):
		t.Errorf("the stale dbus-daemon %d still runs", staleBus.PID())
	}
	for _, bus := range []*privatebus.Bus{liveBus, lostBus} {
		select {
		case <-bus.Done():
			t.Errorf("a live pool's dbus-daemon %d was killed", bus.PID())
		default:
		}
	}
	for _, dir := range []string{stale, rundir.BusDir(stale)} {
		if exists(dir) {
			t.Errorf("%s left behind", dir)
		}
	}
	for _, dir := range []string{live, rundir.BusDir(live), rundir.BusDir(lost), filepath.Join(base, "unit"),
		filepath.Join(base, "link.4"), filepath.Join(victim, "project", rundir.LockFile), filepath.Join(victim, "x.bus")} {
		if !exists(dir) {
			t.Errorf("%s removed", dir)
		}
	}
}
