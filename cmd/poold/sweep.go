package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/poold/poold/internal/privatebus"
	"github.com/poold/poold/internal/rundir"
)

// removeStale removes the directories in BASE whose lock nobody holds
// (rundir.Stale): runtime directories and private buses of poolds that are
// gone (killed with SIGKILL, say), killing such a bus's dbus-daemon if it
// outlived its poold. Each directory is judged by its own lock alone, and
// removed through root, so that nothing outside BASE is touched.
func removeStale(root *os.Root, log *slog.Logger) {
	f, err := root.Open(".")
	if err != nil {
		return
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() { // a symbolic link is not
			continue
		}
		lock, stale := rundir.Stale(root, e.Name())
		if !stale {
			continue
		}
		dir := filepath.Join(root.Name(), e.Name())
		log.Debug("removing a stale runtime directory", "dir", dir)
		if _, ok := rundir.RuntimeDirOf(e.Name()); ok {
			killBus(dir, log)
		}
		if err := root.RemoveAll(e.Name()); err != nil {
			log.Warn("stale runtime directory", "dir", dir, "err", err)
		}
		lock.Close()
	}
}

// killBus kills the dbus-daemon of a stale pool's private bus if it
// survived its poold.
func killBus(dir string, log *slog.Logger) {
	killed, err := privatebus.KillStale(dir)
	switch {
	case err != nil:
		log.Warn("stale private bus", "dir", dir, "err", err)
	case killed:
		log.Info("killed the dbus-daemon of a stale pool", "dir", dir)
	}
}
