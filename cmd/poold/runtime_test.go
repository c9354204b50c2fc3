package main

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
)

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// The sweep removes a stale pool's directories and kills a dbus-daemon that
// outlived its poold; it leaves live pools alone.
func TestRemoveStale(t *testing.T) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed")
	}
	base := t.TempDir()
	live, liveBus := bustest.RuntimeDir(t, base, "live.1", true)
	stale, staleBus := bustest.RuntimeDir(t, base, "stale.2", false)
	orphan, orphanBus := bustest.RuntimeDir(t, base, "orphan.3", true)
	if err := os.RemoveAll(orphan); err != nil { // a bus whose runtime directory is gone
		t.Fatal(err)
	}

	removeStale(base, slog.New(slog.DiscardHandler))

	for _, bus := range []*privatebus.Bus{staleBus, orphanBus} {
		select { // KillStale saw it exit; its reaper is a goroutine
		case <-bus.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("the stale dbus-daemon %d still runs", bus.PID())
		}
	}
	select {
	case <-liveBus.Done():
		t.Error("the live pool's dbus-daemon was killed")
	default:
	}
	for _, dir := range []string{stale, rundir.BusDir(stale), rundir.BusDir(orphan)} {
		if exists(dir) {
			t.Errorf("%s left behind", dir)
		}
	}
	for _, dir := range []string{live, rundir.BusDir(live)} {
		if !exists(dir) {
			t.Errorf("%s removed", dir)
		}
	}
}
